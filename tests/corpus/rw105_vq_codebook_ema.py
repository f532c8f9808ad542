from tensorflow import keras
from tensorflow.keras import layers
import numpy as np
import tensorflow as tf

ops = keras.ops

# VQ-VAE on tiny synthetic blob images. The codebook is a non-trainable
# variable updated with exponential moving averages inside train_step;
# cluster sums use ops.segment_sum, lookups use ops.take.

IMG_SIZE = 12
LATENT_DIM = 8
NUM_CODES = 32
DECAY = 0.95
BETA = 0.25
N_IMAGES = 384


def blob_images(n, size=IMG_SIZE, seed=3):
    r = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype("float32")
    out = np.zeros((n, size, size, 1), "float32")
    for i in range(n):
        for _ in range(r.randint(1, 4)):
            cy, cx = r.uniform(2, size - 2, 2)
            s = r.uniform(1.0, 2.5)
            out[i, :, :, 0] += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
    return np.clip(out, 0, 1)


class VectorQuantizerEMA(layers.Layer):
    def __init__(self, num_codes, dim, decay=0.99, eps=1e-5, **kw):
        super().__init__(**kw)
        self.num_codes = num_codes
        self.dim = dim
        self.decay = decay
        self.eps = eps

    def build(self, input_shape):
        assert input_shape[-1] == self.dim, input_shape
        init = keras.initializers.RandomUniform(-1.0, 1.0)
        self.codebook = self.add_weight(name="codebook", shape=(self.num_codes, self.dim),
                                        initializer=init, trainable=False)
        self.ema_count = self.add_weight(name="ema_count", shape=(self.num_codes,),
                                         initializer="ones", trainable=False)
        self.ema_sum = self.add_weight(name="ema_sum", shape=(self.num_codes, self.dim),
                                       initializer=init, trainable=False)

    def codes_for(self, z):
        flat = ops.reshape(z, (-1, self.dim))
        d = (ops.sum(flat ** 2, axis=1, keepdims=True)
             - 2.0 * ops.matmul(flat, ops.transpose(self.codebook))
             + ops.sum(self.codebook ** 2, axis=1)[None, :])
        return flat, ops.argmin(d, axis=1)

    def call(self, z):
        flat, idx = self.codes_for(z)
        q = ops.reshape(ops.take(self.codebook, idx, axis=0), ops.shape(z))
        # straight-through estimator
        q_st = z + ops.stop_gradient(q - z)
        return q_st, q, idx

    def ema_update(self, z):
        flat, idx = self.codes_for(ops.stop_gradient(z))
        counts = ops.sum(ops.one_hot(idx, self.num_codes), axis=0)
        sums = ops.segment_sum(flat, idx, num_segments=self.num_codes)
        self.ema_count.assign(self.decay * self.ema_count + (1 - self.decay) * counts)
        self.ema_sum.assign(self.decay * self.ema_sum + (1 - self.decay) * sums)
        n = ops.sum(self.ema_count)
        smoothed = (self.ema_count + self.eps) / (n + self.num_codes * self.eps) * n
        self.codebook.assign(self.ema_sum / smoothed[:, None])
        return counts

    def get_config(self):
        c = super().get_config()
        c.update(num_codes=self.num_codes, dim=self.dim, decay=self.decay, eps=self.eps)
        return c


def encoder(latent_dim):
    return keras.Sequential([
        layers.Input((IMG_SIZE, IMG_SIZE, 1)),
        layers.Conv2D(16, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.Conv2D(latent_dim, 1),
    ], name="encoder")


def decoder(latent_dim):
    return keras.Sequential([
        layers.Input((IMG_SIZE // 2, IMG_SIZE // 2, latent_dim)),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2D(1, 3, padding="same", activation="sigmoid"),
    ], name="decoder")


class VQVAE(keras.Model):
    def __init__(self, latent_dim=LATENT_DIM, num_codes=NUM_CODES, decay=DECAY, beta=BETA, **kw):
        super().__init__(**kw)
        self.latent_dim, self.num_codes, self.decay, self.beta = latent_dim, num_codes, decay, beta
        self.enc = encoder(latent_dim)
        self.vq = VectorQuantizerEMA(num_codes, latent_dim, decay, name="vq")
        self.dec = decoder(latent_dim)
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for name in ["loss", "recon", "commit", "perplexity"]}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, x, training=False):
        z = self.enc(x, training=training)
        q_st, _, _ = self.vq(z)
        return self.dec(q_st, training=training)

    def train_step(self, x):
        with tf.GradientTape() as tape:
            z = self.enc(x, training=True)
            q_st, q, _ = self.vq(z)
            x_hat = self.dec(q_st, training=True)
            recon = ops.mean(ops.square(x - x_hat))
            commit = ops.mean(ops.square(z - ops.stop_gradient(q)))
            loss = recon + self.beta * commit
        variables = self.enc.trainable_variables + self.dec.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

        counts = self.vq.ema_update(z)
        p = counts / ops.sum(counts)
        perplexity = ops.exp(-ops.sum(p * ops.log(p + 1e-10)))
        for name, value in zip(["loss", "recon", "commit", "perplexity"],
                               [loss, recon, commit, perplexity]):
            self.trackers[name].update_state(value)
        return {k: t.result() for k, t in self.trackers.items()}

    def get_config(self):
        return dict(super().get_config(), latent_dim=self.latent_dim, num_codes=self.num_codes,
                    decay=self.decay, beta=self.beta)


images = blob_images(N_IMAGES)
ds = tf.data.Dataset.from_tensor_slices(images).shuffle(N_IMAGES, seed=0).batch(32, drop_remainder=True)

tf.keras.utils.set_random_seed(0)
vqvae = VQVAE()
vqvae.compile(optimizer=keras.optimizers.Adam(learning_rate=2e-3))
vqvae.fit(ds, epochs=2, verbose=2)

# code usage on the full set
z_all = vqvae.enc.predict(images, batch_size=128, verbose=0)
_, idx_all = vqvae.vq.codes_for(z_all)
usage = np.bincount(ops.convert_to_numpy(idx_all), minlength=NUM_CODES)
print("codes used: %d / %d" % ((usage > 0).sum(), NUM_CODES))
print("top-5 codes:", ops.convert_to_numpy(ops.top_k(ops.convert_to_tensor(usage), k=5)[1]).tolist())

recon = vqvae.predict(images[:16], verbose=0)
print("recon mse on 16 samples: %.4f" % float(np.mean((recon - images[:16]) ** 2)))

# rebuild from config and copy weights
twin = VQVAE.from_config(vqvae.get_config())
twin(images[:1])
twin.set_weights(vqvae.get_weights())
print("twin matches:", np.allclose(twin.predict(images[:4], verbose=0), vqvae.predict(images[:4], verbose=0)))
