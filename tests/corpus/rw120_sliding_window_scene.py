"""
Train on random crops from a couple of big multispectral scenes, then run
overlapping sliding-window inference on an unseen scene and stitch the tiles
back together with a 2D Hann weighting so the seams don't show.
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from tensorflow import keras
from keras import layers


@dataclass
class Config:
    bands: int = 13
    n_classes: int = 3           # 0 bare soil, 1 crop, 2 forest
    scene_hw: tuple = (200, 232)
    crop: int = 32
    stride: int = 24             # window stride at inference (overlap = crop - stride)
    batch: int = 16
    train_steps: int = 20
    epochs: int = 2
    seed: int = 5


cfg = Config()
np.random.seed(cfg.seed)
tf.random.set_seed(cfg.seed)


def synth_scene(h, w):
    """Voronoi-like field parcels, each with a class-dependent NDVI-ish spectrum."""
    n_parcels = 30
    centers = np.random.rand(n_parcels, 2) * [h, w]
    parcel_cls = np.random.randint(0, cfg.n_classes, n_parcels)
    yy, xx = np.mgrid[:h, :w]
    d = (yy[..., None] - centers[:, 0]) ** 2 + (xx[..., None] - centers[:, 1]) ** 2
    label = parcel_cls[d.argmin(-1)]
    spectra = np.stack([
        np.linspace(0.25, 0.35, cfg.bands),
        np.r_[np.full(6, 0.08), np.full(cfg.bands - 6, 0.45)],
        np.r_[np.full(6, 0.04), np.full(cfg.bands - 6, 0.30)],
    ]).astype(np.float32)
    img = spectra[label] + np.random.normal(0, 0.04, (h, w, cfg.bands)).astype(np.float32)
    return img, label.astype(np.int32)


train_scenes = [synth_scene(*cfg.scene_hw) for _ in range(3)]
test_img, test_lbl = synth_scene(*cfg.scene_hw)

# stacked so one random_crop call cuts image + label together
train_stack = np.stack(
    [np.concatenate([im, lb[..., None].astype(np.float32)], axis=-1) for im, lb in train_scenes]
)
print("train stack:", train_stack.shape)


def random_window(scene):
    win = tf.image.random_crop(scene, [cfg.crop, cfg.crop, cfg.bands + 1])
    k = tf.random.uniform([], 0, 4, dtype=tf.int32)
    win = tf.image.rot90(win, k)
    x = win[..., : cfg.bands]
    y = tf.cast(win[..., cfg.bands], tf.int32)
    return x, y


ds = (tf.data.Dataset.from_tensor_slices(train_stack)
      .repeat()
      .map(random_window, num_parallel_calls=tf.data.AUTOTUNE)
      .batch(cfg.batch)
      .prefetch(tf.data.AUTOTUNE))


def res_block(x, filters, dilation=1):
    shortcut = x
    if x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1)(x)
    y = layers.Conv2D(filters, 3, padding="same", dilation_rate=dilation)(x)
    y = layers.BatchNormalization(momentum=0.8)(y)
    y = layers.ReLU()(y)
    y = layers.Conv2D(filters, 3, padding="same")(y)
    y = layers.BatchNormalization(momentum=0.8)(y)
    return layers.ReLU()(layers.add([shortcut, y]))


def fcn(bands, n_classes):
    # fully convolutional -> works on any window size at inference
    inp = keras.Input((None, None, bands))
    x = inp
    for f, dil in [(16, 1), (24, 2), (24, 4)]:
        x = res_block(x, f, dil)
    out = layers.Conv2D(n_classes, 1, activation="softmax")(x)
    return keras.Model(inp, out)


model = fcn(cfg.bands, cfg.n_classes)
model.compile(keras.optimizers.Adam(2e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(ds, steps_per_epoch=cfg.train_steps, epochs=cfg.epochs, verbose=2)


def hann2d(size):
    w = np.hanning(size + 2)[1:-1]       # avoid exact zeros on the border
    return np.outer(w, w).astype(np.float32)


def window_starts(length, win, stride):
    starts = list(range(0, max(length - win, 0) + 1, stride))
    if starts[-1] + win < length:
        starts.append(length - win)       # make sure the last strip is covered
    return starts


def sliding_window_predict(model, image, win, stride, batch_size=32):
    h, w, _ = image.shape
    # pad if the scene is smaller than one window
    ph, pw = max(win - h, 0), max(win - w, 0)
    img = np.pad(image, ((0, ph), (0, pw), (0, 0)), mode="reflect")
    H, W = img.shape[:2]

    coords = [(y, x) for y in window_starts(H, win, stride) for x in window_starts(W, win, stride)]
    weight = hann2d(win)[..., None]
    probs = np.zeros((H, W, cfg.n_classes), np.float32)
    norm = np.zeros((H, W, 1), np.float32)

    for i in range(0, len(coords), batch_size):
        chunk = coords[i:i + batch_size]
        tiles = np.stack([img[y:y + win, x:x + win] for y, x in chunk])
        preds = model.predict_on_batch(tiles)
        preds = np.asarray(preds)
        for (y, x), p in zip(chunk, preds):
            probs[y:y + win, x:x + win] += p * weight
            norm[y:y + win, x:x + win] += weight

    probs /= np.maximum(norm, 1e-8)
    return probs[:h, :w], len(coords)


probs, n_tiles = sliding_window_predict(model, test_img, cfg.crop, cfg.stride)
pred = probs.argmax(-1)
print(f"stitched {n_tiles} windows -> {pred.shape}")
acc = (pred == test_lbl).mean()
print(f"scene pixel accuracy: {acc:.4f}")
for c in range(cfg.n_classes):
    tp = np.sum((pred == c) & (test_lbl == c))
    union = np.sum((pred == c) | (test_lbl == c))
    print(f"  class {c}: IoU={tp / max(union, 1):.3f}")

# compare against a single full-scene forward pass (the FCN can take it whole)
full = model.predict(test_img[None], verbose=0)[0].argmax(-1)
print(f"full-scene pass agrees with stitched result on {np.mean(full == pred):.2%} of pixels")
