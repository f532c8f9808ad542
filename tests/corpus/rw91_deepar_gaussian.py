"""DeepAR-ish probabilistic forecaster with an overridden Model.train_step.

A GRU consumes lagged targets + covariates + a learned embedding of the series
id, and outputs the mean and scale of a Gaussian at each timestep. Training is
teacher-forced on the conditioning + prediction range; at inference we roll out
sample paths autoregressively (ancestral sampling) for the horizon and report
quantiles.

Series are scaled by their mean absolute value (the "scale" trick from the
DeepAR paper) so series of very different magnitudes share one network.
"""
import math

import numpy as np
import tensorflow as tf
from tensorflow import keras

N_SERIES = 20
SERIES_LEN = 400
CONTEXT = 48
HORIZON = 12
N_COV = 2
EMB_DIM = 4
HIDDEN = 32
N_SAMPLES = 50
BATCH = 32

LOG_2PI = math.log(2.0 * math.pi)


# ------------------------------------------------------------------ data ----
def make_panel(seed=5):
    rng = np.random.default_rng(seed)
    t = np.arange(SERIES_LEN)
    scale = rng.lognormal(mean=2.0, sigma=1.0, size=(N_SERIES, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(N_SERIES, 1))
    base = 1.5 + np.sin(2 * np.pi * t / 24 + phase) + 0.3 * np.sin(2 * np.pi * t / 168)
    y = scale * base * rng.gamma(20, 1 / 20, size=(N_SERIES, SERIES_LEN))
    cov = np.stack([np.sin(2 * np.pi * t / 24), np.cos(2 * np.pi * t / 24)], axis=-1)
    cov = np.broadcast_to(cov, (N_SERIES, SERIES_LEN, N_COV))
    return y.astype("float32"), cov.astype("float32")


def sample_training_windows(y, cov, n_windows, rng):
    """Random (series, start) pairs; returns dict of model inputs + target."""
    total = CONTEXT + HORIZON
    sid = rng.integers(0, N_SERIES, size=n_windows)
    start = rng.integers(1, y.shape[1] - total + 1, size=n_windows)
    idx = start[:, None] + np.arange(total)[None, :]          # (N, T)
    target = y[sid[:, None], idx]                            # (N, T)
    lagged = y[sid[:, None], idx - 1]                        # lag-1 inputs
    covs = cov[sid[:, None], idx]                            # (N, T, C)
    return {
        "lagged": lagged[..., None],
        "covariates": covs,
        "series_id": sid.astype("int32"),
    }, target


# ----------------------------------------------------------------- model ----
class DeepAR(keras.Model):
    def __init__(self, n_series, **kwargs):
        super().__init__(**kwargs)
        self.embedding = keras.layers.Embedding(n_series, EMB_DIM)
        self.rnn = keras.layers.GRU(HIDDEN, return_sequences=True, return_state=True)
        self.mu_head = keras.layers.Dense(1)
        self.sigma_head = keras.layers.Dense(1, activation="softplus")
        self.nll_tracker = keras.metrics.Mean(name="nll")

    @staticmethod
    def series_scale(lagged):
        # mean |z| over the conditioning range, +1 like GluonTS to avoid division by 0
        return 1.0 + tf.reduce_mean(tf.abs(lagged[:, :CONTEXT]), axis=1, keepdims=True)

    def _features(self, lagged_scaled, covariates, series_id):
        steps = tf.shape(lagged_scaled)[1]
        emb = self.embedding(series_id)                                # (B, E)
        emb = tf.tile(emb[:, None, :], tf.stack([1, steps, 1]))        # (B, T, E)
        return tf.concat([lagged_scaled, covariates, emb], axis=-1)

    def call(self, inputs, training=False, initial_state=None):
        lagged = inputs["lagged"]
        scale = inputs.get("scale")
        if scale is None:
            scale = self.series_scale(lagged)
        feats = self._features(lagged / scale, inputs["covariates"], inputs["series_id"])
        h, state = self.rnn(feats, initial_state=initial_state, training=training)
        mu = self.mu_head(h)
        sigma = self.sigma_head(h) + 1e-4
        return mu, sigma, state, scale

    @staticmethod
    def gaussian_nll(z, mu, sigma):
        return 0.5 * (LOG_2PI + 2.0 * tf.math.log(sigma) + tf.square((z - mu) / sigma))

    def train_step(self, data):
        inputs, target = data
        with tf.GradientTape() as tape:
            mu, sigma, _, scale = self(inputs, training=True)
            z = target[..., None] / scale
            loss = tf.reduce_mean(self.gaussian_nll(z, mu, sigma))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.nll_tracker.update_state(loss)
        return {"nll": self.nll_tracker.result()}

    def test_step(self, data):
        inputs, target = data
        mu, sigma, _, scale = self(inputs, training=False)
        loss = tf.reduce_mean(self.gaussian_nll(target[..., None] / scale, mu, sigma))
        self.nll_tracker.update_state(loss)
        return {"nll": self.nll_tracker.result()}

    @property
    def metrics(self):
        return [self.nll_tracker]

    @tf.function(reduce_retracing=True)
    def sample_paths(self, context_y, future_cov, context_cov, series_id, n_samples):
        """Ancestral sampling. context_y (B, CONTEXT), covs (B, T, C) -> (S, B, HORIZON)."""
        b = tf.shape(context_y)[0]
        lagged = tf.concat([tf.zeros_like(context_y[:, :1]), context_y[:, :-1]], axis=1)[..., None]
        scale = self.series_scale(context_y[..., None])
        _, _, state, _ = self({"lagged": lagged, "covariates": context_cov,
                               "series_id": series_id, "scale": scale})

        # replicate everything n_samples times along batch axis
        rep = lambda t: tf.repeat(t, n_samples, axis=0)
        state, scale, sid = rep(state), rep(scale), rep(series_id)
        future_cov = rep(future_cov)
        prev = rep(context_y[:, -1:])[..., None]                       # (B*S, 1, 1)

        draws = []
        for h in range(HORIZON):                                       # HORIZON is a python int
            step_in = {"lagged": prev, "covariates": future_cov[:, h:h + 1],
                       "series_id": sid, "scale": scale}
            mu, sigma, state, _ = self(step_in, initial_state=state)
            z = mu + sigma * tf.random.normal(tf.shape(mu))
            prev = z * scale
            draws.append(prev[:, 0, 0])
        paths = tf.stack(draws, axis=-1)                               # (B*S, H)
        paths = tf.reshape(paths, tf.stack([b, n_samples, HORIZON]))
        return tf.transpose(paths, [1, 0, 2])


def weighted_quantile_loss(y, samples, qs=(0.1, 0.5, 0.9)):
    total = 0.0
    for q in qs:
        pred_q = np.quantile(samples, q, axis=0)
        diff = y - pred_q
        total += 2 * np.sum(np.maximum(q * diff, (q - 1) * diff))
    return total / (len(qs) * np.sum(np.abs(y)))


def main():
    rng = np.random.default_rng(0)
    tf.random.set_seed(0)
    y, cov = make_panel()
    train_y, test_y = y[:, :-HORIZON], y[:, -(CONTEXT + HORIZON):]
    train_cov, test_cov = cov[:, :-HORIZON], cov[:, -(CONTEXT + HORIZON):]

    x_tr, t_tr = sample_training_windows(train_y, train_cov, 1024, rng)
    print({k: v.shape for k, v in x_tr.items()}, "target", t_tr.shape)
    ds = (tf.data.Dataset.from_tensor_slices((x_tr, t_tr))
          .shuffle(1024).batch(BATCH).prefetch(tf.data.AUTOTUNE))

    model = DeepAR(N_SERIES, name="deepar")
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    model.fit(ds, epochs=1, verbose=2)

    sids = np.arange(N_SERIES, dtype="int32")
    samples = model.sample_paths(
        tf.constant(test_y[:, :CONTEXT]),
        tf.constant(test_cov[:, CONTEXT:]),
        tf.constant(test_cov[:, :CONTEXT]),
        tf.constant(sids),
        N_SAMPLES,
    ).numpy()
    print("sample paths:", samples.shape)   # (S, N_SERIES, HORIZON)

    truth = test_y[:, CONTEXT:]
    p10, p50, p90 = np.quantile(samples, [0.1, 0.5, 0.9], axis=0)
    print(f"wQL = {weighted_quantile_loss(truth, samples):.3f}")
    print(f"P10-P90 coverage = {np.mean((truth >= p10) & (truth <= p90)):.2%}")
    print("series 0 median:", np.round(p50[0, :5], 1), "truth:", np.round(truth[0, :5], 1))


if __name__ == "__main__":
    main()
