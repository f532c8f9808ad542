"""Homoscedastic uncertainty weighting for multi-task learning (Kendall, Gal & Cipolla 2018).

Instead of hand-tuning loss_weights, each task gets a learnable log-variance s_i and
the total loss becomes  sum_i  exp(-s_i) * L_i + s_i.  The trick people usually use
in Keras is a terminal "loss layer" that takes both predictions and targets as
inputs and registers the combined loss through add_loss(). The training model then
has no conventional outputs-with-targets; a separate prediction model shares the
weights for inference.

Tasks: two regression targets (different noise levels) + one classification target.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

N_FEATURES = 20
N_CLASSES = 4
N_TRAIN = 512
BATCH = 64


class UncertaintyWeightedLoss(layers.Layer):
    """Combines per-task losses with learned homoscedastic uncertainty."""

    def __init__(self, task_types, **kwargs):
        super().__init__(**kwargs)
        self.task_types = list(task_types)
        self.num_tasks = len(self.task_types)

    def build(self, input_shape):
        # one log(sigma^2) per task, initialised at 0 -> weight 1.0
        self.log_vars = []
        for i, kind in enumerate(self.task_types):
            self.log_vars.append(
                self.add_weight(
                    name=f"log_var_{i}_{kind}",
                    shape=(),
                    initializer="zeros",
                    trainable=True,
                )
            )

    def _task_loss(self, kind, y_true, y_pred):
        if kind == "regression":
            return ops.mean(ops.square(y_true - y_pred))
        if kind == "classification":
            y_true = ops.cast(ops.reshape(y_true, (-1,)), "int32")
            ce = keras.losses.sparse_categorical_crossentropy(y_true, y_pred)
            return ops.mean(ce)
        raise ValueError(f"unknown task type {kind!r}")

    def call(self, inputs):
        # inputs = [y_true_0, ..., y_true_k, y_pred_0, ..., y_pred_k]
        ys_true = inputs[: self.num_tasks]
        ys_pred = inputs[self.num_tasks :]
        total = 0.0
        for kind, log_var, yt, yp in zip(self.task_types, self.log_vars, ys_true, ys_pred):
            precision = ops.exp(-log_var)
            # 0.5 factor for regression comes from the Gaussian likelihood
            scale = 0.5 if kind == "regression" else 1.0
            total = total + scale * precision * self._task_loss(kind, yt, yp) + 0.5 * log_var
        self.add_loss(total)
        # pass predictions through so the model has *some* output
        return ops.concatenate(ys_pred, axis=-1)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"task_types": self.task_types})
        return cfg


def make_data(n, seed=0):
    rs = np.random.RandomState(seed)
    x = rs.normal(size=(n, N_FEATURES)).astype("float32")
    w1 = rs.normal(size=(N_FEATURES, 1))
    w2 = rs.normal(size=(N_FEATURES, 1))
    y1 = (x @ w1 + 0.1 * rs.normal(size=(n, 1))).astype("float32")  # low noise
    y2 = (np.sin(x @ w2) + 1.0 * rs.normal(size=(n, 1))).astype("float32")  # high noise
    logits = x[:, :N_CLASSES] + 0.5 * rs.normal(size=(n, N_CLASSES))
    y3 = np.argmax(logits, axis=1).astype("float32")[:, None]
    return x, y1, y2, y3


def build_prediction_model():
    inp = keras.Input(shape=(N_FEATURES,), name="features")
    h = layers.Dense(128, activation="relu")(inp)
    h = layers.LayerNormalization()(h)
    h = layers.Dense(64, activation="relu")(h)
    out_a = layers.Dense(1, name="reg_a")(h)
    out_b = layers.Dense(1, name="reg_b")(layers.Dense(32, activation="tanh")(h))
    out_c = layers.Dense(N_CLASSES, activation="softmax", name="cls")(h)
    return keras.Model(inp, [out_a, out_b, out_c], name="mtl_predictor")


def build_training_model(predictor):
    x_in = keras.Input(shape=(N_FEATURES,), name="features")
    ya_in = keras.Input(shape=(1,), name="y_reg_a")
    yb_in = keras.Input(shape=(1,), name="y_reg_b")
    yc_in = keras.Input(shape=(1,), name="y_cls")
    pa, pb, pc = predictor(x_in)
    combined = UncertaintyWeightedLoss(
        ["regression", "regression", "classification"], name="uncertainty_loss"
    )([ya_in, yb_in, yc_in, pa, pb, pc])
    return keras.Model([x_in, ya_in, yb_in, yc_in], combined, name="mtl_trainer")


def main():
    x, y1, y2, y3 = make_data(N_TRAIN)
    predictor = build_prediction_model()
    trainer = build_training_model(predictor)
    trainer.summary()

    # no `loss=` -- everything comes from add_loss inside the loss layer
    trainer.compile(optimizer=keras.optimizers.Adam(3e-3))

    ds = (
        tf.data.Dataset.from_tensor_slices(
            {"features": x, "y_reg_a": y1, "y_reg_b": y2, "y_cls": y3}
        )
        .shuffle(N_TRAIN)
        .batch(BATCH)
    )
    trainer.fit(ds, epochs=2, verbose=2)

    loss_layer = trainer.get_layer("uncertainty_loss")
    sigmas = [float(np.exp(0.5 * ops.convert_to_numpy(v))) for v in loss_layer.log_vars]
    for kind, s in zip(loss_layer.task_types, sigmas):
        print(f"learned sigma ({kind}): {s:.3f}  -> effective weight {1.0 / s**2:.3f}")

    # prediction model shares weights with the trainer
    pa, pb, pc = predictor.predict(x[:8], verbose=0)
    print("pred shapes:", pa.shape, pb.shape, pc.shape)
    print("cls acc on 8:", float(np.mean(np.argmax(pc, -1) == y3[:8, 0])))


if __name__ == "__main__":
    main()
