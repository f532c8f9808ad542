"""Backend-agnostic custom loss / metric / regularizer / constraint / initializer.

Imbalanced binary classification demo showing how to write the "small"
Keras 3 extension points with keras.ops only:
  * BinaryFocalLoss (keras.losses.Loss subclass)
  * MacroF1 metric with state created via `add_variable`
  * OrthogonalityRegularizer, UnitNormMaxConstraint, ScaledIdentity initializer
"""
import numpy as np
import keras
from keras import ops

keras.utils.set_random_seed(2024)

N_SAMPLES = 600
N_FEATURES = 20
POS_RATE = 0.15


@keras.saving.register_keras_serializable("rw90")
class BinaryFocalLoss(keras.losses.Loss):
    def __init__(self, gamma=2.0, alpha=0.25, from_logits=False,
                 name="binary_focal_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.gamma = gamma
        self.alpha = alpha
        self.from_logits = from_logits

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        probs = ops.sigmoid(y_pred) if self.from_logits else y_pred
        probs = ops.clip(probs, keras.config.epsilon(), 1.0 - keras.config.epsilon())
        p_t = y_true * probs + (1.0 - y_true) * (1.0 - probs)
        alpha_t = y_true * self.alpha + (1.0 - y_true) * (1.0 - self.alpha)
        loss = -alpha_t * ops.power(1.0 - p_t, self.gamma) * ops.log(p_t)
        return ops.mean(loss, axis=-1)

    def get_config(self):
        return {**super().get_config(), "gamma": self.gamma, "alpha": self.alpha,
                "from_logits": self.from_logits}


@keras.saving.register_keras_serializable("rw90")
class MacroF1(keras.metrics.Metric):
    """F1 averaged over {negative, positive} classes at a fixed threshold."""

    def __init__(self, threshold=0.5, name="macro_f1", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        # index 0 -> negative class, 1 -> positive class
        self.tp = self.add_variable(shape=(2,), initializer="zeros", name="tp")
        self.fp = self.add_variable(shape=(2,), initializer="zeros", name="fp")
        self.fn = self.add_variable(shape=(2,), initializer="zeros", name="fn")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.reshape(ops.cast(y_true, "float32"), (-1,))
        y_pred = ops.convert_to_tensor(y_pred)
        y_hat = ops.reshape(ops.cast(y_pred >= self.threshold, "float32"), (-1,))
        t = ops.stack([1.0 - y_true, y_true], axis=-1)   # (N, 2)
        p = ops.stack([1.0 - y_hat, y_hat], axis=-1)
        if sample_weight is not None:
            w = ops.reshape(ops.cast(sample_weight, "float32"), (-1, 1))
            t, p = t * w, p * w
        self.tp.assign_add(ops.sum(t * p, axis=0))
        self.fp.assign_add(ops.sum((1.0 - t) * p, axis=0))
        self.fn.assign_add(ops.sum(t * (1.0 - p), axis=0))

    def result(self):
        precision = ops.divide_no_nan(self.tp, self.tp + self.fp)
        recall = ops.divide_no_nan(self.tp, self.tp + self.fn)
        f1 = ops.divide_no_nan(2.0 * precision * recall, precision + recall)
        return ops.mean(f1)

    def reset_state(self):
        for v in self.variables:
            v.assign(ops.zeros(v.shape, dtype=v.dtype))

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


@keras.saving.register_keras_serializable("rw90")
class OrthogonalityRegularizer(keras.regularizers.Regularizer):
    """Penalize ||W^T W - I||_F^2 (soft orthogonality)."""

    def __init__(self, factor=1e-3):
        self.factor = factor

    def __call__(self, w):
        units = w.shape[-1]
        gram = ops.matmul(ops.transpose(w), w)
        return self.factor * ops.sum(ops.square(gram - ops.eye(units, dtype=w.dtype)))

    def get_config(self):
        return {"factor": self.factor}


@keras.saving.register_keras_serializable("rw90")
class MaxColumnNorm(keras.constraints.Constraint):
    def __init__(self, max_value=2.0):
        self.max_value = max_value

    def __call__(self, w):
        norms = ops.sqrt(ops.sum(ops.square(w), axis=0, keepdims=True))
        desired = ops.clip(norms, 0.0, self.max_value)
        return w * desired / (norms + keras.config.epsilon())

    def get_config(self):
        return {"max_value": self.max_value}


@keras.saving.register_keras_serializable("rw90")
class ScaledIdentity(keras.initializers.Initializer):
    """Identity-ish init for square-ish kernels plus a little noise."""

    def __init__(self, scale=1.0, noise=0.01, seed=None):
        self.scale, self.noise, self.seed = scale, noise, seed

    def __call__(self, shape, dtype=None):
        dtype = dtype or "float32"
        eye = ops.eye(shape[0], shape[1], dtype=dtype) * self.scale
        return eye + self.noise * keras.random.normal(shape, dtype=dtype, seed=self.seed)

    def get_config(self):
        return {"scale": self.scale, "noise": self.noise, "seed": self.seed}


def make_imbalanced(n, d, pos_rate, rng):
    X = rng.normal(size=(n, d)).astype("float32")
    w = rng.normal(size=(d,))
    score = X @ w + 0.5 * rng.normal(size=n)
    thresh = np.quantile(score, 1.0 - pos_rate)
    y = (score > thresh).astype("float32")[:, None]
    return X, y


def build_classifier(d):
    return keras.Sequential([
        keras.Input((d,)),
        keras.layers.Dense(32, activation="relu",
                           kernel_initializer=ScaledIdentity(scale=1.0, seed=5),
                           kernel_regularizer=OrthogonalityRegularizer(1e-3),
                           kernel_constraint=MaxColumnNorm(2.0)),
        keras.layers.Dense(16, activation="relu",
                           kernel_constraint=MaxColumnNorm(2.0)),
        keras.layers.Dense(1, activation="sigmoid"),
    ], name="focal_clf")


rng = np.random.default_rng(0)
X, y = make_imbalanced(N_SAMPLES, N_FEATURES, POS_RATE, rng)
print(f"positives: {int(y.sum())}/{len(y)}")

model = build_classifier(N_FEATURES)
model.compile(
    optimizer="adam",
    loss=BinaryFocalLoss(gamma=2.0, alpha=0.75),
    metrics=[MacroF1(threshold=0.4), keras.metrics.AUC(name="auc"),
             keras.metrics.Recall(thresholds=0.4, name="recall")],
)
model.summary()

log = keras.callbacks.LambdaCallback(
    on_epoch_end=lambda epoch, logs: print(
        f"  epoch {epoch}: " + ", ".join(f"{k}={v:.3f}" for k, v in sorted(logs.items()))))
model.fit(X, y, batch_size=64, epochs=2, validation_split=0.25, verbose=0,
          callbacks=[log])

# constraint should hold after training
k = ops.convert_to_numpy(model.layers[0].kernel)
print("max column norm after training:", round(float(np.linalg.norm(k, axis=0).max()), 3))

# stand-alone metric usage + reset
f1 = MacroF1()
f1.update_state([[1], [0], [1], [0]], [[0.9], [0.2], [0.3], [0.6]])
print("toy macro F1:", round(float(f1.result()), 3))
f1.reset_state()
print("after reset :", float(f1.result()))

# focal loss vs. plain BCE on confident-correct vs. wrong examples
yt = ops.array([[1.0], [1.0]])
yp = ops.array([[0.95], [0.1]])
fl = BinaryFocalLoss(reduction=None)(yt, yp)
bce = keras.losses.BinaryCrossentropy(reduction=None)(yt, yp)
print("focal:", np.round(ops.convert_to_numpy(fl), 4).tolist(),
      "bce:", np.round(ops.convert_to_numpy(bce), 4).tolist())
