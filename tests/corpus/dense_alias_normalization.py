"""Binary classification on tabular data with an adapted Normalization layer and aliased imports."""

import numpy as np
import tensorflow as tf
from tensorflow.keras.layers import Dense as D
from tensorflow.keras.layers import Dropout as Drop
from tensorflow.keras.layers import Normalization

features = np.random.normal(loc=5.0, scale=2.0, size=(64, 6)).astype("float32")
target = (features.sum(axis=1) > 30).astype("int32")

normalizer = Normalization(axis=-1)
normalizer.adapt(features)
normalized_sample = normalizer(features[:3])

inputs = tf.keras.Input(shape=(6,))
h = normalizer(inputs)
h = D(32, activation="relu")(h)
h = Drop(0.3)(h)
h = D(16, activation="relu")(h)
out = D(1, activation="sigmoid")(h)

clf = tf.keras.Model(inputs=inputs, outputs=out)
clf.compile(optimizer="adam", loss="binary_crossentropy", metrics=[tf.keras.metrics.AUC()])
clf.fit(features, target, epochs=1, batch_size=32, verbose=0)
scores = clf.predict(features, verbose=0).ravel()
