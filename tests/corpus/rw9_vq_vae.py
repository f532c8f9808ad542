"""
VQ-VAE on tiny random "MNIST-like" images.

Custom VectorQuantizer layer (codebook lookup via argmin of squared distances,
straight-through estimator for the gradients), encoder/decoder built with the
functional API, and a VQVAETrainer subclassed model with a custom train_step.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMG = 28
LATENT_DIM = 16
NUM_EMBEDDINGS = 64


class VectorQuantizer(layers.Layer):
    def __init__(self, num_embeddings, embedding_dim, beta=0.25, **kwargs):
        super().__init__(**kwargs)
        self.embedding_dim = embedding_dim
        self.num_embeddings = num_embeddings
        self.beta = beta  # commitment cost

    def build(self, input_shape):
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
        similarity = tf.matmul(flattened_inputs, self.embeddings)
        distances = (
            tf.reduce_sum(flattened_inputs ** 2, axis=1, keepdims=True)
            + tf.reduce_sum(self.embeddings ** 2, axis=0)
            - 2 * similarity
        )
        return tf.argmin(distances, axis=1)


def get_encoder(latent_dim=LATENT_DIM):
    enc_in = keras.Input(shape=(IMG, IMG, 1))
    x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(enc_in)
    x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
    enc_out = layers.Conv2D(latent_dim, 1, padding="same")(x)
    return keras.Model(enc_in, enc_out, name="encoder")


def get_decoder(latent_dim=LATENT_DIM):
    latent_inputs = keras.Input(shape=get_encoder(latent_dim).output.shape[1:])
    x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(latent_inputs)
    x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
    dec_out = layers.Conv2DTranspose(1, 3, padding="same")(x)
    return keras.Model(latent_inputs, dec_out, name="decoder")


def get_vqvae(latent_dim=LATENT_DIM, num_embeddings=NUM_EMBEDDINGS):
    vq_layer = VectorQuantizer(num_embeddings, latent_dim, name="vector_quantizer")
    encoder = get_encoder(latent_dim)
    decoder = get_decoder(latent_dim)
    inputs = keras.Input(shape=(IMG, IMG, 1))
    encoder_outputs = encoder(inputs)
    quantized_latents = vq_layer(encoder_outputs)
    reconstructions = decoder(quantized_latents)
    return keras.Model(inputs, reconstructions, name="vq_vae")


class VQVAETrainer(keras.models.Model):
    def __init__(self, train_variance, latent_dim=LATENT_DIM, num_embeddings=NUM_EMBEDDINGS, **kwargs):
        super().__init__(**kwargs)
        self.train_variance = train_variance
        self.latent_dim = latent_dim
        self.num_embeddings = num_embeddings
        self.vqvae = get_vqvae(self.latent_dim, self.num_embeddings)

        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.vq_loss_tracker = keras.metrics.Mean(name="vq_loss")

    @property
    def metrics(self):
        return [
            self.total_loss_tracker,
            self.reconstruction_loss_tracker,
            self.vq_loss_tracker,
        ]

    def call(self, x):
        return self.vqvae(x)

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
        return {m.name: m.result() for m in self.metrics}


if __name__ == "__main__":
    x_train = np.random.rand(64, IMG, IMG, 1).astype("float32")
    x_train_scaled = x_train - 0.5
    data_variance = np.var(x_train)

    vqvae_trainer = VQVAETrainer(data_variance, latent_dim=LATENT_DIM, num_embeddings=NUM_EMBEDDINGS)
    vqvae_trainer.compile(optimizer=keras.optimizers.Adam())
    vqvae_trainer.fit(x_train_scaled, epochs=1, batch_size=16, verbose=2)

    trained_vqvae_model = vqvae_trainer.vqvae
    trained_vqvae_model.summary()

    idx = np.random.choice(len(x_train_scaled), 4)
    test_images = x_train_scaled[idx]
    reconstructions_test = trained_vqvae_model.predict(test_images, verbose=0)
    print("recon shape:", reconstructions_test.shape)

    # look at the discrete codes
    encoder = trained_vqvae_model.get_layer("encoder")
    quantizer = trained_vqvae_model.get_layer("vector_quantizer")
    encoded_outputs = encoder.predict(test_images, verbose=0)
    flat_enc_outputs = encoded_outputs.reshape(-1, encoded_outputs.shape[-1])
    codebook_indices = quantizer.get_code_indices(flat_enc_outputs)
    codebook_indices = codebook_indices.numpy().reshape(encoded_outputs.shape[:-1])
    print("codes:", codebook_indices.shape, "unique:", len(np.unique(codebook_indices)))
