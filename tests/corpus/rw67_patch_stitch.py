"""Sliding-window inference over a large satellite scene.

A scene that is too big for the network is cut into overlapping patches
with tf.image.extract_patches, pushed through a small FCN, and stitched back
together with a cosine (Hann) blending window so seams don't show up.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

CFG = {
    "scene_hw": (160, 224),
    "bands": 4,          # R, G, B, NIR
    "patch": 64,
    "stride": 48,        # 16 px overlap
    "n_classes": 5,      # water, urban, crop, forest, bare
    "batch": 8,
    "train_steps": 4,
}


def pad_to_grid(scene, patch, stride):
    """Reflect-pad so the scene is exactly covered by the patch grid."""
    h, w = scene.shape[:2]
    def need(n):
        if n <= patch:
            return patch - n
        rem = (n - patch) % stride
        return 0 if rem == 0 else stride - rem
    ph, pw = need(h), need(w)
    padded = np.pad(scene, ((0, ph), (0, pw), (0, 0)), mode="reflect")
    return padded, (ph, pw)


def extract(scene, patch, stride):
    # scene: (H, W, C) -> (n_rows, n_cols, patch, patch, C)
    x = tf.convert_to_tensor(scene[None])
    p = tf.image.extract_patches(
        x,
        sizes=[1, patch, patch, 1],
        strides=[1, stride, stride, 1],
        rates=[1, 1, 1, 1],
        padding="VALID",
    )
    n_rows, n_cols = p.shape[1], p.shape[2]
    c = scene.shape[-1]
    p = tf.reshape(p, [n_rows, n_cols, patch, patch, c])
    return p


def hann_window(patch):
    w1d = np.hanning(patch + 2)[1:-1]  # avoid exact zeros at the border
    return np.outer(w1d, w1d).astype("float32")[..., None]


def stitch(patch_preds, grid_shape, out_hw, patch, stride):
    """Weighted overlap-add of per-patch predictions."""
    n_rows, n_cols = grid_shape
    h, w = out_hw
    n_cls = patch_preds.shape[-1]
    acc = np.zeros((h, w, n_cls), dtype="float32")
    norm = np.zeros((h, w, 1), dtype="float32")
    win = hann_window(patch)
    k = 0
    for r in range(n_rows):
        for c in range(n_cols):
            y0, x0 = r * stride, c * stride
            acc[y0:y0 + patch, x0:x0 + patch] += patch_preds[k] * win
            norm[y0:y0 + patch, x0:x0 + patch] += win
            k += 1
    return acc / np.maximum(norm, 1e-6)


def build_fcn(patch, bands, n_classes):
    inputs = keras.Input((patch, patch, bands))
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x1 = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x1)
    x = layers.SeparableConv2D(32, 3, padding="same", activation="relu")(x)
    # dilated context branch
    ctx = [layers.Conv2D(16, 3, dilation_rate=d, padding="same", activation="relu")(x) for d in (1, 2, 4)]
    x = layers.Concatenate()(ctx)
    x = layers.UpSampling2D(interpolation="bilinear")(x)
    x = layers.Concatenate()([x, x1])
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    outputs = layers.Conv2D(n_classes, 1, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="patch_fcn")


def random_training_patches(scene, labels, n, patch, rng):
    h, w = scene.shape[:2]
    ys = rng.integers(0, h - patch, n)
    xs = rng.integers(0, w - patch, n)
    xp = np.stack([scene[y:y + patch, x:x + patch] for y, x in zip(ys, xs)])
    yp = np.stack([labels[y:y + patch, x:x + patch] for y, x in zip(ys, xs)])
    return xp, yp


def main(cfg=CFG):
    rng = np.random.default_rng(0)
    H, W = cfg["scene_hw"]
    P, S = cfg["patch"], cfg["stride"]
    scene = rng.integers(0, 256, size=(H, W, cfg["bands"])).astype("float32")
    labels = rng.integers(0, cfg["n_classes"], size=(H, W)).astype("int32")

    model = build_fcn(P, cfg["bands"], cfg["n_classes"])
    model.compile("adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    xp, yp = random_training_patches(scene, labels, cfg["batch"] * cfg["train_steps"], P, rng)
    model.fit(xp, yp, batch_size=cfg["batch"], epochs=1, verbose=2)

    padded, (ph, pw) = pad_to_grid(scene, P, S)
    patches = extract(padded, P, S)
    n_rows, n_cols = patches.shape[:2]
    flat = tf.reshape(patches, [-1, P, P, cfg["bands"]])
    print(f"padded scene {padded.shape}, grid {n_rows}x{n_cols}, patches {flat.shape}")

    probs = model.predict(flat, batch_size=cfg["batch"], verbose=0)
    mosaic = stitch(probs, (n_rows, n_cols), padded.shape[:2], P, S)
    mosaic = mosaic[:H, :W]  # crop off the reflect padding
    class_map = mosaic.argmax(-1)
    print("stitched probs:", mosaic.shape, "class map:", class_map.shape)
    print("class histogram:", np.bincount(class_map.ravel(), minlength=cfg["n_classes"]))
    assert np.allclose(mosaic.sum(-1), 1.0, atol=1e-4)


if __name__ == "__main__":
    main()
