"""VQ-VAE with a custom VectorQuantizer layer (codebook + straight-through).

The quantizer adds the codebook and commitment losses with self.add_loss(),
so the whole thing trains with a plain model.fit(x, x, loss="mse").
Afterwards we look at codebook usage / perplexity and decode random codes.
"""
import numpy as np
import tensorflow as tf
import keras
from tensorflow.keras import layers

# ---------------------------------------------------------------------------
NUM_EMBEDDINGS = 32    # codebook size K
EMBEDDING_DIM = 16     # D
COMMITMENT_COST = 0.25
IMAGE_SHAPE = (24, 24, 1)
N_IMAGES = 384
BATCH_SIZE = 48
EPOCHS = 2
# ---------------------------------------------------------------------------

tf.random.set_seed(11)
rng = np.random.default_rng(11)


def stripes_and_checks(n):
    """Random stripes / checkerboards with random period and phase."""
    h, w, _ = IMAGE_SHAPE
    yy, xx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    out = np.empty((n, h, w), dtype=np.float32)
    for i in range(n):
        period = rng.integers(3, 8)
        phase = rng.integers(0, period)
        pattern = rng.integers(0, 3)
        if pattern == 0:
            img = ((yy + phase) // period) % 2
        elif pattern == 1:
            img = ((xx + phase) // period) % 2
        else:
            img = (((yy + phase) // period) + ((xx + phase) // period)) % 2
        out[i] = img
    return out[..., None]


class VectorQuantizer(layers.Layer):
    def __init__(self, num_embeddings, embedding_dim, beta=COMMITMENT_COST, **kwargs):
        super().__init__(**kwargs)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.beta = beta

    def build(self, input_shape):
        self.codebook = self.add_weight(
            name="codebook",
            shape=(self.embedding_dim, self.num_embeddings),
            initializer=keras.initializers.RandomUniform(-1.0 / self.num_embeddings,
                                                         1.0 / self.num_embeddings),
            trainable=True,
        )

    def get_code_indices(self, flat_inputs):
        # ||z - e||^2 = ||z||^2 + ||e||^2 - 2 z.e
        similarity = tf.matmul(flat_inputs, self.codebook)
        distances = (
            tf.reduce_sum(flat_inputs ** 2, axis=1, keepdims=True)
            + tf.reduce_sum(self.codebook ** 2, axis=0)
            - 2.0 * similarity
        )
        return tf.argmin(distances, axis=1)

    def lookup(self, indices):
        # indices: any int shape -> (..., D)
        return tf.nn.embedding_lookup(tf.transpose(self.codebook), indices)

    def call(self, x):
        input_shape = tf.shape(x)
        flat = tf.reshape(x, (-1, self.embedding_dim))
        idx = self.get_code_indices(flat)
        one_hot = tf.one_hot(idx, self.num_embeddings)
        quantized = tf.matmul(one_hot, self.codebook, transpose_b=True)
        quantized = tf.reshape(quantized, input_shape)

        commitment_loss = tf.reduce_mean((tf.stop_gradient(quantized) - x) ** 2)
        codebook_loss = tf.reduce_mean((quantized - tf.stop_gradient(x)) ** 2)
        self.add_loss(self.beta * commitment_loss + codebook_loss)

        # straight-through estimator: copy gradients from quantized to x
        return x + tf.stop_gradient(quantized - x)

    def get_config(self):
        config = super().get_config()
        config.update(num_embeddings=self.num_embeddings,
                      embedding_dim=self.embedding_dim, beta=self.beta)
        return config


def get_encoder():
    inputs = keras.Input(shape=IMAGE_SHAPE)
    x = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(inputs)   # 12
    x = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(x)        # 6
    x = layers.Conv2D(EMBEDDING_DIM, 1, padding="same")(x)
    return keras.Model(inputs, x, name="encoder")


def get_decoder(latent_hw):
    latent = keras.Input(shape=(*latent_hw, EMBEDDING_DIM))
    x = layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu")(latent)
    x = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)
    return keras.Model(latent, x, name="decoder")


encoder = get_encoder()
latent_hw = tuple(encoder.output.shape[1:3])
decoder = get_decoder(latent_hw)
vq = VectorQuantizer(NUM_EMBEDDINGS, EMBEDDING_DIM, name="vector_quantizer")

inp = keras.Input(shape=IMAGE_SHAPE)
vqvae = keras.Model(inp, decoder(vq(encoder(inp))), name="vq_vae")
vqvae.summary()

data = stripes_and_checks(N_IMAGES)
variance = float(np.var(data))
print(f"data {data.shape}, variance {variance:.3f}, latent grid {latent_hw}")

train = tf.data.Dataset.from_tensor_slices((data, data)).shuffle(N_IMAGES).batch(BATCH_SIZE)

vqvae.compile(optimizer=keras.optimizers.Adam(2e-3), loss="mse")
hist = vqvae.fit(train, epochs=EPOCHS, verbose=2)
print("losses:", [f"{l:.4f}" for l in hist.history["loss"]])

# ---- codebook usage -------------------------------------------------------
z_e = encoder.predict(data, batch_size=128, verbose=0)
codes = vq.get_code_indices(tf.reshape(z_e, (-1, EMBEDDING_DIM))).numpy()
counts = np.bincount(codes, minlength=NUM_EMBEDDINGS)
probs = counts / counts.sum()
perplexity = float(np.exp(-np.sum(probs * np.log(probs + 1e-10))))
print(f"codes used: {(counts > 0).sum()}/{NUM_EMBEDDINGS}, perplexity {perplexity:.2f}")
top = np.argsort(counts)[::-1][:5]
print("most frequent codes:", {int(k): int(counts[k]) for k in top})

# ---- decode a grid of random code indices (what a PixelCNN prior would emit)
random_idx = rng.choice(NUM_EMBEDDINGS, size=(4, *latent_hw), p=probs)
z_q = vq.lookup(tf.constant(random_idx, dtype=tf.int32))
decoded = decoder.predict(z_q, verbose=0)
print("decoded from random codes:", decoded.shape, f"mean={decoded.mean():.3f}")
