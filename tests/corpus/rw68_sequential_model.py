"""The Sequential model - notebook-style walkthrough.

Stacking layers, lazy building, incremental add()/pop() debugging with
summary(), feature extraction from a Sequential model, and freezing all
but the last layer for transfer learning. Ends with a tiny conv net
trained on a synthetic tf.data pipeline.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

tf.random.set_seed(0)

# %% When to use a Sequential model
model = keras.Sequential(
    [
        layers.Dense(2, activation="relu", name="layer1"),
        layers.Dense(3, activation="relu", name="layer2"),
        layers.Dense(4, name="layer3"),
    ]
)
x = tf.ones((3, 3))
y = model(x)
print("sequential out:", y.shape)

# equivalent to chaining the layers by hand
layer1 = layers.Dense(2, activation="relu", name="layer1")
layer2 = layers.Dense(3, activation="relu", name="layer2")
layer3 = layers.Dense(4, name="layer3")
y = layer3(layer2(layer1(x)))
print("manual chain out:", y.shape)

# %% Incremental creation, pop()
model = keras.Sequential(name="my_sequential")
model.add(layers.Dense(2, activation="relu"))
model.add(layers.Dense(3, activation="relu"))
model.add(layers.Dense(4))
print("num layers before pop:", len(model.layers))
model.pop()
print("num layers after pop:", len(model.layers))

# %% Specifying an input shape in advance: layers have no weights until called
layer = layers.Dense(3)
print("weights before build:", layer.weights)
x = tf.ones((1, 4))
y = layer(x)
print("weights after build:", [tuple(w.shape) for w in layer.weights])

model = keras.Sequential(
    [
        layers.Dense(2, activation="relu"),
        layers.Dense(3, activation="relu"),
        layers.Dense(4),
    ]
)
x = tf.ones((1, 4))
y = model(x)
print("Number of weights after calling the model:", len(model.weights))

model = keras.Sequential()
model.add(keras.Input(shape=(4,)))
model.add(layers.Dense(2, activation="relu"))
model.summary()


# %% A common debugging workflow: add() + summary()
def build_debug_convnet(image_size=96, verbose=True):
    model = keras.Sequential()
    model.add(keras.Input(shape=(image_size, image_size, 3)))  # e.g. 96x96 RGB images
    model.add(layers.Conv2D(16, 5, strides=2, activation="relu"))
    model.add(layers.Conv2D(16, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))

    if verbose:
        # Can you guess what the current output shape is at this point? Probably not.
        model.summary()

    model.add(layers.Conv2D(16, 3, activation="relu"))
    model.add(layers.Conv2D(16, 3, activation="relu"))
    model.add(layers.MaxPooling2D(2))

    # Now that we have 4x4 feature maps, time to apply global max pooling.
    model.add(layers.GlobalMaxPooling2D())
    # Finally, we add a classification layer.
    model.add(layers.Dense(10))
    return model


convnet = build_debug_convnet()
print("conv output shape:", convnet.output_shape)

# %% Feature extraction with a Sequential model
initial_model = keras.Sequential(
    [
        keras.Input(shape=(64, 64, 3)),
        layers.Conv2D(16, 5, strides=2, activation="relu"),
        layers.Conv2D(16, 3, activation="relu", name="my_intermediate_layer"),
        layers.Conv2D(16, 3, activation="relu"),
    ]
)
feature_extractor = keras.Model(
    inputs=initial_model.inputs,
    outputs=initial_model.get_layer(name="my_intermediate_layer").output,
)
features = feature_extractor(tf.ones((1, 64, 64, 3)))
print("intermediate features:", features.shape)

all_features_extractor = keras.Model(
    inputs=initial_model.inputs,
    outputs=[layer.output for layer in initial_model.layers],
)
for feat in all_features_extractor(tf.ones((1, 64, 64, 3))):
    print("  layer feature:", feat.shape)

# %% Transfer learning: freeze all layers except the last one
model = keras.Sequential(
    [
        keras.Input(shape=(784,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(10),
    ]
)
# Presumably you would want to first load pre-trained weights.
# model.load_weights(...)
for layer in model.layers[:-1]:
    layer.trainable = False

model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
x_flat = np.random.random((128, 784)).astype("float32")
y_flat = np.random.randint(0, 10, size=(128,))
kernel_before = model.layers[0].kernel.numpy().copy()
model.fit(x_flat, y_flat, epochs=1, batch_size=32, verbose=0)
print("frozen kernel unchanged:", np.allclose(kernel_before, model.layers[0].kernel.numpy()))


# %% Train the debug convnet on a synthetic tf.data pipeline
def make_image_dataset(n=96, image_size=96, batch_size=32):
    images = tf.random.uniform((n, image_size, image_size, 3))
    labels = tf.random.uniform((n,), maxval=10, dtype=tf.int32)

    def normalize(img, label):
        # per-image standardization, then random horizontal flip
        img = tf.image.per_image_standardization(img)
        img = tf.image.random_flip_left_right(img)
        return img, label

    return (
        tf.data.Dataset.from_tensor_slices((images, labels))
        .map(normalize, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )


convnet.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["sparse_categorical_accuracy"],
)
history = convnet.fit(make_image_dataset(), epochs=1, verbose=2)
print("final loss:", round(history.history["loss"][-1], 4))
