"""Feature engineering with numpy and TF ops, then a Sequential built with model.build()."""

import keras
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(0)
raw = rng.normal(size=(64, 4)).astype(np.float32)
category = rng.integers(0, 3, size=64)

squared = np.square(raw)
pairwise = raw[:, :2] * raw[:, 2:]
numeric = np.concatenate([raw, squared, pairwise], axis=1)
onehot = tf.one_hot(category, depth=3)
features = tf.concat([tf.convert_to_tensor(numeric), onehot], axis=-1)
weights = tf.random.normal((features.shape[1], 1))
target = tf.matmul(features, weights) + 0.1 * tf.random.normal((64, 1))
target = tf.squeeze(target, axis=-1)
stacked = tf.stack([target, target * 2.0], axis=1)
first_rows = tf.gather(features, [0, 1, 2])
as_columns = tf.reshape(features, (64, -1, 1))
batch_major = tf.transpose(as_columns, perm=[1, 0, 2])
expanded = tf.expand_dims(target, axis=1)

model = keras.Sequential(
    [
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1),
    ]
)
model.build((None, 13))
model.compile(optimizer="adam", loss="mse")
model.fit(features, expanded, epochs=1, batch_size=32, verbose=0)

preds = model(first_rows)
layer = keras.layers.Dense(5)
projected = layer(features)
projected_again = layer(first_rows)
