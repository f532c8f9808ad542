# Multiclass tabular model ("cover type" flavour) trained with a hand-written loop:
# warmup + cosine LR schedule, gradient clipping, label smoothing, EMA of weights.
import math
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

N_SAMPLES, N_FEATURES, N_CLASSES = 900, 14, 5
BATCH_SIZE = 64
EPOCHS = 2
PEAK_LR = 3e-3
WARMUP_FRAC = 0.15
CLIP_NORM = 1.0
EMA_DECAY = 0.98
LABEL_SMOOTHING = 0.05

tf.random.set_seed(11)
rng = np.random.default_rng(11)


# ---------------------------------------------------------------------------
# synthetic data + feature engineering in numpy
# ---------------------------------------------------------------------------
def synth(n):
    elevation = rng.normal(2800, 300, n)
    slope = rng.uniform(0, 45, n)
    aspect = rng.uniform(0, 360, n)
    hydro_h = rng.exponential(250, n)
    hydro_v = rng.normal(40, 50, n)
    road = rng.exponential(1500, n)
    shade = rng.uniform(0, 255, (n, 3))
    soil = rng.integers(0, 5, n)
    raw = np.column_stack([elevation, slope, aspect, hydro_h, hydro_v, road, shade, soil])
    cls = np.digitize(elevation + 3 * slope - 0.1 * hydro_h + 60 * soil + rng.normal(0, 60, n),
                      np.percentile(elevation + 3 * slope - 0.1 * hydro_h + 60 * soil, [20, 40, 60, 80]))
    return raw, cls.astype(np.int32)


def engineer(raw):
    elevation, slope, aspect, hydro_h, hydro_v, road = raw[:, :6].T
    shade = raw[:, 6:9]
    soil = raw[:, 9].astype(int)
    feats = [
        elevation, slope,
        np.sin(np.radians(aspect)), np.cos(np.radians(aspect)),
        np.log1p(hydro_h), hydro_v,
        np.hypot(hydro_h, hydro_v),
        np.log1p(road),
        elevation - 0.2 * hydro_h,
        shade.mean(1),
    ]
    onehot_soil = np.eye(5)[soil]
    x = np.column_stack(feats + [onehot_soil[:, :N_FEATURES - len(feats)]])
    return x.astype(np.float32)


raw, labels = synth(N_SAMPLES)
X = engineer(raw)
split = int(0.8 * N_SAMPLES)
mean, std = X[:split].mean(0), X[:split].std(0) + 1e-6
X = (X - mean) / std
x_train, y_train, x_val, y_val = X[:split], labels[:split], X[split:], labels[split:]
print("class counts (train):", np.bincount(y_train, minlength=N_CLASSES))

train_ds = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
            .shuffle(2048, seed=11, reshuffle_each_iteration=True)
            .batch(BATCH_SIZE, drop_remainder=True))
val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(256)

steps_per_epoch = split // BATCH_SIZE
total_steps = steps_per_epoch * EPOCHS


# ---------------------------------------------------------------------------
# schedule + model
# ---------------------------------------------------------------------------
class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, peak_lr, total_steps, warmup_steps, floor=1e-5):
        super().__init__()
        self.peak_lr = peak_lr
        self.total_steps = float(total_steps)
        self.warmup_steps = float(max(1, warmup_steps))
        self.floor = floor

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warm = self.peak_lr * step / self.warmup_steps
        progress = tf.clip_by_value((step - self.warmup_steps) / (self.total_steps - self.warmup_steps), 0.0, 1.0)
        cosine = self.floor + 0.5 * (self.peak_lr - self.floor) * (1.0 + tf.cos(math.pi * progress))
        return tf.where(step < self.warmup_steps, warm, cosine)

    def get_config(self):
        return {"peak_lr": self.peak_lr, "total_steps": self.total_steps,
                "warmup_steps": self.warmup_steps, "floor": self.floor}


class ResidualBlock(layers.Layer):
    """Dense -> BN -> GELU -> Dropout -> Dense with a skip connection."""

    def __init__(self, units, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.d1 = layers.Dense(units * 2)
        self.bn = layers.BatchNormalization()
        self.drop = layers.Dropout(dropout)
        self.d2 = layers.Dense(units)
        self.norm = layers.LayerNormalization()

    def call(self, x, training=False):
        h = self.d1(x)
        h = self.bn(h, training=training)
        h = tf.nn.gelu(h)
        h = self.drop(h, training=training)
        return self.norm(x + self.d2(h))

    def get_config(self):
        cfg = super().get_config()
        cfg.update(units=self.units)
        return cfg


def build_net(width=64, depth=3):
    inp = keras.Input((N_FEATURES,))
    x = layers.Dense(width)(inp)
    for i in range(depth):
        x = ResidualBlock(width, name=f"res_{i}")(x)
    logits = layers.Dense(N_CLASSES, name="logits")(x)
    return keras.Model(inp, logits)


model = build_net()
ema_model = build_net()
ema_model.set_weights(model.get_weights())

schedule = WarmupCosine(PEAK_LR, total_steps, int(WARMUP_FRAC * total_steps))
optimizer = keras.optimizers.Adam(learning_rate=schedule)
loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=LABEL_SMOOTHING)

train_loss = keras.metrics.Mean()
train_acc = keras.metrics.SparseCategoricalAccuracy()
val_acc = keras.metrics.SparseCategoricalAccuracy()
ema_val_acc = keras.metrics.SparseCategoricalAccuracy()


@tf.function
def train_step(x, y):
    y_onehot = tf.one_hot(y, N_CLASSES)
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = loss_fn(y_onehot, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    grads, gnorm = tf.clip_by_global_norm(grads, CLIP_NORM)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    train_loss.update_state(loss)
    train_acc.update_state(y, logits)
    return gnorm


@tf.function
def update_ema():
    for w_ema, w in zip(ema_model.weights, model.weights):
        w_ema.assign(EMA_DECAY * w_ema + (1.0 - EMA_DECAY) * w)


@tf.function
def eval_step(x, y):
    val_acc.update_state(y, model(x, training=False))
    ema_val_acc.update_state(y, ema_model(x, training=False))


for epoch in range(EPOCHS):
    t0 = time.time()
    for m in (train_loss, train_acc, val_acc, ema_val_acc):
        m.reset_state()
    for step, (xb, yb) in enumerate(train_ds):
        gnorm = train_step(xb, yb)
        update_ema()
        if step % 4 == 0:
            lr_now = float(schedule(optimizer.iterations))
            print(f"  ep{epoch} step{step:02d} loss={train_loss.result():.4f} |g|={float(gnorm):.3f} lr={lr_now:.2e}")
    for xb, yb in val_ds:
        eval_step(xb, yb)
    print(f"epoch {epoch + 1}/{EPOCHS} - {time.time() - t0:.1f}s - train_acc={train_acc.result():.3f} "
          f"val_acc={val_acc.result():.3f} ema_val_acc={ema_val_acc.result():.3f}")

lr_curve = [float(schedule(s)) for s in range(0, total_steps + 1, max(1, total_steps // 8))]
print("lr curve:", ", ".join(f"{v:.1e}" for v in lr_curve))

probs = tf.nn.softmax(ema_model.predict(x_val, verbose=0)).numpy()
confusion = np.zeros((N_CLASSES, N_CLASSES), dtype=int)
np.add.at(confusion, (y_val, probs.argmax(1)), 1)
print("confusion matrix (EMA model):\n", confusion)
