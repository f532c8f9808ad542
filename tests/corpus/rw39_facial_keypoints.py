#!/usr/bin/env python
# Facial landmark regression (15 keypoints like the old Kaggle facial-keypoints comp)
# + a heatmap variant, both on fake data since the csv isn't here.

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

IMG = 96
N_KP = 15
np.random.seed(7)

# fake "faces": gaussian blobs where the keypoints are
def synth_faces(n):
    kps = np.random.uniform(15, IMG - 15, size=(n, N_KP, 2)).astype("float32")
    yy, xx = np.mgrid[0:IMG, 0:IMG]
    imgs = np.zeros((n, IMG, IMG, 1), "float32")
    for i in range(n):
        for (x, y) in kps[i]:
            imgs[i, :, :, 0] += np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / 18.0)
    imgs = imgs / imgs.max(axis=(1, 2, 3), keepdims=True)
    return imgs, kps

X, kp = synth_faces(64)
# normalise to [-1, 1] the way most kernels did it: (kp - 48) / 48
y = ((kp - IMG / 2) / (IMG / 2)).reshape(len(kp), -1)
print("X:", X.shape, "y:", y.shape)

# horizontal flip augmentation, the keypoints need to be mirrored too
def flip(img, target):
    img = tf.image.flip_left_right(img)
    t = tf.reshape(target, (N_KP, 2))
    t = tf.stack([-t[:, 0], t[:, 1]], axis=1)
    return img, tf.reshape(t, (-1,))

def maybe_flip(img, target):
    return tf.cond(tf.random.uniform(()) > 0.5, lambda: flip(img, target), lambda: (img, target))

train_ds = (
    tf.data.Dataset.from_tensor_slices((X[:48], y[:48]))
    .map(maybe_flip, num_parallel_calls=tf.data.AUTOTUNE)
    .batch(16)
    .prefetch(2)
)
val_ds = tf.data.Dataset.from_tensor_slices((X[48:], y[48:])).batch(16)

# ---------- model 1: plain CNN regressor ----------
model = keras.Sequential(
    [
        layers.Input((IMG, IMG, 1)),
        layers.Conv2D(32, (3, 3), activation="relu", padding="same"),
        layers.BatchNormalization(),
        layers.MaxPool2D(),
        layers.Conv2D(64, (3, 3), activation="relu", padding="same"),
        layers.BatchNormalization(),
        layers.MaxPool2D(),
        layers.Conv2D(96, (3, 3), activation="relu", padding="same"),
        layers.MaxPool2D(),
        layers.Conv2D(128, (3, 3), activation="relu", padding="same"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(256, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(N_KP * 2, activation="tanh"),
    ],
    name="kp_regressor",
)
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
model.summary()
hist = model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

pred = model.predict(X[:4], verbose=0)
pred_px = pred.reshape(-1, N_KP, 2) * (IMG / 2) + IMG / 2
rmse = np.sqrt(np.mean((pred_px - kp[:4]) ** 2))
print("pixel RMSE on 4 samples: %.2f" % rmse)


# ---------- model 2: heatmap head (stacked hourglass-lite) ----------
HM = IMG // 4

def make_heatmaps(kps, size=HM, sigma=1.5):
    grid = np.arange(size, dtype="float32")
    gx, gy = np.meshgrid(grid, grid)
    kps_s = kps / (IMG / size)
    hm = np.exp(
        -((gx[None, None] - kps_s[..., 0, None, None]) ** 2 + (gy[None, None] - kps_s[..., 1, None, None]) ** 2)
        / (2 * sigma ** 2)
    )
    return np.transpose(hm, (0, 2, 3, 1)).astype("float32")  # (n, H, W, K)

heatmaps = make_heatmaps(kp)
print("heatmaps:", heatmaps.shape)


class SoftArgmax2D(layers.Layer):
    """differentiable heatmap -> (x, y) coords"""

    def call(self, hm):
        shape = ops.shape(hm)
        h, w = shape[1], shape[2]
        flat = ops.reshape(hm, (-1, h * w, N_KP))
        prob = ops.softmax(flat * 10.0, axis=1)
        prob = ops.reshape(prob, (-1, h, w, N_KP))
        xs = ops.cast(ops.arange(w), "float32")
        ys = ops.cast(ops.arange(h), "float32")
        ex = ops.sum(ops.sum(prob, axis=1) * xs[None, :, None], axis=1)
        ey = ops.sum(ops.sum(prob, axis=2) * ys[None, :, None], axis=1)
        return ops.stack([ex, ey], axis=-1)


def down(x, f):
    x = layers.Conv2D(f, 3, padding="same", activation="relu")(x)
    skip = x
    return layers.MaxPooling2D()(x), skip

inp = keras.Input((IMG, IMG, 1))
x = layers.Conv2D(32, 7, strides=2, padding="same", activation="relu")(inp)  # 48
x = layers.MaxPooling2D()(x)  # 24
x, s1 = down(x, 64)  # 12
x, s2 = down(x, 96)  # 6
x = layers.Conv2D(128, 3, padding="same", activation="relu")(x)
x = layers.UpSampling2D()(x)
x = layers.Concatenate()([x, s2])
x = layers.Conv2D(96, 3, padding="same", activation="relu")(x)
x = layers.UpSampling2D()(x)
x = layers.Add()([layers.Conv2D(64, 1)(x), s1])
hm_out = layers.Conv2D(N_KP, 1, name="heatmaps")(x)
coords = SoftArgmax2D(name="coords")(hm_out)

hm_model = keras.Model(inp, [hm_out, coords])
hm_model.compile(
    optimizer=keras.optimizers.Adam(2e-3),
    loss={"heatmaps": "mse", "coords": keras.losses.Huber()},
    loss_weights={"heatmaps": 1.0, "coords": 0.01},
)
hm_model.fit(
    X,
    {"heatmaps": heatmaps, "coords": kp / (IMG / HM)},
    batch_size=16,
    epochs=1,
    verbose=2,
)
hm_pred, xy_pred = hm_model.predict(X[:2], verbose=0)
print("heatmap pred", hm_pred.shape, "coords", xy_pred.shape)
print("first kp (scaled back):", xy_pred[0, 0] * (IMG / HM), "true:", kp[0, 0])
