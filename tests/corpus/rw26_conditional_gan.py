"""Conditional DCGAN (class-conditioned) with a custom train_step.

Labels are embedded and concatenated with the latent vector in the generator,
and broadcast into an extra image channel in the discriminator.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

CONFIG = {
    "image_size": 28,
    "num_channels": 1,
    "num_classes": 10,
    "latent_dim": 64,
    "label_embed_dim": 16,
    "batch_size": 32,
    "num_examples": 256,
    "epochs": 1,
    "d_lr": 2e-4,
    "g_lr": 2e-4,
}


def make_generator(cfg):
    size = cfg["image_size"] // 4
    noise = keras.Input(shape=(cfg["latent_dim"],), name="noise")
    label = keras.Input(shape=(1,), dtype="int32", name="label")

    emb = layers.Embedding(cfg["num_classes"], cfg["label_embed_dim"], name="g_label_emb")(label)
    emb = layers.Flatten()(emb)
    x = layers.Concatenate()([noise, emb])
    x = layers.Dense(size * size * 128, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((size, size, 128))(x)
    for filters in (128, 64):
        x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(0.2)(x)
    img = layers.Conv2D(cfg["num_channels"], 7, padding="same", activation="tanh")(x)
    return keras.Model([noise, label], img, name="generator")


def make_discriminator(cfg):
    h = w = cfg["image_size"]
    img = keras.Input(shape=(h, w, cfg["num_channels"]), name="image")
    label = keras.Input(shape=(1,), dtype="int32", name="label")

    # project the label to a full-resolution map and stack it as a channel
    lbl = layers.Embedding(cfg["num_classes"], cfg["label_embed_dim"])(label)
    lbl = layers.Dense(h * w)(lbl)
    lbl = layers.Reshape((h, w, 1))(lbl)
    x = layers.Concatenate(axis=-1)([img, lbl])

    for filters in (64, 128):
        x = layers.Conv2D(filters, 3, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
        x = layers.Dropout(0.3)(x)
    x = layers.GlobalMaxPooling2D()(x)
    logit = layers.Dense(1)(x)
    return keras.Model([img, label], logit, name="discriminator")


class ConditionalGAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim, **kwargs):
        super().__init__(**kwargs)
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(1337)
        self.gen_loss_tracker = keras.metrics.Mean(name="generator_loss")
        self.disc_loss_tracker = keras.metrics.Mean(name="discriminator_loss")

    @property
    def metrics(self):
        return [self.gen_loss_tracker, self.disc_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def call(self, inputs, training=False):
        noise, labels = inputs
        return self.generator([noise, labels], training=training)

    def train_step(self, data):
        real_images, labels = data
        batch_size = ops.shape(real_images)[0]
        labels = ops.reshape(labels, (-1, 1))

        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        fake_images = self.generator([noise, labels], training=False)

        combined_images = ops.concatenate([fake_images, real_images], axis=0)
        combined_labels = ops.concatenate([labels, labels], axis=0)
        targets = ops.concatenate(
            [ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))], axis=0
        )
        # label smoothing / noise trick
        targets += 0.05 * keras.random.uniform(ops.shape(targets), seed=self.seed_generator)

        with tf.GradientTape() as tape:
            preds = self.discriminator([combined_images, combined_labels], training=True)
            d_loss = self.loss_fn(targets, preds)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        misleading = ops.zeros((batch_size, 1))
        with tf.GradientTape() as tape:
            generated = self.generator([noise, labels], training=True)
            preds = self.discriminator([generated, labels], training=False)
            g_loss = self.loss_fn(misleading, preds)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

        self.disc_loss_tracker.update_state(d_loss)
        self.gen_loss_tracker.update_state(g_loss)
        return {m.name: m.result() for m in self.metrics}


def load_fake_mnist(cfg):
    n = cfg["num_examples"]
    rng = np.random.default_rng(42)
    labels = rng.integers(0, cfg["num_classes"], size=(n,)).astype("int32")
    base = rng.normal(size=(cfg["num_classes"], cfg["image_size"], cfg["image_size"], 1))
    images = base[labels] + 0.3 * rng.normal(size=(n, cfg["image_size"], cfg["image_size"], 1))
    images = np.tanh(images).astype("float32")  # already in [-1, 1]
    return images, labels


images, labels = load_fake_mnist(CONFIG)
dataset = (
    tf.data.Dataset.from_tensor_slices((images, labels))
    .shuffle(1024)
    .batch(CONFIG["batch_size"], drop_remainder=True)
    .prefetch(tf.data.AUTOTUNE)
)

generator = make_generator(CONFIG)
discriminator = make_discriminator(CONFIG)
generator.summary()
discriminator.summary()

cond_gan = ConditionalGAN(discriminator, generator, CONFIG["latent_dim"])
cond_gan.compile(
    d_optimizer=keras.optimizers.Adam(CONFIG["d_lr"], beta_1=0.5),
    g_optimizer=keras.optimizers.Adam(CONFIG["g_lr"], beta_1=0.5),
    loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
)
cond_gan.fit(dataset, epochs=CONFIG["epochs"], verbose=2)

# Class-conditional sampling: one row per class
num_per_class = 2
sample_labels = np.repeat(np.arange(CONFIG["num_classes"]), num_per_class)[:, None]
z = keras.random.normal((len(sample_labels), CONFIG["latent_dim"]), seed=7)
samples = cond_gan.generator.predict([z, sample_labels], verbose=0)
samples = ((samples + 1.0) * 127.5).astype("uint8")
grid = samples.reshape(CONFIG["num_classes"], num_per_class, 28, 28).transpose(0, 2, 1, 3)
grid = grid.reshape(CONFIG["num_classes"] * 28, num_per_class * 28)
print("sample grid:", grid.shape, grid.dtype)

# class-embedding similarity: a quick check of what the generator learned
emb_table = generator.get_layer("g_label_emb").get_weights()[0]
normed = emb_table / np.linalg.norm(emb_table, axis=-1, keepdims=True)
cos = normed @ normed.T
print("label embedding table:", emb_table.shape, "mean off-diag cos:",
      round(float((cos.sum() - np.trace(cos)) / (cos.size - len(cos))), 4))
