"""tf.data input pipeline (from_tensor_slices, map, shuffle, batch, prefetch) feeding fit()."""

import numpy as np
import tensorflow as tf
from tensorflow import keras

NUM_CLASSES = 3
BATCH_SIZE = 16

images = np.random.randint(0, 256, size=(64, 32, 32, 3)).astype("uint8")
labels = np.random.randint(0, NUM_CLASSES, size=(64,))


def preprocess(image, label):
    image = tf.cast(image, tf.float32) / 255.0
    image = tf.image.resize(image, (24, 24))
    label = tf.one_hot(label, NUM_CLASSES)
    return image, label


train_ds = tf.data.Dataset.from_tensor_slices((images, labels))
train_ds = train_ds.shuffle(64).map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
train_ds = train_ds.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)

model = keras.Sequential(
    [
        keras.layers.Input(shape=(24, 24, 3)),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(NUM_CLASSES, activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(train_ds, epochs=1, verbose=0)

for batch_images, _batch_labels in train_ds.take(1):
    batch_preds = model(batch_images)
