# Two-stage transfer learning with a nested ResNet50 backbone:
#   stage 1 -> backbone frozen, train only the new head
#   stage 2 -> unfreeze everything from a named stage onwards, keep BN frozen
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CONFIG = {
    "img_size": 32,
    "num_classes": 5,
    "n_train": 256,
    "n_val": 64,
    "batch_size": 16,
    "head_lr": 1e-3,
    "finetune_lr": 1e-4,
    "unfreeze_from": "conv5_block3_1_conv",
    "steps_per_epoch": 3,
}


def synthetic_images(n, size, num_classes, seed=0):
    """Each class gets a different dominant frequency pattern + noise."""
    rs = np.random.RandomState(seed)
    labels = rs.randint(0, num_classes, size=n)
    grid = np.linspace(0, 2 * np.pi, size, dtype=np.float32)
    xx, yy = np.meshgrid(grid, grid)
    imgs = np.empty((n, size, size, 3), dtype=np.float32)
    for i, lab in enumerate(labels):
        freq = lab + 1
        base = np.sin(freq * xx) * np.cos(freq * yy)
        imgs[i] = base[..., None] * rs.uniform(0.5, 1.0, size=3) + rs.normal(0, 0.3, (size, size, 3))
    # roughly mimic "caffe" preprocessing range expected by ResNet50
    imgs = (imgs * 64.0 + 127.0).clip(0, 255)
    return imgs, labels


def count_params(weights):
    return int(sum(np.prod(w.shape) for w in weights))


def report(model, tag):
    tr = count_params(model.trainable_weights)
    ntr = count_params(model.non_trainable_weights)
    print(f"[{tag}] trainable={tr:,}  non-trainable={ntr:,}")


def build_model(cfg):
    base = keras.applications.ResNet50(
        include_top=False,
        weights=None,
        input_shape=(cfg["img_size"], cfg["img_size"], 3),
        pooling=None,
    )
    base.trainable = False

    inputs = keras.Input(shape=(cfg["img_size"], cfg["img_size"], 3))
    x = keras.applications.resnet50.preprocess_input(inputs)
    # training=False keeps BatchNorm in inference mode even after unfreezing
    x = base(x, training=False)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(cfg["num_classes"], activation="softmax", name="new_head")(x)
    return keras.Model(inputs, outputs, name="resnet50_transfer"), base


def unfreeze_from(base, layer_name):
    names = [l.name for l in base.layers]
    start = names.index(layer_name)
    base.trainable = True
    for layer in base.layers[:start]:
        layer.trainable = False
    for layer in base.layers[start:]:
        # BN statistics from random init are useless anyway, but keep the idiom
        if isinstance(layer, layers.BatchNormalization):
            layer.trainable = False
    n_open = sum(l.trainable for l in base.layers)
    print(f"unfroze from index {start} ({layer_name}); {n_open}/{len(base.layers)} layers trainable")


def make_ds(x, y, batch_size, training):
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if training:
        ds = ds.shuffle(len(x)).repeat()
    return ds.batch(batch_size).prefetch(2)


if __name__ == "__main__":
    cfg = CONFIG
    x_tr, y_tr = synthetic_images(cfg["n_train"], cfg["img_size"], cfg["num_classes"], seed=1)
    x_va, y_va = synthetic_images(cfg["n_val"], cfg["img_size"], cfg["num_classes"], seed=2)
    train_ds = make_ds(x_tr, y_tr, cfg["batch_size"], training=True)
    val_ds = make_ds(x_va, y_va, cfg["batch_size"], training=False)

    model, base = build_model(cfg)
    report(model, "stage1")

    model.compile(
        optimizer=keras.optimizers.Adam(cfg["head_lr"]),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    t0 = time.time()
    model.fit(train_ds, validation_data=val_ds, epochs=1,
              steps_per_epoch=cfg["steps_per_epoch"], verbose=2)
    print(f"stage1 took {time.time() - t0:.1f}s")

    unfreeze_from(base, cfg["unfreeze_from"])
    # must recompile after changing trainable flags
    model.compile(
        optimizer=keras.optimizers.Adam(cfg["finetune_lr"]),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    report(model, "stage2")
    t0 = time.time()
    model.fit(train_ds, validation_data=val_ds, epochs=1,
              steps_per_epoch=cfg["steps_per_epoch"], verbose=2)
    print(f"stage2 took {time.time() - t0:.1f}s")

    loss, acc = model.evaluate(val_ds, verbose=0)
    print(f"val loss={loss:.4f} acc={acc:.3f}")
