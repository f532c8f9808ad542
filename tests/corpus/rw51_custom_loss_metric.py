"""Custom keras.losses.Loss and keras.metrics.Metric subclasses for
probabilistic regression on tabular data.

- PinballLoss: multi-quantile loss, the model outputs one column per quantile.
- GaussianNLL: heteroscedastic negative log-likelihood for a (mean, log_var) head.
- RSquared: streaming coefficient of determination.
- IntervalCoverage: fraction of targets inside the [q_lo, q_hi] band.
"""
import numpy as np
import keras
from keras import ops

QUANTILES = (0.1, 0.5, 0.9)
N_FEATURES = 8
N_TRAIN, N_TEST = 2000, 400


# --------------------------------------------------------------------------
# losses
# --------------------------------------------------------------------------
class PinballLoss(keras.losses.Loss):
    def __init__(self, quantiles=QUANTILES, name="pinball", **kwargs):
        super().__init__(name=name, **kwargs)
        self.quantiles = tuple(float(q) for q in quantiles)

    def call(self, y_true, y_pred):
        # y_true: (batch, 1)  y_pred: (batch, n_quantiles)
        q = ops.convert_to_tensor(self.quantiles, dtype=y_pred.dtype)
        q = ops.reshape(q, (1, -1))
        err = ops.cast(y_true, y_pred.dtype) - y_pred  # broadcasts over quantiles
        loss = ops.maximum(q * err, (q - 1.0) * err)
        return ops.mean(loss, axis=-1)

    def get_config(self):
        config = super().get_config()
        config.update({"quantiles": list(self.quantiles)})
        return config


class GaussianNLL(keras.losses.Loss):
    """y_pred[..., 0] = mean, y_pred[..., 1] = log variance."""

    def __init__(self, min_log_var=-7.0, name="gaussian_nll", **kwargs):
        super().__init__(name=name, **kwargs)
        self.min_log_var = min_log_var

    def call(self, y_true, y_pred):
        mean = y_pred[..., 0:1]
        log_var = ops.maximum(y_pred[..., 1:2], self.min_log_var)
        y_true = ops.cast(y_true, mean.dtype)
        nll = 0.5 * (log_var + ops.square(y_true - mean) / ops.exp(log_var))
        return ops.squeeze(nll, axis=-1)

    def get_config(self):
        return {**super().get_config(), "min_log_var": self.min_log_var}


# --------------------------------------------------------------------------
# metrics
# --------------------------------------------------------------------------
class RSquared(keras.metrics.Metric):
    """Streaming R^2 using running sums (Welford would be nicer, but fine here)."""

    def __init__(self, column=0, name="r2", **kwargs):
        super().__init__(name=name, **kwargs)
        self.column = column
        self.sse = self.add_weight(name="sse", initializer="zeros")
        self.sum_y = self.add_weight(name="sum_y", initializer="zeros")
        self.sum_y2 = self.add_weight(name="sum_y2", initializer="zeros")
        self.count = self.add_weight(name="count", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.reshape(ops.cast(y_true, self.dtype), (-1,))
        y_hat = ops.reshape(ops.cast(y_pred[..., self.column], self.dtype), (-1,))
        w = ops.ones_like(y_true)
        if sample_weight is not None:
            w = ops.reshape(ops.cast(sample_weight, self.dtype), (-1,))
        self.sse.assign_add(ops.sum(w * ops.square(y_true - y_hat)))
        self.sum_y.assign_add(ops.sum(w * y_true))
        self.sum_y2.assign_add(ops.sum(w * ops.square(y_true)))
        self.count.assign_add(ops.sum(w))

    def result(self):
        mean = self.sum_y / ops.maximum(self.count, 1.0)
        sst = self.sum_y2 - self.count * ops.square(mean)
        return 1.0 - self.sse / ops.maximum(sst, keras.config.epsilon())

    def reset_state(self):
        for v in self.variables:
            v.assign(ops.zeros_like(v))

    def get_config(self):
        return {**super().get_config(), "column": self.column}


class IntervalCoverage(keras.metrics.Metric):
    def __init__(self, lo_index=0, hi_index=-1, name="coverage", **kwargs):
        super().__init__(name=name, **kwargs)
        self.lo_index, self.hi_index = lo_index, hi_index
        self.inside = self.add_weight(name="inside", initializer="zeros")
        self.total = self.add_weight(name="total", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y = ops.reshape(ops.cast(y_true, self.dtype), (-1,))
        lo = y_pred[:, self.lo_index]
        hi = y_pred[:, self.hi_index]
        hit = ops.cast(ops.logical_and(y >= lo, y <= hi), self.dtype)
        self.inside.assign_add(ops.sum(hit))
        self.total.assign_add(ops.cast(ops.shape(y)[0], self.dtype))

    def result(self):
        return ops.divide_no_nan(self.inside, self.total)

    def reset_state(self):
        self.inside.assign(0.0)
        self.total.assign(0.0)


# --------------------------------------------------------------------------
# data + models
# --------------------------------------------------------------------------
def make_heteroscedastic_data(n, rng):
    x = rng.uniform(-2, 2, size=(n, N_FEATURES)).astype("float32")
    signal = np.sin(x[:, 0]) * 2 + x[:, 1] ** 2 - 0.5 * x[:, 2] * x[:, 3]
    noise_scale = 0.1 + 0.5 * np.abs(x[:, 4])
    y = signal + rng.normal(size=n) * noise_scale
    return x, y.astype("float32")[:, None]


def mlp_backbone(inputs, widths=(64, 64)):
    h = inputs
    for w in widths:
        h = keras.layers.Dense(w)(h)
        h = keras.layers.BatchNormalization()(h)
        h = keras.layers.Activation("swish")(h)
    return h


def build_quantile_model():
    inp = keras.Input((N_FEATURES,))
    h = mlp_backbone(inp)
    # predict the median plus non-negative offsets -> quantiles never cross
    median = keras.layers.Dense(1)(h)
    deltas = keras.layers.Dense(2, activation="softplus")(h)
    lower = median - deltas[:, :1]
    upper = median + deltas[:, 1:]
    out = keras.layers.Concatenate(name="quantiles")([lower, median, upper])
    return keras.Model(inp, out, name="quantile_mlp")


def build_gaussian_model():
    inp = keras.Input((N_FEATURES,))
    h = mlp_backbone(inp)
    out = keras.layers.Dense(2, name="mean_logvar")(h)
    return keras.Model(inp, out, name="gaussian_mlp")


if __name__ == "__main__":
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x_train, y_train = make_heteroscedastic_data(N_TRAIN, rng)
    x_test, y_test = make_heteroscedastic_data(N_TEST, rng)

    # quick sanity check of the loss against a hand-computed value
    pin = PinballLoss()
    y_t = np.array([[1.0]], "float32")
    y_p = np.array([[0.0, 1.0, 2.0]], "float32")
    expected = np.mean([0.1 * 1.0, 0.0, (0.9 - 1.0) * -1.0])
    print("pinball sanity:", float(pin(y_t, y_p)), "expected", expected)

    qmodel = build_quantile_model()
    qmodel.compile(optimizer=keras.optimizers.Adam(2e-3),
                   loss=PinballLoss(QUANTILES),
                   metrics=[RSquared(column=1), IntervalCoverage(0, 2)])
    qmodel.fit(x_train, y_train, batch_size=128, epochs=2,
               validation_split=0.1, verbose=2)
    print("quantile model test:", qmodel.evaluate(x_test, y_test, verbose=0,
                                                  return_dict=True))

    gmodel = build_gaussian_model()
    gmodel.compile(optimizer="adam", loss=GaussianNLL(), metrics=[RSquared(column=0)])
    # down-weight the noisiest region during training, just to exercise sample_weight
    sw = 1.0 / (1.0 + np.abs(x_train[:, 4]))
    gmodel.fit(x_train, y_train, sample_weight=sw, batch_size=128, epochs=2, verbose=2)
    pred = gmodel.predict(x_test, verbose=0)
    sigma = np.exp(0.5 * pred[:, 1])
    print("gaussian head: pred shape", pred.shape,
          "mean sigma %.3f" % sigma.mean())

    # metric used standalone, outside of fit()
    r2 = RSquared()
    for i in range(0, N_TEST, 100):
        r2.update_state(y_test[i:i + 100], pred[i:i + 100])
    print("standalone R2: %.4f" % float(r2.result()))
    r2.reset_state()
    print("after reset:", float(r2.count))

    # losses round-trip through config
    clone = PinballLoss.from_config(pin.get_config())
    print("cloned quantiles:", clone.quantiles)
