"""Probabilistic forecasting: mean + log-variance heads trained with Gaussian NLL.

A small LSTM encoder outputs (mu, log_var) for each horizon step. Training uses
a hand-written GradientTape loop (tf.function) and we evaluate calibration via
empirical coverage of the 80% / 95% prediction intervals.
"""
import math

import numpy as np
import tensorflow as tf

LOOKBACK, HORIZON = 40, 5
BATCH_SIZE = 64
TRAIN_STEPS = 40
LOG_VAR_MIN, LOG_VAR_MAX = -7.0, 5.0


def heteroscedastic_series(n=3000, seed=21):
    """Noise level itself follows a slow cycle -> the model should learn varying sigma."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=np.float32)
    sigma = 0.1 + 0.4 * (1 + np.sin(2 * np.pi * t / 400)) / 2
    signal = np.sin(2 * np.pi * t / 30) + 0.3 * np.sin(2 * np.pi * t / 7)
    return (signal + rng.normal(size=n) * sigma).astype(np.float32), sigma.astype(np.float32)


class GaussianHead(tf.keras.layers.Layer):
    """Projects features to a mean and a (soft-clipped) log-variance per horizon step."""

    def __init__(self, horizon, **kwargs):
        super().__init__(**kwargs)
        self.horizon = horizon

    def build(self, input_shape):
        d = input_shape[-1]
        self.w_mu = self.add_weight(name="w_mu", shape=(d, self.horizon), initializer="glorot_uniform")
        self.b_mu = self.add_weight(name="b_mu", shape=(self.horizon,), initializer="zeros")
        self.w_lv = self.add_weight(name="w_lv", shape=(d, self.horizon), initializer="glorot_uniform")
        self.b_lv = self.add_weight(name="b_lv", shape=(self.horizon,), initializer="zeros")

    def call(self, h):
        mu = tf.matmul(h, self.w_mu) + self.b_mu
        raw_lv = tf.matmul(h, self.w_lv) + self.b_lv
        # smooth clamp into [LOG_VAR_MIN, LOG_VAR_MAX] to keep exp() finite
        span = LOG_VAR_MAX - LOG_VAR_MIN
        log_var = LOG_VAR_MIN + span * tf.sigmoid(raw_lv)
        return tf.stack([mu, log_var], axis=-1)  # (B, H, 2)


def build_model():
    inp = tf.keras.Input(shape=(LOOKBACK, 1))
    x = tf.keras.layers.LSTM(32, return_sequences=True)(inp)
    # summarise with both last state and a global average of the sequence
    last = tf.keras.layers.Lambda(lambda s: s[:, -1, :], name="last_step")(x)
    avg = tf.keras.layers.GlobalAveragePooling1D()(x)
    h = tf.keras.layers.Concatenate()([last, avg])
    h = tf.keras.layers.Dense(32, activation="tanh")(h)
    out = GaussianHead(HORIZON, name="gauss_head")(h)
    return tf.keras.Model(inp, out, name="prob_lstm")


def gaussian_nll(y_true, params):
    mu, log_var = params[..., 0], params[..., 1]
    nll = 0.5 * (log_var + tf.square(y_true - mu) * tf.exp(-log_var) + math.log(2 * math.pi))
    return tf.reduce_mean(nll)


def make_pairs(series):
    n = len(series) - LOOKBACK - HORIZON + 1
    idx = np.arange(n)[:, None] + np.arange(LOOKBACK + HORIZON)[None, :]
    win = series[idx]
    return win[:, :LOOKBACK, None], win[:, LOOKBACK:]


series, true_sigma = heteroscedastic_series()
x_all, y_all = make_pairs(series)
split = 2200
x_train, y_train = x_all[:split], y_all[:split]
x_test, y_test = x_all[split:], y_all[split:]
sigma_test = true_sigma[split + LOOKBACK: split + LOOKBACK + len(x_test)]
print("train:", x_train.shape, y_train.shape, "test:", x_test.shape)

train_ds = (
    tf.data.Dataset.from_tensor_slices((x_train, y_train))
    .shuffle(2048, seed=0)
    .repeat()
    .batch(BATCH_SIZE)
)

tf.keras.utils.set_random_seed(0)
model = build_model()
model.summary()
optimizer = tf.keras.optimizers.Adam(learning_rate=3e-3)
nll_tracker = tf.keras.metrics.Mean(name="nll")
mse_tracker = tf.keras.metrics.Mean(name="mse")


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        params = model(x, training=True)
        loss = gaussian_nll(y, params)
    grads = tape.gradient(loss, model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 5.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    nll_tracker.update_state(loss)
    mse_tracker.update_state(tf.reduce_mean(tf.square(y - params[..., 0])))
    return loss


for step, (xb, yb) in enumerate(train_ds.take(TRAIN_STEPS)):
    train_step(xb, yb)
    if (step + 1) % 10 == 0:
        print(f"step {step + 1:3d}  nll={nll_tracker.result():.4f}  mse={mse_tracker.result():.4f}")
        nll_tracker.reset_state()
        mse_tracker.reset_state()

# ---- evaluation: interval coverage ----
params = model.predict(x_test, batch_size=256, verbose=0)
mu_hat, sigma_hat = params[..., 0], np.exp(0.5 * params[..., 1])
print("pred mean shape:", mu_hat.shape, "pred sigma shape:", sigma_hat.shape)

for level, z in [(0.80, 1.2816), (0.95, 1.96)]:
    lo, hi = mu_hat - z * sigma_hat, mu_hat + z * sigma_hat
    coverage = np.mean((y_test >= lo) & (y_test <= hi))
    width = np.mean(hi - lo)
    print(f"{int(level * 100)}% PI: empirical coverage={coverage:.3f}, mean width={width:.3f}")

corr = np.corrcoef(sigma_hat[:, 0], sigma_test)[0, 1]
print(f"corr(pred sigma @t+1, true sigma) = {corr:.3f}")
print(f"test NLL = {gaussian_nll(y_test, tf.constant(params)).numpy():.4f}")
