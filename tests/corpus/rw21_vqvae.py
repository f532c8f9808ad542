"""VQ-VAE on synthetic 16x16 "blob" images.

Encoder -> VectorQuantizer (codebook lookup with argmin over squared
distances, one_hot, straight-through gradient, commitment + codebook
losses) -> decoder. Trained with a custom train_step that tracks
reconstruction loss, VQ loss and codebook perplexity.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

IMG_SIZE = 16
LATENT_DIM = 8
NUM_EMBEDDINGS = 32
BETA = 0.25
N_IMAGES = 384
BATCH = 32


def gaussian_blobs(n, size, max_blobs=3, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype("float32")
    out = np.zeros((n, size, size), dtype="float32")
    for i in range(n):
        for _ in range(rng.integers(1, max_blobs + 1)):
            cy, cx = rng.uniform(2, size - 2, size=2)
            sigma = rng.uniform(1.0, 3.0)
            amp = rng.uniform(0.5, 1.0)
            out[i] += amp * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sigma ** 2))
    out = np.clip(out, 0.0, 1.0)
    return out[..., None]


class VectorQuantizer(layers.Layer):
    def __init__(self, num_embeddings, embedding_dim, beta=0.25, **kwargs):
        super().__init__(**kwargs)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.beta = beta

    def build(self, input_shape):
        self.codebook = self.add_weight(
            name="codebook",
            shape=(self.embedding_dim, self.num_embeddings),
            initializer=keras.initializers.RandomUniform(-0.5, 0.5),
            trainable=True,
        )

    def get_code_indices(self, flat):
        # ||x - e||^2 = ||x||^2 - 2 x.e + ||e||^2
        sim = tf.matmul(flat, self.codebook)
        dist = (
            tf.reduce_sum(flat ** 2, axis=1, keepdims=True)
            - 2.0 * sim
            + tf.reduce_sum(self.codebook ** 2, axis=0, keepdims=True)
        )
        return tf.argmin(dist, axis=1)

    def call(self, x):
        in_shape = tf.shape(x)
        flat = tf.reshape(x, [-1, self.embedding_dim])
        indices = self.get_code_indices(flat)
        encodings = tf.one_hot(indices, self.num_embeddings)
        quantized = tf.matmul(encodings, self.codebook, transpose_b=True)
        quantized = tf.reshape(quantized, in_shape)

        commitment = tf.reduce_mean((tf.stop_gradient(quantized) - x) ** 2)
        codebook_loss = tf.reduce_mean((quantized - tf.stop_gradient(x)) ** 2)
        self.add_loss(self.beta * commitment + codebook_loss)

        # straight-through estimator: forward = quantized, backward = identity
        return x + tf.stop_gradient(quantized - x)


def build_encoder():
    inp = keras.Input(shape=(IMG_SIZE, IMG_SIZE, 1))
    x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(inp)
    x = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(x)
    out = layers.Conv2D(LATENT_DIM, 1, padding="same")(x)
    return keras.Model(inp, out, name="encoder")


def build_decoder(latent_shape):
    inp = keras.Input(shape=latent_shape)
    x = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(inp)
    x = layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu")(x)
    out = layers.Conv2DTranspose(1, 3, padding="same", activation="sigmoid")(x)
    return keras.Model(inp, out, name="decoder")


def build_vqvae():
    encoder = build_encoder()
    vq = VectorQuantizer(NUM_EMBEDDINGS, LATENT_DIM, beta=BETA, name="vector_quantizer")
    decoder = build_decoder(encoder.output.shape[1:])
    inp = keras.Input(shape=(IMG_SIZE, IMG_SIZE, 1))
    recon = decoder(vq(encoder(inp)))
    return keras.Model(inp, recon, name="vq_vae")


class VQVAETrainer(keras.Model):
    def __init__(self, data_variance, **kwargs):
        super().__init__(**kwargs)
        self.data_variance = data_variance
        self.vqvae = build_vqvae()
        self.total_tracker = keras.metrics.Mean(name="loss")
        self.recon_tracker = keras.metrics.Mean(name="recon")
        self.vq_tracker = keras.metrics.Mean(name="vq")
        self.ppl_tracker = keras.metrics.Mean(name="perplexity")

    @property
    def metrics(self):
        return [self.total_tracker, self.recon_tracker, self.vq_tracker, self.ppl_tracker]

    def call(self, x, training=False):
        return self.vqvae(x, training=training)

    def _perplexity(self, x):
        enc = self.vqvae.get_layer("encoder")(x)
        vq = self.vqvae.get_layer("vector_quantizer")
        idx = vq.get_code_indices(tf.reshape(enc, [-1, LATENT_DIM]))
        avg_probs = tf.reduce_mean(tf.one_hot(idx, NUM_EMBEDDINGS), axis=0)
        return tf.exp(-tf.reduce_sum(avg_probs * tf.math.log(avg_probs + 1e-10)))

    def train_step(self, x):
        with tf.GradientTape() as tape:
            recon = self.vqvae(x, training=True)
            recon_loss = tf.reduce_mean((x - recon) ** 2) / self.data_variance
            vq_loss = tf.add_n(self.vqvae.losses)
            total = recon_loss + vq_loss
        grads = tape.gradient(total, self.vqvae.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.vqvae.trainable_variables))

        self.total_tracker.update_state(total)
        self.recon_tracker.update_state(recon_loss)
        self.vq_tracker.update_state(vq_loss)
        self.ppl_tracker.update_state(self._perplexity(x))
        return {m.name: m.result() for m in self.metrics}


def main():
    keras.utils.set_random_seed(1)
    images = gaussian_blobs(N_IMAGES, IMG_SIZE)
    variance = float(np.var(images))
    print(f"images {images.shape}, variance {variance:.4f}")

    trainer = VQVAETrainer(variance)
    trainer.compile(optimizer=keras.optimizers.Adam(2e-3))
    trainer.fit(images, epochs=1, batch_size=BATCH, verbose=2)

    test = gaussian_blobs(8, IMG_SIZE, seed=99)
    recon = trainer.vqvae.predict(test, verbose=0)
    print("test mse:", float(np.mean((recon - test) ** 2)))

    # discrete codes for the test images (the "tokens" a prior would model)
    encoder = trainer.vqvae.get_layer("encoder")
    quantizer = trainer.vqvae.get_layer("vector_quantizer")
    z = encoder.predict(test, verbose=0)
    codes = quantizer.get_code_indices(tf.reshape(z, [-1, LATENT_DIM]))
    codes = tf.reshape(codes, z.shape[:-1]).numpy()
    print("code grid for image 0:\n", codes[0])
    print("codes used:", len(np.unique(codes)), "/", NUM_EMBEDDINGS)


if __name__ == "__main__":
    main()
