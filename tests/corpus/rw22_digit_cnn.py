"""Digit Recognizer - CNN with in-model augmentation and an LR schedule.

Exported from a Kaggle notebook. The original read train.csv / test.csv
(42k rows of 784 pixel columns); here we fabricate a small random stand-in
with the same layout so the pipeline runs end to end.

Sections:
    1. Load & reshape
    2. Augmentation as Keras preprocessing layers (no ImageDataGenerator)
    3. CNN definition
    4. Training with LearningRateScheduler
    5. Predict & write submission
"""
import math
import os

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 2
np.random.seed(SEED)
tf.random.set_seed(SEED)

IMG_SIZE = 28
NUM_CLASSES = 10
BATCH_SIZE = 32
EPOCHS = 1
INITIAL_LR = 1e-3
OUT_DIR = "/tmp/digit_recognizer"


# ---------------------------------------------------------------------------
# 1. Load data (synthetic stand-in for train.csv / test.csv)
# ---------------------------------------------------------------------------
def fake_csv(n_rows, with_label=True):
    pixels = np.random.randint(0, 256, size=(n_rows, IMG_SIZE * IMG_SIZE))
    if with_label:
        labels = np.random.randint(0, NUM_CLASSES, size=(n_rows, 1))
        return np.hstack([labels, pixels]).astype("int64")
    return pixels.astype("int64")


train = fake_csv(256)
test = fake_csv(64, with_label=False)

Y_train = train[:, 0]
X_train = train[:, 1:]
del train

print("label counts:", np.bincount(Y_train, minlength=NUM_CLASSES))

# normalise + reshape to (h, w, c)
X_train = (X_train / 255.0).reshape(-1, IMG_SIZE, IMG_SIZE, 1).astype("float32")
test = (test / 255.0).reshape(-1, IMG_SIZE, IMG_SIZE, 1).astype("float32")
Y_train = keras.utils.to_categorical(Y_train, num_classes=NUM_CLASSES)

# hold-out split, 10%
n_val = int(0.1 * len(X_train))
perm = np.random.permutation(len(X_train))
val_idx, tr_idx = perm[:n_val], perm[n_val:]
X_val, Y_val = X_train[val_idx], Y_train[val_idx]
X_train, Y_train = X_train[tr_idx], Y_train[tr_idx]
print(f"train {X_train.shape}, val {X_val.shape}, test {test.shape}")


# ---------------------------------------------------------------------------
# 2. Augmentation
# ---------------------------------------------------------------------------
# don't flip: a flipped 6 or 9 is a different digit
data_augmentation = keras.Sequential(
    [
        layers.RandomRotation(0.05, fill_mode="constant"),
        layers.RandomZoom(0.1, fill_mode="constant"),
        layers.RandomTranslation(0.1, 0.1, fill_mode="constant"),
    ],
    name="augmentation",
)


# ---------------------------------------------------------------------------
# 3. Model  [[Conv2D->relu]*2 -> MaxPool2D -> Dropout]*2 -> Flatten -> Dense -> Dropout -> Out
# ---------------------------------------------------------------------------
def conv_block(x, filters, kernel, name):
    x = layers.Conv2D(filters, kernel, padding="same", activation="relu", name=f"{name}_conv1")(x)
    x = layers.BatchNormalization(name=f"{name}_bn1")(x)
    x = layers.Conv2D(filters, kernel, padding="same", activation="relu", name=f"{name}_conv2")(x)
    x = layers.BatchNormalization(name=f"{name}_bn2")(x)
    x = layers.MaxPool2D(pool_size=(2, 2), name=f"{name}_pool")(x)
    return layers.Dropout(0.25, name=f"{name}_drop")(x)


def build_model():
    inputs = keras.Input(shape=(IMG_SIZE, IMG_SIZE, 1), name="pixels")
    x = data_augmentation(inputs)
    x = conv_block(x, 32, (5, 5), "block1")
    x = conv_block(x, 64, (3, 3), "block2")
    x = layers.Flatten()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="digit")(x)
    return keras.Model(inputs, outputs, name="digit_cnn")


model = build_model()
model.summary()

optimizer = keras.optimizers.RMSprop(learning_rate=INITIAL_LR, rho=0.9, epsilon=1e-08)
model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])


# ---------------------------------------------------------------------------
# 4. Training
# ---------------------------------------------------------------------------
def step_decay(epoch, lr):
    """Halve the LR every 3 epochs, floor at 1e-5."""
    drop, epochs_drop = 0.5, 3
    new_lr = INITIAL_LR * math.pow(drop, math.floor((1 + epoch) / epochs_drop))
    return max(new_lr, 1e-5)


callbacks = [
    keras.callbacks.LearningRateScheduler(step_decay, verbose=1),
    keras.callbacks.ReduceLROnPlateau(monitor="val_accuracy", patience=3, factor=0.5, min_lr=1e-5),
]

train_ds = (
    tf.data.Dataset.from_tensor_slices((X_train, Y_train))
    .shuffle(len(X_train), seed=SEED)
    .batch(BATCH_SIZE)
    .prefetch(tf.data.AUTOTUNE)
)

history = model.fit(
    train_ds,
    epochs=EPOCHS,
    validation_data=(X_val, Y_val),
    callbacks=callbacks,
    verbose=2,
)

for key, values in history.history.items():
    print(f"{key:>14s}: {values[-1]:.4f}")


# ---------------------------------------------------------------------------
# 5. Confusion matrix on val, then submission
# ---------------------------------------------------------------------------
val_pred = np.argmax(model.predict(X_val, verbose=0), axis=1)
val_true = np.argmax(Y_val, axis=1)
confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=int)
for t, p in zip(val_true, val_pred):
    confusion[t, p] += 1
print("confusion matrix:\n", confusion)

results = np.argmax(model.predict(test, batch_size=BATCH_SIZE, verbose=0), axis=1)
os.makedirs(OUT_DIR, exist_ok=True)
sub_path = os.path.join(OUT_DIR, "cnn_mnist_datagen.csv")
with open(sub_path, "w") as fh:
    fh.write("ImageId,Label\n")
    for i, label in enumerate(results, start=1):
        fh.write(f"{i},{label}\n")
print("wrote", sub_path)
