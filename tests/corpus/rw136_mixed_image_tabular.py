# Mixed input baseline: small CNN on a patch image + MLP on clinical-style
# tabular features, fed from a tf.data pipeline of dicts.
import tempfile
import os

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CFG = dict(
    img_size=32,
    channels=3,
    n_samples=320,
    n_tab=6,
    n_classes=3,
    batch_size=32,
    epochs=2,
    lr=2e-3,
    seed=7,
)

np.random.seed(CFG["seed"])
tf.random.set_seed(CFG["seed"])


def synth_data(n):
    s, c = CFG["img_size"], CFG["channels"]
    labels = np.random.randint(0, CFG["n_classes"], size=n)
    images = np.random.rand(n, s, s, c).astype("float32") * 0.5
    # class-dependent bright blob so the CNN has something to find
    for i, lab in enumerate(labels):
        r0 = 4 + lab * 8
        images[i, r0:r0 + 6, r0:r0 + 6, lab % c] += 0.5
    images = np.clip(images * 255.0, 0, 255).astype("uint8")
    tab = np.random.randn(n, CFG["n_tab"]).astype("float32")
    tab[:, 0] += labels * 0.7
    tab[:, 3] = np.abs(tab[:, 3]) * 40 + 20  # "age"-like column, unscaled
    return images, tab, labels.astype("int32")


def preprocess(features, label):
    img = tf.image.convert_image_dtype(features["image"], tf.float32)
    img = tf.image.random_flip_left_right(img)
    img = tf.image.random_brightness(img, 0.1)
    img = tf.clip_by_value(img, 0.0, 1.0)
    return {"image": img, "tabular": features["tabular"]}, label


def make_ds(images, tab, labels, training):
    ds = tf.data.Dataset.from_tensor_slices(({"image": images, "tabular": tab}, labels))
    if training:
        ds = ds.shuffle(len(labels), seed=CFG["seed"])
        ds = ds.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.map(
            lambda f, y: ({"image": tf.image.convert_image_dtype(f["image"], tf.float32),
                           "tabular": f["tabular"]}, y)
        )
    return ds.batch(CFG["batch_size"]).prefetch(tf.data.AUTOTUNE)


def conv_block(x, filters, name):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    return layers.MaxPooling2D(name=f"{name}_pool")(x)


def build_model(tab_train):
    s = CFG["img_size"]
    img_in = keras.Input((s, s, CFG["channels"]), name="image")
    tab_in = keras.Input((CFG["n_tab"],), name="tabular")

    x = img_in
    for i, f in enumerate([16, 32, 64]):
        x = conv_block(x, f, name=f"block{i}")
    x = layers.GlobalAveragePooling2D()(x)

    norm = layers.Normalization(axis=-1, name="tab_norm")
    norm.adapt(tab_train)
    t = norm(tab_in)
    t = layers.Dense(32, activation="gelu")(t)
    t = layers.Dense(16, activation="gelu")(t)

    h = layers.concatenate([x, t])
    h = layers.Dropout(0.3)(h)
    h = layers.Dense(32, activation="relu")(h)
    out = layers.Dense(CFG["n_classes"], activation="softmax")(h)
    return keras.Model({"image": img_in, "tabular": tab_in}, out, name="img_tab_net")


if __name__ == "__main__":
    images, tab, labels = synth_data(CFG["n_samples"])
    split = int(0.8 * len(labels))
    train_ds = make_ds(images[:split], tab[:split], labels[:split], training=True)
    valid_ds = make_ds(images[split:], tab[split:], labels[split:], training=False)

    model = build_model(tab[:split])
    model.summary(line_length=100)

    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=CFG["lr"], weight_decay=1e-4),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=["sparse_categorical_accuracy"],
    )
    ckpt_path = os.path.join(tempfile.gettempdir(), "rw136_mixed_best.weights.h5")
    history = model.fit(
        train_ds,
        validation_data=valid_ds,
        epochs=CFG["epochs"],
        callbacks=[
            keras.callbacks.ModelCheckpoint(ckpt_path, monitor="val_loss",
                                            save_best_only=True, save_weights_only=True),
            keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1),
        ],
        verbose=2,
    )
    model.load_weights(ckpt_path)
    probs = model.predict(valid_ds, verbose=0)
    acc = (probs.argmax(1) == labels[split:]).mean()
    print(f"best-checkpoint valid acc: {acc:.3f}")
    print({k: [round(v, 4) for v in vals] for k, vals in history.history.items()})
    if os.path.exists(ckpt_path):
        os.remove(ckpt_path)
