# 3D voxel CNN: classify occupancy grids of primitive solids.
# classes: solid sphere, hollow box, torus, cylinder
import os
import numpy as np
import tensorflow as tf
from tensorflow import keras
from keras import layers

GRID = 16
CLASSES = ["sphere", "hollow_box", "torus", "cylinder"]
N_PER_CLASS = 64
BATCH_SIZE = 16
EPOCHS = 2
OUT_DIR = "/tmp/rw118_voxel_ckpt"

np.random.seed(0)
tf.random.set_seed(0)

# coordinate grid in [-1, 1]
lin = np.linspace(-1, 1, GRID, dtype=np.float32)
ZZ, YY, XX = np.meshgrid(lin, lin, lin, indexing="ij")


def _random_center(spread=0.2):
    return np.random.uniform(-spread, spread, size=3)


def voxelize(kind):
    cx, cy, cz = _random_center()
    x, y, z = XX - cx, YY - cy, ZZ - cz
    if kind == "sphere":
        r = np.random.uniform(0.4, 0.7)
        occ = x ** 2 + y ** 2 + z ** 2 < r ** 2
    elif kind == "hollow_box":
        s = np.random.uniform(0.45, 0.7)
        t = 0.15
        outer = (np.abs(x) < s) & (np.abs(y) < s) & (np.abs(z) < s)
        inner = (np.abs(x) < s - t) & (np.abs(y) < s - t) & (np.abs(z) < s - t)
        occ = outer & ~inner
    elif kind == "torus":
        R, r = np.random.uniform(0.45, 0.6), np.random.uniform(0.15, 0.25)
        occ = (np.sqrt(x ** 2 + y ** 2) - R) ** 2 + z ** 2 < r ** 2
    elif kind == "cylinder":
        r, h = np.random.uniform(0.3, 0.55), np.random.uniform(0.4, 0.8)
        occ = (x ** 2 + y ** 2 < r ** 2) & (np.abs(z) < h)
    else:
        raise ValueError(kind)
    vox = occ.astype(np.float32)
    # salt noise
    flip = np.random.rand(*vox.shape) < 0.01
    vox[flip] = 1.0 - vox[flip]
    return vox


def build_arrays():
    X = np.stack([voxelize(k) for k in CLASSES for _ in range(N_PER_CLASS)])[..., None]
    y = np.repeat(np.arange(len(CLASSES)), N_PER_CLASS)
    idx = np.random.permutation(len(y))
    return X[idx], y[idx]


def random_flip_3d(vox, label):
    # independent random flips on each spatial axis
    for axis in (0, 1, 2):
        do_flip = tf.random.uniform(()) < 0.5
        vox = tf.cond(do_flip, lambda v=vox, a=axis: tf.reverse(v, axis=[a]), lambda v=vox: v)
    return vox, label


def conv_block(filters, name):
    return keras.Sequential(
        [
            layers.Conv3D(filters, 3, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Conv3D(filters, 3, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.MaxPooling3D(2),
        ],
        name=name,
    )


def make_model(filters=(8, 16, 32)):
    model = keras.Sequential(name="voxnet_small")
    model.add(keras.Input((GRID, GRID, GRID, 1)))
    for i, f in enumerate(filters):
        model.add(conv_block(f, name=f"block{i + 1}"))
    model.add(layers.GlobalAveragePooling3D())
    model.add(layers.Dropout(0.25))
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dense(len(CLASSES), activation="softmax"))
    return model


def main():
    X, y = build_arrays()
    print("voxel tensor:", X.shape, "occupancy:", f"{X.mean():.3f}")
    n_val = len(y) // 5
    x_tr, y_tr, x_va, y_va = X[n_val:], y[n_val:], X[:n_val], y[:n_val]

    train_ds = (
        tf.data.Dataset.from_tensor_slices((x_tr, y_tr))
        .shuffle(256)
        .map(random_flip_3d, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(BATCH_SIZE)
        .prefetch(tf.data.AUTOTUNE)
    )

    model = make_model()
    model.summary(expand_nested=True)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
    )

    os.makedirs(OUT_DIR, exist_ok=True)
    ckpt_path = os.path.join(OUT_DIR, "best.weights.h5")
    callbacks = [
        keras.callbacks.ModelCheckpoint(ckpt_path, monitor="val_accuracy",
                                        save_best_only=True, save_weights_only=True),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
    ]
    model.fit(train_ds, validation_data=(x_va, y_va), epochs=EPOCHS,
              callbacks=callbacks, verbose=2)

    model.load_weights(ckpt_path)
    probs = model.predict(x_va, batch_size=32, verbose=0)
    pred = probs.argmax(axis=1)
    conf = np.zeros((len(CLASSES), len(CLASSES)), dtype=int)
    for t, p in zip(y_va, pred):
        conf[t, p] += 1
    print("confusion matrix (rows=true):")
    print("            " + " ".join(f"{c[:6]:>6}" for c in CLASSES))
    for name, row in zip(CLASSES, conf):
        print(f"{name:>11} " + " ".join(f"{v:6d}" for v in row))
    print(f"val accuracy: {(pred == y_va).mean():.3f}")


if __name__ == "__main__":
    main()
