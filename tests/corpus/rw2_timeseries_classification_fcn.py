#!/usr/bin/env python
# coding: utf-8

# # Timeseries classification from scratch (FordA-like)
#
# Fully convolutional network (FCN) for univariate time series classification.
# Data is synthetic: noisy sine waves whose frequency depends on the class, with
# labels in {-1, 1} just like the original FordA UCR archive.

import numpy as np
from tensorflow import keras
from tensorflow.keras.layers import *

np.random.seed(7)

# In[1]: fake "readucr" loader

TS_LEN = 128
N_TRAIN = 48
N_TEST = 16


def readucr(n, length=TS_LEN):
    y = np.random.choice([-1, 1], size=(n,))
    t = np.linspace(0, 4 * np.pi, length)
    x = np.stack(
        [np.sin(t * (1.0 if lbl == 1 else 1.7)) + 0.3 * np.random.randn(length) for lbl in y]
    )
    return x.astype("float32"), y.astype(int)


x_train, y_train = readucr(N_TRAIN)
x_test, y_test = readucr(N_TEST)

# In[2]: visualize the data (no plot, just stats)

classes = np.unique(np.concatenate((y_train, y_test), axis=0))
for c in classes:
    c_x_train = x_train[y_train == c]
    print("class", c, "n =", len(c_x_train), "mean =", float(c_x_train.mean()))

# In[3]: standardize the data
# Our timeseries are already in a single length (128). Their values are
# standardized per-sample as is done for the UCR archive.

x_train = (x_train - x_train.mean(axis=1, keepdims=True)) / x_train.std(axis=1, keepdims=True)
x_test = (x_test - x_test.mean(axis=1, keepdims=True)) / x_test.std(axis=1, keepdims=True)

x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
x_test = x_test.reshape((x_test.shape[0], x_test.shape[1], 1))

num_classes = len(np.unique(y_train))
print("num_classes:", num_classes)

idx = np.random.permutation(len(x_train))
x_train = x_train[idx]
y_train = y_train[idx]

# Standardize the labels to positive integers. The expected labels will then be 0 and 1.
y_train[y_train == -1] = 0
y_test[y_test == -1] = 0

# In[4]: build a model


def conv_block(x, filters, kernel_size=3):
    x = Conv1D(filters=filters, kernel_size=kernel_size, padding="same")(x)
    x = BatchNormalization()(x)
    x = ReLU()(x)
    return x


def make_model(input_shape):
    input_layer = Input(input_shape)

    conv1 = conv_block(input_layer, 32)
    conv2 = conv_block(conv1, 32)
    conv3 = conv_block(conv2, 32)

    gap = GlobalAveragePooling1D()(conv3)

    output_layer = Dense(num_classes, activation="softmax")(gap)

    return keras.models.Model(inputs=input_layer, outputs=output_layer)


model = make_model(input_shape=x_train.shape[1:])
model.summary()

# In[5]: train

epochs = 1
batch_size = 16

callbacks = [
    keras.callbacks.ReduceLROnPlateau(
        monitor="val_loss", factor=0.5, patience=20, min_lr=0.0001
    ),
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=50, verbose=1),
]
model.compile(
    optimizer="adam",
    loss="sparse_categorical_crossentropy",
    metrics=["sparse_categorical_accuracy"],
)
history = model.fit(
    x_train,
    y_train,
    batch_size=batch_size,
    epochs=epochs,
    callbacks=callbacks,
    validation_split=0.2,
    verbose=1,
)

# In[6]: evaluate

test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
print("Test accuracy", test_acc)
print("Test loss", test_loss)

metric = "sparse_categorical_accuracy"
print(history.history[metric], history.history["val_" + metric])

preds = model.predict(x_test[:4], verbose=0)
print("pred shape:", preds.shape, "argmax:", preds.argmax(axis=-1))
