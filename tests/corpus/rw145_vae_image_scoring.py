"""Variational autoencoder for image anomaly scoring.

Normal class: blurry blobs in 16x16 images. Outliers: checkerboards / stripes.
Anomaly score = reconstruction error + beta * KL (a rough negative ELBO),
threshold set at a percentile of the training scores.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

H = W = 16
LATENT_DIM = 4
BETA = 1.0
EPOCHS = 2
BATCH_SIZE = 32
PERCENTILE = 97

keras.utils.set_random_seed(123)
rng = np.random.default_rng(123)


def blobs(n):
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    cx = rng.uniform(4, 12, size=(n, 1, 1))
    cy = rng.uniform(4, 12, size=(n, 1, 1))
    s = rng.uniform(2.0, 3.5, size=(n, 1, 1))
    img = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * s ** 2))
    return img[..., None].astype(np.float32)


def outliers(n):
    yy, xx = np.mgrid[0:H, 0:W]
    pats = [((xx // 2 + yy // 2) % 2), (xx % 3 == 0), (yy % 4 < 2)]
    return np.stack([pats[i % len(pats)] for i in range(n)])[..., None].astype(np.float32)


class Sampling(layers.Layer):
    """Reparameterisation trick: z = mu + sigma * eps."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_gen = keras.random.SeedGenerator(7)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_gen)
        return z_mean + ops.exp(0.5 * z_log_var) * eps


def build_encoder():
    inp = keras.Input((H, W, 1))
    x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(inp)
    x = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(32, activation="relu")(x)
    z_mean = layers.Dense(LATENT_DIM, name="z_mean")(x)
    z_log_var = layers.Dense(LATENT_DIM, name="z_log_var")(x)
    z = Sampling()([z_mean, z_log_var])
    return keras.Model(inp, [z_mean, z_log_var, z], name="encoder")


def build_decoder():
    inp = keras.Input((LATENT_DIM,))
    x = layers.Dense(4 * 4 * 32, activation="relu")(inp)
    x = layers.Reshape((4, 4, 32))(x)
    x = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu")(x)
    out = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)
    return keras.Model(inp, out, name="decoder")


class VAE(keras.Model):
    def __init__(self, encoder, decoder, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.beta = beta
        self.total_tracker = keras.metrics.Mean(name="loss")
        self.rec_tracker = keras.metrics.Mean(name="recon")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    @property
    def metrics(self):
        return [self.total_tracker, self.rec_tracker, self.kl_tracker]

    def _elbo_terms(self, x, training):
        z_mean, z_log_var, z = self.encoder(x, training=training)
        recon = self.decoder(z, training=training)
        rec = ops.sum(keras.losses.binary_crossentropy(x, recon), axis=(1, 2))
        kl = -0.5 * ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=1)
        return rec, kl

    def train_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        with tf.GradientTape() as tape:
            rec, kl = self._elbo_terms(x, training=True)
            loss = ops.mean(rec + self.beta * kl)
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_tracker.update_state(loss)
        self.rec_tracker.update_state(ops.mean(rec))
        self.kl_tracker.update_state(ops.mean(kl))
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        rec, kl = self._elbo_terms(x, training=False)
        self.total_tracker.update_state(ops.mean(rec + self.beta * kl))
        self.rec_tracker.update_state(ops.mean(rec))
        self.kl_tracker.update_state(ops.mean(kl))
        return {m.name: m.result() for m in self.metrics}

    def call(self, x):
        z_mean, _, _ = self.encoder(x)
        return self.decoder(z_mean)

    def anomaly_score(self, x, n_samples=5):
        """Average negative ELBO over a few posterior samples."""
        scores = []
        for _ in range(n_samples):
            rec, kl = self._elbo_terms(x, training=False)
            scores.append(ops.convert_to_numpy(rec + self.beta * kl))
        return np.mean(scores, axis=0)


x_train = blobs(384)
x_test = np.concatenate([blobs(64), outliers(16)])
y_test = np.r_[np.zeros(64), np.ones(16)]

vae = VAE(build_encoder(), build_decoder(), beta=BETA)
vae.compile(optimizer=keras.optimizers.Adam(1e-3))
vae.fit(x_train, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=2)
print(vae.evaluate(x_test[:64], batch_size=BATCH_SIZE, verbose=0, return_dict=True))

train_scores = vae.anomaly_score(x_train)
threshold = np.percentile(train_scores, PERCENTILE)
test_scores = vae.anomaly_score(x_test)
pred = test_scores > threshold

print(f"threshold={threshold:.2f}")
print(f"normal  scores: median={np.median(test_scores[y_test == 0]):.2f}")
print(f"outlier scores: median={np.median(test_scores[y_test == 1]):.2f}")
print(f"detected {pred[y_test == 1].sum()}/{int(y_test.sum())} outliers, "
      f"{pred[y_test == 0].sum()} false alarms")

# latent space: distance of z_mean from the origin is another cheap score
z_mean, _, _ = vae.encoder.predict(x_test, verbose=0)
latent_norm = np.linalg.norm(z_mean, axis=1)
print("mean |z| normal vs outlier:", latent_norm[y_test == 0].mean(), latent_norm[y_test == 1].mean())
