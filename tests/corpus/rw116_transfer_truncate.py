"""Transfer learning by chopping the head off a model we trained ourselves.

Stage 1: train a "source" CNN on a 6-class synthetic shapes task, save it.
Stage 2: reload it, cut it at the 'features' layer, freeze, bolt on a new
         3-class head for a different task, train the head.
Stage 3: unfreeze the last conv block and fine-tune with a low LR and
         ReduceLROnPlateau.

Keras 2 version used `model.layers.pop()` + `model.outputs = [...]`, which
never really worked; Keras 3 needs an explicit new Model.
"""
import os
import tempfile

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CFG = {
    "img": 28,
    "src_classes": 6,
    "tgt_classes": 3,
    "n_src": 384,
    "n_tgt": 192,
    "batch": 32,
    "src_epochs": 2,
    "head_epochs": 2,
    "ft_epochs": 2,
    "cut_layer": "features",
    "unfreeze_prefix": "block3",
    "workdir": os.path.join(tempfile.gettempdir(), "rw116_transfer"),
}
os.makedirs(CFG["workdir"], exist_ok=True)
keras.utils.set_random_seed(1234)
AUTOTUNE = tf.data.AUTOTUNE


def draw_shapes(n, n_classes, size, offset=0):
    """class k -> a rectangle with aspect ratio and angle depending on k."""
    rng = np.random.default_rng(offset + n)
    X = np.zeros((n, size, size, 3), np.float32)
    y = rng.integers(0, n_classes, n)
    grid = np.stack(np.meshgrid(np.arange(size), np.arange(size), indexing="ij"), -1)
    for i, k in enumerate(y):
        theta = np.pi * ((k + offset) % 6) / 6
        c = rng.uniform(size * 0.35, size * 0.65, 2)
        rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        local = (grid - c) @ rot
        half = np.array([3 + k, 9 - k]) if k < 6 else np.array([5, 5])
        inside = np.all(np.abs(local) < half, axis=-1)
        color = rng.uniform(0.4, 1.0, 3)
        X[i][inside] = color
    X += rng.normal(0, 0.05, X.shape).astype(np.float32)
    return X, y.astype(np.int32)


def augment(image, label):
    image = tf.image.random_flip_left_right(image)
    image = tf.image.random_brightness(image, 0.1)
    return tf.clip_by_value(image, 0.0, 1.0), label


def to_dataset(X, y, training):
    ds = tf.data.Dataset.from_tensor_slices((X, y))
    if training:
        ds = ds.shuffle(len(X), seed=0).map(augment, num_parallel_calls=AUTOTUNE)
    return ds.batch(CFG["batch"]).prefetch(AUTOTUNE)


def build_source_model(img, n_classes):
    inputs = keras.Input((img, img, 3), name="pixels")
    x = layers.Rescaling(2.0, offset=-1.0, name="rescale")(inputs)
    for i, filters in enumerate([16, 32, 48], start=1):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"block{i}_conv1")(x)
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"block{i}_conv2")(x)
        x = layers.MaxPooling2D(name=f"block{i}_pool")(x)
    x = layers.GlobalAveragePooling2D(name="features")(x)
    x = layers.Dense(64, activation="relu", name="src_fc")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="src_predictions")(x)
    return keras.Model(inputs, outputs, name="source_net")


def truncate_and_add_head(trained, cut_layer, n_classes):
    base = keras.Model(trained.input, trained.get_layer(cut_layer).output, name="backbone")
    base.trainable = False

    inputs = keras.Input(trained.input.shape[1:], name="pixels_tgt")
    feats = base(inputs, training=False)  # keep any BN/dropout in inference mode
    x = layers.Dropout(0.3, name="head_dropout")(feats)
    x = layers.Dense(32, activation="relu", name="head_fc")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="tgt_predictions")(x)
    return keras.Model(inputs, outputs, name="transfer_net"), base


def count_trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


# ----------------------------------------------------------------- stage 1
Xs, ys = draw_shapes(CFG["n_src"], CFG["src_classes"], CFG["img"])
src = build_source_model(CFG["img"], CFG["src_classes"])
src.compile(keras.optimizers.Adam(2e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
src.fit(to_dataset(Xs, ys, True), epochs=CFG["src_epochs"], verbose=2)
src_path = os.path.join(CFG["workdir"], "source_net.keras")
src.save(src_path)
print("saved source model ->", src_path)

# ----------------------------------------------------------------- stage 2
reloaded = keras.models.load_model(src_path)
Xt, yt = draw_shapes(CFG["n_tgt"], CFG["tgt_classes"], CFG["img"], offset=2)
split = int(0.8 * len(Xt))
train_ds = to_dataset(Xt[:split], yt[:split], True)
val_ds = to_dataset(Xt[split:], yt[split:], False)

model, backbone = truncate_and_add_head(reloaded, CFG["cut_layer"], CFG["tgt_classes"])
model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
print(f"head-only training: {count_trainable(model)} trainable params")
model.fit(train_ds, validation_data=val_ds, epochs=CFG["head_epochs"], verbose=2)

# backbone weights must be untouched by stage 2
w_before = reloaded.get_layer("block3_conv2").get_weights()[0]
w_after = backbone.get_layer("block3_conv2").get_weights()[0]
print("frozen backbone unchanged:", np.allclose(w_before, w_after))

# ----------------------------------------------------------------- stage 3
backbone.trainable = True
for layer in backbone.layers:
    layer.trainable = layer.name.startswith(CFG["unfreeze_prefix"])
print("unfrozen:", [l.name for l in backbone.layers if l.trainable and l.weights])

model.compile(keras.optimizers.Adam(1e-4), "sparse_categorical_crossentropy", metrics=["accuracy"])
print(f"fine-tuning: {count_trainable(model)} trainable params")
reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=0,
                                              min_lr=1e-6, verbose=1)
hist = model.fit(train_ds, validation_data=val_ds, epochs=CFG["ft_epochs"],
                 callbacks=[reduce_lr], verbose=2)
print("lr per epoch:", [float(v) for v in hist.history.get("learning_rate", [])])

loss, acc = model.evaluate(val_ds, verbose=0)
print(f"target task val loss={loss:.4f} acc={acc:.3f}")
