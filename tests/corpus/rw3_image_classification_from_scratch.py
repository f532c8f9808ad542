"""
Image classification from scratch (cats vs dogs style), mini version.

Follows the structure of the keras.io example: a data augmentation stage,
an Xception-ish small network with residual separable-conv blocks.
Random tensors replace the jpeg folder so it runs anywhere.
"""
import numpy as np
import keras
from keras import layers
import tensorflow as tf

image_size = (64, 64)
batch_size = 8
num_images = 32

# ---------------------------------------------------------------------------
# "Load" data
# ---------------------------------------------------------------------------
images = np.random.randint(0, 256, size=(num_images,) + image_size + (3,)).astype("float32")
labels = np.random.randint(0, 2, size=(num_images,)).astype("int32")

split = int(num_images * 0.75)
train_ds = tf.data.Dataset.from_tensor_slices((images[:split], labels[:split]))
val_ds = tf.data.Dataset.from_tensor_slices((images[split:], labels[split:]))
train_ds = train_ds.shuffle(64).batch(batch_size)
val_ds = val_ds.batch(batch_size)

data_augmentation_layers = [
    layers.RandomFlip("horizontal"),
    layers.RandomRotation(0.1),
]


def data_augmentation(images):
    for layer in data_augmentation_layers:
        images = layer(images)
    return images


# Also keep a Sequential version around for visualising augmentations
data_augmentation_seq = keras.Sequential(data_augmentation_layers, name="augment")

for imgs, _ in train_ds.take(1):
    aug = data_augmentation_seq(imgs, training=True)
    print("augmented batch:", aug.shape)

# apply augmentation in the input pipeline (runs on CPU, async)
train_ds = train_ds.map(
    lambda img, label: (data_augmentation(img), label),
    num_parallel_calls=tf.data.AUTOTUNE,
)
train_ds = train_ds.prefetch(tf.data.AUTOTUNE)
val_ds = val_ds.prefetch(tf.data.AUTOTUNE)


def make_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)

    # Entry block
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(32, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    previous_block_activation = x  # Set aside residual

    for size in [64, 128, 192]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

        # Project residual
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(
            previous_block_activation
        )
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual

    x = layers.SeparableConv2D(256, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    x = layers.GlobalAveragePooling2D()(x)
    if num_classes == 2:
        units = 1
        activation = None
    else:
        units = num_classes
        activation = "softmax"

    x = layers.Dropout(0.25)(x)
    # binary case returns logits (loss uses from_logits=True)
    outputs = layers.Dense(units, activation=activation)(x)
    return keras.Model(inputs, outputs)


model = make_model(input_shape=image_size + (3,), num_classes=2)
model.summary()

epochs = 1
callbacks = [
    keras.callbacks.History(),
]
model.compile(
    optimizer=keras.optimizers.Adam(3e-4),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy(name="acc")],
)
model.fit(
    train_ds,
    epochs=epochs,
    callbacks=callbacks,
    validation_data=val_ds,
)

# Run inference on a single "new" image
img = np.random.randint(0, 256, size=image_size + (3,)).astype("float32")
img_array = keras.ops.expand_dims(img, 0)  # Create batch axis

predictions = model.predict(img_array, verbose=0)
score = float(keras.ops.sigmoid(predictions[0][0]))
print(f"This image is {100 * (1 - score):.2f}% cat and {100 * score:.2f}% dog.")

# multi-class variant, just to check the other branch builds
model5 = make_model(input_shape=(32, 32, 3), num_classes=5)
logits = model5(np.random.rand(2, 32, 32, 3).astype("float32"))
print("5-class probs:", logits.shape)
