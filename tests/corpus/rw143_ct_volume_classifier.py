#!/usr/bin/env python
"""
CT scan classification (healthy vs. "nodule") on synthetic Hounsfield-unit volumes.

Pipeline mirrors what one would do for real CT data:
  * raw volumes in HU with varying slice counts
  * resample depth to a fixed number of slices (tf.image.resize on a transposed volume)
  * random 3D crop + rot90 in the axial plane as augmentation
  * HU windowing done *inside* the model by a custom layer so exported models take raw HU
"""
import os
import tempfile

import numpy as np
import tensorflow as tf

L = tf.keras.layers

TARGET_DEPTH = 16
TARGET_HW = 48
CROP = (14, 40, 40)
N_SCANS = 120
HU_WINDOW = {"center": 40.0, "width": 400.0}  # soft-tissue window
WORK_DIR = tempfile.mkdtemp(prefix="ct3d_")


# ----------------------------------------------------------------------------
# Synthetic scans
# ----------------------------------------------------------------------------
def fake_ct(has_nodule, rng):
    depth = int(rng.integers(12, 28))  # different scanners -> different slice counts
    hw = TARGET_HW
    z, y, x = np.meshgrid(np.linspace(-1, 1, depth), np.linspace(-1, 1, hw), np.linspace(-1, 1, hw),
                          indexing="ij")
    vol = np.full((depth, hw, hw), -1000.0, np.float32)           # air
    body = (y / 0.9) ** 2 + (x / 0.8) ** 2 < 1.0
    vol[body] = 30.0                                               # soft tissue
    lungs = (((x - 0.35) / 0.25) ** 2 + (y / 0.5) ** 2 < 1) | (((x + 0.35) / 0.25) ** 2 + (y / 0.5) ** 2 < 1)
    vol[lungs] = -850.0
    if has_nodule:
        side = rng.choice([-0.35, 0.35])
        cz, cy = rng.uniform(-0.5, 0.5), rng.uniform(-0.3, 0.3)
        r = rng.uniform(0.08, 0.14)
        nod = ((z - cz) / (r * 2)) ** 2 + ((y - cy) / r) ** 2 + ((x - side) / r) ** 2 < 1
        vol[nod] = rng.uniform(20, 80)
    vol += rng.normal(0, 25, vol.shape).astype(np.float32)
    return vol


def generate(n, seed=11):
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.5).astype(np.int64)
    scans = [fake_ct(bool(lbl), rng) for lbl in labels]
    return scans, labels


# ----------------------------------------------------------------------------
# tf.data preprocessing
# ----------------------------------------------------------------------------
def resample_depth(vol):
    """(D, H, W) with variable D -> (TARGET_DEPTH, H, W)."""
    # treat H as the batch axis so each (D, W) sagittal-ish plane is resized
    v = tf.transpose(vol, [1, 0, 2])[..., None]                     # (H, D, W, 1)
    v = tf.image.resize(v, [TARGET_DEPTH, TARGET_HW], method="bilinear")[..., 0]
    return tf.transpose(v, [1, 0, 2])                              # (D', H, W)


def preprocess(vol, label):
    vol = resample_depth(vol)
    return vol[..., None], label


def augment(vol, label):
    vol = tf.image.random_crop(vol, (*CROP, 1))
    k = tf.random.uniform([], 0, 4, dtype=tf.int32)
    # rot90 works on (..., H, W, C) so the depth axis acts like a batch axis here
    vol = tf.image.rot90(vol, k=k)
    return vol, label


def center_crop(vol, label):
    d0 = (TARGET_DEPTH - CROP[0]) // 2
    h0 = (TARGET_HW - CROP[1]) // 2
    return vol[d0:d0 + CROP[0], h0:h0 + CROP[1], h0:h0 + CROP[2]], label


def make_ds(scans, labels, training):
    ds = tf.data.Dataset.from_generator(
        lambda: zip(scans, labels),
        output_signature=(tf.TensorSpec((None, TARGET_HW, TARGET_HW), tf.float32),
                          tf.TensorSpec((), tf.int64)),
    ).apply(tf.data.experimental.assert_cardinality(len(scans)))
    ds = ds.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE).cache()
    if training:
        ds = ds.shuffle(64).map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.map(center_crop)
    return ds.batch(8).prefetch(tf.data.AUTOTUNE)


# ----------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------
@tf.keras.utils.register_keras_serializable(package="ct")
class HUWindow(L.Layer):
    """Clip HU values to a window and rescale to [0, 1]."""

    def __init__(self, center=40.0, width=400.0, **kwargs):
        super().__init__(**kwargs)
        self.center, self.width = float(center), float(width)

    def call(self, x):
        lo = self.center - self.width / 2.0
        return tf.clip_by_value((x - lo) / self.width, 0.0, 1.0)

    def get_config(self):
        return {**super().get_config(), "center": self.center, "width": self.width}


def build_model():
    inputs = tf.keras.Input(shape=(*CROP, 1), name="hu_volume")
    x = HUWindow(**HU_WINDOW, name="window")(inputs)
    for i, filters in enumerate([16, 32, 64]):
        x = L.Conv3D(filters, 3, padding="same", activation="relu", name=f"block{i}_conv")(x)
        x = L.BatchNormalization(name=f"block{i}_bn")(x)
        x = L.MaxPool3D(pool_size=(1, 2, 2) if i == 0 else 2, name=f"block{i}_pool")(x)
    x = L.GlobalAveragePooling3D()(x)
    x = L.Dense(32, activation="relu")(x)
    x = L.Dropout(0.3)(x)
    outputs = L.Dense(1, activation="sigmoid", name="nodule_prob")(x)
    return tf.keras.Model(inputs, outputs, name="ct3dcnn")


def main():
    tf.keras.utils.set_random_seed(5)
    scans, labels = generate(N_SCANS)
    print("slice counts seen:", sorted({s.shape[0] for s in scans}))
    n_tr = int(0.75 * N_SCANS)
    train_ds = make_ds(scans[:n_tr], labels[:n_tr], training=True)
    val_ds = make_ds(scans[n_tr:], labels[n_tr:], training=False)

    model = build_model()
    lr = tf.keras.optimizers.schedules.ExponentialDecay(1e-3, decay_steps=20, decay_rate=0.9)
    model.compile(optimizer=tf.keras.optimizers.Adam(lr),
                  loss="binary_crossentropy",
                  metrics=["accuracy", tf.keras.metrics.AUC(name="auc")])

    ckpt_path = os.path.join(WORK_DIR, "best.keras")
    cbs = [
        tf.keras.callbacks.ModelCheckpoint(ckpt_path, monitor="val_auc", mode="max", save_best_only=True),
        tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
        tf.keras.callbacks.CSVLogger(os.path.join(WORK_DIR, "log.csv")),
    ]
    model.fit(train_ds, validation_data=val_ds, epochs=2, callbacks=cbs, verbose=2)

    restored = tf.keras.models.load_model(ckpt_path)
    print("restored window layer config:", restored.get_layer("window").get_config()["center"],
          restored.get_layer("window").get_config()["width"])
    loss, acc, auc = restored.evaluate(val_ds, verbose=0)
    print(f"restored model -> loss {loss:.3f}, acc {acc:.3f}, auc {auc:.3f}")
    with open(os.path.join(WORK_DIR, "log.csv")) as fh:
        print(fh.read().strip())


if __name__ == "__main__":
    main()
