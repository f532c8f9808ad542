"""
Mixture density network on the classic inverted-sinusoid problem
(x as a function of y is multi-valued, so a single Gaussian fails).

Custom subclassed model + hand written tf.function training loop.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras

N_COMPONENTS = 5
N_SAMPLES = 500
BATCH_SIZE = 50
LEARNING_RATE = 2e-3
EPOCHS = 2
LOG_2PI = float(np.log(2.0 * np.pi))

np.random.seed(0)
tf.random.set_seed(0)


def inverted_sinusoid(n):
    y = np.random.uniform(-10.5, 10.5, size=(n, 1))
    r = np.random.normal(size=(n, 1))
    x = 7.0 * np.sin(0.75 * y) + 0.5 * y + r
    # swap roles: we predict y from x -> one-to-many mapping
    return (x / 10.0).astype(np.float32), (y / 10.0).astype(np.float32)


class MixtureHead(keras.layers.Layer):
    def __init__(self, k, **kwargs):
        super().__init__(**kwargs)
        self.k = k
        self.logits = keras.layers.Dense(k, name="pi_logits")
        self.mu = keras.layers.Dense(k, name="mu")
        self.log_sigma = keras.layers.Dense(k, name="log_sigma")

    def call(self, h):
        log_sigma = tf.clip_by_value(self.log_sigma(h), -7.0, 5.0)
        return self.logits(h), self.mu(h), log_sigma

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"k": self.k})
        return cfg


class MDN(keras.Model):
    def __init__(self, hidden_units=(48, 48), k=N_COMPONENTS, **kwargs):
        super().__init__(**kwargs)
        self.trunk = [keras.layers.Dense(u, activation="tanh") for u in hidden_units]
        self.head = MixtureHead(k)

    def call(self, x):
        h = x
        for layer in self.trunk:
            h = layer(h)
        return self.head(h)


def mdn_nll(y, logits, mu, log_sigma):
    # y: [B, 1] broadcast against [B, K]
    z = (y - mu) / tf.exp(log_sigma)
    comp_logp = -0.5 * tf.square(z) - log_sigma - 0.5 * LOG_2PI
    log_mix = tf.nn.log_softmax(logits, axis=-1)
    return -tf.reduce_mean(tf.reduce_logsumexp(log_mix + comp_logp, axis=-1))


def sample_mdn(logits, mu, log_sigma, n_draws=1):
    """Draw samples from the mixture, fully vectorised with tf ops."""
    comp = tf.random.categorical(logits, n_draws)              # [B, n_draws]
    mu_sel = tf.gather(mu, comp, batch_dims=1)
    sig_sel = tf.gather(tf.exp(log_sigma), comp, batch_dims=1)
    return mu_sel + sig_sel * tf.random.normal(tf.shape(mu_sel))


model = MDN()
optimizer = keras.optimizers.Adam(LEARNING_RATE)
train_loss = keras.metrics.Mean(name="train_nll")


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits, mu, log_sigma = model(x, training=True)
        loss = mdn_nll(y, logits, mu, log_sigma)
    grads = tape.gradient(loss, model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 5.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    train_loss.update_state(loss)
    return loss


@tf.function
def eval_step(x, y):
    logits, mu, log_sigma = model(x, training=False)
    return mdn_nll(y, logits, mu, log_sigma)


def main():
    x, y = inverted_sinusoid(N_SAMPLES)
    n_val = N_SAMPLES // 5
    train_ds = (tf.data.Dataset.from_tensor_slices((x[n_val:], y[n_val:]))
                .shuffle(1000).batch(BATCH_SIZE, drop_remainder=True))

    for epoch in range(EPOCHS):
        train_loss.reset_state()
        for step, (xb, yb) in enumerate(train_ds):
            loss = train_step(xb, yb)
            if step % 4 == 0:
                print(f"  epoch {epoch} step {step:02d} nll={float(loss):.4f}")
        val = eval_step(tf.constant(x[:n_val]), tf.constant(y[:n_val]))
        print(f"epoch {epoch}: train_nll={train_loss.result():.4f} val_nll={float(val):.4f}")

    # inspect the mixture on a grid
    grid = np.linspace(-1.0, 1.0, 9, dtype=np.float32)[:, None]
    logits, mu, log_sigma = model(grid)
    weights = tf.nn.softmax(logits).numpy()
    for xi, w, m in zip(grid[:, 0], weights, mu.numpy()):
        top = np.argsort(-w)[:2]
        desc = ", ".join(f"pi={w[j]:.2f} mu={m[j]:+.2f}" for j in top)
        print(f"x={xi:+.2f} -> {desc}")

    draws = sample_mdn(logits, mu, log_sigma, n_draws=100).numpy()
    print("samples per grid point:", draws.shape,
          "spread (std):", np.round(draws.std(axis=1), 3))

    # mixture mean and total variance (law of total variance)
    sig2 = np.exp(2 * log_sigma.numpy())
    mean = np.sum(weights * mu.numpy(), axis=1)
    var = np.sum(weights * (sig2 + mu.numpy() ** 2), axis=1) - mean ** 2
    print("mixture mean:", np.round(mean, 3))
    print("mixture std :", np.round(np.sqrt(var), 3))


if __name__ == "__main__":
    main()
