# Mixture density network on the inverted-sine toy problem (Bishop 1994 style).
import math
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers, Model

N_SAMPLES = 64
K = 5            # number of gaussian components
OUT_DIM = 1      # dimensionality of y
HIDDEN = [32, 32]
EPS = 1e-6

rng = np.random.RandomState(42)
y_data = rng.uniform(-10.5, 10.5, size=(N_SAMPLES, 1)).astype("float32")
noise = rng.normal(size=(N_SAMPLES, 1)).astype("float32")
x_data = (np.sin(0.75 * y_data) * 7.0 + y_data * 0.5 + noise).astype("float32")
print("x", x_data.shape, "y", y_data.shape)

# --- model -----------------------------------------------------------------
inp = layers.Input(shape=(1,), name="x")
h = inp
for i, units in enumerate(HIDDEN):
    h = layers.Dense(units, activation="tanh", name="trunk_%d" % i)(h)

pi = layers.Dense(K, activation="softmax", name="pi")(h)
mu = layers.Dense(K * OUT_DIM, name="mu")(h)
sigma = layers.Dense(K * OUT_DIM, activation=lambda t: tf.exp(t), name="sigma")(h)
params = layers.concatenate([pi, mu, sigma], name="mdn_params")

mdn = Model(inp, params, name="mdn")
mdn.summary()


def mdn_nll(y_true, y_pred):
    out_pi, out_mu, out_sigma = tf.split(y_pred, [K, K * OUT_DIM, K * OUT_DIM], axis=-1)
    out_mu = tf.reshape(out_mu, [-1, K, OUT_DIM])
    out_sigma = tf.reshape(out_sigma, [-1, K, OUT_DIM])
    y = tf.expand_dims(tf.reshape(y_true, [-1, OUT_DIM]), 1)       # (B, 1, D)
    z = (y - out_mu) / (out_sigma + EPS)
    log_norm = -0.5 * tf.square(z) - tf.math.log(out_sigma + EPS) - 0.5 * math.log(2 * math.pi)
    log_norm = tf.reduce_sum(log_norm, axis=-1)                     # (B, K)
    log_mix = tf.math.log(out_pi + EPS) + log_norm
    return -tf.reduce_mean(tf.reduce_logsumexp(log_mix, axis=-1))


mdn.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss=mdn_nll)
hist = mdn.fit(x_data, y_data, batch_size=16, epochs=1, validation_split=0.25, verbose=0)
print("nll:", hist.history["loss"][-1], "val:", hist.history["val_loss"][-1])

# --- sampling from the predicted mixture -----------------------------------
x_test = np.linspace(-15, 15, 20, dtype="float32").reshape(-1, 1)
raw = mdn.predict(x_test, verbose=0)
p_pi = raw[:, :K]
p_mu = raw[:, K:K + K * OUT_DIM].reshape(-1, K, OUT_DIM)
p_sigma = raw[:, K + K * OUT_DIM:].reshape(-1, K, OUT_DIM)
print("pi", p_pi.shape, "mu", p_mu.shape, "sigma", p_sigma.shape)


def sample_from_mixture(pis, mus, sigmas, n_draws=10, temp=1.0):
    n = pis.shape[0]
    logits = np.log(pis + EPS) / temp
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    samples = np.zeros((n, n_draws, mus.shape[-1]), dtype="float32")
    for i in range(n):
        comps = rng.choice(K, size=n_draws, p=probs[i])
        samples[i] = rng.normal(mus[i, comps], sigmas[i, comps])
    return samples


draws = sample_from_mixture(p_pi, p_mu, p_sigma, n_draws=8)
print("draws", draws.shape)

# most-likely component mean as a point estimate
best_k = np.argmax(p_pi, axis=1)
point = p_mu[np.arange(len(best_k)), best_k, 0]
print("point estimates", point.shape, np.round(point[:5], 3))

# fraction of draws that land inside the training y range
in_range = np.where((draws > y_data.min()) & (draws < y_data.max()), 1.0, 0.0)
print("in-range fraction: %.2f" % in_range.mean())
