"""Heteroscedastic regression: one shared trunk, two heads (mean, log-variance),
trained with the Gaussian negative log-likelihood. A custom Model subclass
overrides train_step/test_step so the two outputs are combined in one loss.
Also shows the beta-NLL variant (Seitzer et al.) as an option."""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

config = dict(
    n_features=4,
    n_train=480,
    n_val=120,
    trunk=[64, 64],
    beta=0.5,          # 0.0 -> plain Gaussian NLL
    lr=2e-3,
    epochs=2,
    batch=48,
)

keras.utils.set_random_seed(42)
rs = np.random.RandomState(42)


def synth(n, d):
    X = rs.normal(size=(n, d)).astype("float32")
    w = np.linspace(1.0, -1.0, d).astype("float32")
    mean = X @ w + 0.5 * np.sin(2 * X[:, 0])
    sigma = 0.1 + 0.6 * (1 / (1 + np.exp(-2 * X[:, 1])))   # noise grows with x1
    y = mean + sigma * rs.normal(size=n)
    return X, y[:, None].astype("float32"), sigma.astype("float32")


def gaussian_nll(y, mu, log_var, beta=0.0):
    per_example = 0.5 * (log_var + ops.square(y - mu) / ops.exp(log_var))
    if beta > 0:  # python float, not a tensor -> fine inside tf.function
        weight = ops.stop_gradient(ops.exp(log_var) ** beta)
        per_example = per_example * weight
    return ops.mean(per_example)


class TwoHeadRegressor(keras.Model):
    def __init__(self, trunk_units, beta=0.0, **kw):
        super().__init__(**kw)
        self.beta = beta
        self.trunk = keras.Sequential(
            [layers.Dense(u, activation="gelu") for u in trunk_units], name="trunk")
        self.mean_head = layers.Dense(1, name="mean")
        self.var_head = layers.Dense(1, name="log_var",
                                     bias_initializer=keras.initializers.Constant(-1.0))
        self.nll_tracker = keras.metrics.Mean(name="nll")
        self.mae_tracker = keras.metrics.MeanAbsoluteError(name="mae")

    def call(self, x, training=False):
        h = self.trunk(x, training=training)
        log_var = ops.clip(self.var_head(h), -10.0, 6.0)
        return self.mean_head(h), log_var

    @property
    def metrics(self):
        return [self.nll_tracker, self.mae_tracker]

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            mu, log_var = self(x, training=True)
            loss = gaussian_nll(y, mu, log_var, self.beta)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.nll_tracker.update_state(loss)
        self.mae_tracker.update_state(y, mu)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        mu, log_var = self(x, training=False)
        self.nll_tracker.update_state(gaussian_nll(y, mu, log_var))
        self.mae_tracker.update_state(y, mu)
        return {m.name: m.result() for m in self.metrics}


def to_ds(X, y, shuffle):
    ds = tf.data.Dataset.from_tensor_slices((X, y))
    if shuffle:
        ds = ds.shuffle(len(X), reshuffle_each_iteration=True)
    return ds.batch(config["batch"]).prefetch(2)


def main():
    X_tr, y_tr, _ = synth(config["n_train"], config["n_features"])
    X_va, y_va, sig_va = synth(config["n_val"], config["n_features"])

    # standardise inputs with train stats
    mu_x, sd_x = X_tr.mean(0), X_tr.std(0) + 1e-6
    X_tr, X_va = (X_tr - mu_x) / sd_x, (X_va - mu_x) / sd_x

    model = TwoHeadRegressor(config["trunk"], beta=config["beta"])
    model.compile(optimizer=keras.optimizers.AdamW(config["lr"], weight_decay=1e-4))
    history = model.fit(to_ds(X_tr, y_tr, True), validation_data=to_ds(X_va, y_va, False),
                        epochs=config["epochs"], verbose=2)
    print({k: [round(v, 4) for v in vals] for k, vals in history.history.items()})

    mu, log_var = model.predict(X_va, batch_size=64, verbose=0)
    sigma_hat = np.exp(0.5 * log_var[:, 0])
    z = (y_va[:, 0] - mu[:, 0]) / sigma_hat
    print(f"val z-score mean={z.mean():+.3f} std={z.std():.3f} (ideal 0 / 1)")
    for k in (1, 2):
        print(f"  |z|<{k}: {np.mean(np.abs(z) < k):.3f}")
    corr = np.corrcoef(sigma_hat, sig_va)[0, 1]
    print(f"corr(predicted sigma, true sigma) = {corr:.3f}")

    # bucket by predicted sigma -> empirical RMSE should increase
    edges = np.quantile(sigma_hat, [0, 1 / 3, 2 / 3, 1])
    bins = np.clip(np.digitize(sigma_hat, edges[1:-1]), 0, 2)
    for b in range(3):
        sel = bins == b
        rmse = np.sqrt(np.mean((y_va[sel, 0] - mu[sel, 0]) ** 2))
        print(f"  bucket {b}: pred sigma~{sigma_hat[sel].mean():.3f} empirical rmse={rmse:.3f} n={sel.sum()}")


if __name__ == "__main__":
    main()
