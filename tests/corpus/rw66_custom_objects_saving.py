"""Save / reload a model that uses custom layers, a custom loss and a custom activation.

Keras 3 only understands the `.keras` zip format for full-model saving, and anything
custom must be either registered with `@keras.saving.register_keras_serializable`
or passed through `custom_objects=` at load time. This script exercises both paths
and checks the reloaded model gives the same predictions.
"""
import os
import tempfile

import numpy as np
import keras
from keras import layers, ops

PACKAGE = "rw66_demo"


@keras.saving.register_keras_serializable(package=PACKAGE)
def scaled_swish(x, beta=1.5):
    return x * ops.sigmoid(beta * x)


@keras.saving.register_keras_serializable(package=PACKAGE)
class ResidualDense(layers.Layer):
    """Dense -> activation -> Dense with a skip connection (projects if widths differ)."""

    def __init__(self, units, hidden_mult=2, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden_mult = hidden_mult
        self.dropout_rate = dropout
        self.fc1 = layers.Dense(units * hidden_mult, activation=scaled_swish)
        self.fc2 = layers.Dense(units)
        self.drop = layers.Dropout(dropout)
        self.norm = layers.LayerNormalization(epsilon=1e-5)
        self.proj = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)  # comes back as a list after deserialization
        in_dim = input_shape[-1]
        if in_dim != self.units:
            self.proj = layers.Dense(self.units, use_bias=False, name="proj")
            self.proj.build(input_shape)
        self.fc1.build(input_shape)
        self.fc2.build(input_shape[:-1] + (self.units * self.hidden_mult,))
        self.norm.build(input_shape[:-1] + (self.units,))

    def call(self, x, training=False):
        shortcut = self.proj(x) if self.proj is not None else x
        h = self.fc2(self.fc1(x))
        h = self.drop(h, training=training)
        return self.norm(shortcut + h)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)[:-1] + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units,
                       "hidden_mult": self.hidden_mult,
                       "dropout": self.dropout_rate})
        return config


class FocalBinaryLoss(keras.losses.Loss):
    """Not registered on purpose -- it has to go through custom_objects on load."""

    def __init__(self, gamma=2.0, alpha=0.25, name="focal_binary", **kwargs):
        super().__init__(name=name, **kwargs)
        self.gamma = gamma
        self.alpha = alpha

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        y_pred = ops.clip(y_pred, 1e-7, 1.0 - 1e-7)
        p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
        alpha_t = y_true * self.alpha + (1.0 - y_true) * (1.0 - self.alpha)
        loss = -alpha_t * ops.power(1.0 - p_t, self.gamma) * ops.log(p_t)
        return ops.mean(loss, axis=-1)

    def get_config(self):
        return {**super().get_config(), "gamma": self.gamma, "alpha": self.alpha}


def build_classifier(input_dim=24):
    inputs = keras.Input(shape=(input_dim,), name="features")
    x = ResidualDense(32, dropout=0.1, name="block_0")(inputs)
    x = ResidualDense(32, hidden_mult=4, name="block_1")(x)
    x = ResidualDense(16, name="block_2")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="prob")(x)
    return keras.Model(inputs, outputs)


def main():
    keras.utils.set_random_seed(1234)
    x = np.random.randn(512, 24).astype("float32")
    y = (x[:, :3].sum(axis=1) + 0.3 * np.random.randn(512) > 0).astype("float32")[:, None]

    model = build_classifier()
    model.compile(optimizer="adam",
                  loss=FocalBinaryLoss(gamma=1.5),
                  metrics=["accuracy", keras.metrics.AUC(name="auc")])
    model.fit(x, y, batch_size=64, epochs=1, verbose=2)
    before = model.predict(x[:16], verbose=0)

    workdir = tempfile.mkdtemp(prefix="rw66_")
    path = os.path.join(workdir, "residual_classifier.keras")
    model.save(path)
    print("saved to", path, "(%d bytes)" % os.path.getsize(path))

    # The registered objects resolve on their own; the loss does not.
    reloaded = keras.models.load_model(
        path, custom_objects={"FocalBinaryLoss": FocalBinaryLoss})
    after = reloaded.predict(x[:16], verbose=0)
    np.testing.assert_allclose(before, after, rtol=1e-5, atol=1e-6)
    print("reloaded predictions match:", after.shape)

    print("registered name:",
          keras.saving.get_registered_name(ResidualDense))
    print("loss on reload:", type(reloaded.loss).__name__, reloaded.loss.gamma)

    # Continue training the reloaded copy - optimizer state came with the file.
    reloaded.fit(x, y, batch_size=64, epochs=1, verbose=0)
    print("optimizer iterations after resume:", int(reloaded.optimizer.iterations.numpy()))

    # Weights-only round trip into a freshly built architecture.
    weights_path = os.path.join(workdir, "residual_classifier.weights.h5")
    reloaded.save_weights(weights_path)
    fresh = build_classifier()
    fresh.load_weights(weights_path)
    diff = ops.max(ops.abs(fresh(x[:16]) - reloaded(x[:16])))
    print("weights-only max diff:", float(ops.convert_to_numpy(diff)))

    # custom_object_scope is the other common way to make a name resolvable.
    with keras.saving.custom_object_scope({"FocalBinaryLoss": FocalBinaryLoss}):
        again = keras.saving.load_model(path, compile=True)
    print("scope load ok:", again.name, len(again.layers), "layers")


if __name__ == "__main__":
    main()
