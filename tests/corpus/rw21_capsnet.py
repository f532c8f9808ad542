"""CapsNet with dynamic routing-by-agreement (Sabour et al., 2017), shrunk.

Synthetic task: 20x20 grayscale images containing an oriented bar
(horizontal, vertical, diagonal, anti-diagonal) at a random offset.
Primary capsules come from a strided conv; digit capsules are obtained
with einsum-based transformation matrices and 3 routing iterations.
Training uses the margin loss; a small masked decoder adds reconstruction.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

IMG = 20
NUM_CLASSES = 4
PRIMARY_CAPS_DIM = 8
PRIMARY_CHANNELS = 8
DIGIT_CAPS_DIM = 12
ROUTING_ITERS = 3
M_PLUS, M_MINUS, LAMBDA = 0.9, 0.1, 0.5
RECON_WEIGHT = 0.0005
EPS = 1e-7


def draw_bar(kind, rng):
    img = np.zeros((IMG, IMG), np.float32)
    L = rng.integers(8, 14)
    r0, c0 = rng.integers(3, IMG - 3, size=2)
    t = np.arange(L) - L // 2
    if kind == 0:
        rr, cc = np.full_like(t, r0), c0 + t
    elif kind == 1:
        rr, cc = r0 + t, np.full_like(t, c0)
    elif kind == 2:
        rr, cc = r0 + t, c0 + t
    else:
        rr, cc = r0 + t, c0 - t
    ok = (rr >= 0) & (rr < IMG) & (cc >= 0) & (cc < IMG)
    img[rr[ok], cc[ok]] = 1.0
    return img


def make_data(n, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, NUM_CLASSES, size=n)
    x = np.stack([draw_bar(k, rng) for k in y])
    x += rng.normal(0, 0.05, size=x.shape).astype(np.float32)
    return np.clip(x, 0, 1)[..., None], y


def squash(s, axis=-1):
    sq_norm = tf.reduce_sum(tf.square(s), axis=axis, keepdims=True)
    scale = sq_norm / (1.0 + sq_norm) / tf.sqrt(sq_norm + EPS)
    return scale * s


class PrimaryCaps(layers.Layer):
    def __init__(self, channels, dim, kernel_size=5, strides=2, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.conv = layers.Conv2D(channels * dim, kernel_size, strides=strides, padding="valid")

    def call(self, x):
        h = self.conv(x)
        b = tf.shape(h)[0]
        caps = tf.reshape(h, (b, -1, self.dim))  # (B, num_caps, dim)
        return squash(caps)


class DigitCaps(layers.Layer):
    """Routing-by-agreement between input capsules i and output capsules j."""

    def __init__(self, num_caps, dim, iterations=3, **kwargs):
        super().__init__(**kwargs)
        self.num_caps = num_caps
        self.dim = dim
        self.iterations = iterations

    def build(self, input_shape):
        self.in_caps = input_shape[1]
        in_dim = input_shape[2]
        self.W = self.add_weight(
            name="W",
            shape=(self.in_caps, self.num_caps, self.dim, in_dim),
            initializer=keras.initializers.RandomNormal(stddev=0.05),
        )

    def call(self, u):
        # u: (B, I, d_in) -> u_hat: (B, I, J, d_out)
        u_hat = tf.einsum("ijod,bid->bijo", self.W, u)
        u_hat_stopped = tf.stop_gradient(u_hat)
        logits = tf.zeros_like(u_hat[..., 0])  # (B, I, J)
        for it in range(self.iterations):
            c = tf.nn.softmax(logits, axis=2)
            if it == self.iterations - 1:
                s = tf.einsum("bij,bijo->bjo", c, u_hat)
                v = squash(s)
            else:
                s = tf.einsum("bij,bijo->bjo", c, u_hat_stopped)
                v = squash(s)
                logits += tf.einsum("bijo,bjo->bij", u_hat_stopped, v)
        return v  # (B, J, d_out)


class CapsLength(layers.Layer):
    def call(self, v):
        return tf.sqrt(tf.reduce_sum(tf.square(v), axis=-1) + EPS)


class MaskCaps(layers.Layer):
    """Keeps only the capsule of the true (train) or predicted (test) class."""

    def call(self, v, labels=None):
        if labels is None:
            lengths = tf.norm(v, axis=-1)
            labels = tf.argmax(lengths, axis=-1)
        mask = tf.one_hot(tf.cast(labels, tf.int32), depth=tf.shape(v)[1])
        masked = v * mask[..., None]
        return tf.reshape(masked, (tf.shape(v)[0], -1))


def margin_loss(y_true, lengths):
    y = tf.one_hot(tf.cast(tf.reshape(y_true, [-1]), tf.int32), NUM_CLASSES)
    present = y * tf.square(tf.maximum(0.0, M_PLUS - lengths))
    absent = LAMBDA * (1 - y) * tf.square(tf.maximum(0.0, lengths - M_MINUS))
    return tf.reduce_mean(tf.reduce_sum(present + absent, axis=-1))


class CapsNet(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = layers.Conv2D(32, 5, activation="relu")
        self.primary = PrimaryCaps(PRIMARY_CHANNELS, PRIMARY_CAPS_DIM)
        self.digit = DigitCaps(NUM_CLASSES, DIGIT_CAPS_DIM, ROUTING_ITERS)
        self.length = CapsLength()
        self.mask = MaskCaps()
        self.decoder = keras.Sequential(
            [
                layers.Dense(64, activation="relu"),
                layers.Dense(IMG * IMG, activation="sigmoid"),
                layers.Reshape((IMG, IMG, 1)),
            ],
            name="decoder",
        )

    def call(self, x, labels=None, training=False):
        v = self.digit(self.primary(self.conv1(x)))
        recon = self.decoder(self.mask(v, labels))
        return self.length(v), recon

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            lengths, recon = self(x, labels=y, training=True)
            m_loss = margin_loss(y, lengths)
            r_loss = tf.reduce_mean(tf.reduce_sum(tf.square(x - recon), axis=[1, 2, 3]))
            loss = m_loss + RECON_WEIGHT * r_loss
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        acc = tf.reduce_mean(
            tf.cast(tf.equal(tf.argmax(lengths, -1), tf.cast(y, tf.int64)), tf.float32)
        )
        return {"loss": loss, "margin": m_loss, "recon": r_loss, "acc": acc}


def main():
    keras.utils.set_random_seed(3)
    x_train, y_train = make_data(256, seed=0)
    x_test, y_test = make_data(64, seed=1)
    print("train:", x_train.shape, np.bincount(y_train))

    model = CapsNet()
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit(x_train, y_train, batch_size=32, epochs=1, verbose=2)

    lengths, recon = model(x_test, training=False)
    preds = tf.argmax(lengths, axis=-1).numpy()
    print("test acc:", (preds == y_test).mean())
    print("capsule lengths (first 4):\n", np.round(lengths.numpy()[:4], 3))
    print("recon mse:", float(tf.reduce_mean(tf.square(recon - x_test))))


if __name__ == "__main__":
    main()
