"""Variable-length sequences: padding, Masking and mask-aware recurrent layers."""

import keras
import numpy as np
from keras import layers

raw_sequences = [
    [711, 632, 71],
    [73, 8, 3215, 55, 927],
    [83, 91, 1, 645, 1253, 927],
]
padded = keras.utils.pad_sequences(raw_sequences, padding="post", maxlen=8)

embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
masked_output = embedding(padded)
mask = embedding.compute_mask(padded)

features = np.random.rand(24, 10, 4).astype("float32")
features[:, 7:, :] = 0.0
targets = np.random.rand(24, 1).astype("float32")

model = keras.Sequential(
    [
        layers.Input(shape=(10, 4)),
        layers.Masking(mask_value=0.0),
        layers.SimpleRNN(16, return_sequences=True),
        layers.SimpleRNN(8),
        layers.Dense(1),
    ]
)
model.compile(optimizer="adam", loss="mse")
model.fit(features, targets, epochs=1, batch_size=12, verbose=0)

bag = keras.Sequential(
    [layers.Embedding(5000, 16, mask_zero=True), layers.GlobalAveragePooling1D(), layers.Dense(1)]
)
bag_scores = bag(padded)
