"""
Custom Dense-like layer that used to crash with
    "Matrix size-incompatible: In[0]: [32,20], In[1]: [32,64]"
because build() created the kernel from input_shape[0] (the batch dim!) instead
of input_shape[-1]. It only "worked" when batch size happened to equal the
feature count. Fixed version below, trained with a hand-written loop.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

N_SAMPLES = 512
N_FEATURES = 20
N_CLASSES = 3
BATCH = 32
EPOCHS = 2
HIDDEN = [64, 32]

keras.utils.set_random_seed(3)


class ScaledDense(layers.Layer):
    """Dense layer with a learnable per-unit output scale."""

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        in_dim = input_shape[-1]          # was input_shape[0]  <- the bug
        self.kernel = self.add_weight(name="kernel", shape=(in_dim, self.units),
                                      initializer="glorot_uniform")
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
        self.scale = self.add_weight(name="scale", shape=(self.units,), initializer="ones")

    def call(self, x):
        y = ops.matmul(x, self.kernel) + self.bias
        return self.activation(y * self.scale)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(units=self.units, activation=keras.activations.serialize(self.activation))
        return cfg


class MLP(keras.Model):
    def __init__(self, hidden, n_out, **kwargs):
        super().__init__(**kwargs)
        self.blocks = [ScaledDense(h, activation="relu", name=f"sd_{i}") for i, h in enumerate(hidden)]
        self.head = ScaledDense(n_out, name="head")   # logits

    def call(self, x, training=False):
        for blk in self.blocks:          # Python loop over layers: fine
            x = blk(x)
        return self.head(x)


# ---- data ----
X = np.random.randn(N_SAMPLES, N_FEATURES).astype("float32")
W_true = np.random.randn(N_FEATURES, N_CLASSES)
y_int = np.argmax(X @ W_true, axis=1)
y = keras.utils.to_categorical(y_int, N_CLASSES).astype("float32")

ds = (tf.data.Dataset.from_tensor_slices((X, y))
      .shuffle(N_SAMPLES, seed=3)
      .batch(BATCH, drop_remainder=False))

model = MLP(HIDDEN, N_CLASSES)
# subclassed models build lazily: run a dummy batch through to create the weights
dummy_out = model(np.zeros((7, N_FEATURES), dtype="float32"))
print("built; trainable weights:", [tuple(w.shape) for w in model.trainable_weights])
print("output shape for a batch of 7:", tuple(dummy_out.shape))
print("head layer compute_output_shape:", model.head.compute_output_shape((None, HIDDEN[-1])))

optimizer = keras.optimizers.Adam(learning_rate=5e-3)
loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)
train_acc = keras.metrics.CategoricalAccuracy()
train_loss = keras.metrics.Mean()


@tf.function
def train_step(xb, yb):
    with tf.GradientTape() as tape:
        logits = model(xb, training=True)
        loss = loss_fn(yb, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    train_acc.update_state(yb, logits)
    train_loss.update_state(loss)
    return loss


for epoch in range(EPOCHS):
    train_acc.reset_state()
    train_loss.reset_state()
    for step, (xb, yb) in enumerate(ds):
        train_step(xb, yb)
    print(f"epoch {epoch + 1}: loss={float(train_loss.result()):.4f} "
          f"acc={float(train_acc.result()):.3f} steps={step + 1}")

# batch sizes that are NOT equal to N_FEATURES used to be exactly the failing case
for bs in (1, 7, 20, 33, 128):
    out = model.predict(X[:bs], batch_size=bs, verbose=0)
    print(f"predict on {bs:>3} rows -> {out.shape}")

# single sample: X[0] is (20,), make it (1, 20)
x0 = ops.expand_dims(X[0], axis=0)
logits0 = model(x0)
probs0 = ops.softmax(logits0, axis=-1)
print("single sample", tuple(x0.shape), "-> probs", np.round(ops.convert_to_numpy(probs0)[0], 3),
      "true", y_int[0])

# compile just to use evaluate() with the same custom model
model.compile(loss=loss_fn, metrics=["categorical_accuracy"])
print("evaluate:", model.evaluate(X, y, batch_size=64, verbose=0, return_dict=True))
