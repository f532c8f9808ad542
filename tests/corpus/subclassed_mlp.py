"""A subclassed keras.Model: layers created in __init__, wired together in call()."""

import keras
import numpy as np
from keras import layers


class MLPClassifier(keras.Model):
    def __init__(self, hidden_units=(128, 64), num_classes=5, dropout=0.2):
        super().__init__()
        self.flatten = layers.Flatten()
        self.hidden = [layers.Dense(units, activation="relu") for units in hidden_units]
        self.dropout = layers.Dropout(dropout)
        self.norm = layers.BatchNormalization()
        self.classifier = layers.Dense(num_classes)

    def call(self, inputs, training=False):
        x = self.flatten(inputs)
        for dense in self.hidden:
            x = dense(x)
            x = self.dropout(x, training=training)
        x = self.norm(x, training=training)
        return self.classifier(x)


features = np.random.rand(64, 8, 8).astype("float32")
labels = np.random.randint(0, 5, size=(64,))

model = MLPClassifier()
logits = model(features[:2])
model.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
model.fit(features, labels, batch_size=16, epochs=1, verbose=0)
probabilities = keras.ops.softmax(model.predict(features[:3], verbose=0))
