"""
Bootcamp Exercise 3: CIFAR-style CNN with data augmentation + dropout ablation
==============================================================================

We build a small VGG-like CNN for 32x32 RGB images and run an ablation:
  * with / without augmentation layers (RandomFlip, RandomRotation, RandomZoom)
  * different dropout rates

The data is random noise shaped like CIFAR-10 so that the notebook runs
offline. Report the learning curves from history.history for each setting.
"""

import numpy as np
import tensorflow as tf
import keras
from keras import layers

SEED = 7
np.random.seed(SEED)
tf.random.set_seed(SEED)

NUM_CLASSES = 10
INPUT_SHAPE = (32, 32, 3)

# --- Data -------------------------------------------------------------------
x_train = np.random.randint(0, 256, size=(256,) + INPUT_SHAPE).astype("float32")
y_train = np.random.randint(0, NUM_CLASSES, size=(256, 1))
x_val = np.random.randint(0, 256, size=(64,) + INPUT_SHAPE).astype("float32")
y_val = np.random.randint(0, NUM_CLASSES, size=(64, 1))
print("x_train:", x_train.shape, "y_train:", y_train.shape)

# CIFAR labels come as (N, 1) -- squeeze them first
y_train = y_train.squeeze(-1)
y_val = y_val.squeeze(-1)
print("y_train after squeeze:", y_train.shape)

# per-channel standardization computed on the training set only
mean = x_train.mean(axis=(0, 1, 2), keepdims=True)
std = x_train.std(axis=(0, 1, 2), keepdims=True)
print("channel mean:", mean.ravel(), "channel std:", std.ravel())
x_train = (x_train - mean) / (std + 1e-7)
x_val = (x_val - mean) / (std + 1e-7)
print("x_train normalized:", x_train.shape)

y_train_oh = tf.one_hot(y_train, NUM_CLASSES)
y_val_oh = tf.one_hot(y_val, NUM_CLASSES)
print("y_train_oh:", y_train_oh.shape)


# --- Model ------------------------------------------------------------------
def make_augmentation():
    return keras.Sequential([
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.1),
        layers.RandomZoom(0.1),
    ], name="augmentation")


def conv_block(x, filters, dropout):
    x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    if dropout > 0:
        x = layers.Dropout(dropout)(x)
    return x


def build_model(use_augmentation=True, dropout=0.25, lr=1e-3):
    # TODO (done): build the model with the functional API
    inputs = keras.Input(shape=INPUT_SHAPE)
    x = inputs
    if use_augmentation:
        x = make_augmentation()(x)
    x = conv_block(x, 16, dropout)
    x = conv_block(x, 32, dropout)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu")(x)
    if dropout > 0:
        x = layers.Dropout(dropout * 2)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    model = keras.Model(inputs, outputs, name=f"cnn_aug{int(use_augmentation)}_do{dropout}")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr),
                  loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


# sanity check: look at one model and what the augmentation does to shapes
demo = build_model()
demo.summary()
aug = make_augmentation()
augmented = aug(x_train[:4], training=True)
print("augmented batch:", augmented.shape)

# --- Ablation ---------------------------------------------------------------
experiments = [
    {"name": "baseline",      "use_augmentation": False, "dropout": 0.0},
    {"name": "dropout_only",  "use_augmentation": False, "dropout": 0.3},
    {"name": "aug_only",      "use_augmentation": True,  "dropout": 0.0},
    {"name": "aug+dropout",   "use_augmentation": True,  "dropout": 0.3},
]

all_curves = {}
for cfg in experiments:
    print(f"\n=== {cfg['name']} ===")
    keras.backend.clear_session()
    model = build_model(use_augmentation=cfg["use_augmentation"],
                        dropout=cfg["dropout"])
    history = model.fit(x_train, y_train_oh,
                        validation_data=(x_val, y_val_oh),
                        epochs=1, batch_size=64, verbose=0)
    curves = history.history
    all_curves[cfg["name"]] = curves
    for k, v in curves.items():
        print(f"  {k}: {[round(float(a), 4) for a in v]}")

# --- "Plot" -----------------------------------------------------------------
print("\nExperiment       train_acc  val_acc   gap")
for name, c in all_curves.items():
    tr = c["accuracy"][-1]
    va = c["val_accuracy"][-1]
    print(f"{name:15s}  {tr:.4f}     {va:.4f}   {tr - va:+.4f}")

# --- Evaluate the last model ------------------------------------------------
probs = model.predict(x_val, verbose=0)
print("probs:", probs.shape)
y_pred = np.argmax(probs, axis=1)
print("y_pred:", y_pred.shape)

cm = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=int)
for true_label, pred_label in zip(y_val, y_pred):
    cm[true_label][pred_label] += 1
print("confusion matrix:\n", cm)
print("accuracy from cm:", np.trace(cm) / cm.sum())

# Discussion: augmentation + dropout should shrink the train/val gap.
