"""Build models from a JSON-like architecture spec with getattr(layers, name)."""
import copy

import numpy as np
import tensorflow as tf
from tensorflow.keras import layers

ARCH = [
    {"type": "Dense", "units": 64, "activation": "relu"},
    {"type": "Dropout", "rate": 0.2},
    {"type": "Dense", "units": 32, "activation": "relu"},
    {"type": "BatchNormalization"},
    {"type": "Dense", "units": 3, "activation": "softmax"},
]

CONV_ARCH = [
    ("Conv1D", {"filters": 16, "kernel_size": 5, "activation": "relu"}),
    ("MaxPooling1D", {"pool_size": 2}),
    ("Conv1D", {"filters": 32, "kernel_size": 3, "padding": "same"}),
    ("GlobalAveragePooling1D", {}),
    ("Dense", {"units": 1}),
]


def model_from_spec(spec, input_dim):
    spec = copy.deepcopy(spec)
    inputs = tf.keras.Input(shape=(input_dim,))
    x = inputs
    for layer_cfg in spec:
        layer_type = layer_cfg.pop("type")
        layer_cls = getattr(layers, layer_type)
        x = layer_cls(**layer_cfg)(x)
    return tf.keras.Model(inputs, x)


def conv_model_from_spec(spec, timesteps, channels):
    model = tf.keras.Sequential([layers.Input(shape=(timesteps, channels))])
    for name, kwargs in spec:
        model.add(getattr(layers, name)(**kwargs))
    return model


mlp = model_from_spec(ARCH, input_dim=10)
mlp.compile("adam", "sparse_categorical_crossentropy")
mlp.fit(np.random.rand(32, 10), np.random.randint(0, 3, 32), batch_size=32, epochs=1, verbose=0)

conv = conv_model_from_spec(CONV_ARCH, timesteps=50, channels=2)
conv_out = conv(np.random.rand(4, 50, 2).astype("float32"))

activation_name = "LeakyReLU"
act = getattr(tf.keras.layers, activation_name)(negative_slope=0.1)
x_in = tf.keras.Input(shape=(8,))
y = act(layers.Dense(16)(x_in))
pool_kind = "Max"
pool = getattr(layers, "Global%sPooling1D" % pool_kind)()
seq_in = tf.keras.Input(shape=(12, 4))
pooled = pool(seq_in)
