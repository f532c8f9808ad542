"""Transfer-learning layout: a keras.applications backbone (random init) under a new head."""

import numpy as np
from tensorflow import keras

IMG_SHAPE = (96, 96, 3)

base_model = keras.applications.MobileNetV2(
    input_shape=IMG_SHAPE, alpha=0.35, include_top=False, weights=None
)
base_model.trainable = False

preprocess_input = keras.applications.mobilenet_v2.preprocess_input

inputs = keras.Input(shape=IMG_SHAPE)
x = keras.layers.RandomFlip("horizontal")(inputs)
x = preprocess_input(x)
x = base_model(x, training=False)
x = keras.layers.GlobalAveragePooling2D()(x)
x = keras.layers.Dropout(0.2)(x)
outputs = keras.layers.Dense(1)(x)
model = keras.Model(inputs, outputs)

model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1e-4),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
)
images = np.random.uniform(0, 255, size=(8, 96, 96, 3)).astype("float32")
feature_batch = base_model(images)
model.fit(images, np.random.randint(0, 2, size=(8, 1)), epochs=1, verbose=0)
