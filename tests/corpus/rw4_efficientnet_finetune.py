"""Fine-tuning a pretrained-style backbone on a tiny synthetic image set.

Loosely follows the keras.io "image classification via fine-tuning with
EfficientNet" recipe, shrunk down so it runs on a laptop CPU. The backbone is
swappable; ResNet50 traces faster on CPU than EfficientNetB0, so we use it here.
"""
import numpy as np
import keras
from keras import layers

IMG_SIZE = 64
NUM_CLASSES = 5
BATCH_SIZE = 8
NUM_SAMPLES = 16

rng = np.random.default_rng(42)
x_train = rng.uniform(0, 255, size=(NUM_SAMPLES, IMG_SIZE, IMG_SIZE, 3)).astype("float32")
y_train = rng.integers(0, NUM_CLASSES, size=(NUM_SAMPLES,))
y_train = keras.utils.to_categorical(y_train, NUM_CLASSES)

img_augmentation_layers = [
    layers.RandomRotation(factor=0.15),
    layers.RandomTranslation(height_factor=0.1, width_factor=0.1),
    layers.RandomFlip(),
    layers.RandomContrast(factor=0.1),
]
img_augmentation = keras.Sequential(img_augmentation_layers, name="img_augmentation")


def build_model(num_classes):
    inputs = keras.Input(shape=(IMG_SIZE, IMG_SIZE, 3))
    x = img_augmentation(inputs)
    # keras.applications.EfficientNetB0 drops in with the same arguments
    base = keras.applications.ResNet50(
        include_top=False, weights=None, input_shape=(IMG_SIZE, IMG_SIZE, 3)
    )
    # freeze the pretrained weights
    base.trainable = False

    x = base(x, training=False)
    # rebuild top
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.BatchNormalization()(x)
    top_dropout_rate = 0.2
    x = layers.Dropout(top_dropout_rate, name="top_dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="pred")(x)

    model = keras.Model(inputs, outputs, name="resnet50_finetune")
    optimizer = keras.optimizers.Adam(learning_rate=1e-2)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model, base


model, base_model = build_model(num_classes=NUM_CLASSES)
model.summary()

print("feature map shape:", base_model.output_shape)
hist = model.fit(x_train, y_train, epochs=1, batch_size=BATCH_SIZE, verbose=2)


def unfreeze_model(model, base, n_top=20):
    # We unfreeze the top n layers while leaving BatchNorm layers frozen
    base.trainable = True
    for layer in base.layers[:-n_top]:
        layer.trainable = False
    for layer in base.layers[-n_top:]:
        if isinstance(layer, layers.BatchNormalization):
            layer.trainable = False

    optimizer = keras.optimizers.Adam(learning_rate=1e-4)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])


unfreeze_model(model, base_model)
n_trainable = sum(1 for l in base_model.layers if l.trainable and l.weights)
print("trainable backbone layers with weights:", n_trainable)

hist = model.fit(x_train, y_train, epochs=1, batch_size=BATCH_SIZE, verbose=2)

preds = model(x_train[:4], training=False)
print("predictions:", preds.shape, np.argmax(preds, axis=-1))

# Inspect intermediate features straight from the backbone
feats = base_model(x_train[:2], training=False)
print("backbone features:", feats.shape)
