"""WaveNet-like stack of dilated causal Conv1D for multivariate sequence-to-sequence regression."""

import keras
import numpy as np
from keras import layers

n_steps = 48
n_features = 5

x = np.random.randn(64, n_steps, n_features).astype("float32")
y = np.random.randn(64, n_steps, 1).astype("float32")

inputs = keras.Input(shape=(n_steps, n_features))
h = inputs
for rate in (1, 2, 4, 8):
    h = layers.Conv1D(filters=32, kernel_size=2, padding="causal", dilation_rate=rate, activation="relu")(h)
    h = layers.BatchNormalization()(h)
h = layers.Conv1D(16, 1, activation="relu")(h)
outputs = layers.TimeDistributed(layers.Dense(1))(h)

model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=32, verbose=0)

pooled = layers.AveragePooling1D(pool_size=4)(x)
