"""Conditional VAE (Sohn et al., 2015) on synthetic MNIST-like digits.

The encoder sees the image *and* its one-hot label, the decoder sees the
latent code *and* the label, so at generation time we can ask for a specific
class. Written as a keras.Model subclass with its own train_step /
test_step and separate reconstruction / KL trackers.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

CONFIG = {
    "image_shape": (28, 28, 1),
    "num_classes": 10,
    "latent_dim": 8,
    "hidden_units": [256, 128],
    "batch_size": 64,
    "epochs": 2,
    "learning_rate": 1e-3,
    "beta": 1.0,           # weight of the KL term (beta-VAE style knob)
    "n_train": 1024,
    "n_val": 256,
}


def synthetic_digits(n, num_classes=10, size=28, seed=0):
    """Each class is a fixed random stroke template plus pixel noise."""
    rng = np.random.default_rng(seed)
    templates = (rng.random((num_classes, size, size)) > 0.8).astype("float32")
    # smooth the templates a bit so they look less like salt & pepper
    templates = (templates
                 + np.roll(templates, 1, axis=1)
                 + np.roll(templates, 1, axis=2)) / 3.0
    labels = rng.integers(0, num_classes, size=n)
    images = templates[labels] + 0.1 * rng.standard_normal((n, size, size))
    images = np.clip(images, 0.0, 1.0)[..., np.newaxis].astype("float32")
    return images, labels.astype("int32")


class Sampling(layers.Layer):
    """Reparameterisation trick: z = mu + sigma * eps."""

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = tf.shape(z_mean)[0]
        dim = tf.shape(z_mean)[1]
        epsilon = tf.random.normal(shape=(batch, dim))
        return z_mean + tf.exp(0.5 * z_log_var) * epsilon


def build_encoder(cfg):
    image_in = keras.Input(shape=cfg["image_shape"], name="image")
    label_in = keras.Input(shape=(cfg["num_classes"],), name="label_onehot")

    x = layers.Flatten()(image_in)
    x = layers.Concatenate()([x, label_in])
    for units in cfg["hidden_units"]:
        x = layers.Dense(units, activation="relu")(x)

    z_mean = layers.Dense(cfg["latent_dim"], name="z_mean")(x)
    z_log_var = layers.Dense(cfg["latent_dim"], name="z_log_var")(x)
    z = Sampling(name="z")([z_mean, z_log_var])
    return keras.Model([image_in, label_in], [z_mean, z_log_var, z], name="encoder")


def build_decoder(cfg):
    latent_in = keras.Input(shape=(cfg["latent_dim"],), name="z_sampling")
    label_in = keras.Input(shape=(cfg["num_classes"],), name="label_onehot")

    x = layers.Concatenate()([latent_in, label_in])
    for units in reversed(cfg["hidden_units"]):
        x = layers.Dense(units, activation="relu")(x)

    flat_dim = int(np.prod(cfg["image_shape"]))
    x = layers.Dense(flat_dim, activation="sigmoid")(x)
    out = layers.Reshape(cfg["image_shape"])(x)
    return keras.Model([latent_in, label_in], out, name="decoder")


class ConditionalVAE(keras.Model):
    def __init__(self, encoder, decoder, num_classes, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.num_classes = num_classes
        self.beta = beta
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [
            self.total_loss_tracker,
            self.reconstruction_loss_tracker,
            self.kl_loss_tracker,
        ]

    def call(self, inputs, training=False):
        images, labels = inputs
        onehot = tf.one_hot(labels, self.num_classes)
        _, _, z = self.encoder([images, onehot], training=training)
        return self.decoder([z, onehot], training=training)

    def _compute_losses(self, images, labels, training):
        onehot = tf.one_hot(labels, self.num_classes)
        z_mean, z_log_var, z = self.encoder([images, onehot], training=training)
        reconstruction = self.decoder([z, onehot], training=training)

        # sum over pixels, mean over batch
        bce = keras.losses.binary_crossentropy(images, reconstruction)  # (B, H, W)
        reconstruction_loss = tf.reduce_mean(tf.reduce_sum(bce, axis=(1, 2)))

        kl_loss = -0.5 * (1 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var))
        kl_loss = tf.reduce_mean(tf.reduce_sum(kl_loss, axis=1))
        total_loss = reconstruction_loss + self.beta * kl_loss
        return total_loss, reconstruction_loss, kl_loss

    def _update_trackers(self, total, recon, kl):
        self.total_loss_tracker.update_state(total)
        self.reconstruction_loss_tracker.update_state(recon)
        self.kl_loss_tracker.update_state(kl)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        images, labels = data
        with tf.GradientTape() as tape:
            total, recon, kl = self._compute_losses(images, labels, training=True)
        grads = tape.gradient(total, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        return self._update_trackers(total, recon, kl)

    def test_step(self, data):
        images, labels = data
        total, recon, kl = self._compute_losses(images, labels, training=False)
        return self._update_trackers(total, recon, kl)

    def generate(self, labels, seed=None):
        """Decode random latent codes for the requested class labels."""
        labels = tf.convert_to_tensor(labels, dtype=tf.int32)
        n = tf.shape(labels)[0]
        z = tf.random.normal((n, self.encoder.output[0].shape[-1]), seed=seed)
        onehot = tf.one_hot(labels, self.num_classes)
        return self.decoder([z, onehot], training=False)


def make_dataset(images, labels, batch_size, shuffle):
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    if shuffle:
        ds = ds.shuffle(len(images), reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def main(cfg=CONFIG):
    tf.random.set_seed(7)
    x_train, y_train = synthetic_digits(cfg["n_train"], cfg["num_classes"], seed=1)
    x_val, y_val = synthetic_digits(cfg["n_val"], cfg["num_classes"], seed=2)

    train_ds = make_dataset(x_train, y_train, cfg["batch_size"], shuffle=True)
    val_ds = make_dataset(x_val, y_val, cfg["batch_size"], shuffle=False)

    encoder = build_encoder(cfg)
    decoder = build_decoder(cfg)
    encoder.summary()
    decoder.summary()

    cvae = ConditionalVAE(encoder, decoder, cfg["num_classes"], beta=cfg["beta"])
    cvae.compile(optimizer=keras.optimizers.Adam(cfg["learning_rate"]))
    history = cvae.fit(train_ds, validation_data=val_ds, epochs=cfg["epochs"], verbose=2)

    for key in ("total_loss", "val_total_loss"):
        print(f"{key}: {history.history[key][-1]:.3f}")

    # one row per class, 3 samples each -> grid (10*28, 3*28)
    wanted = np.repeat(np.arange(cfg["num_classes"]), 3)
    samples = cvae.generate(wanted, seed=3).numpy()
    h, w = cfg["image_shape"][:2]
    grid = (samples.reshape(cfg["num_classes"], 3, h, w)
            .transpose(0, 2, 1, 3)
            .reshape(cfg["num_classes"] * h, 3 * w))
    print("sample grid:", grid.shape, "range", float(grid.min()), float(grid.max()))

    # reconstruct a validation batch through call()
    recon = cvae((x_val[:8], y_val[:8]))
    mse = tf.reduce_mean(tf.square(recon - x_val[:8]))
    print("val recon mse:", float(mse))


if __name__ == "__main__":
    main()
