"""Convolutional VAE with a reparameterisation Sampling layer, custom
train_step/test_step and linear KL warm-up (beta annealing) via a callback.

Encoder/decoder are subclassed keras.Model objects; everything backend-facing
goes through keras.ops so the model itself is backend-agnostic (the training
step uses tf.GradientTape, so this file targets the TF backend).
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

cfg = dict(
    image_size=28,
    latent_dim=8,
    base_filters=32,
    batch_size=64,
    n_train=640,
    n_val=128,
    epochs=3,
    warmup_epochs=2,
    learning_rate=1e-3,
    seed=1337,
)


class Sampling(layers.Layer):
    """z = mu + sigma * eps, eps ~ N(0, I)."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


class Encoder(keras.Model):
    def __init__(self, latent_dim, filters=32, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")
        self.conv2 = layers.Conv2D(filters * 2, 3, strides=2, padding="same", activation="relu")
        self.flatten = layers.Flatten()
        self.dense = layers.Dense(128, activation="relu")
        self.mean_head = layers.Dense(latent_dim, name="z_mean")
        self.logvar_head = layers.Dense(latent_dim, name="z_log_var")
        self.sampling = Sampling(seed=cfg["seed"])

    def call(self, x):
        h = self.conv2(self.conv1(x))
        h = self.dense(self.flatten(h))
        z_mean = self.mean_head(h)
        z_log_var = self.logvar_head(h)
        z = self.sampling([z_mean, z_log_var])
        return z_mean, z_log_var, z


class Decoder(keras.Model):
    def __init__(self, image_size, filters=32, **kwargs):
        super().__init__(**kwargs)
        self.s = image_size // 4
        self.filters = filters
        self.proj = layers.Dense(self.s * self.s * filters * 2, activation="relu")
        self.reshape = layers.Reshape((self.s, self.s, filters * 2))
        self.up1 = layers.Conv2DTranspose(filters * 2, 3, strides=2, padding="same", activation="relu")
        self.up2 = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", activation="relu")
        self.to_logits = layers.Conv2DTranspose(1, 3, padding="same")

    def call(self, z):
        h = self.reshape(self.proj(z))
        h = self.up2(self.up1(h))
        return self.to_logits(h)  # logits, apply sigmoid for pixels


class VAE(keras.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        # beta is a non-trainable variable so a callback can change it between epochs
        self.beta = self.add_weight(name="kl_beta", shape=(), initializer="zeros", trainable=False)
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.recon_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.recon_loss_tracker, self.kl_loss_tracker]

    def call(self, x):
        _, _, z = self.encoder(x)
        return ops.sigmoid(self.decoder(z))

    def _compute_losses(self, x):
        z_mean, z_log_var, z = self.encoder(x)
        logits = self.decoder(z)
        # per-pixel BCE summed over the image, averaged over batch
        bce = ops.binary_crossentropy(x, logits, from_logits=True)
        reconstruction_loss = ops.mean(ops.sum(bce, axis=(1, 2, 3)))
        kl = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
        kl_loss = ops.mean(ops.sum(kl, axis=1))
        total = reconstruction_loss + self.beta * kl_loss
        return total, reconstruction_loss, kl_loss

    def _update(self, total, recon, kl):
        self.total_loss_tracker.update_state(total)
        self.recon_loss_tracker.update_state(recon)
        self.kl_loss_tracker.update_state(kl)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        with tf.GradientTape() as tape:
            total, recon, kl = self._compute_losses(data)
        grads = tape.gradient(total, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        return self._update(total, recon, kl)

    def test_step(self, data):
        total, recon, kl = self._compute_losses(data)
        return self._update(total, recon, kl)


class KLWarmup(keras.callbacks.Callback):
    """Linearly ramp beta from 0 to 1 over `warmup_epochs`."""

    def __init__(self, warmup_epochs):
        super().__init__()
        self.warmup_epochs = max(1, warmup_epochs)

    def on_epoch_begin(self, epoch, logs=None):
        beta = min(1.0, epoch / self.warmup_epochs)
        self.model.beta.assign(beta)
        print(f"[KLWarmup] epoch {epoch + 1}: beta={beta:.2f}")


def make_images(n, size, rng):
    """Rings of random radius -- a 1-D manifold the VAE should pick up."""
    yy, xx = np.mgrid[0:size, 0:size].astype("float32")
    c = (size - 1) / 2.0
    d = np.sqrt((yy - c) ** 2 + (xx - c) ** 2)
    radii = rng.uniform(3, size / 2 - 2, size=(n, 1, 1))
    imgs = (np.abs(d[None] - radii) < 1.2).astype("float32")
    return imgs[..., None]


def build_pipeline(arr, batch_size, training):
    ds = tf.data.Dataset.from_tensor_slices(arr)
    if training:
        ds = ds.shuffle(len(arr), seed=cfg["seed"])
        # random horizontal flips are label-free augmentation for an AE
        ds = ds.map(lambda x: tf.image.random_flip_left_right(x), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def interpolate(vae, a, b, steps=6):
    mu_a, _, _ = vae.encoder(a[None])
    mu_b, _, _ = vae.encoder(b[None])
    alphas = ops.linspace(0.0, 1.0, steps)[:, None]
    z = (1.0 - alphas) * mu_a + alphas * mu_b          # (steps, latent_dim) via broadcasting
    return ops.convert_to_numpy(ops.sigmoid(vae.decoder(z)))


def main():
    keras.utils.set_random_seed(cfg["seed"])
    rng = np.random.default_rng(cfg["seed"])
    x_train = make_images(cfg["n_train"], cfg["image_size"], rng)
    x_val = make_images(cfg["n_val"], cfg["image_size"], rng)

    train_ds = build_pipeline(x_train, cfg["batch_size"], training=True)
    val_ds = build_pipeline(x_val, cfg["batch_size"], training=False)

    encoder = Encoder(cfg["latent_dim"], cfg["base_filters"], name="encoder")
    decoder = Decoder(cfg["image_size"], cfg["base_filters"], name="decoder")
    vae = VAE(encoder, decoder, name="vae")
    vae(keras.ops.zeros((1, cfg["image_size"], cfg["image_size"], 1)))  # build
    vae.summary()

    vae.compile(optimizer=keras.optimizers.Adam(cfg["learning_rate"]))
    vae.fit(
        train_ds,
        validation_data=val_ds,
        epochs=cfg["epochs"],
        callbacks=[KLWarmup(cfg["warmup_epochs"])],
        verbose=2,
    )

    # prior samples
    z = keras.random.normal((8, cfg["latent_dim"]), seed=0)
    gen = ops.convert_to_numpy(ops.sigmoid(decoder(z)))
    print("prior samples:", gen.shape, "mean intensity: %.3f" % gen.mean())

    path = interpolate(vae, x_val[0], x_val[1])
    print("interpolation path:", path.shape)

    z_mean, z_log_var, _ = encoder(x_val[:32])
    print("posterior sigma (avg per dim):", np.round(np.exp(0.5 * ops.convert_to_numpy(z_log_var)).mean(0), 3))


if __name__ == "__main__":
    main()
