"""VQ-VAE (van den Oord et al. 2017) with a straight-through estimator, written with keras.ops.

Two quantizers are provided:
  * VectorQuantizer     - codebook learned by gradient (codebook + commitment loss)
  * VectorQuantizerEMA  - codebook updated with exponential moving averages (VQ-VAE-2 style)
Both use the straight-through trick  z_q = z_e + stop_gradient(z_q - z_e)
so the decoder's gradient is copied straight to the encoder output.
"""
import numpy as np
import keras
from keras import layers, ops

CONFIG = {
    "image_shape": (28, 28, 1),
    "latent_dim": 16,
    "num_embeddings": 64,
    "beta": 0.25,          # commitment cost
    "ema_decay": 0.99,
    "batch_size": 32,
    "n_train": 256,
    "epochs": 2,
    "quantizer": "ema",    # "ema" | "gradient"
}

keras.utils.set_random_seed(42)


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
            initializer=keras.initializers.RandomUniform(-1.0 / self.num_embeddings,
                                                         1.0 / self.num_embeddings),
            trainable=True,
        )

    def get_code_indices(self, flattened_inputs):
        # ||z - e||^2 = ||z||^2 + ||e||^2 - 2 z.e   for every (z, e) pair
        similarity = ops.matmul(flattened_inputs, self.embeddings)
        distances = (
            ops.sum(flattened_inputs**2, axis=1, keepdims=True)
            + ops.sum(self.embeddings**2, axis=0)
            - 2 * similarity
        )
        return ops.argmin(distances, axis=1)

    def call(self, x):
        input_shape = ops.shape(x)
        flattened = ops.reshape(x, [-1, self.embedding_dim])

        encoding_indices = self.get_code_indices(flattened)
        encodings = ops.one_hot(encoding_indices, self.num_embeddings)
        quantized = ops.matmul(encodings, ops.transpose(self.embeddings))
        quantized = ops.reshape(quantized, input_shape)

        commitment_loss = ops.mean((ops.stop_gradient(quantized) - x) ** 2)
        codebook_loss = ops.mean((quantized - ops.stop_gradient(x)) ** 2)
        self.add_loss(self.beta * commitment_loss + codebook_loss)

        # straight-through estimator
        quantized = x + ops.stop_gradient(quantized - x)
        return quantized

    def get_config(self):
        config = super().get_config()
        config.update(num_embeddings=self.num_embeddings, embedding_dim=self.embedding_dim,
                      beta=self.beta)
        return config


class VectorQuantizerEMA(VectorQuantizer):
    """Codebook is a non-trainable variable updated from cluster statistics."""

    def __init__(self, num_embeddings, embedding_dim, beta=0.25, decay=0.99, epsilon=1e-5, **kwargs):
        super().__init__(num_embeddings, embedding_dim, beta=beta, **kwargs)
        self.decay = decay
        self.epsilon = epsilon

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            name="embeddings_ema",
            shape=(self.embedding_dim, self.num_embeddings),
            initializer="random_normal",
            trainable=False,
        )
        self.ema_cluster_size = self.add_weight(
            name="ema_cluster_size", shape=(self.num_embeddings,), initializer="zeros",
            trainable=False)
        self.ema_dw = self.add_weight(
            name="ema_dw", shape=(self.embedding_dim, self.num_embeddings), trainable=False)
        self.ema_dw.assign(ops.convert_to_tensor(self.embeddings))

    def call(self, x, training=False):
        input_shape = ops.shape(x)
        flattened = ops.reshape(x, [-1, self.embedding_dim])
        encoding_indices = self.get_code_indices(flattened)
        encodings = ops.one_hot(encoding_indices, self.num_embeddings)   # (N, K)
        quantized = ops.matmul(encodings, ops.transpose(self.embeddings))
        quantized = ops.reshape(quantized, input_shape)

        if training:
            d = self.decay
            cluster_size = ops.sum(encodings, axis=0)                    # (K,)
            new_cluster = d * self.ema_cluster_size + (1 - d) * cluster_size
            # Laplace smoothing so dead codes don't divide by zero
            n = ops.sum(new_cluster)
            new_cluster = (new_cluster + self.epsilon) / (n + self.num_embeddings * self.epsilon) * n
            dw = ops.matmul(ops.transpose(flattened), encodings)         # (D, K)
            new_dw = d * self.ema_dw + (1 - d) * dw
            self.ema_cluster_size.assign(new_cluster)
            self.ema_dw.assign(new_dw)
            self.embeddings.assign(new_dw / new_cluster[None, :])

        commitment_loss = ops.mean((ops.stop_gradient(quantized) - x) ** 2)
        self.add_loss(self.beta * commitment_loss)
        return x + ops.stop_gradient(quantized - x)


def get_encoder(latent_dim, image_shape):
    encoder_inputs = keras.Input(shape=image_shape)
    x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
    x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
    encoder_outputs = layers.Conv2D(latent_dim, 1, padding="same")(x)
    return keras.Model(encoder_inputs, encoder_outputs, name="encoder")


def get_decoder(latent_dim, image_shape):
    latent_inputs = keras.Input(shape=(image_shape[0] // 4, image_shape[1] // 4, latent_dim))
    x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(latent_inputs)
    x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
    decoder_outputs = layers.Conv2DTranspose(image_shape[-1], 3, padding="same")(x)
    return keras.Model(latent_inputs, decoder_outputs, name="decoder")


def get_vqvae(cfg):
    if cfg["quantizer"] == "ema":
        vq_layer = VectorQuantizerEMA(cfg["num_embeddings"], cfg["latent_dim"], beta=cfg["beta"],
                                      decay=cfg["ema_decay"], name="vector_quantizer")
    else:
        vq_layer = VectorQuantizer(cfg["num_embeddings"], cfg["latent_dim"], beta=cfg["beta"],
                                   name="vector_quantizer")
    encoder = get_encoder(cfg["latent_dim"], cfg["image_shape"])
    decoder = get_decoder(cfg["latent_dim"], cfg["image_shape"])
    inputs = keras.Input(shape=cfg["image_shape"])
    encoder_outputs = encoder(inputs)
    quantized_latents = vq_layer(encoder_outputs)
    reconstructions = decoder(quantized_latents)
    return keras.Model(inputs, reconstructions, name="vq_vae")


class VQVAETrainer(keras.models.Model):
    def __init__(self, train_variance, cfg, **kwargs):
        super().__init__(**kwargs)
        self.train_variance = train_variance
        self.cfg = cfg
        self.vqvae = get_vqvae(cfg)

        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.vq_loss_tracker = keras.metrics.Mean(name="vq_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.vq_loss_tracker]

    def call(self, x, training=False):
        return self.vqvae(x, training=training)

    def train_step(self, x):
        import tensorflow as tf  # train_step is backend specific

        with tf.GradientTape() as tape:
            reconstructions = self.vqvae(x, training=True)
            # normalise by data variance as in the paper's CIFAR experiments
            reconstruction_loss = ops.mean((x - reconstructions) ** 2) / self.train_variance
            vq_loss = ops.sum(self.vqvae.losses)
            total_loss = reconstruction_loss + vq_loss

        grads = tape.gradient(total_loss, self.vqvae.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.vqvae.trainable_variables))

        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.vq_loss_tracker.update_state(vq_loss)
        return {m.name: m.result() for m in self.metrics}


def codebook_stats(encoder, quantizer, images, num_embeddings):
    """Codebook usage and perplexity exp(H(p(k)))."""
    z_e = encoder.predict(images, verbose=0)
    flat = z_e.reshape(-1, z_e.shape[-1])
    codes = ops.convert_to_numpy(quantizer.get_code_indices(flat))
    counts = np.bincount(codes, minlength=num_embeddings).astype("float64")
    probs = counts / counts.sum()
    perplexity = np.exp(-np.sum(probs * np.log(probs + 1e-10)))
    return codes.reshape(z_e.shape[:-1]), int((counts > 0).sum()), float(perplexity)


def make_images(n, shape):
    rng = np.random.default_rng(0)
    h, w, c = shape
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    freq = rng.uniform(1, 4, size=(n, 1, 1))
    phase = rng.uniform(0, np.pi, size=(n, 1, 1))
    imgs = 0.5 + 0.5 * np.sin(2 * np.pi * freq * (xx + yy)[None] + phase)
    return imgs[..., None].astype("float32") - 0.5  # centred like the keras.io MNIST example


if __name__ == "__main__":
    x_train = make_images(CONFIG["n_train"], CONFIG["image_shape"])
    data_variance = float(np.var(x_train))
    print("x_train:", x_train.shape, "variance:", round(data_variance, 4))

    trainer = VQVAETrainer(data_variance, CONFIG)
    trainer.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3))
    trainer.fit(x_train, epochs=CONFIG["epochs"], batch_size=CONFIG["batch_size"], verbose=2)
    trainer.vqvae.summary()

    encoder = trainer.vqvae.get_layer("encoder")
    quantizer = trainer.vqvae.get_layer("vector_quantizer")
    test_images = x_train[:16]
    code_map, used, perplexity = codebook_stats(encoder, quantizer, test_images,
                                                CONFIG["num_embeddings"])
    print(f"code map {code_map.shape}, codes used {used}/{CONFIG['num_embeddings']}, "
          f"perplexity {perplexity:.2f}")

    recon = trainer.predict(test_images, verbose=0)
    mse = np.mean((recon - test_images) ** 2)
    print("reconstruction MSE on 16 images:", round(float(mse), 5))

    # decode straight from discrete codes (what a PixelCNN prior would sample)
    decoder = trainer.vqvae.get_layer("decoder")
    codebook = ops.transpose(quantizer.embeddings)                  # (K, D)
    z_q = ops.take(codebook, ops.convert_to_tensor(code_map), axis=0)  # (B, 7, 7, D)
    decoded = decoder(z_q)
    print("decoded from codes:", tuple(decoded.shape))
