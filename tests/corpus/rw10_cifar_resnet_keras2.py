"""Small ResNet for CIFAR-10, written in the old Keras-2 tutorial style.

Builds a tiny residual network from a `res_block(x, filters, stride)` helper,
trains it for one epoch on random CIFAR-shaped data, and then pulls out the
penultimate layer as a feature extractor with `model.layers[-2].output`.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras.models import Sequential, Model, load_model
from tensorflow.keras.layers import (Input, Conv2D, BatchNormalization, Activation,
                                     Add, GlobalAveragePooling2D, Dense, Dropout)
from tensorflow.keras.regularizers import l2
from tensorflow.keras.optimizers import Adam

K = tf.keras.backend

# ---- hyperparameters -------------------------------------------------------
NUM_CLASSES = 10
IMG_ROWS, IMG_COLS, CHANNELS = 32, 32, 3
BATCH_SIZE = 32
EPOCHS = 1
N_TRAIN = 128
N_TEST = 32
WEIGHT_DECAY = 1e-4
USE_BIAS = False
STAGES = [16, 32, 64]

np.random.seed(42)
tf.random.set_seed(42)


def conv_bn(x, filters, kernel_size=3, strides=1, activation='relu'):
    x = Conv2D(filters, kernel_size, strides=strides, padding='same',
               use_bias=USE_BIAS, kernel_initializer='he_normal',
               kernel_regularizer=l2(WEIGHT_DECAY))(x)
    x = BatchNormalization()(x)
    if activation is not None:
        x = Activation(activation)(x)
    return x


def res_block(x, filters, stride):
    shortcut = x
    y = conv_bn(x, filters, strides=stride)
    y = conv_bn(y, filters, activation=None)
    # projection shortcut when the shape changes
    if stride != 1 or K.int_shape(shortcut)[-1] != filters:
        shortcut = conv_bn(shortcut, filters, kernel_size=1, strides=stride,
                           activation=None)
    out = Add()([y, shortcut])
    out = Activation('relu')(out)
    return out


def build_model(input_shape, num_classes, dropout=0.5):
    inputs = Input(shape=input_shape)
    x = conv_bn(inputs, STAGES[0])
    for i, filters in enumerate(STAGES):
        stride = 1 if i == 0 else 2
        x = res_block(x, filters, stride)
        x = res_block(x, filters, 1)
    x = GlobalAveragePooling2D()(x)
    if dropout > 0:
        x = Dropout(dropout)(x)
    x = Dense(64, activation='relu', name='fc_features')(x)
    outputs = Dense(num_classes, activation='softmax', name='predictions')(x)
    model = Model(inputs=inputs, outputs=outputs, name='cifar_resnet')
    return model


def load_fake_cifar():
    x_train = np.random.randint(0, 256, size=(N_TRAIN, IMG_ROWS, IMG_COLS, CHANNELS)).astype('uint8')
    y_train = np.random.randint(0, NUM_CLASSES, size=(N_TRAIN, 1))
    x_test = np.random.randint(0, 256, size=(N_TEST, IMG_ROWS, IMG_COLS, CHANNELS)).astype('uint8')
    y_test = np.random.randint(0, NUM_CLASSES, size=(N_TEST, 1))
    return (x_train, y_train), (x_test, y_test)


if __name__ == '__main__':
    (x_train, y_train), (x_test, y_test) = load_fake_cifar()

    # classic per-channel mean subtraction
    x_train = x_train.astype('float32') / 255.
    x_test = x_test.astype('float32') / 255.
    mean_pixel = np.mean(x_train, axis=(0, 1, 2), keepdims=True)
    x_train -= mean_pixel
    x_test -= mean_pixel

    y_train = keras.utils.to_categorical(y_train, NUM_CLASSES)
    y_test = keras.utils.to_categorical(y_test, NUM_CLASSES)
    print('x_train shape:', x_train.shape, 'y_train shape:', y_train.shape)

    model = build_model((IMG_ROWS, IMG_COLS, CHANNELS), NUM_CLASSES, dropout=0.3)
    model.compile(loss='categorical_crossentropy',
                  optimizer=Adam(learning_rate=1e-3),
                  metrics=['accuracy'])
    model.summary()

    history = model.fit(x_train, y_train,
                        batch_size=BATCH_SIZE,
                        epochs=EPOCHS,
                        validation_split=0.25,
                        shuffle=True,
                        verbose=2)
    print('history keys:', sorted(history.history.keys()))

    score = model.evaluate(x_test, y_test, verbose=0)
    print('Test loss: %.4f' % score[0])
    print('Test accuracy: %.4f' % score[1])

    # feature extractor from the penultimate layer
    feature_model = Model(inputs=model.input, outputs=model.layers[-2].output)
    feats = feature_model.predict(x_test[:8], verbose=0)
    print('features:', feats.shape)
    assert feats.shape == (8, 64)

    preds = model.predict(x_test[:8], verbose=0)
    print('predicted classes:', np.argmax(preds, axis=1))
