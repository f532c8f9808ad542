"""How do I feed an image AND some tabular metadata into one Keras model?

Answer: use the functional API with two keras.Input objects, process each branch
separately, then layers.concatenate([...]) them. Pass the data either as a list
in the same order as `inputs=[...]`, or as a dict keyed by Input names.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras

CONFIG = {
    "img_size": 32,
    "channels": 3,
    "n_meta": 5,
    "n_samples": 256,
    "batch_size": 32,
    "epochs": 2,
    "conv_filters": [8, 16],
    "meta_units": [16, 8],
}


def synthetic_dataset(cfg, seed=1):
    rng = np.random.default_rng(seed)
    n, s, c = cfg["n_samples"], cfg["img_size"], cfg["channels"]
    images = rng.uniform(0, 1, size=(n, s, s, c)).astype("float32")
    meta = rng.normal(size=(n, cfg["n_meta"])).astype("float32")
    # target depends on both: image brightness + first metadata column
    score = images.mean(axis=(1, 2, 3)) * 4 - 2 + meta[:, 0]
    labels = (score > 0).astype("float32")
    return images, meta, labels


def image_branch(inp, filters):
    x = inp
    for i, f in enumerate(filters):
        x = keras.layers.Conv2D(f, 3, padding="same", activation="relu", name=f"img_conv{i}")(x)
        x = keras.layers.MaxPooling2D(name=f"img_pool{i}")(x)
    return keras.layers.GlobalAveragePooling2D(name="img_gap")(x)


def meta_branch(inp, units):
    x = inp
    for i, u in enumerate(units):
        x = keras.layers.Dense(u, activation="relu", name=f"meta_dense{i}")(x)
    return x


def build_model(cfg):
    img_in = keras.Input(shape=(cfg["img_size"], cfg["img_size"], cfg["channels"]), name="image")
    meta_in = keras.Input(shape=(cfg["n_meta"],), name="meta")
    merged = keras.layers.concatenate(
        [image_branch(img_in, cfg["conv_filters"]), meta_branch(meta_in, cfg["meta_units"])],
        name="merge",
    )
    x = keras.layers.Dense(16, activation="relu")(merged)
    out = keras.layers.Dense(1, activation="sigmoid", name="label")(x)
    return keras.Model(inputs=[img_in, meta_in], outputs=out, name="two_input_net")


images, meta, labels = synthetic_dataset(CONFIG)
print(f"images {images.shape}, meta {meta.shape}, labels {labels.shape}, positives={labels.mean():.2f}")

model = build_model(CONFIG)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.summary()

# Option 1: a plain list, same order as inputs=[...]
model.fit([images, meta], labels, epochs=1, batch_size=CONFIG["batch_size"], verbose=2)

# Option 2: tf.data with a dict of inputs (names must match keras.Input names)
def to_features(img, m, y):
    img = tf.image.random_flip_left_right(img)
    return {"image": img, "meta": m}, y


ds = (
    tf.data.Dataset.from_tensor_slices((images, meta, labels))
    .shuffle(len(labels))
    .map(to_features, num_parallel_calls=tf.data.AUTOTUNE)
    .batch(CONFIG["batch_size"])
    .prefetch(tf.data.AUTOTUNE)
)
model.fit(ds, epochs=CONFIG["epochs"], verbose=2)

# predicting on one sample: both inputs need a batch dimension of 1
one = {"image": images[:1], "meta": meta[:1]}
print("single prediction:", float(model.predict(one, verbose=0)[0, 0]), "label:", labels[0])

# Sanity check: the merge layer width is the sum of both branches
merge_dim = model.get_layer("merge").output.shape[-1]
print(f"merged feature size = {merge_dim} (= {CONFIG['conv_filters'][-1]} + {CONFIG['meta_units'][-1]})")
