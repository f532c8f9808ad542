"""MNIST convnet in the style of the old keras/examples/mnist_cnn.py.

Checks `K.image_data_format()` to decide whether to reshape the images to
channels_first or channels_last, builds a Sequential CNN with `input_shape=`
on the first layer and optional batch-norm, trains one epoch on random
digit-shaped data, and reads out the flattened conv features through
`model.get_layer('flatten').output`.
"""
from __future__ import print_function

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras.models import Sequential, Model
from tensorflow.keras.layers import Dense, Dropout, Flatten, Conv2D, MaxPooling2D
from tensorflow.keras.layers import BatchNormalization, Activation
from tensorflow.keras import backend as K

BATCH_SIZE = 64
NUM_CLASSES = 10
EPOCHS = 1
IMG_ROWS, IMG_COLS = 28, 28
USE_BATCHNORM = True
DROPOUT_RATE = 0.25
N_SAMPLES = 256

np.random.seed(1337)


def fake_mnist(n):
    # blobs of "ink" on a black background, labels at random
    x = np.zeros((n, IMG_ROWS, IMG_COLS), dtype='uint8')
    for i in range(n):
        r, c = np.random.randint(4, 20, size=2)
        x[i, r:r + 8, c:c + 4] = np.random.randint(128, 256)
    y = np.random.randint(0, NUM_CLASSES, size=(n,))
    return x, y


(x_train, y_train) = fake_mnist(N_SAMPLES)
(x_test, y_test) = fake_mnist(64)

if K.image_data_format() == 'channels_first':
    x_train = x_train.reshape(x_train.shape[0], 1, IMG_ROWS, IMG_COLS)
    x_test = x_test.reshape(x_test.shape[0], 1, IMG_ROWS, IMG_COLS)
    input_shape = (1, IMG_ROWS, IMG_COLS)
    bn_axis = 1
else:
    x_train = x_train.reshape(x_train.shape[0], IMG_ROWS, IMG_COLS, 1)
    x_test = x_test.reshape(x_test.shape[0], IMG_ROWS, IMG_COLS, 1)
    input_shape = (IMG_ROWS, IMG_COLS, 1)
    bn_axis = -1

x_train = x_train.astype('float32')
x_test = x_test.astype('float32')
x_train /= 255
x_test /= 255
print('x_train shape:', x_train.shape)
print(x_train.shape[0], 'train samples')
print(x_test.shape[0], 'test samples')

# convert class vectors to binary class matrices
y_train = keras.utils.to_categorical(y_train, NUM_CLASSES)
y_test = keras.utils.to_categorical(y_test, NUM_CLASSES)

model = Sequential()
model.add(Conv2D(32, kernel_size=(3, 3), input_shape=input_shape))
if USE_BATCHNORM:
    model.add(BatchNormalization(axis=bn_axis))
model.add(Activation('relu'))
model.add(Conv2D(64, (3, 3), activation='relu'))
model.add(MaxPooling2D(pool_size=(2, 2)))
if DROPOUT_RATE:
    model.add(Dropout(DROPOUT_RATE))
model.add(Flatten(name='flatten'))
model.add(Dense(128, activation='relu'))
model.add(Dropout(DROPOUT_RATE * 2))
model.add(Dense(NUM_CLASSES, activation='softmax'))

model.compile(loss=keras.losses.categorical_crossentropy,
              optimizer=keras.optimizers.Adadelta(learning_rate=1.0),
              metrics=['accuracy'])
model.summary()

model.fit(x_train, y_train,
          batch_size=BATCH_SIZE,
          epochs=EPOCHS,
          verbose=1,
          validation_data=(x_test, y_test))
score = model.evaluate(x_test, y_test, verbose=0)
print('Test loss:', score[0])
print('Test accuracy:', score[1])

# look at the flattened conv features for a few test digits
flat_model = Model(inputs=model.inputs, outputs=model.get_layer('flatten').output)
flat = flat_model.predict(x_test[:4], verbose=0)
expected = 12 * 12 * 64
print('flattened feature size:', flat.shape[1], '(expected %d)' % expected)
assert flat.shape == (4, expected)

# the output shape of every layer, the way people used to debug these
for layer in model.layers:
    print('%-22s %s' % (layer.name, K.int_shape(layer.output)))
