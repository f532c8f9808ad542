# Conditional GAN on a toy "shapes" dataset (3 classes: horizontal bar,
# vertical bar, square), 16x16 grayscale.
#
# Generator:      [noise ; Embedding(label)] -> Dense -> Conv2DTranspose stack
# Discriminator:  [image ; Embedding(label) broadcast to an HxW plane] -> Conv stack
#
# Training loop is written by hand with two GradientTapes.
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CFG = {
    "img_size": 16,
    "n_classes": 3,
    "noise_dim": 32,
    "embed_dim": 8,
    "batch_size": 32,
    "n_per_class": 96,
    "epochs": 2,
    "lr_g": 2e-4,
    "lr_d": 2e-4,
    "seed": 123,
}

tf.random.set_seed(CFG["seed"])
np.random.seed(CFG["seed"])


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------
def draw_shape(label, size):
    img = np.zeros((size, size), dtype=np.float32)
    off = np.random.randint(2, size // 2)
    length = np.random.randint(size // 3, size // 2 + 2)
    if label == 0:  # horizontal bar
        img[off:off + 3, 2:2 + length] = 1.0
    elif label == 1:  # vertical bar
        img[2:2 + length, off:off + 3] = 1.0
    else:  # square
        img[off:off + length // 2 + 2, off:off + length // 2 + 2] = 1.0
    return img


def make_dataset(cfg):
    size, n = cfg["img_size"], cfg["n_per_class"]
    labels = np.repeat(np.arange(cfg["n_classes"]), n)
    imgs = np.stack([draw_shape(l, size) for l in labels])
    imgs = imgs * 2.0 - 1.0  # tanh range
    imgs = imgs[..., np.newaxis]
    ds = tf.data.Dataset.from_tensor_slices((imgs, labels.astype("int32")))
    ds = ds.shuffle(len(labels), seed=cfg["seed"]).batch(cfg["batch_size"], drop_remainder=True)
    return ds.prefetch(tf.data.AUTOTUNE), len(labels)


# --------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------
def make_generator(cfg):
    noise = keras.Input((cfg["noise_dim"],), name="noise")
    label = keras.Input((1,), dtype="int32", name="label")
    emb = layers.Embedding(cfg["n_classes"], cfg["embed_dim"])(label)
    emb = layers.Flatten()(emb)
    h = layers.Concatenate()([noise, emb])

    base = cfg["img_size"] // 4
    h = layers.Dense(base * base * 64, use_bias=False)(h)
    h = layers.BatchNormalization()(h)
    h = layers.LeakyReLU(0.2)(h)
    h = layers.Reshape((base, base, 64))(h)
    for f in [64, 32]:
        h = layers.Conv2DTranspose(f, 4, strides=2, padding="same", use_bias=False)(h)
        h = layers.BatchNormalization()(h)
        h = layers.LeakyReLU(0.2)(h)
    out = layers.Conv2D(1, 3, padding="same", activation="tanh")(h)
    return keras.Model([noise, label], out, name="generator")


def make_discriminator(cfg):
    size = cfg["img_size"]
    image = keras.Input((size, size, 1), name="image")
    label = keras.Input((1,), dtype="int32", name="label")
    # label -> one extra channel the size of the image
    emb = layers.Embedding(cfg["n_classes"], size * size)(label)
    emb = layers.Reshape((size, size, 1))(emb)
    h = layers.Concatenate(axis=-1)([image, emb])
    for f in [32, 64]:
        h = layers.Conv2D(f, 4, strides=2, padding="same")(h)
        h = layers.LeakyReLU(0.2)(h)
        h = layers.Dropout(0.3)(h)
    h = layers.Flatten()(h)
    logit = layers.Dense(1)(h)
    return keras.Model([image, label], logit, name="discriminator")


generator = make_generator(CFG)
discriminator = make_discriminator(CFG)

bce = keras.losses.BinaryCrossentropy(from_logits=True)
g_opt = keras.optimizers.Adam(CFG["lr_g"], beta_1=0.5)
d_opt = keras.optimizers.Adam(CFG["lr_d"], beta_1=0.5)


def d_loss_fn(real_logits, fake_logits):
    # one-sided label smoothing on the real targets
    real_loss = bce(tf.ones_like(real_logits) * 0.9, real_logits)
    fake_loss = bce(tf.zeros_like(fake_logits), fake_logits)
    return real_loss + fake_loss


def g_loss_fn(fake_logits):
    return bce(tf.ones_like(fake_logits), fake_logits)


@tf.function
def train_step(real_images, labels):
    batch = tf.shape(real_images)[0]
    noise = tf.random.normal((batch, CFG["noise_dim"]))
    labels = tf.reshape(labels, (-1, 1))

    with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
        fake_images = generator([noise, labels], training=True)
        real_logits = discriminator([real_images, labels], training=True)
        fake_logits = discriminator([fake_images, labels], training=True)
        d_loss = d_loss_fn(real_logits, fake_logits)
        g_loss = g_loss_fn(fake_logits)

    d_grads = d_tape.gradient(d_loss, discriminator.trainable_variables)
    g_grads = g_tape.gradient(g_loss, generator.trainable_variables)
    d_opt.apply_gradients(zip(d_grads, discriminator.trainable_variables))
    g_opt.apply_gradients(zip(g_grads, generator.trainable_variables))

    d_acc = 0.5 * (
        tf.reduce_mean(tf.cast(real_logits > 0, tf.float32))
        + tf.reduce_mean(tf.cast(fake_logits < 0, tf.float32))
    )
    return d_loss, g_loss, d_acc


def generate_grid(n_per_class=4):
    labels = tf.constant(np.repeat(np.arange(CFG["n_classes"]), n_per_class).reshape(-1, 1), dtype=tf.int32)
    noise = tf.random.normal((len(labels), CFG["noise_dim"]))
    imgs = generator([noise, labels], training=False).numpy()
    return (imgs + 1.0) / 2.0, labels.numpy().ravel()


def main():
    dataset, n = make_dataset(CFG)
    print(f"{n} training images, {CFG['n_classes']} classes")
    generator.summary()

    d_mean = keras.metrics.Mean()
    g_mean = keras.metrics.Mean()
    acc_mean = keras.metrics.Mean()

    for epoch in range(CFG["epochs"]):
        t0 = time.time()
        for m in (d_mean, g_mean, acc_mean):
            m.reset_state()
        for step, (imgs, labels) in enumerate(dataset):
            d_loss, g_loss, d_acc = train_step(imgs, labels)
            d_mean.update_state(d_loss)
            g_mean.update_state(g_loss)
            acc_mean.update_state(d_acc)
            if step % 4 == 0:
                print(f"  epoch {epoch + 1} step {step:02d}: d={float(d_loss):.4f} g={float(g_loss):.4f}")
        print(
            f"epoch {epoch + 1}/{CFG['epochs']} "
            f"d_loss={d_mean.result():.4f} g_loss={g_mean.result():.4f} "
            f"d_acc={acc_mean.result():.3f} ({time.time() - t0:.1f}s)"
        )

    samples, labels = generate_grid()
    for c in range(CFG["n_classes"]):
        cls = samples[labels == c]
        print(f"class {c}: mean pixel {cls.mean():.3f}, std {cls.std():.3f}")


if __name__ == "__main__":
    main()
