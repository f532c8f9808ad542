"""VQ-VAE on 28x28 grayscale images (synthetic stand-in for MNIST).

The vector quantizer flattens encoder outputs, computes squared L2 distances
to every codebook entry with a single matmul, picks the nearest code with
argmin, and looks it up through a one-hot matmul. Gradients flow with the
straight-through estimator.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

LATENT_DIM = 16
NUM_EMBEDDINGS = 64
BETA = 0.25
IMG_SHAPE = (28, 28, 1)


class VectorQuantizer(layers.Layer):
    def __init__(self, num_embeddings, embedding_dim, beta=0.25, **kwargs):
        super().__init__(**kwargs)
        self.embedding_dim = embedding_dim
        self.num_embeddings = num_embeddings
        self.beta = beta

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            name="embeddings_vqvae",
            shape=(self.embedding_dim, self.num_embeddings),
            initializer=keras.initializers.RandomUniform(-1.0, 1.0),
            trainable=True,
        )

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
        return x + tf.stop_gradient(quantized - x)

    def get_code_indices(self, flattened_inputs):
        similarity = tf.matmul(flattened_inputs, self.embeddings)
        distances = (
            tf.reduce_sum(flattened_inputs ** 2, axis=1, keepdims=True)
            + tf.reduce_sum(self.embeddings ** 2, axis=0)
            - 2 * similarity
        )
        return tf.argmin(distances, axis=1)


def get_encoder(latent_dim=LATENT_DIM):
    inputs = keras.Input(shape=IMG_SHAPE)
    x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(inputs)
    x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
    outputs = layers.Conv2D(latent_dim, 1, padding="same")(x)
    return keras.Model(inputs, outputs, name="encoder")


def get_decoder(latent_dim=LATENT_DIM):
    inputs = keras.Input(shape=get_encoder(latent_dim).output.shape[1:])
    x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(inputs)
    x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
    outputs = layers.Conv2DTranspose(1, 3, padding="same")(x)
    return keras.Model(inputs, outputs, name="decoder")


def get_vqvae(latent_dim=LATENT_DIM, num_embeddings=NUM_EMBEDDINGS):
    vq_layer = VectorQuantizer(num_embeddings, latent_dim, beta=BETA, name="vector_quantizer")
    encoder = get_encoder(latent_dim)
    decoder = get_decoder(latent_dim)
    inputs = keras.Input(shape=IMG_SHAPE)
    encoder_outputs = encoder(inputs)
    quantized_latents = vq_layer(encoder_outputs)
    reconstructions = decoder(quantized_latents)
    return keras.Model(inputs, reconstructions, name="vq_vae")


class VQVAETrainer(keras.Model):
    def __init__(self, train_variance, latent_dim=32, num_embeddings=128, **kwargs):
        super().__init__(**kwargs)
        self.train_variance = train_variance
        self.vqvae = get_vqvae(latent_dim, num_embeddings)
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.vq_loss_tracker = keras.metrics.Mean(name="vq_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.vq_loss_tracker]

    def call(self, x, training=False):
        return self.vqvae(x, training=training)

    def train_step(self, x):
        with tf.GradientTape() as tape:
            reconstructions = self.vqvae(x, training=True)
            reconstruction_loss = (
                tf.reduce_mean((x - reconstructions) ** 2) / self.train_variance
            )
            vq_loss = tf.add_n(self.vqvae.losses)
            total_loss = reconstruction_loss + vq_loss

        grads = tape.gradient(total_loss, self.vqvae.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.vqvae.trainable_variables))

        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.vq_loss_tracker.update_state(vq_loss)
        return {m.name: m.result() for m in self.metrics}


def synthetic_digits(n, seed=0):
    """Blurry strokes on a 28x28 canvas, roughly MNIST-like statistics."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:28, 0:28]
    imgs = np.zeros((n, 28, 28), dtype="float32")
    for i in range(n):
        for _ in range(rng.integers(2, 5)):
            cx, cy = rng.uniform(6, 22, size=2)
            sx, sy = rng.uniform(1.0, 4.0, size=2)
            imgs[i] += np.exp(-((xx - cx) ** 2 / (2 * sx ** 2) + (yy - cy) ** 2 / (2 * sy ** 2)))
    imgs = np.clip(imgs, 0, 1)
    return imgs[..., None]


x_train = synthetic_digits(512)
x_test = synthetic_digits(16, seed=1)
x_train_scaled = x_train - 0.5
x_test_scaled = x_test - 0.5
data_variance = float(np.var(x_train))

get_vqvae().summary()

vqvae_trainer = VQVAETrainer(data_variance, latent_dim=LATENT_DIM, num_embeddings=NUM_EMBEDDINGS)
vqvae_trainer.compile(optimizer=keras.optimizers.Adam())
vqvae_trainer.fit(x_train_scaled, epochs=2, batch_size=64, verbose=2)

# Reconstructions
trained_vqvae_model = vqvae_trainer.vqvae
reconstructions_test = trained_vqvae_model.predict(x_test_scaled, verbose=0)
mse = np.mean((reconstructions_test - x_test_scaled) ** 2)
print("test reconstruction mse:", round(float(mse), 5))

# Discrete codes, the input a PixelCNN prior would be trained on
encoder = trained_vqvae_model.get_layer("encoder")
quantizer = trained_vqvae_model.get_layer("vector_quantizer")
encoded_outputs = encoder.predict(x_test_scaled, verbose=0)
flat_enc_outputs = encoded_outputs.reshape(-1, encoded_outputs.shape[-1])
codebook_indices = quantizer.get_code_indices(flat_enc_outputs)
codebook_indices = tf.reshape(codebook_indices, encoded_outputs.shape[:-1]).numpy()
print("code map shape:", codebook_indices.shape,
      "unique codes used:", len(np.unique(codebook_indices)))

# Decode a random grid of codes back to pixels
rand_codes = np.random.randint(0, NUM_EMBEDDINGS, size=(4,) + codebook_indices.shape[1:])
one_hot = tf.one_hot(rand_codes.reshape(-1), NUM_EMBEDDINGS)
quantized = tf.matmul(one_hot, quantizer.embeddings, transpose_b=True)
quantized = tf.reshape(quantized, (-1, *encoded_outputs.shape[1:]))
generated = trained_vqvae_model.get_layer("decoder").predict(quantized, verbose=0)
print("generated samples:", generated.shape)
