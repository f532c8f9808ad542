# Conditional DCGAN on tiny synthetic "shape" images (3 classes).
# Labels go through an Embedding in both G and D; training is done with a
# custom train_step override so model.fit() drives the adversarial loop.
import numpy as np
import tensorflow as tf
import keras
from keras import layers

CFG = {
    "img_size": 16,
    "num_classes": 3,
    "latent_dim": 32,
    "embed_dim": 8,
    "batch_size": 32,
    "n_per_class": 96,
    "epochs": 2,
    "lr_g": 2e-4,
    "lr_d": 2e-4,
    "seed": 42,
}

np.random.seed(CFG["seed"])
keras.utils.set_random_seed(CFG["seed"])


def draw_shape(kind, size):
    img = np.zeros((size, size), dtype=np.float32)
    c = np.random.randint(5, size - 5, size=2)
    r = np.random.randint(2, 5)
    if kind == 0:  # filled square
        img[c[0] - r:c[0] + r, c[1] - r:c[1] + r] = 1.0
    elif kind == 1:  # horizontal bar
        img[c[0] - 1:c[0] + 1, 1:size - 1] = 1.0
    else:  # disc
        yy, xx = np.ogrid[:size, :size]
        img[(yy - c[0]) ** 2 + (xx - c[1]) ** 2 <= r * r] = 1.0
    return img


def make_dataset(cfg):
    xs, ys = [], []
    for label in range(cfg["num_classes"]):
        for _ in range(cfg["n_per_class"]):
            xs.append(draw_shape(label, cfg["img_size"]))
            ys.append(label)
    x = np.stack(xs)[..., None] * 2.0 - 1.0  # scale to [-1, 1] for tanh
    y = np.array(ys, dtype=np.int32)
    perm = np.random.permutation(len(x))
    return x[perm].astype("float32"), y[perm]


def build_generator(cfg):
    s = cfg["img_size"] // 4
    noise = keras.Input((cfg["latent_dim"],), name="noise")
    label = keras.Input((1,), dtype="int32", name="label")

    emb = layers.Embedding(cfg["num_classes"], cfg["embed_dim"])(label)
    emb = layers.Flatten()(emb)
    h = layers.Concatenate()([noise, emb])
    h = layers.Dense(s * s * 64, use_bias=False)(h)
    h = layers.BatchNormalization()(h)
    h = layers.LeakyReLU(0.2)(h)
    h = layers.Reshape((s, s, 64))(h)
    for filters in (64, 32):
        h = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False)(h)
        h = layers.BatchNormalization()(h)
        h = layers.LeakyReLU(0.2)(h)
    out = layers.Conv2D(1, 3, padding="same", activation="tanh")(h)
    return keras.Model([noise, label], out, name="generator")


def build_discriminator(cfg):
    size = cfg["img_size"]
    img = keras.Input((size, size, 1), name="image")
    label = keras.Input((1,), dtype="int32", name="label")

    # project the label embedding into an extra image channel
    emb = layers.Embedding(cfg["num_classes"], size * size)(label)
    emb = layers.Reshape((size, size, 1))(emb)
    h = layers.Concatenate(axis=-1)([img, emb])
    for filters in (32, 64):
        h = layers.Conv2D(filters, 4, strides=2, padding="same")(h)
        h = layers.LeakyReLU(0.2)(h)
        h = layers.Dropout(0.25)(h)
    h = layers.Flatten()(h)
    logit = layers.Dense(1)(h)
    return keras.Model([img, label], logit, name="discriminator")


class ConditionalGAN(keras.Model):
    def __init__(self, generator, discriminator, latent_dim):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.d_acc = keras.metrics.BinaryAccuracy(name="d_acc", threshold=0.0)

    @property
    def metrics(self):
        return [self.g_loss_tracker, self.d_loss_tracker, self.d_acc]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def train_step(self, data):
        real_images, labels = data
        labels = tf.reshape(labels, (-1, 1))
        batch = tf.shape(real_images)[0]

        # --- discriminator ---
        z = tf.random.normal((batch, self.latent_dim))
        fake_images = self.generator([z, labels], training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator([real_images, labels], training=True)
            fake_logits = self.discriminator([fake_images, labels], training=True)
            # one-sided label smoothing on the real targets
            real_targets = tf.ones_like(real_logits) * 0.9
            d_loss = (self.loss_fn(real_targets, real_logits)
                      + self.loss_fn(tf.zeros_like(fake_logits), fake_logits))
        d_grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(d_grads, self.discriminator.trainable_weights))

        # --- generator ---
        z = tf.random.normal((batch, self.latent_dim))
        with tf.GradientTape() as tape:
            gen = self.generator([z, labels], training=True)
            logits = self.discriminator([gen, labels], training=True)
            g_loss = self.loss_fn(tf.ones_like(logits), logits)
        g_grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(g_grads, self.generator.trainable_weights))

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.d_acc.update_state(
            tf.concat([tf.ones_like(real_logits), tf.zeros_like(fake_logits)], 0),
            tf.concat([real_logits, fake_logits], 0),
        )
        return {m.name: m.result() for m in self.metrics}


def sample_per_class(generator, cfg, n=4):
    labels = np.repeat(np.arange(cfg["num_classes"]), n).reshape(-1, 1).astype("int32")
    z = np.random.normal(size=(len(labels), cfg["latent_dim"])).astype("float32")
    imgs = generator.predict([z, labels], verbose=0)
    return (imgs + 1.0) / 2.0, labels.ravel()


if __name__ == "__main__":
    x, y = make_dataset(CFG)
    print(f"data: x={x.shape} range=({x.min():.1f},{x.max():.1f}) labels={np.bincount(y)}")

    ds = (tf.data.Dataset.from_tensor_slices((x, y))
          .shuffle(len(x))
          .batch(CFG["batch_size"], drop_remainder=True)
          .prefetch(2))

    gen = build_generator(CFG)
    disc = build_discriminator(CFG)
    gen.summary(line_length=90)

    gan = ConditionalGAN(gen, disc, CFG["latent_dim"])
    gan.compile(
        d_optimizer=keras.optimizers.Adam(CFG["lr_d"], beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(CFG["lr_g"], beta_1=0.5),
        loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    gan.fit(ds, epochs=CFG["epochs"], verbose=2)

    imgs, labels = sample_per_class(gen, CFG)
    for cls in range(CFG["num_classes"]):
        mean_on = float((imgs[labels == cls] > 0.5).mean())
        print(f"class {cls}: generated 'on' pixel fraction = {mean_on:.3f}")
