#!/usr/bin/env python
"""ConvMixer ("Patches Are All You Need?") - tiny CPU-friendly version."""
import tensorflow as tf
import numpy as np

tf.random.set_seed(0)
np.random.seed(0)

LEARNING_RATE = 0.001
WEIGHT_DECAY = 0.0001
BATCH_SIZE = 16
NUM_EPOCHS = 1
IMG_SIZE = 32
NUM_CLASSES = 10

N_TRAIN = 48
N_VAL = 16

x_train = np.random.randint(0, 256, size=(N_TRAIN, IMG_SIZE, IMG_SIZE, 3)).astype("uint8")
y_train = np.random.randint(0, NUM_CLASSES, size=(N_TRAIN, 1))
x_val = np.random.randint(0, 256, size=(N_VAL, IMG_SIZE, IMG_SIZE, 3)).astype("uint8")
y_val = np.random.randint(0, NUM_CLASSES, size=(N_VAL, 1))

print(f"Training data samples: {len(x_train)}")
print(f"Validation data samples: {len(x_val)}")

auto = tf.data.AUTOTUNE
augmentation_layers = [
    tf.keras.layers.RandomCrop(IMG_SIZE, IMG_SIZE),
    tf.keras.layers.RandomFlip("horizontal"),
]


def augment_images(images):
    for layer in augmentation_layers:
        images = layer(images, training=True)
    return images


def make_datasets(images, labels, is_train=False):
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    dataset = dataset.map(lambda x, y: (tf.cast(x, tf.float32), y))
    if is_train:
        dataset = dataset.shuffle(BATCH_SIZE * 4)
    dataset = dataset.batch(BATCH_SIZE)
    if is_train:
        dataset = dataset.map(lambda x, y: (augment_images(x), y), num_parallel_calls=auto)
    return dataset.prefetch(auto)


train_dataset = make_datasets(x_train, y_train, is_train=True)
val_dataset = make_datasets(x_val, y_val)


def activation_block(x):
    x = tf.keras.layers.Activation("gelu")(x)
    return tf.keras.layers.BatchNormalization()(x)


def conv_stem(x, filters: int, patch_size: int):
    x = tf.keras.layers.Conv2D(filters, kernel_size=patch_size, strides=patch_size)(x)
    return activation_block(x)


def conv_mixer_block(x, filters: int, kernel_size: int):
    # Depthwise convolution.
    x0 = x
    x = tf.keras.layers.DepthwiseConv2D(kernel_size=kernel_size, padding="same")(x)
    x = tf.keras.layers.Add()([activation_block(x), x0])  # Residual.

    # Pointwise convolution.
    x = tf.keras.layers.Conv2D(filters, kernel_size=1)(x)
    x = activation_block(x)

    return x


def get_conv_mixer_256_8(
    image_size=32, filters=64, depth=4, kernel_size=5, patch_size=2, num_classes=10
):
    """ConvMixer-256/8: https://openreview.net/pdf?id=TVHS5Y4dNvM.
    The hyperparameter values are taken from the paper (scaled down here).
    """
    inputs = tf.keras.Input((image_size, image_size, 3))
    x = tf.keras.layers.Rescaling(scale=1.0 / 255)(inputs)

    # Extract patch embeddings.
    x = conv_stem(x, filters, patch_size)

    # ConvMixer blocks.
    for _ in range(depth):
        x = conv_mixer_block(x, filters, kernel_size)

    # Classification block.
    x = tf.keras.layers.GlobalAvgPool2D()(x)
    outputs = tf.keras.layers.Dense(num_classes, activation="softmax")(x)

    return tf.keras.Model(inputs, outputs)


def run_experiment(model):
    optimizer = tf.keras.optimizers.AdamW(
        learning_rate=LEARNING_RATE, weight_decay=WEIGHT_DECAY
    )

    model.compile(
        optimizer=optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )

    history = model.fit(
        train_dataset,
        validation_data=val_dataset,
        epochs=NUM_EPOCHS,
        verbose=2,
    )

    _, accuracy = model.evaluate(val_dataset, verbose=0)
    print(f"Test accuracy: {round(accuracy * 100, 2)}%")

    return history, model


conv_mixer_model = get_conv_mixer_256_8(
    image_size=IMG_SIZE, filters=64, depth=4, kernel_size=5, patch_size=2, num_classes=NUM_CLASSES
)
conv_mixer_model.summary()
history, conv_mixer_model = run_experiment(conv_mixer_model)


# Inspect the learned patch-embedding filters and a depthwise kernel
def get_patch_embedding_weights(model):
    for layer in model.layers:
        if isinstance(layer, tf.keras.layers.Conv2D) and layer.kernel_size[0] == 2:
            return layer.get_weights()[0]
    return None


patch_embeddings = get_patch_embedding_weights(conv_mixer_model)
print("patch embedding kernel:", patch_embeddings.shape)

for i, layer in enumerate(conv_mixer_model.layers):
    if isinstance(layer, tf.keras.layers.DepthwiseConv2D):
        if layer.get_config()["kernel_size"] == (5, 5):
            print(i, layer.name, layer.get_weights()[0].shape)
            break


# A second, wider-kernel variant with GELU applied via the layer argument
def conv_mixer_v2(filters=32, depth=2, kernel_size=7, patch_size=4):
    inputs = tf.keras.layers.Input(shape=(IMG_SIZE, IMG_SIZE, 3))
    x = tf.keras.layers.Rescaling(1.0 / 255)(inputs)
    x = tf.keras.layers.Conv2D(filters, patch_size, strides=patch_size, activation="gelu")(x)
    x = tf.keras.layers.BatchNormalization()(x)
    for _ in range(depth):
        residual = x
        x = tf.keras.layers.DepthwiseConv2D(kernel_size, padding="same", activation="gelu")(x)
        x = tf.keras.layers.BatchNormalization()(x)
        x = tf.keras.layers.add([x, residual])
        x = tf.keras.layers.Conv2D(filters, 1, activation="gelu")(x)
        x = tf.keras.layers.BatchNormalization()(x)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    return tf.keras.Model(inputs, tf.keras.layers.Dense(NUM_CLASSES)(x), name="convmixer_v2")


m2 = conv_mixer_v2()
m2.summary()
m2.compile(
    optimizer="adam",
    loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
m2.fit(x_train.astype("float32"), y_train, batch_size=BATCH_SIZE, epochs=1, verbose=2)
print(m2.predict(x_val, verbose=0).shape)
