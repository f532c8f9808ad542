"""Two-headed tabular model (binary 'churn' + regression 'spend') trained
with a hand-rolled loop.  Losses and metrics are all plain objects that we
call ourselves: reduction='none' + per-sample weights, a custom F1 metric,
metric reset between epochs, and a final sanity check comparing the loss
objects to numpy re-implementations.
"""
import math
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
import keras
from tensorflow.keras import layers


@dataclass
class Config:
    n_rows: int = 500
    n_feats: int = 12
    batch_size: int = 50
    epochs: int = 2
    lr: float = 5e-3
    spend_loss_weight: float = 0.5
    pos_class_weight: float = 3.0  # churners are rare -> upweight
    hidden: list = field(default_factory=lambda: [64, 32])


cfg = Config()
keras.utils.set_random_seed(2024)
rng = np.random.default_rng(2024)


def make_table(n, d):
    X = rng.normal(size=(n, d)).astype("float32")
    w_churn = rng.normal(size=d)
    logits = X @ w_churn - 1.5  # shifts to ~20% positives
    churn = (rng.random(n) < 1 / (1 + np.exp(-logits))).astype("float32")
    spend = (X[:, :4].sum(1) * 10 + 50 + rng.normal(scale=5, size=n)).astype("float32")
    return X, churn[:, None], spend[:, None]


X, churn, spend = make_table(cfg.n_rows, cfg.n_feats)
spend_mu, spend_sd = spend.mean(), spend.std()
spend_z = (spend - spend_mu) / spend_sd
n_val = cfg.n_rows // 5
print(f"positive rate: {churn.mean():.3f}")


class F1Score(keras.metrics.Metric):
    """Streaming binary F1 built on top of Precision/Recall metric objects."""

    def __init__(self, threshold=0.5, name="f1", **kwargs):
        super().__init__(name=name, **kwargs)
        self.p = keras.metrics.Precision(thresholds=threshold)
        self.r = keras.metrics.Recall(thresholds=threshold)

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.p.update_state(y_true, y_pred, sample_weight)
        self.r.update_state(y_true, y_pred, sample_weight)

    def result(self):
        p, r = self.p.result(), self.r.result()
        return tf.math.divide_no_nan(2 * p * r, p + r)

    def reset_state(self):
        self.p.reset_state()
        self.r.reset_state()


def build_model():
    inp = keras.Input((cfg.n_feats,), name="features")
    h = inp
    for i, units in enumerate(cfg.hidden):
        h = layers.Dense(units, activation="gelu", name=f"shared_{i}")(h)
    churn_logit = layers.Dense(1, name="churn_logit")(h)
    spend_out = layers.Dense(1, name="spend")(h)
    return keras.Model(inp, [churn_logit, spend_out])


model = build_model()
opt = keras.optimizers.Adam(cfg.lr)

# loss objects; reduction="none" so we can apply our own per-sample weights
bce_none = keras.losses.BinaryCrossentropy(from_logits=True, reduction="none")
huber_none = keras.losses.Huber(delta=1.0, reduction="none")

train_metrics = {
    "loss": keras.metrics.Mean(name="loss"),
    "bce": keras.metrics.Mean(name="bce"),
    "huber": keras.metrics.Mean(name="huber"),
    "auc": keras.metrics.AUC(from_logits=True, name="auc"),
}
val_metrics = {
    "auc": keras.metrics.AUC(from_logits=True, name="val_auc"),
    "f1": F1Score(name="val_f1"),
    "acc": keras.metrics.BinaryAccuracy(threshold=0.5, name="val_acc"),
    "mae_dollars": keras.metrics.MeanAbsoluteError(name="val_mae"),
    "rmse_dollars": keras.metrics.RootMeanSquaredError(name="val_rmse"),
}


def compute_losses(y_churn, y_spend, churn_logit, spend_pred):
    weights = tf.where(y_churn[:, 0] > 0.5, cfg.pos_class_weight, 1.0)
    per_sample_bce = bce_none(y_churn, churn_logit)  # shape (batch,)
    per_sample_huber = huber_none(y_spend, spend_pred)
    bce = tf.reduce_sum(per_sample_bce * weights) / tf.reduce_sum(weights)
    huber = tf.reduce_mean(per_sample_huber)
    return bce + cfg.spend_loss_weight * huber, bce, huber


@tf.function
def train_step(x, y_churn, y_spend):
    with tf.GradientTape() as tape:
        churn_logit, spend_pred = model(x, training=True)
        total, bce, huber = compute_losses(y_churn, y_spend, churn_logit, spend_pred)
    grads = tape.gradient(total, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
    for key, val in (("loss", total), ("bce", bce), ("huber", huber)):
        train_metrics[key].update_state(val)
    train_metrics["auc"].update_state(y_churn, churn_logit)


@tf.function
def val_step(x, y_churn, y_spend):
    churn_logit, spend_pred = model(x, training=False)
    prob = tf.sigmoid(churn_logit)
    val_metrics["auc"].update_state(y_churn, churn_logit)
    val_metrics["f1"].update_state(y_churn, prob)
    val_metrics["acc"].update_state(y_churn, prob)
    # de-standardise so MAE/RMSE are in the original "dollar" units
    spend_dollars = spend_pred * spend_sd + spend_mu
    y_dollars = y_spend * spend_sd + spend_mu
    val_metrics["mae_dollars"].update_state(y_dollars, spend_dollars)
    val_metrics["rmse_dollars"].update_state(y_dollars, spend_dollars)


def batches(lo, hi, shuffle):
    ds = tf.data.Dataset.from_tensor_slices((X[lo:hi], churn[lo:hi], spend_z[lo:hi]))
    if shuffle:
        ds = ds.shuffle(hi - lo, reshuffle_each_iteration=True)
    return ds.batch(cfg.batch_size)


train_ds = batches(n_val, cfg.n_rows, shuffle=True)
val_ds = batches(0, n_val, shuffle=False)
steps_per_epoch = math.ceil((cfg.n_rows - n_val) / cfg.batch_size)

for epoch in range(1, cfg.epochs + 1):
    for m in [*train_metrics.values(), *val_metrics.values()]:
        m.reset_state()
    for x_b, c_b, s_b in train_ds:
        train_step(x_b, c_b, s_b)
    for x_b, c_b, s_b in val_ds:
        val_step(x_b, c_b, s_b)
    tr = " ".join(f"{k}={float(m.result()):.4f}" for k, m in train_metrics.items())
    va = " ".join(f"{m.name}={float(m.result()):.4f}" for m in val_metrics.values())
    print(f"epoch {epoch} ({steps_per_epoch} steps) | {tr} | {va}")

# ---- sanity checks: call loss objects / functions by hand on tiny arrays --
y_t = np.array([[1.0], [0.0], [1.0]], dtype="float32")
logit = np.array([[2.0], [-1.0], [-0.5]], dtype="float32")
p = 1 / (1 + np.exp(-logit))
np_bce = -(y_t * np.log(p) + (1 - y_t) * np.log(1 - p)).mean()
keras_bce_mean = keras.losses.BinaryCrossentropy(from_logits=True)(y_t, logit)
keras_bce_sum = keras.losses.BinaryCrossentropy(from_logits=True, reduction="sum")(y_t, logit)
print(f"BCE numpy={np_bce:.5f} keras(mean)={float(keras_bce_mean):.5f} keras(sum)/3={float(keras_bce_sum) / 3:.5f}")
assert abs(np_bce - float(keras_bce_mean)) < 1e-5

a = np.array([[0.0, 1.0], [2.0, 3.0]], dtype="float32")
b = np.array([[0.5, 1.0], [2.0, 5.0]], dtype="float32")
fn_mse = keras.losses.mean_squared_error(a, b).numpy()  # per-row, no reduction
obj_mse = float(keras.losses.MeanSquaredError()(a, b, sample_weight=np.array([1.0, 0.0])))
print(f"functional MSE per row={fn_mse}, object MSE with row-2 weight 0 = {obj_mse:.4f}")
assert np.isclose(obj_mse, fn_mse[0] / 2)  # sum_over_batch_size divides by batch size

f1 = F1Score()
f1.update_state([1, 1, 0, 0], [0.9, 0.2, 0.7, 0.1])
print(f"hand-checked F1 (P=0.5, R=0.5) -> {float(f1.result()):.3f}")
