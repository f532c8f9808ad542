#!/usr/bin/env python
# coding: utf-8
"""Plant Seedlings Classification (Kaggle-style notebook export).

Small CNN for 64x64 RGB images with Keras preprocessing/augmentation layers
inside the model (active only in training). Uses a manual stratified
hold-out split, class weights computed in numpy, and test-time augmentation
(identity / horizontal flip / vertical flip / both) averaged at inference.
Two architectures are trained and blended for the final submission.
"""

# In[1]:


import numpy as np
import tensorflow as tf
import keras
from keras import layers

SEED = 11
keras.utils.set_random_seed(SEED)
IMG = 64
CLASSES = ["Black-grass", "Charlock", "Cleavers", "Common Chickweed",
           "Fat Hen", "Loose Silky-bent", "Maize", "Sugar beet"]
N_CLASSES = len(CLASSES)


# In[2]:


n_images, n_test = 128, 32
images = np.random.randint(0, 256, size=(n_images, IMG, IMG, 3)).astype("uint8")
labels = np.random.choice(N_CLASSES, size=n_images, p=np.linspace(2, 1, N_CLASSES) / np.linspace(2, 1, N_CLASSES).sum())
test_images = np.random.randint(0, 256, size=(n_test, IMG, IMG, 3)).astype("uint8")
print(images.shape, labels.shape, test_images.shape)
print("class counts:", np.bincount(labels, minlength=N_CLASSES))


# In[3]:


# stratified hold-out by hand
val_frac = 0.2
tr_idx, va_idx = [], []
for c in range(N_CLASSES):
    ids = np.where(labels == c)[0]
    np.random.shuffle(ids)
    k = max(1, int(round(len(ids) * val_frac)))
    va_idx.extend(ids[:k])
    tr_idx.extend(ids[k:])
tr_idx, va_idx = np.array(tr_idx), np.array(va_idx)

X_train, X_val = images[tr_idx].astype("float32"), images[va_idx].astype("float32")
y_train, y_val = np.eye(N_CLASSES)[labels[tr_idx]], np.eye(N_CLASSES)[labels[va_idx]]
print("train", X_train.shape, y_train.shape, "val", X_val.shape, y_val.shape)

counts = y_train.sum(axis=0)
class_weight = {i: float(len(y_train) / (N_CLASSES * max(c, 1))) for i, c in enumerate(counts)}
print({k: round(v, 2) for k, v in class_weight.items()})


# In[4]:


augment = keras.Sequential([
    layers.RandomFlip("horizontal_and_vertical"),
    layers.RandomRotation(0.15),
    layers.RandomZoom(0.1),
    layers.RandomContrast(0.1),
], name="augment")


def simple_cnn():
    inp = keras.Input(shape=(IMG, IMG, 3))
    x = augment(inp)
    x = layers.Rescaling(1.0 / 255)(x)
    for f in [16, 32, 64]:
        x = layers.Conv2D(f, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    out = layers.Dense(N_CLASSES, activation="softmax")(x)
    return keras.Model(inp, out, name="simple_cnn")


def sepconv_net():
    inp = keras.Input(shape=(IMG, IMG, 3))
    x = augment(inp)
    x = layers.Rescaling(1.0 / 127.5, offset=-1)(x)
    x = layers.Conv2D(24, 3, strides=2, padding="same", activation="relu")(x)
    for f in [32, 48]:
        shortcut = layers.Conv2D(f, 1, strides=2, padding="same")(x)
        x = layers.SeparableConv2D(f, 3, padding="same", activation="relu")(x)
        x = layers.SeparableConv2D(f, 3, padding="same")(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        x = layers.add([x, shortcut])
    x = layers.GlobalMaxPooling2D()(x)
    out = layers.Dense(N_CLASSES, activation="softmax")(x)
    return keras.Model(inp, out, name="sepconv_net")


# In[5]:


def tta_predict(model, X, batch_size=32):
    views = [X, X[:, :, ::-1], X[:, ::-1, :], X[:, ::-1, ::-1]]
    p = np.zeros((len(X), N_CLASSES), dtype="float32")
    for v in views:
        p += model.predict(np.ascontiguousarray(v), batch_size=batch_size, verbose=0)
    return p / len(views)


val_preds, test_preds = {}, {}
for builder in [simple_cnn, sepconv_net]:
    model = builder()
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.05),
                  metrics=["accuracy"])
    model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=1,
              batch_size=32, class_weight=class_weight, verbose=2)
    plain = model.predict(X_val, verbose=0)
    tta = tta_predict(model, X_val)
    acc_plain = (plain.argmax(1) == y_val.argmax(1)).mean()
    acc_tta = (tta.argmax(1) == y_val.argmax(1)).mean()
    print(f"{model.name}: val acc plain={acc_plain:.3f} tta={acc_tta:.3f}")
    val_preds[model.name] = tta
    test_preds[model.name] = tta_predict(model, test_images.astype("float32"))


# In[6]:


blend_val = 0.6 * val_preds["simple_cnn"] + 0.4 * val_preds["sepconv_net"]
print("blend val acc:", (blend_val.argmax(1) == y_val.argmax(1)).mean())

blend_test = 0.6 * test_preds["simple_cnn"] + 0.4 * test_preds["sepconv_net"]
pred_species = np.array(CLASSES)[blend_test.argmax(axis=1)]
submission = np.column_stack([[f"img_{i:04d}.png" for i in range(n_test)], pred_species])
print(submission.shape)
print(submission[:5])
