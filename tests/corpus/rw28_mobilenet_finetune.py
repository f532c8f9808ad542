"""Transfer learning + fine-tuning with MobileNetV2 (TF tutorial style).

Phase 1: freeze the convolutional base, train only the new classification head.
Phase 2: unfreeze the top of the base (from `FINE_TUNE_AT` onwards) and continue
training with a much lower learning rate.

The original notebook pulls cats_vs_dogs and ImageNet weights; here we use random
"photos" and weights=None so it runs offline.
"""
import os
import tempfile

import numpy as np
import tensorflow as tf

IMG_SIZE = (96, 96)
IMG_SHAPE = IMG_SIZE + (3,)
BATCH_SIZE = 8
NUM_CLASSES = 5
CLASS_NAMES = ["daisy", "dandelion", "roses", "sunflowers", "tulips"]
BASE_LR = 1e-3
FINE_TUNE_AT = 100          # layers before this index stay frozen in phase 2
INITIAL_EPOCHS = 1
FINE_TUNE_EPOCHS = 1
STEPS = 2

tf.random.set_seed(42)
rng = np.random.default_rng(42)


def synthetic_flowers(n):
    """uint8 images in [0, 255] like image_dataset_from_directory would return."""
    base = rng.integers(0, 256, size=(n, 1, 1, 3))
    noise = rng.integers(-40, 40, size=(n,) + IMG_SHAPE)
    images = np.clip(base + noise, 0, 255).astype("float32")
    labels = rng.integers(0, NUM_CLASSES, size=(n,))
    return images, labels


def make_ds(images, labels, training):
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    if training:
        ds = ds.shuffle(buffer_size=len(images)).repeat()
    return ds.batch(BATCH_SIZE).prefetch(buffer_size=tf.data.AUTOTUNE)


data_augmentation = tf.keras.Sequential(
    [
        tf.keras.layers.RandomFlip("horizontal"),
        tf.keras.layers.RandomRotation(0.2),
        tf.keras.layers.RandomZoom(0.1),
        tf.keras.layers.RandomContrast(0.1),
    ],
    name="data_augmentation",
)

preprocess_input = tf.keras.applications.mobilenet_v2.preprocess_input

base_model = tf.keras.applications.MobileNetV2(
    input_shape=IMG_SHAPE, include_top=False, weights=None, alpha=0.35
)
base_model.trainable = False

# Inspect what the frozen base produces for one batch.
train_images, train_labels = synthetic_flowers(48)
val_images, val_labels = synthetic_flowers(16)
train_ds = make_ds(train_images, train_labels, training=True)
val_ds = make_ds(val_images, val_labels, training=False)

image_batch, label_batch = next(iter(train_ds))
feature_batch = base_model(preprocess_input(image_batch))
print("feature map:", feature_batch.shape)

global_average_layer = tf.keras.layers.GlobalAveragePooling2D()
feature_batch_average = global_average_layer(feature_batch)
print("pooled:", feature_batch_average.shape)

prediction_layer = tf.keras.layers.Dense(NUM_CLASSES)
print("logits:", prediction_layer(feature_batch_average).shape)

inputs = tf.keras.Input(shape=IMG_SHAPE)
x = data_augmentation(inputs)
x = preprocess_input(x)
x = base_model(x, training=False)  # keep BatchNorm in inference mode
x = global_average_layer(x)
x = tf.keras.layers.Dropout(0.2)(x)
outputs = prediction_layer(x)
model = tf.keras.Model(inputs, outputs)

model.compile(
    optimizer=tf.keras.optimizers.Adam(learning_rate=BASE_LR),
    loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=[tf.keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    jit_compile=False,  # XLA on CPU spends longer compiling than training here
)
print("trainable variables (frozen base):", len(model.trainable_variables))

history = model.fit(
    train_ds,
    epochs=INITIAL_EPOCHS,
    steps_per_epoch=STEPS,
    validation_data=val_ds,
    verbose=2,
)

# ---- Fine-tuning -----------------------------------------------------------
base_model.trainable = True
print("Number of layers in the base model:", len(base_model.layers))
for layer in base_model.layers[:FINE_TUNE_AT]:
    layer.trainable = False
# BatchNorm statistics stay frozen as well, the usual trick when fine-tuning.
for layer in base_model.layers[FINE_TUNE_AT:]:
    if isinstance(layer, tf.keras.layers.BatchNormalization):
        layer.trainable = False

n_trainable = sum(int(l.trainable) for l in base_model.layers)
print(f"unfrozen base layers: {n_trainable} / {len(base_model.layers)}")

model.compile(
    optimizer=tf.keras.optimizers.RMSprop(learning_rate=BASE_LR / 10),
    loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=[tf.keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    jit_compile=False,  # XLA on CPU spends longer compiling than training here
)
print("trainable variables (fine-tune):", len(model.trainable_variables))

total_epochs = INITIAL_EPOCHS + FINE_TUNE_EPOCHS
history_fine = model.fit(
    train_ds,
    epochs=total_epochs,
    initial_epoch=len(history.epoch),
    steps_per_epoch=STEPS,
    verbose=2,
)

acc = history.history["accuracy"] + history_fine.history["accuracy"]
print("accuracy per epoch:", [round(a, 3) for a in acc])

# Predict on one batch and export the weights to a scratch dir.
test_batch = val_images[:BATCH_SIZE]
logits = model(test_batch, training=False)
probs = tf.nn.softmax(logits, axis=-1).numpy()
for p in probs[:4]:
    print(CLASS_NAMES[int(np.argmax(p))], f"{p.max():.2f}")

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "flowers_finetuned.weights.h5")
    model.save_weights(path)
    print("saved", os.path.getsize(path) // 1024, "KiB")
