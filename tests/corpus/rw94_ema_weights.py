"""Exponential moving average (EMA) of model weights, hand rolled.

Keeps a shadow copy of every trainable weight, updates it after each
optimizer step with a warm-up'd decay (like tf.train.ExponentialMovingAverage
with num_updates), and swaps the averaged weights in for evaluation via a
context manager. Two flavours:

  * `WeightEMA` used directly from a custom GradientTape loop
  * `EMACallback` for people who just want model.fit()

Tabular regression on synthetic data with a residual MLP written in keras.ops.
"""
import contextlib

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

N_FEATURES = 20
HIDDEN = 64
N_BLOCKS = 3
BATCH = 64
EMA_DECAY = 0.99
STEPS = 60

rng = np.random.default_rng(42)


# ---------------------------------------------------------------- data
def make_regression(n):
    X = rng.normal(size=(n, N_FEATURES)).astype("float32")
    w = np.linspace(-1.0, 1.0, N_FEATURES).astype("float32")
    y = X @ w + 0.5 * np.sin(3 * X[:, 0]) * X[:, 1] + 0.1 * rng.normal(size=n)
    return X, y.astype("float32")[:, None]


X_train, y_train = make_regression(BATCH * STEPS)
X_val, y_val = make_regression(512)

train_ds = (tf.data.Dataset.from_tensor_slices((X_train, y_train))
            .shuffle(2048, seed=0)
            .batch(BATCH)
            .prefetch(2))


# ---------------------------------------------------------------- model
class ResidualDense(layers.Layer):
    """pre-norm residual MLP block: x + W2(gelu(W1(LN(x))))"""

    def __init__(self, units, expansion=2, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.expansion = expansion
        self.dropout = dropout

    def build(self, input_shape):
        d = input_shape[-1]
        self.norm = layers.LayerNormalization()
        self.fc1 = layers.Dense(self.units * self.expansion)
        self.fc2 = layers.Dense(d, kernel_initializer="zeros")
        self.drop = layers.Dropout(self.dropout)
        self.norm.build(input_shape)
        self.fc1.build(input_shape)
        self.fc2.build(tuple(input_shape[:-1]) + (self.units * self.expansion,))

    def call(self, x, training=None):
        h = self.fc1(self.norm(x))
        h = ops.gelu(h)
        h = self.drop(h, training=training)
        return x + self.fc2(h)


def build_model():
    inp = keras.Input((N_FEATURES,))
    x = layers.Dense(HIDDEN)(inp)
    for i in range(N_BLOCKS):
        x = ResidualDense(HIDDEN, name=f"res_block_{i}")(x)
    x = layers.LayerNormalization()(x)
    out = layers.Dense(1)(x)
    return keras.Model(inp, out, name="res_mlp")


# ---------------------------------------------------------------- EMA
class WeightEMA:
    """Shadow weights: ema = d * ema + (1 - d) * w, with
    d = min(decay, (1 + n) / (10 + n)) so early averages aren't dominated
    by the random init."""

    def __init__(self, model, decay=0.999):
        self.model = model
        self.decay = decay
        self.num_updates = tf.Variable(0.0, trainable=False, name="ema_updates")
        # also average non-trainable stats (BN moving mean/var) if any
        self.tracked = model.weights
        self.shadow = [tf.Variable(w, trainable=False, name=f"ema_{i}")
                       for i, w in enumerate(self.tracked)]
        self._backup = None

    def update(self):
        self.num_updates.assign_add(1.0)
        n = self.num_updates
        d = tf.minimum(self.decay, (1.0 + n) / (10.0 + n))
        for s, w in zip(self.shadow, self.tracked):
            s.assign(d * s + (1.0 - d) * tf.cast(w, s.dtype))
        return d

    @contextlib.contextmanager
    def average_weights(self):
        """with ema.average_weights(): model.evaluate(...)"""
        self._backup = [ops.convert_to_numpy(w) for w in self.tracked]
        for w, s in zip(self.tracked, self.shadow):
            w.assign(s)
        try:
            yield self.model
        finally:
            for w, b in zip(self.tracked, self._backup):
                w.assign(b)
            self._backup = None


class EMACallback(keras.callbacks.Callback):
    """Same thing for model.fit(); copies EMA weights in at the end."""

    def __init__(self, decay=0.99, swap_at_end=True):
        super().__init__()
        self.decay = decay
        self.swap_at_end = swap_at_end

    def on_train_begin(self, logs=None):
        self.ema_weights = [np.array(w) for w in self.model.get_weights()]
        self.n = 0

    def on_train_batch_end(self, batch, logs=None):
        self.n += 1
        d = min(self.decay, (1 + self.n) / (10 + self.n))
        for i, w in enumerate(self.model.get_weights()):
            self.ema_weights[i] = d * self.ema_weights[i] + (1 - d) * w

    def on_train_end(self, logs=None):
        if self.swap_at_end:
            print(f"[EMACallback] loading EMA weights after {self.n} updates")
            self.model.set_weights(self.ema_weights)


# ---------------------------------------------------------------- training
def custom_loop():
    model = build_model()
    model.summary()
    optimizer = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, clipnorm=1.0)
    loss_fn = keras.losses.MeanSquaredError()
    ema = WeightEMA(model, decay=EMA_DECAY)

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            pred = model(x, training=True)
            loss = loss_fn(y, pred)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        decay = ema.update()
        return loss, decay

    for step, (xb, yb) in enumerate(train_ds):
        loss, decay = train_step(xb, yb)
        if step % 20 == 0:
            print(f"step {step:3d} loss {loss.numpy():.4f} ema decay {decay.numpy():.4f}")

    def val_mse(m):
        pred = m(X_val, training=False)
        return float(ops.mean(ops.square(pred - y_val)))

    raw = val_mse(model)
    with ema.average_weights() as ema_model:
        averaged = val_mse(ema_model)
    restored = val_mse(model)
    print(f"val MSE raw={raw:.4f}  ema={averaged:.4f}  (restored raw={restored:.4f})")
    assert abs(raw - restored) < 1e-6, "weights were not restored after EMA swap"


def fit_with_callback():
    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])
    model.fit(X_train, y_train, batch_size=BATCH, epochs=1, verbose=2,
              callbacks=[EMACallback(decay=EMA_DECAY)])
    results = model.evaluate(X_val, y_val, verbose=0, return_dict=True)
    print("fit()+EMA val:", {k: round(v, 4) for k, v in results.items()})


if __name__ == "__main__":
    custom_loop()
    fit_with_callback()
