"""Custom losses and metrics in Keras 3 (from an SO answer on "how do I write
a weighted loss / F1 metric that works with model.compile?").

Covers: closure-style loss with extra params, Loss subclass, stateful Metric
subclass with update_state/result/reset_state, and a loss added via add_loss.
"""
from dataclasses import dataclass

import numpy as np
import keras
from keras import ops, layers


@dataclass
class Config:
    n_samples: int = 512
    n_features: int = 20
    hidden: int = 32
    batch_size: int = 64
    epochs: int = 1
    pos_weight: float = 3.0


cfg = Config()


def weighted_bce(pos_weight):
    """Closure so the loss can take extra arguments beyond (y_true, y_pred)."""
    def loss(y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        y_pred = ops.clip(y_pred, 1e-7, 1.0 - 1e-7)
        bce = -(pos_weight * y_true * ops.log(y_pred) + (1.0 - y_true) * ops.log(1.0 - y_pred))
        return ops.mean(bce, axis=-1)
    loss.__name__ = "weighted_bce"
    return loss


class FocalLoss(keras.losses.Loss):
    def __init__(self, gamma=2.0, alpha=0.25, name="focal_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.gamma = gamma
        self.alpha = alpha

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        y_pred = ops.clip(y_pred, 1e-7, 1.0 - 1e-7)
        p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
        alpha_t = y_true * self.alpha + (1 - y_true) * (1 - self.alpha)
        fl = -alpha_t * ops.power(1.0 - p_t, self.gamma) * ops.log(p_t)
        return ops.mean(fl, axis=-1)

    def get_config(self):
        base = super().get_config()
        return {**base, "gamma": self.gamma, "alpha": self.alpha}


class F1Score(keras.metrics.Metric):
    """Streaming binary F1 -- accumulates TP/FP/FN across batches."""

    def __init__(self, threshold=0.5, name="f1", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.tp = self.add_weight(name="tp", initializer="zeros")
        self.fp = self.add_weight(name="fp", initializer="zeros")
        self.fn = self.add_weight(name="fn", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(ops.reshape(y_true, (-1,)), "float32")
        y_hat = ops.cast(ops.reshape(y_pred, (-1,)) > self.threshold, "float32")
        self.tp.assign_add(ops.sum(y_true * y_hat))
        self.fp.assign_add(ops.sum((1.0 - y_true) * y_hat))
        self.fn.assign_add(ops.sum(y_true * (1.0 - y_hat)))

    def result(self):
        precision = self.tp / (self.tp + self.fp + keras.backend.epsilon())
        recall = self.tp / (self.tp + self.fn + keras.backend.epsilon())
        return 2 * precision * recall / (precision + recall + keras.backend.epsilon())

    def reset_state(self):
        for v in self.variables:
            v.assign(ops.zeros_like(v))


def rmse(y_true, y_pred):
    # plain function metric, the old K.sqrt(K.mean(K.square(...))) one-liner
    return ops.sqrt(ops.mean(ops.square(y_pred - y_true), axis=-1))


class ActivityRegularized(layers.Layer):
    """Adds an L1 penalty on activations through self.add_loss."""

    def __init__(self, rate=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, x):
        self.add_loss(self.rate * ops.sum(ops.abs(x)) / ops.cast(ops.shape(x)[0], x.dtype))
        return x


def make_data(cfg):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(cfg.n_samples, cfg.n_features)).astype("float32")
    w = rng.normal(size=(cfg.n_features,))
    logits = X @ w
    y = (logits > np.percentile(logits, 75)).astype("float32")[:, None]  # imbalanced, (N, 1)
    return X, y


def build_classifier(cfg):
    inp = keras.Input(shape=(cfg.n_features,))
    h = layers.Dense(cfg.hidden, activation="relu")(inp)
    h = ActivityRegularized(1e-4)(h)
    out = layers.Dense(1, activation="sigmoid")(h)
    return keras.Model(inp, out)


X, y = make_data(cfg)
print("X", X.shape, "y", y.shape, "positive rate", y.mean())

for loss_name, loss_fn in [("weighted_bce", weighted_bce(cfg.pos_weight)),
                           ("focal", FocalLoss(gamma=2.0))]:
    model = build_classifier(cfg)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss_fn,
                  metrics=[F1Score(), keras.metrics.AUC(name="auc")])
    hist = model.fit(X, y, batch_size=cfg.batch_size, epochs=cfg.epochs,
                     validation_split=0.2, verbose=0)
    print(loss_name, {k: round(float(v[-1]), 4) for k, v in hist.history.items()})

# regression head with the function-style metric
reg = keras.Sequential([keras.Input(shape=(cfg.n_features,)), layers.Dense(16, activation="relu"),
                        layers.Dense(2)])
reg.compile("adam", loss=keras.losses.Huber(delta=1.0), metrics=[rmse])
y_reg = np.stack([X[:, 0] * 2.0, X[:, 1] - X[:, 2]], axis=1)
reg.fit(X, y_reg, batch_size=cfg.batch_size, epochs=1, verbose=0)
print("reg eval:", reg.evaluate(X, y_reg, verbose=0))

# sanity-check the metric by hand
m = F1Score()
m.update_state(np.array([[1.], [0.], [1.], [1.]]), np.array([[0.9], [0.6], [0.2], [0.8]]))
print("manual F1:", float(m.result()))  # tp=2 fp=1 fn=1 -> 0.667
