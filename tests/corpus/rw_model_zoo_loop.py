"""Compare several architectures in a loop: a dict of builders and a list of config dicts."""
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, models

INPUT_SHAPE = (24, 24, 1)
N_CLASSES = 3

EXPERIMENTS = [
    {"name": "tiny", "filters": [8], "dense": 16, "dropout": 0.0},
    {"name": "small", "filters": [8, 16], "dense": 32, "dropout": 0.2},
    {"name": "medium", "filters": [8, 16, 32], "dense": 64, "dropout": 0.3, "batchnorm": True},
]


def build_cnn(name, filters, dense, dropout, batchnorm=False, input_shape=INPUT_SHAPE,
              n_classes=N_CLASSES):
    stack = [layers.Input(shape=input_shape)]
    for f in filters:
        stack.append(layers.Conv2D(f, 3, padding="same", activation="relu"))
        if batchnorm:
            stack.append(layers.BatchNormalization())
        stack.append(layers.MaxPooling2D())
    stack += [layers.Flatten(), layers.Dense(dense, activation="relu")]
    if dropout:
        stack.append(layers.Dropout(dropout))
    stack.append(layers.Dense(n_classes, activation="softmax"))
    return models.Sequential(stack, name=name)


def build_mlp(hidden=(64, 32), input_shape=INPUT_SHAPE, n_classes=N_CLASSES, **unused):
    inputs = layers.Input(shape=input_shape)
    hidden_layers = [layers.Flatten()] + [layers.Dense(h, activation="relu") for h in hidden]
    x = inputs
    for layer in hidden_layers:
        x = layer(x)
    return models.Model(inputs, layers.Dense(n_classes, activation="softmax")(x))


x = np.random.rand(16, *INPUT_SHAPE).astype("float32")
y = np.random.randint(0, N_CLASSES, 16)

results = {}
trained = {}
for exp in EXPERIMENTS:
    m = build_cnn(**exp)
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if exp["name"] == "tiny":  # full sweep disabled for the smoke run
        hist = m.fit(x, y, epochs=1, batch_size=16, verbose=0)
        results[exp["name"]] = hist.history["loss"][-1]
    else:
        results[exp["name"]] = float(np.mean(m(x).numpy()))
    trained[exp["name"]] = m

BUILDERS = {"mlp": build_mlp, "mlp_wide": lambda **kw: build_mlp(hidden=(128,), **kw)}
for key, builder in BUILDERS.items():
    model = builder(input_shape=INPUT_SHAPE)
    trained[key] = model

best = min(results, key=results.get)
best_pred = trained[best](x[:2])
mlp_pred = trained["mlp"](x[:2])
