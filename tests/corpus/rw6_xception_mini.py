"""Mini Xception-style classifier.

Entry flow / middle flow / exit flow, but shrunk down so it trains on
32x32 images. Uses SeparableConv2D everywhere with 1x1 strided conv
shortcuts like the original paper. Random data, just a smoke test.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMG_SIZE = 32
NUM_CLASSES = 10
ENTRY_FILTERS = [32, 64, 128]
MIDDLE_REPEATS = 2
BATCH = 16

np.random.seed(42)
tf.random.set_seed(42)


def sep_bn_relu(x, filters, name, activate_first=True):
    # xception puts relu *before* the sep conv in most of the blocks
    if activate_first:
        x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False,
                               name=f"{name}_sepconv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return x


def entry_block(x, filters, idx):
    residual = layers.Conv2D(filters, 1, strides=2, padding="same",
                             use_bias=False, name=f"entry{idx}_shortcut")(x)
    residual = layers.BatchNormalization(name=f"entry{idx}_shortcut_bn")(residual)

    x = sep_bn_relu(x, filters, f"entry{idx}_a", activate_first=(idx != 0))
    x = sep_bn_relu(x, filters, f"entry{idx}_b")
    x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"entry{idx}_pool")(x)
    return layers.add([x, residual], name=f"entry{idx}_add")


def middle_block(x, filters, idx):
    shortcut = x
    for j in range(3):
        x = sep_bn_relu(x, filters, f"middle{idx}_{j}")
    x = layers.Add(name=f"middle{idx}_add")([x, shortcut])
    return x


def build_mini_xception(input_shape=(IMG_SIZE, IMG_SIZE, 3), num_classes=NUM_CLASSES):
    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Rescaling(1.0 / 255)(inputs)

    # stem
    x = layers.Conv2D(16, 3, strides=1, padding="same", use_bias=False, name="stem_conv1")(x)
    x = layers.BatchNormalization(name="stem_bn1")(x)
    x = layers.Activation("relu", name="stem_relu1")(x)
    x = layers.Conv2D(32, 3, padding="same", use_bias=False, name="stem_conv2")(x)
    x = layers.BatchNormalization(name="stem_bn2")(x)
    x = layers.Activation("relu")(x)

    for i, f in enumerate(ENTRY_FILTERS):
        x = entry_block(x, f, i)

    for i in range(MIDDLE_REPEATS):
        x = middle_block(x, ENTRY_FILTERS[-1], i)

    # exit flow
    res = layers.Conv2D(256, 1, strides=2, padding="same", use_bias=False)(x)
    res = layers.BatchNormalization()(res)
    x = sep_bn_relu(x, 128, "exit_a")
    x = sep_bn_relu(x, 256, "exit_b")
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    x = layers.add([x, res])

    x = layers.SeparableConv2D(384, 3, padding="same", activation="relu", name="exit_sep1")(x)
    x = layers.SeparableConv2D(512, 3, padding="same", activation="relu", name="exit_sep2")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="mini_xception")


model = build_mini_xception()
model.summary()

model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1e-3),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)

x_train = np.random.randint(0, 256, size=(64, IMG_SIZE, IMG_SIZE, 3)).astype("float32")
y_train = np.random.randint(0, NUM_CLASSES, size=(64,))
x_val = np.random.randint(0, 256, size=(16, IMG_SIZE, IMG_SIZE, 3)).astype("float32")
y_val = np.random.randint(0, NUM_CLASSES, size=(16,))

history = model.fit(x_train, y_train, batch_size=BATCH, epochs=1,
                    validation_data=(x_val, y_val), verbose=2)
print("train loss:", history.history["loss"][-1])

probs = model.predict(x_val[:4], verbose=0)
print("pred classes:", probs.argmax(axis=-1))
print("param count:", model.count_params())
