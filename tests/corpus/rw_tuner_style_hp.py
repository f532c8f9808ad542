"""A KerasTuner-style `build_model(hp)` driven by a tiny stand-in HyperParameters object."""
import numpy as np
import keras
from keras import layers


class FakeHP:
    """Returns the default (or first/min) value of every hyper-parameter, like hp on trial 0."""

    def __init__(self, overrides=None):
        self.values = dict(overrides or {})

    def Int(self, name, min_value, max_value, step=1, default=None):
        return self.values.setdefault(name, default if default is not None else min_value)

    def Float(self, name, min_value, max_value, sampling=None, default=None):
        return self.values.setdefault(name, default if default is not None else min_value)

    def Choice(self, name, values, default=None):
        return self.values.setdefault(name, default if default is not None else values[0])

    def Boolean(self, name, default=False):
        return self.values.setdefault(name, default)


def build_model(hp):
    model = keras.Sequential()
    model.add(layers.Input(shape=(28, 28)))
    model.add(layers.Flatten())
    for i in range(hp.Int("num_layers", 1, 3)):
        model.add(
            layers.Dense(
                # Tune number of units separately.
                units=hp.Int(f"units_{i}", min_value=32, max_value=512, step=32),
                activation=hp.Choice("activation", ["relu", "tanh"]),
            )
        )
    if hp.Boolean("dropout"):
        model.add(layers.Dropout(rate=0.25))
    model.add(layers.Dense(10, activation="softmax"))
    learning_rate = hp.Float("lr", min_value=1e-4, max_value=1e-2, sampling="log")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def build_conv(hp):
    inputs = keras.Input(shape=(32, 32, 3))
    x = inputs
    for i in range(hp.Int("conv_blocks", 2, 4, default=3)):
        filters = hp.Int("filters_" + str(i), 16, 64, step=16)
        for _ in range(2):
            x = layers.Conv2D(filters, kernel_size=(3, 3), padding="same")(x)
            x = layers.BatchNormalization()(x)
            x = layers.ReLU()(x)
        if hp.Choice("pooling_" + str(i), ["avg", "max"]) == "max":
            x = layers.MaxPool2D()(x)
        else:
            x = layers.AvgPool2D(pool_size=2)(x)
    x = layers.GlobalAvgPool2D()(x)
    x = layers.Dense(hp.Int("hidden_size", 30, 100, step=10, default=50), activation="relu")(x)
    x = layers.Dropout(hp.Float("dropout", 0, 0.5, default=0.5))(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs)


hp = FakeHP()
model = build_model(hp)
x = np.random.rand(32, 28, 28).astype("float32")
y = keras.utils.to_categorical(np.random.randint(0, 10, 32), 10)
model.fit(x, y, epochs=1, batch_size=16, verbose=0)

conv = build_conv(FakeHP({"conv_blocks": 2}))
conv_out = conv(np.zeros((2, 32, 32, 3), "float32"))
