"""Transfer learning & fine-tuning with MobileNet (cats vs dogs style).

Mirrors the tensorflow.org "Transfer learning and fine-tuning" tutorial:
  1. frozen base model + new classification head,
  2. unfreeze the top layers and fine-tune with a low learning rate.
weights=None so nothing is downloaded (in a real project use weights="imagenet").
Images are random tensors of the right size.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras

IMG_SIZE = (48, 48)
IMG_SHAPE = IMG_SIZE + (3,)
BATCH_SIZE = 16
INITIAL_EPOCHS = 1
FINE_TUNE_EPOCHS = 1
FINE_TUNE_AT = 70  # freeze all layers before this one
BASE_LR = 1e-4


def make_fake_split(n, seed):
    g = tf.random.Generator.from_seed(seed)
    images = g.uniform((n,) + IMG_SHAPE, minval=0, maxval=255, dtype=tf.float32)
    labels = g.uniform((n,), minval=0, maxval=2, dtype=tf.int32)
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(BATCH_SIZE)


train_dataset = make_fake_split(48, seed=1)
validation_dataset = make_fake_split(32, seed=2)

# Carve a test set out of validation, as in the tutorial
val_batches = tf.data.experimental.cardinality(validation_dataset)
test_dataset = validation_dataset.take(val_batches // 2)
validation_dataset = validation_dataset.skip(val_batches // 2)
print("Number of validation batches: %d" % tf.data.experimental.cardinality(validation_dataset))
print("Number of test batches: %d" % tf.data.experimental.cardinality(test_dataset))

AUTOTUNE = tf.data.AUTOTUNE
train_dataset = train_dataset.prefetch(buffer_size=AUTOTUNE)
validation_dataset = validation_dataset.prefetch(buffer_size=AUTOTUNE)
test_dataset = test_dataset.prefetch(buffer_size=AUTOTUNE)

data_augmentation = keras.Sequential(
    [
        keras.layers.RandomFlip("horizontal"),
        keras.layers.RandomRotation(0.2),
    ]
)

preprocess_input = keras.applications.mobilenet.preprocess_input

# Create the base model from MobileNet (v1, alpha=0.25 keeps it tiny)
base_model = keras.applications.MobileNet(
    input_shape=IMG_SHAPE, include_top=False, weights=None, alpha=0.25
)

image_batch, label_batch = next(iter(train_dataset))
feature_batch = base_model(image_batch)
print("feature batch:", feature_batch.shape)  # (16, 1, 1, 256)

base_model.trainable = False

global_average_layer = keras.layers.GlobalAveragePooling2D()
feature_batch_average = global_average_layer(feature_batch)
print("pooled:", feature_batch_average.shape)

prediction_layer = keras.layers.Dense(1)
prediction_batch = prediction_layer(feature_batch_average)
print("logits:", prediction_batch.shape)

inputs = keras.Input(shape=IMG_SHAPE)
x = data_augmentation(inputs)
x = preprocess_input(x)
x = base_model(x, training=False)  # keep BatchNorm in inference mode
x = global_average_layer(x)
x = keras.layers.Dropout(0.2)(x)
outputs = prediction_layer(x)
model = keras.Model(inputs, outputs)

model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=BASE_LR),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")],
    jit_compile=False,  # XLA compilation of MobileNet takes ages on a laptop CPU
)
model.summary(line_length=100)
print("trainable variables:", len(model.trainable_variables))

loss0, accuracy0 = model.evaluate(validation_dataset, verbose=0)
print("initial loss: {:.2f}".format(loss0))
print("initial accuracy: {:.2f}".format(accuracy0))

history = model.fit(
    train_dataset, epochs=INITIAL_EPOCHS, validation_data=validation_dataset, verbose=2
)

# ---- Fine tuning ------------------------------------------------------------
base_model.trainable = True
print("Number of layers in the base model: ", len(base_model.layers))
for layer in base_model.layers[:FINE_TUNE_AT]:
    layer.trainable = False

model.compile(
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    optimizer=keras.optimizers.RMSprop(learning_rate=BASE_LR / 10),
    metrics=[keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")],
    jit_compile=False,
)
print("trainable variables after unfreezing:", len(model.trainable_variables))

total_epochs = INITIAL_EPOCHS + FINE_TUNE_EPOCHS
history_fine = model.fit(
    train_dataset,
    epochs=total_epochs,
    initial_epoch=len(history.epoch),
    validation_data=validation_dataset,
    verbose=2,
)

acc = history.history["accuracy"] + history_fine.history["accuracy"]
print("accuracy over all epochs:", [round(a, 3) for a in acc])

loss, accuracy = model.evaluate(test_dataset, verbose=0)
print("Test accuracy :", accuracy)

# Retrieve a batch of images from the test set and apply a sigmoid
image_batch, label_batch = test_dataset.as_numpy_iterator().next()
predictions = model.predict_on_batch(image_batch).flatten()
predictions = tf.nn.sigmoid(predictions)
predictions = tf.where(predictions < 0.5, 0, 1)
print("Predictions:\n", predictions.numpy())
print("Labels:\n", label_batch)
