"""VQ-VAE (van den Oord et al., 2017) with a hand-written vector-quantizer layer.

Encoder -> VectorQuantizer (codebook lookup + straight-through estimator)
-> Decoder. The commitment / codebook losses are registered via add_loss and
the trainer subclass tracks reconstruction loss and codebook perplexity.
Uses random "digit-like" images so nothing needs to be downloaded.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

CONFIG = {
    "image_shape": (28, 28, 1),
    "latent_dim": 16,
    "num_embeddings": 64,
    "beta": 0.25,
    "batch_size": 32,
    "num_train": 256,
    "epochs": 2,
    "lr": 1e-3,
}


class VectorQuantizer(layers.Layer):
    def __init__(self, num_embeddings, embedding_dim, beta=0.25, **kwargs):
        super().__init__(**kwargs)
        self.embedding_dim = embedding_dim
        self.num_embeddings = num_embeddings
        self.beta = beta

    def build(self, input_shape):
        if input_shape[-1] != self.embedding_dim:
            raise ValueError(
                f"Expected last dim {self.embedding_dim}, got {input_shape[-1]}"
            )
        w_init = tf.random_uniform_initializer()
        self.embeddings = self.add_weight(
            name="embeddings_vqvae",
            shape=(self.embedding_dim, self.num_embeddings),
            initializer=w_init,
            trainable=True,
        )
        super().build(input_shape)

    def call(self, x):
        input_shape = tf.shape(x)
        flattened = tf.reshape(x, [-1, self.embedding_dim])

        encoding_indices = self.get_code_indices(flattened)
        encodings = tf.one_hot(encoding_indices, self.num_embeddings)
        quantized = tf.matmul(encodings, self.embeddings, transpose_b=True)
        quantized = tf.reshape(quantized, input_shape)

        commitment_loss = tf.reduce_mean((tf.stop_gradient(quantized) - x) ** 2)
        codebook_loss = tf.reduce_mean((quantized - tf.stop_gradient(x)) ** 2)
        self.add_loss(self.beta * commitment_loss + codebook_loss)

        # straight-through estimator
        quantized = x + tf.stop_gradient(quantized - x)
        return quantized

    def get_code_indices(self, flattened_inputs):
        # ||z - e||^2 = ||z||^2 + ||e||^2 - 2 z.e
        similarity = tf.matmul(flattened_inputs, self.embeddings)
        distances = (
            tf.reduce_sum(flattened_inputs ** 2, axis=1, keepdims=True)
            + tf.reduce_sum(self.embeddings ** 2, axis=0)
            - 2 * similarity
        )
        return tf.argmin(distances, axis=1)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_embeddings": self.num_embeddings,
                "embedding_dim": self.embedding_dim,
                "beta": self.beta,
            }
        )
        return config


def get_encoder(latent_dim):
    inputs = keras.Input(shape=CONFIG["image_shape"])
    x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(inputs)
    x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
    outputs = layers.Conv2D(latent_dim, 1, padding="same")(x)
    return keras.Model(inputs, outputs, name="encoder")


def get_decoder(latent_dim):
    latent_inputs = keras.Input(shape=(7, 7, latent_dim))
    x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(latent_inputs)
    x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
    outputs = layers.Conv2DTranspose(1, 3, padding="same")(x)
    return keras.Model(latent_inputs, outputs, name="decoder")


def get_vqvae(latent_dim=16, num_embeddings=64, beta=0.25):
    vq_layer = VectorQuantizer(num_embeddings, latent_dim, beta=beta, name="vector_quantizer")
    encoder = get_encoder(latent_dim)
    decoder = get_decoder(latent_dim)
    inputs = keras.Input(shape=CONFIG["image_shape"])
    encoder_outputs = encoder(inputs)
    quantized_latents = vq_layer(encoder_outputs)
    reconstructions = decoder(quantized_latents)
    return keras.Model(inputs, reconstructions, name="vq_vae")


class VQVAETrainer(keras.models.Model):
    def __init__(self, train_variance, latent_dim=32, num_embeddings=128, beta=0.25, **kwargs):
        super().__init__(**kwargs)
        self.train_variance = train_variance
        self.latent_dim = latent_dim
        self.num_embeddings = num_embeddings

        self.vqvae = get_vqvae(self.latent_dim, self.num_embeddings, beta)

        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.vq_loss_tracker = keras.metrics.Mean(name="vq_loss")
        self.perplexity_tracker = keras.metrics.Mean(name="perplexity")

    @property
    def metrics(self):
        return [
            self.total_loss_tracker,
            self.reconstruction_loss_tracker,
            self.vq_loss_tracker,
            self.perplexity_tracker,
        ]

    def codebook_perplexity(self, x):
        encoder = self.vqvae.get_layer("encoder")
        quantizer = self.vqvae.get_layer("vector_quantizer")
        z = encoder(x)
        flat = tf.reshape(z, [-1, self.latent_dim])
        idx = quantizer.get_code_indices(flat)
        avg_probs = tf.reduce_mean(tf.one_hot(idx, self.num_embeddings), axis=0)
        return tf.exp(-tf.reduce_sum(avg_probs * tf.math.log(avg_probs + 1e-10)))

    def train_step(self, x):
        with tf.GradientTape() as tape:
            reconstructions = self.vqvae(x, training=True)
            reconstruction_loss = (
                tf.reduce_mean((x - reconstructions) ** 2) / self.train_variance
            )
            vq_loss = sum(self.vqvae.losses)
            total_loss = reconstruction_loss + vq_loss

        grads = tape.gradient(total_loss, self.vqvae.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.vqvae.trainable_variables))

        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.vq_loss_tracker.update_state(vq_loss)
        self.perplexity_tracker.update_state(self.codebook_perplexity(x))
        return {m.name: m.result() for m in self.metrics}


def synthetic_digits(n, seed=0):
    """Strokes drawn on a 28x28 canvas -- crude MNIST stand-in scaled to [0,1]."""
    rng = np.random.default_rng(seed)
    imgs = np.zeros((n, 28, 28), dtype="float32")
    for i in range(n):
        for _ in range(rng.integers(1, 4)):
            r0, c0 = rng.integers(4, 24, size=2)
            if rng.random() < 0.5:
                imgs[i, r0, max(0, c0 - 6):c0 + 6] = 1.0
            else:
                imgs[i, max(0, r0 - 6):r0 + 6, c0] = 1.0
    return imgs[..., None]


if __name__ == "__main__":
    x_train = synthetic_digits(CONFIG["num_train"])
    x_train_scaled = x_train - 0.5
    data_variance = float(np.var(x_train))
    print("train:", x_train_scaled.shape, "variance=%.4f" % data_variance)

    trainer = VQVAETrainer(
        data_variance,
        latent_dim=CONFIG["latent_dim"],
        num_embeddings=CONFIG["num_embeddings"],
        beta=CONFIG["beta"],
    )
    trainer.compile(optimizer=keras.optimizers.Adam(CONFIG["lr"]))
    trainer.fit(
        x_train_scaled,
        epochs=CONFIG["epochs"],
        batch_size=CONFIG["batch_size"],
        verbose=2,
    )

    trained_vqvae = trainer.vqvae
    trained_vqvae.summary()

    # Reconstruct a few test images and look at the discrete codes.
    x_test = synthetic_digits(8, seed=1) - 0.5
    recon = trained_vqvae.predict(x_test, verbose=0)
    print("reconstruction MSE:", float(np.mean((recon - x_test) ** 2)))

    encoder = trained_vqvae.get_layer("encoder")
    quantizer = trained_vqvae.get_layer("vector_quantizer")
    encoded_outputs = encoder.predict(x_test, verbose=0)
    flat_enc_outputs = encoded_outputs.reshape(-1, encoded_outputs.shape[-1])
    codebook_indices = quantizer.get_code_indices(flat_enc_outputs)
    codebook_indices = codebook_indices.numpy().reshape(encoded_outputs.shape[:-1])
    print("code map shape:", codebook_indices.shape)
    print("unique codes used:", len(np.unique(codebook_indices)))
