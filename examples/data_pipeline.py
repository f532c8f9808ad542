"""A tf.data input pipeline feeding a Sequential model."""

import numpy as np
import tensorflow as tf

images = np.random.rand(100, 28, 28, 3).astype(np.float32)
labels = np.random.randint(0, 10, size=(100,)).astype(np.int32)

dataset = tf.data.Dataset.from_tensor_slices((images, labels))
dataset = dataset.map(lambda x, y: (x * 2.0 - 1.0, y))
dataset = dataset.shuffle(100).batch(32).prefetch(tf.data.AUTOTUNE)

model = tf.keras.Sequential([
    tf.keras.layers.Input(shape=(28, 28, 3)),
    tf.keras.layers.Conv2D(8, 3, activation="relu"),
    tf.keras.layers.MaxPooling2D(),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(10),
])
model.compile(
    optimizer="adam",
    loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
)
model.fit(dataset, epochs=1, verbose=0)

for batch_images, batch_labels in dataset.take(1):
    logits = model(batch_images)
