# Multispectral (Sentinel-2 style) land-cover patch classifier.
# Raw tiles come out of our GDAL reader as (bands, H, W), so the stem keeps
# channels_first, then we Permute to channels_last for the convs
# (TF's CPU conv backprop only supports NHWC, learned that the hard way).
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

CONFIG = {
    "bands": ["B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B11", "B12"],
    "patch": 16,
    "classes": ["water", "forest", "crop", "urban", "bare"],
    "n_samples": 60,
    "batch_size": 12,
    "lr": 2e-3,
}

BAND_IDX = {b: i for i, b in enumerate(CONFIG["bands"])}


def fake_tiles(n, n_bands, patch, n_classes, seed=7):
    """Per-class spectral signatures + noise, returned as (N, bands, H, W)."""
    rng = np.random.default_rng(seed)
    signatures = rng.uniform(0.02, 0.45, size=(n_classes, n_bands)).astype(np.float32)
    labels = rng.integers(0, n_classes, size=n)
    x = np.empty((n, n_bands, patch, patch), dtype=np.float32)
    for i, lab in enumerate(labels):
        texture = rng.normal(0, 0.03, size=(n_bands, patch, patch))
        x[i] = signatures[lab][:, None, None] + texture
    return np.clip(x, 0, 1), labels.astype(np.int32)


def add_indices(x):
    """Append NDVI and NDWI as extra bands (still channels_first)."""
    nir = x[:, BAND_IDX["B08"]]
    red = x[:, BAND_IDX["B04"]]
    green = x[:, BAND_IDX["B03"]]
    ndvi = (nir - red) / (nir + red + 1e-6)
    ndwi = (green - nir) / (green + nir + 1e-6)
    return np.concatenate([x, ndvi[:, None], ndwi[:, None]], axis=1)


class BandAttention(layers.Layer):
    """Squeeze-excite over spectral bands, works on channels_last tensors."""

    def __init__(self, reduction=4, **kwargs):
        super().__init__(**kwargs)
        self.reduction = reduction

    def build(self, input_shape):
        c = input_shape[-1]
        hidden = max(c // self.reduction, 2)
        self.fc1 = layers.Dense(hidden, activation="relu")
        self.fc2 = layers.Dense(c, activation="sigmoid")

    def call(self, x):
        s = ops.mean(x, axis=[1, 2])
        w = self.fc2(self.fc1(s))
        return x * ops.reshape(w, (-1, 1, 1, ops.shape(w)[-1]))

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"reduction": self.reduction})
        return cfg


def build_model(n_bands, patch, n_classes):
    inp = keras.Input(shape=(n_bands, patch, patch), name="tile_chw")
    # per-band standardisation learned from data
    x = layers.BatchNormalization(axis=1, name="band_norm")(inp)
    # light despeckle per band before anything is mixed
    x = layers.AveragePooling2D(3, strides=1, padding="same", data_format="channels_first",
                                name="despeckle")(x)
    x = layers.Permute((2, 3, 1), name="to_hwc")(x)
    # 1x1 "spectral mixing" conv
    x = layers.Conv2D(32, 1, activation="gelu", name="spectral_mix")(x)

    x = BandAttention(name="band_attn")(x)
    for i, f in enumerate([32, 64]):
        x = layers.Conv2D(f, 3, padding="same", activation="relu", name=f"conv{i}a")(x)
        x = layers.Conv2D(f, 3, padding="same", activation="relu", name=f"conv{i}b")(x)
        x = layers.MaxPooling2D(name=f"pool{i}")(x)

    # side branch: pure spectral stats from the raw input
    spec = layers.GlobalAveragePooling2D(data_format="channels_first", name="spec_gap")(inp)
    spec = layers.Dense(16, activation="relu")(spec)

    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Concatenate()([x, spec])
    x = layers.Dropout(0.3)(x)
    out = layers.Dense(n_classes, activation="softmax", name="landcover")(x)
    return keras.Model(inp, out, name="ms_landcover")


def augment(x, y):
    # x is (C, H, W): rotate/flip on the spatial axes only
    x = tf.transpose(x, [1, 2, 0])
    x = tf.image.random_flip_left_right(x)
    x = tf.image.random_flip_up_down(x)
    k = tf.random.uniform([], 0, 4, dtype=tf.int32)
    x = tf.image.rot90(x, k)
    return tf.transpose(x, [2, 0, 1]), y


def main():
    cfg = CONFIG
    n_classes = len(cfg["classes"])
    x, y = fake_tiles(cfg["n_samples"], len(cfg["bands"]), cfg["patch"], n_classes)
    x = add_indices(x)
    n_bands = x.shape[1]
    print(f"tiles: {x.shape} (bands incl. indices: {n_bands})")
    print("class counts:", dict(zip(cfg["classes"], np.bincount(y, minlength=n_classes).tolist())))

    split = int(0.8 * len(x))
    train = (
        tf.data.Dataset.from_tensor_slices((x[:split], y[:split]))
        .shuffle(split)
        .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(cfg["batch_size"])
    )
    val = tf.data.Dataset.from_tensor_slices((x[split:], y[split:])).batch(cfg["batch_size"])

    model = build_model(n_bands, cfg["patch"], n_classes)
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=cfg["lr"], weight_decay=1e-4),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
    )
    model.fit(train, validation_data=val, epochs=1, verbose=2)

    # confusion matrix on validation
    preds = np.argmax(model.predict(x[split:], verbose=0), axis=-1)
    cm = tf.math.confusion_matrix(y[split:], preds, num_classes=n_classes).numpy()
    print("confusion matrix:\n", cm)

    # sanity check the stem: run the sub-graph up to the layout switch
    probe = keras.Model(model.input, model.get_layer("to_hwc").output)
    feats = probe(x[:4], training=False)
    print("stem output (channels_last):", tuple(feats.shape))
    back = layers.Permute((3, 1, 2))(feats)
    print("permuted back to channels_first:", tuple(back.shape))


if __name__ == "__main__":
    main()
