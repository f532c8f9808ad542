#!/usr/bin/env python
# coding: utf-8
"""Digit Recognizer (Kaggle-style notebook export).

CNN on 28x28 grayscale digits, trained with a hand-rolled K-fold loop.
Each fold trains a fresh model; test predictions are averaged across folds
and turned into a submission array (ImageId, Label).
Data is tiny random numpy so the notebook runs anywhere.
"""
# In[1]:


import numpy as np
import tensorflow as tf
import keras
from keras import layers

np.random.seed(2)
tf.random.set_seed(2)


# In[2]:


# fake "train.csv": label + 784 pixels
n_train, n_test = 320, 64
train = np.random.randint(0, 256, size=(n_train, 785)).astype("float32")
train[:, 0] = np.random.randint(0, 10, size=n_train)
test = np.random.randint(0, 256, size=(n_test, 784)).astype("float32")
print(train.shape, test.shape)


# In[3]:


Y_train = train[:, 0].astype("int64")
X_train = train[:, 1:]
del train

print(np.bincount(Y_train, minlength=10))


# In[4]:


# Normalize
X_train = X_train / 255.0
test = test / 255.0

# Reshape image in 3 dimensions (height = 28px, width = 28px , channel = 1)
X_train = X_train.reshape(-1, 28, 28, 1)
test = test.reshape(-1, 28, 28, 1)
print("X_train", X_train.shape, "test", test.shape)


# In[5]:


# one-hot labels
Y_train = np.eye(10, dtype="float32")[Y_train]
print(Y_train[:3])


# In[6]:


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, (5, 5), padding="same", activation="relu"),
        layers.Conv2D(32, (5, 5), padding="same", activation="relu"),
        layers.MaxPool2D(pool_size=(2, 2)),
        layers.Dropout(0.25),
        layers.Conv2D(64, (3, 3), padding="same", activation="relu"),
        layers.Conv2D(64, (3, 3), padding="same", activation="relu"),
        layers.MaxPool2D(pool_size=(2, 2), strides=(2, 2)),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(256, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.001, rho=0.9),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


build_model().summary()


# In[7]:


# manual K-fold indices (no sklearn on this kernel)
N_FOLDS = 4
idx = np.random.permutation(len(X_train))
folds = np.array_split(idx, N_FOLDS)

EPOCHS = 1
BATCH = 64

oof = np.zeros((len(X_train), 10), dtype="float32")
test_preds = np.zeros((len(test), 10), dtype="float32")
histories = []


# In[8]:


for fold in range(N_FOLDS):
    val_idx = folds[fold]
    trn_idx = np.concatenate([folds[j] for j in range(N_FOLDS) if j != fold])
    X_tr, X_val = X_train[trn_idx], X_train[val_idx]
    y_tr, y_val = Y_train[trn_idx], Y_train[val_idx]
    print(f"fold {fold}: train {X_tr.shape} val {X_val.shape}")

    keras.backend.clear_session()
    model = build_model()
    lr_cb = keras.callbacks.ReduceLROnPlateau(monitor="val_accuracy", patience=3,
                                              factor=0.5, min_lr=1e-5, verbose=0)
    h = model.fit(X_tr, y_tr, batch_size=BATCH, epochs=EPOCHS,
                  validation_data=(X_val, y_val), callbacks=[lr_cb], verbose=2)
    histories.append(h.history)

    oof[val_idx] = model.predict(X_val, batch_size=128, verbose=0)
    test_preds += model.predict(test, batch_size=128, verbose=0) / N_FOLDS


# In[9]:


oof_acc = (oof.argmax(1) == Y_train.argmax(1)).mean()
print("OOF accuracy:", round(float(oof_acc), 4))
for i, h in enumerate(histories):
    print(i, "val_acc", h["val_accuracy"][-1])


# In[10]:


# confusion matrix by hand
cm = np.zeros((10, 10), dtype=int)
np.add.at(cm, (Y_train.argmax(1), oof.argmax(1)), 1)
print(cm)


# In[11]:


results = np.argmax(test_preds, axis=1)
submission = np.stack([np.arange(1, len(results) + 1), results], axis=1)
print(submission.shape)
print("ImageId,Label")
for row in submission[:5]:
    print(f"{row[0]},{row[1]}")
