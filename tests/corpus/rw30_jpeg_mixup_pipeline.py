"""
Kaggle-style image classification baseline.
Images come in as encoded JPEG bytes (like reading from TFRecords),
we decode + augment in tf.data and do mixup inside the pipeline.
"""
import argparse
import os

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

CFG = {
    "raw_size": 72,
    "img_size": 64,
    "crop_size": 56,
    "num_classes": 5,
    "batch_size": 8,
    "mixup_alpha": 0.4,
    "lr": 1e-3,
    "seed": 42,
}


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--n_train", type=int, default=48)
    p.add_argument("--n_valid", type=int, default=16)
    p.add_argument("--no_mixup", action="store_true")
    return p.parse_args([])


def make_fake_jpegs(n, size, num_classes, seed=0):
    """Build random blobs per class and encode them as jpeg strings."""
    rng = np.random.default_rng(seed)
    blobs, labels = [], []
    for i in range(n):
        label = i % num_classes
        img = rng.integers(0, 60, size=(size, size, 3)).astype(np.uint8)
        # put a brighter square somewhere so the classes differ a bit
        off = 6 + label * 8
        img[off:off + 12, off:off + 12, label % 3] = 220
        enc = tf.io.encode_jpeg(tf.constant(img), quality=90)
        blobs.append(enc.numpy())
        labels.append(label)
    return np.array(blobs, dtype=object), np.array(labels, dtype=np.int32)


def decode_image(img_bytes, label):
    img = tf.io.decode_jpeg(img_bytes, channels=3)
    img = tf.image.convert_image_dtype(img, tf.float32)
    img = tf.image.resize(img, [CFG["img_size"], CFG["img_size"]])
    return img, tf.one_hot(label, CFG["num_classes"])


def augment(img, label):
    img = tf.image.random_flip_left_right(img)
    img = tf.image.random_crop(img, size=[CFG["crop_size"], CFG["crop_size"], 3])
    img = tf.image.random_brightness(img, 0.1)
    img = tf.image.per_image_standardization(img)
    return img, label


def center_crop(img, label):
    img = tf.image.resize_with_crop_or_pad(img, CFG["crop_size"], CFG["crop_size"])
    img = tf.image.per_image_standardization(img)
    return img, label


def sample_beta(alpha, size):
    g1 = tf.random.gamma([size], alpha)
    g2 = tf.random.gamma([size], alpha)
    return g1 / (g1 + g2)


def mixup(images, labels):
    # applied to a batch, partner is just the shuffled batch
    bs = tf.shape(images)[0]
    lam = sample_beta(CFG["mixup_alpha"], bs)
    idx = tf.random.shuffle(tf.range(bs))
    lam_img = tf.reshape(lam, [-1, 1, 1, 1])
    lam_lbl = tf.reshape(lam, [-1, 1])
    mixed_x = lam_img * images + (1.0 - lam_img) * tf.gather(images, idx)
    mixed_y = lam_lbl * labels + (1.0 - lam_lbl) * tf.gather(labels, idx)
    return mixed_x, mixed_y


def build_dataset(blobs, labels, training, use_mixup=True):
    ds = tf.data.Dataset.from_tensor_slices((blobs, labels))
    if training:
        ds = ds.shuffle(len(labels), seed=CFG["seed"])
    ds = ds.map(decode_image, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.map(augment if training else center_crop, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(CFG["batch_size"], drop_remainder=training)
    if training and use_mixup:
        ds = ds.map(mixup, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def conv_block(x, filters, name):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    x = layers.Activation("swish", name=f"{name}_act")(x)
    x = layers.MaxPooling2D(name=f"{name}_pool")(x)
    return x


def build_model(input_shape, num_classes, widths=(16, 32, 64)):
    inp = keras.Input(shape=input_shape, name="image")
    x = inp
    for i, w in enumerate(widths):
        x = conv_block(x, w, name=f"block{i + 1}")
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    out = layers.Dense(num_classes, activation="softmax", name="probs")(x)
    return keras.Model(inp, out, name="jpeg_cnn")


def main():
    args = parse_args()
    tf.random.set_seed(CFG["seed"])

    tr_blobs, tr_labels = make_fake_jpegs(args.n_train, CFG["raw_size"], CFG["num_classes"], seed=1)
    va_blobs, va_labels = make_fake_jpegs(args.n_valid, CFG["raw_size"], CFG["num_classes"], seed=2)
    print(f"train={len(tr_labels)} valid={len(va_labels)} bytes[0]={len(tr_blobs[0])}")

    train_ds = build_dataset(tr_blobs, tr_labels, training=True, use_mixup=not args.no_mixup)
    valid_ds = build_dataset(va_blobs, va_labels, training=False)

    xb, yb = next(iter(train_ds))
    print("batch:", xb.shape, yb.shape, "label row sums:", np.round(yb.numpy().sum(axis=1)[:4], 3))

    model = build_model((CFG["crop_size"], CFG["crop_size"], 3), CFG["num_classes"])
    model.compile(
        optimizer=keras.optimizers.Adam(CFG["lr"]),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.05),
        metrics=["accuracy"],
    )
    hist = model.fit(train_ds, validation_data=valid_ds, epochs=args.epochs, verbose=2)
    print({k: round(float(v[-1]), 4) for k, v in hist.history.items()})

    preds = model.predict(valid_ds, verbose=0)
    acc = (preds.argmax(-1) == va_labels).mean()
    print(f"valid acc (argmax) = {acc:.3f}")


if __name__ == "__main__":
    main()
