# Custom loss functions in Keras 3:
#  (a) a plain function (y_true, y_pred) -> per-sample loss
#  (b) a closure when you need extra parameters (keras can't pass them for you)
#  (c) a keras.losses.Loss subclass (serializable, has get_config)
#  (d) the same loss inside a hand-written tf.function training loop
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

N, D = 400, 10
BATCH = 32
LR = 1e-2

rng = np.random.default_rng(7)
X = rng.normal(size=(N, D)).astype("float32")
true_w = rng.normal(size=(D, 1)).astype("float32")
y = (X @ true_w + 0.3 * rng.standard_t(df=2, size=(N, 1))).astype("float32")  # heavy-tailed noise


def rmse(y_true, y_pred):
    return ops.sqrt(ops.mean(ops.square(y_true - y_pred), axis=-1) + 1e-8)


def make_asymmetric_loss(under_penalty=2.0):
    """Penalize under-prediction more than over-prediction."""
    def asymmetric(y_true, y_pred):
        err = y_true - y_pred
        w = ops.where(err > 0, under_penalty, 1.0)
        return ops.mean(w * ops.square(err), axis=-1)
    asymmetric.__name__ = f"asymmetric_{under_penalty}"
    return asymmetric


@keras.saving.register_keras_serializable(package="rw103")
class PseudoHuber(keras.losses.Loss):
    def __init__(self, delta=1.0, name="pseudo_huber", **kwargs):
        super().__init__(name=name, **kwargs)
        self.delta = delta

    def call(self, y_true, y_pred):
        d2 = self.delta ** 2
        r = (y_true - y_pred) / self.delta
        return ops.mean(d2 * (ops.sqrt(1.0 + ops.square(r)) - 1.0), axis=-1)

    def get_config(self):
        return {**super().get_config(), "delta": self.delta}


def build():
    return keras.Sequential(
        [keras.Input((D,)), layers.Dense(16, activation="relu"), layers.Dense(1)]
    )


losses_to_try = {
    "rmse_fn": rmse,
    "asymmetric_closure": make_asymmetric_loss(3.0),
    "pseudo_huber_class": PseudoHuber(delta=0.5),
}

scores = {}
for name, loss_fn in losses_to_try.items():
    tf.random.set_seed(0)
    model = build()
    model.compile(optimizer=keras.optimizers.Adam(LR), loss=loss_fn, metrics=["mae"])
    h = model.fit(X, y, batch_size=BATCH, epochs=2, verbose=0)
    scores[name] = h.history["mae"][-1]
    print(f"{name:>20}: final loss={h.history['loss'][-1]:.4f} mae={scores[name]:.4f}")

# saving a model compiled with the custom Loss subclass and loading it back
path = "/tmp/rw103_custom_loss_model.keras"
model.save(path)
restored = keras.models.load_model(path)
print("restored loss:", type(restored.loss).__name__, "delta =", restored.loss.delta)

# (d) custom training loop with the same loss object
model = build()
optimizer = keras.optimizers.Adam(LR)
loss_obj = PseudoHuber(delta=0.5)
mae_metric = keras.metrics.MeanAbsoluteError()
train_ds = tf.data.Dataset.from_tensor_slices((X, y)).shuffle(N, seed=1).batch(BATCH)


@tf.function
def train_step(xb, yb):
    with tf.GradientTape() as tape:
        pred = model(xb, training=True)
        loss = loss_obj(yb, pred)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    mae_metric.update_state(yb, pred)
    return loss


for epoch in range(2):
    mae_metric.reset_state()
    batch_losses = [float(train_step(xb, yb)) for xb, yb in train_ds]
    print(f"epoch {epoch + 1}: mean loss {np.mean(batch_losses):.4f}, mae {float(mae_metric.result()):.4f}")
