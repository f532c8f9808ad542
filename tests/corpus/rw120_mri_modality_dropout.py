#!/usr/bin/env python
"""Multi-contrast MRI slice segmentation with channels-first storage.

Slices are stored as (N, C, H, W) = (N, 4, 64, 64) for T1 / T1ce / T2 / FLAIR,
masks as one-hot (N, K, H, W). The network works channels-last internally:
numpy transpose on the way in, Permute back to channels-first on the way out.
A custom train_step adds "modality dropout" (randomly blanks a contrast) to
make the model robust to missing sequences.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

MODALITIES = ["t1", "t1ce", "t2", "flair"]
C = len(MODALITIES)
K = 3                     # background, lesion, necrosis
HW = 48
N_SLICES = 200
PIXEL_CLASS_WEIGHTS = np.array([0.3, 1.5, 3.0], dtype="float32")

keras.utils.set_random_seed(1234)


def simulate_slices(n, seed=0):
    r = np.random.default_rng(seed)
    x = np.zeros((n, C, HW, HW), "float32")
    y = np.zeros((n, HW, HW), "int64")
    yy, xx = np.mgrid[:HW, :HW] / HW
    head = ((yy - 0.5) ** 2 + (xx - 0.5) ** 2) < 0.42 ** 2
    contrast = {  # intensity of (tissue, lesion, necrosis) in each sequence
        "t1": (0.6, 0.45, 0.2),
        "t1ce": (0.6, 0.9, 0.3),
        "t2": (0.4, 0.7, 0.9),
        "flair": (0.4, 0.85, 0.5),
    }
    for i in range(n):
        cy, cx = r.uniform(0.3, 0.7, 2)
        rad = r.uniform(0.06, 0.14)
        dist = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2)
        lesion = (dist < rad) & head
        necro = (dist < rad * 0.45) & head
        y[i][lesion] = 1
        y[i][necro] = 2
        for c, m in enumerate(MODALITIES):
            t, l, nc = contrast[m]
            img = head * t
            img = np.where(lesion, l, img)
            img = np.where(necro, nc, img)
            x[i, c] = img + r.normal(0, 0.05, (HW, HW))
    onehot = np.eye(K, dtype="float32")[y]            # (N, H, W, K)
    return x, np.transpose(onehot, (0, 3, 1, 2))       # masks channels-first too


x_cf, y_cf = simulate_slices(N_SLICES)
print("stored:", x_cf.shape, y_cf.shape)

# channels-first -> channels-last for the inputs; keep per-modality percentile scaling
x_cl = np.transpose(x_cf, (0, 2, 3, 1))
lo, hi = np.percentile(x_cl, [1, 99], axis=(0, 1, 2), keepdims=True)
x_cl = np.clip((x_cl - lo) / (hi - lo), 0, 1).astype("float32")

# per-pixel sample weights from the class map (shape (N, H, W))
pix_w = PIXEL_CLASS_WEIGHTS[y_cf.argmax(axis=1)]

idx = np.random.default_rng(0).permutation(N_SLICES)
tr, va = idx[:160], idx[160:]


class ModalityDropoutModel(keras.Model):
    """Functional graph wrapped in a subclass so we can customise train_step."""

    def __init__(self, *args, drop_prob=0.25, **kwargs):
        super().__init__(*args, **kwargs)
        self.drop_prob = drop_prob

    def _drop_modality(self, x):
        batch = tf.shape(x)[0]
        which = tf.random.uniform([batch], 0, C, dtype=tf.int32)
        apply = tf.random.uniform([batch]) < self.drop_prob
        mask = 1.0 - tf.one_hot(which, C) * tf.cast(apply, tf.float32)[:, None]
        return x * mask[:, None, None, :]

    def train_step(self, data):
        x, y, sw = keras.utils.unpack_x_y_sample_weight(data)
        x = self._drop_modality(x)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sw)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(grads, self.trainable_variables)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def build(filters=(16, 32, 64)):
    inp = keras.Input((HW, HW, C), name="mri")
    x, skips = inp, []
    for f in filters[:-1]:
        x = layers.Conv2D(f, 3, padding="same", activation="relu")(x)
        x = layers.Conv2D(f, 3, padding="same", activation="relu")(x)
        skips.append(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(filters[-1], 3, padding="same", activation="relu")(x)
    for f, skip in zip(reversed(filters[:-1]), reversed(skips)):
        x = layers.UpSampling2D()(x)
        x = layers.concatenate([x, skip])
        x = layers.Conv2D(f, 3, padding="same", activation="relu")(x)
    logits = layers.Conv2D(K, 1, name="logits")(x)
    probs = layers.Softmax(axis=-1)(logits)
    out = layers.Permute((3, 1, 2), name="to_channels_first")(probs)   # (K, H, W)
    return ModalityDropoutModel(inp, out, name="mri_seg", drop_prob=0.3)


def channels_first_ce(y_true, y_pred):
    # class axis is 1 here, not -1
    return keras.losses.categorical_crossentropy(y_true, y_pred, axis=1)


def px_acc(y_true, y_pred):
    # built-in CategoricalAccuracy argmaxes the last axis, which is W here
    hit = tf.equal(tf.argmax(y_true, axis=1), tf.argmax(y_pred, axis=1))
    return tf.reduce_mean(tf.cast(hit, tf.float32), axis=[1, 2])


model = build()
model.compile(
    optimizer=keras.optimizers.Adam(2e-3),
    loss=channels_first_ce,
    metrics=[px_acc],
)
model.summary(line_length=90)

hist = model.fit(
    x_cl[tr], y_cf[tr],
    sample_weight=pix_w[tr],
    validation_data=(x_cl[va], y_cf[va]),
    batch_size=8,
    epochs=3,
    verbose=2,
)


def dice_per_class(y_true_cf, y_prob_cf):
    pred = np.eye(K)[y_prob_cf.argmax(1)].transpose(0, 3, 1, 2)
    inter = (pred * y_true_cf).sum(axis=(0, 2, 3))
    denom = pred.sum(axis=(0, 2, 3)) + y_true_cf.sum(axis=(0, 2, 3))
    return 2 * inter / np.maximum(denom, 1e-6)


pred_va = model.predict(x_cl[va], verbose=0)
print("pred shape (channels-first):", pred_va.shape)
print("dice full input  :", np.round(dice_per_class(y_cf[va], pred_va), 3))

# robustness check: blank each modality in turn
for c, name in enumerate(MODALITIES):
    x_missing = x_cl[va].copy()
    x_missing[..., c] = 0.0
    d = dice_per_class(y_cf[va], model.predict(x_missing, verbose=0))
    print(f"dice without {name:5s}:", np.round(d, 3))
