"""Video clip classification: which way is the blob moving?

Per-frame CNN encoder wrapped in TimeDistributed, then a bidirectional GRU
over time. The model subclasses keras.Model and overrides train_step /
test_step to add a tiny temporal-consistency penalty.
"""
import math

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

DIRECTIONS = {"left": (0, -1), "right": (0, 1), "up": (-1, 0), "down": (1, 0), "still": (0, 0)}
LABELS = list(DIRECTIONS)
T, SIZE = 8, 28
N_CLIPS = 300
BATCH_SIZE = 20
SPEED = 2.0


def gaussian_blob(cy, cx, sigma=2.5):
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    return np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sigma ** 2))


def make_clip(label_idx, rng):
    dy, dx = DIRECTIONS[LABELS[label_idx]]
    travel = SPEED * (T - 1)
    pad = 4

    def start(d):
        # pick a start so that the whole track stays inside the frame
        lo = pad + (travel if d < 0 else 0)
        hi = SIZE - pad - (travel if d > 0 else 0)
        return rng.uniform(lo, hi)

    cy, cx = start(dy), start(dx)
    frames = []
    for t in range(T):
        f = gaussian_blob(cy + dy * SPEED * t, cx + dx * SPEED * t)
        f += rng.normal(0, 0.08, f.shape)
        frames.append(f)
    return np.stack(frames)[..., None].astype(np.float32)


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(LABELS), size=n)
    clips = np.stack([make_clip(int(l), rng) for l in labels])
    return clips, labels.astype(np.int64)


def standardize(clip, label):
    mean = tf.reduce_mean(clip)
    std = tf.math.reduce_std(clip) + 1e-6
    clip = (clip - mean) / std
    # random temporal reversal would flip the label, so only do a spatial-noise aug
    clip = clip + tf.random.normal(tf.shape(clip), stddev=0.05)
    return clip, label


def frame_encoder():
    enc = keras.Sequential(name="frame_encoder")
    enc.add(layers.Input(shape=(SIZE, SIZE, 1)))
    for filters in (16, 32):
        enc.add(layers.Conv2D(filters, 3, padding="same", activation="relu"))
        enc.add(layers.MaxPool2D())
    enc.add(layers.Conv2D(32, 3, padding="same", activation="relu"))
    enc.add(layers.GlobalAveragePooling2D())
    return enc


class MotionClassifier(keras.Model):
    def __init__(self, n_classes, smooth_weight=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.encoder = layers.TimeDistributed(frame_encoder(), name="td_encoder")
        self.coords = layers.TimeDistributed(layers.Dense(16, activation="tanh"), name="td_proj")
        self.rnn = layers.Bidirectional(layers.GRU(32), name="bigru")
        self.head = layers.Dense(n_classes, name="logits")
        self.smooth_weight = smooth_weight
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.acc = keras.metrics.SparseCategoricalAccuracy(name="acc")

    def call(self, clips, training=False, return_features=False):
        feats = self.coords(self.encoder(clips, training=training))
        logits = self.head(self.rnn(feats, training=training))
        if return_features:
            return logits, feats
        return logits

    @property
    def metrics(self):
        return [self.loss_tracker, self.acc]

    def _clip_losses(self, x, y, training):
        logits, feats = self(x, training=training, return_features=True)
        ce = tf.reduce_mean(
            keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)
        )
        # penalise jumpy per-frame embeddings
        smooth = tf.reduce_mean(tf.square(feats[:, 1:] - feats[:, :-1]))
        return ce + self.smooth_weight * smooth, logits

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            loss, logits = self._clip_losses(x, y, training=True)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.acc.update_state(y, logits)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        loss, logits = self._clip_losses(x, y, training=False)
        self.loss_tracker.update_state(loss)
        self.acc.update_state(y, logits)
        return {m.name: m.result() for m in self.metrics}


def main():
    keras.utils.set_random_seed(11)
    x, y = make_data(N_CLIPS, seed=5)
    x_val, y_val = make_data(60, seed=6)
    print(f"train clips {x.shape}, label counts {np.bincount(y, minlength=len(LABELS)).tolist()}")

    train_ds = (tf.data.Dataset.from_tensor_slices((x, y))
                .shuffle(N_CLIPS)
                .map(standardize, num_parallel_calls=2)
                .batch(BATCH_SIZE, drop_remainder=True)
                .prefetch(1))
    val_ds = (tf.data.Dataset.from_tensor_slices((x_val, y_val))
              .map(standardize)
              .batch(BATCH_SIZE))

    model = MotionClassifier(len(LABELS))
    steps = math.floor(N_CLIPS / BATCH_SIZE) * 2
    schedule = keras.optimizers.schedules.CosineDecay(3e-3, decay_steps=steps, alpha=0.1)
    model.compile(optimizer=keras.optimizers.Adam(schedule))
    model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)
    model.summary()

    logits = model.predict(val_ds, verbose=0)
    pred = logits.argmax(-1)
    for c, name in enumerate(LABELS):
        sel = y_val == c
        acc = (pred[sel] == c).mean() if sel.any() else float("nan")
        print(f"{name:>6}: n={sel.sum():2d} acc={acc:.2f}")


if __name__ == "__main__":
    main()
