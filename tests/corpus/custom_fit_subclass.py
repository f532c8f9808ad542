"""Customising fit(): a subclassed model with its own train_step, build() and a shape-aware layer."""

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops


class FeatureCross(layers.Layer):
    """Outer product of two halves of the features, flattened."""

    def call(self, x):
        half = x.shape[-1] // 2
        left = ops.expand_dims(x[:, :half], axis=2)
        right = ops.expand_dims(x[:, half:], axis=1)
        crossed = ops.matmul(left, right)
        return ops.reshape(crossed, (-1, half * (x.shape[-1] - half)))

    def compute_output_shape(self, input_shape):
        half = input_shape[-1] // 2
        return (input_shape[0], half * (input_shape[-1] - half))


class Regressor(keras.Model):
    def __init__(self, hidden=32):
        super().__init__()
        self.cross = FeatureCross()
        self.hidden = layers.Dense(hidden, activation="relu")
        self.out = layers.Dense(1)

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")
        super().build(input_shape)

    def call(self, x):
        x = x * self.scale
        crossed = self.cross(x)
        h = self.hidden(ops.concatenate([x, crossed], axis=-1))
        return self.out(h)

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


x = np.random.rand(64, 8).astype("float32")
y = (x[:, :4] * x[:, 4:]).sum(axis=1, keepdims=True)

model = Regressor()
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
model.fit(x, y, epochs=1, batch_size=16, verbose=0)
preds = model.predict(x[:4], verbose=0)
crossed_features = FeatureCross()(x[:3])
