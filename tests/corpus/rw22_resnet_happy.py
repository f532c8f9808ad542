"""Residual Networks - programming assignment (Course 4, Week 2).

Build a ResNet-50-style network from identity blocks and convolutional
blocks, then train it on the SIGNS-like 6-class hand dataset. The original
assignment loads datasets/train_signs.h5; here random images stand in.
Filter counts are scaled down so the notebook runs quickly on CPU.
"""
import numpy as np
import tensorflow as tf
from tensorflow.keras import Model
from tensorflow.keras.initializers import glorot_uniform, random_uniform
from tensorflow.keras.layers import (Activation, Add, AveragePooling2D, BatchNormalization, Conv2D, Dense,
                                     Flatten, Input, MaxPooling2D, ZeroPadding2D)

np.random.seed(1)
tf.random.set_seed(2)

WIDTH = 0.125  # fraction of the original filter counts


def load_dataset(m_train=64, m_test=16, size=64, classes=6):
    X_train_orig = np.random.randint(0, 256, (m_train, size, size, 3)).astype(np.uint8)
    Y_train_orig = np.random.randint(0, classes, (1, m_train))
    X_test_orig = np.random.randint(0, 256, (m_test, size, size, 3)).astype(np.uint8)
    Y_test_orig = np.random.randint(0, classes, (1, m_test))
    return X_train_orig, Y_train_orig, X_test_orig, Y_test_orig, np.arange(classes)


def convert_to_one_hot(Y, C):
    return np.eye(C)[Y.reshape(-1)].T


def f(n):
    return max(4, int(n * WIDTH))


# GRADED FUNCTION: identity_block
def identity_block(X, f_size, filters, training=True, initializer=random_uniform):
    """
    Implementation of the identity block

    Arguments:
    X -- input tensor of shape (m, n_H_prev, n_W_prev, n_C_prev)
    f_size -- integer, shape of the middle CONV's window for the main path
    filters -- python list of integers, number of filters in the CONV layers of the main path
    training -- True: behave in training mode, False: inference mode
    initializer -- to set up the initial weights of a layer

    Returns:
    X -- output of the identity block, tensor of shape (m, n_H, n_W, n_C)
    """
    F1, F2, F3 = filters
    X_shortcut = X

    # First component of main path
    X = Conv2D(filters=F1, kernel_size=1, strides=(1, 1), padding="valid", kernel_initializer=initializer(seed=0))(X)
    X = BatchNormalization(axis=3)(X, training=training)
    X = Activation("relu")(X)

    ### START CODE HERE
    X = Conv2D(filters=F2, kernel_size=f_size, strides=(1, 1), padding="same", kernel_initializer=initializer(seed=0))(X)
    X = BatchNormalization(axis=3)(X, training=training)
    X = Activation("relu")(X)

    X = Conv2D(filters=F3, kernel_size=1, strides=(1, 1), padding="valid", kernel_initializer=initializer(seed=0))(X)
    X = BatchNormalization(axis=3)(X, training=training)

    X = Add()([X, X_shortcut])
    X = Activation("relu")(X)
    ### END CODE HERE

    return X


# GRADED FUNCTION: convolutional_block
def convolutional_block(X, f_size, filters, s=2, training=True, initializer=glorot_uniform):
    """
    Implementation of the convolutional block (shortcut has a CONV + BN).

    s -- integer, specifying the stride to be used
    """
    F1, F2, F3 = filters
    X_shortcut = X

    ##### MAIN PATH #####
    X = Conv2D(filters=F1, kernel_size=1, strides=(s, s), padding="valid", kernel_initializer=initializer(seed=0))(X)
    X = BatchNormalization(axis=3)(X, training=training)
    X = Activation("relu")(X)

    ### START CODE HERE
    X = Conv2D(filters=F2, kernel_size=f_size, strides=(1, 1), padding="same", kernel_initializer=initializer(seed=0))(X)
    X = BatchNormalization(axis=3)(X, training=training)
    X = Activation("relu")(X)

    X = Conv2D(filters=F3, kernel_size=1, strides=(1, 1), padding="valid", kernel_initializer=initializer(seed=0))(X)
    X = BatchNormalization(axis=3)(X, training=training)

    ##### SHORTCUT PATH #####
    X_shortcut = Conv2D(filters=F3, kernel_size=1, strides=(s, s), padding="valid",
                        kernel_initializer=initializer(seed=0))(X_shortcut)
    X_shortcut = BatchNormalization(axis=3)(X_shortcut, training=training)

    X = Add()([X, X_shortcut])
    X = Activation("relu")(X)
    ### END CODE HERE

    return X


# GRADED FUNCTION: ResNet50
def ResNet50(input_shape=(64, 64, 3), classes=6):
    """
    CONV2D -> BATCHNORM -> RELU -> MAXPOOL -> CONVBLOCK -> IDBLOCK*2 -> CONVBLOCK -> IDBLOCK*3
    -> CONVBLOCK -> IDBLOCK*5 -> CONVBLOCK -> IDBLOCK*2 -> AVGPOOL -> FLATTEN -> DENSE
    """
    X_input = Input(input_shape)
    X = ZeroPadding2D((3, 3))(X_input)

    # Stage 1
    X = Conv2D(f(64), (7, 7), strides=(2, 2), kernel_initializer=glorot_uniform(seed=0))(X)
    X = BatchNormalization(axis=3)(X)
    X = Activation("relu")(X)
    X = MaxPooling2D((3, 3), strides=(2, 2))(X)

    stages = [
        # (filters, stride, n_identity)
        ([64, 64, 256], 1, 2),
        ([128, 128, 512], 2, 3),
        ([256, 256, 1024], 2, 5),
        ([512, 512, 2048], 2, 2),
    ]
    for filters, stride, n_id in stages:
        scaled = [f(n) for n in filters]
        X = convolutional_block(X, f_size=3, filters=scaled, s=stride)
        for _ in range(n_id):
            X = identity_block(X, 3, scaled)

    X = AveragePooling2D((2, 2), padding="same")(X)
    X = Flatten()(X)
    X = Dense(classes, activation="softmax", kernel_initializer=glorot_uniform(seed=0))(X)

    return Model(inputs=X_input, outputs=X)


# --- quick unit check like the notebook's public tests ---
X1 = np.ones((1, 4, 4, 3)) * -1
X2 = np.ones((1, 4, 4, 3)) * 1
X3 = np.ones((1, 4, 4, 3)) * 3
X = np.concatenate((X1, X2, X3), axis=0).astype(np.float32)
A3 = identity_block(X, f_size=2, filters=[4, 4, 3], initializer=lambda seed=0: tf.constant_initializer(1),
                    training=False)
print("identity_block out[1,1,0]:", np.around(A3[1, 1, 0].numpy(), 3))
A4 = convolutional_block(X, f_size=2, filters=[2, 4, 6], training=False)
print("convolutional_block out shape:", tuple(A4.shape))

model = ResNet50(input_shape=(64, 64, 3), classes=6)
print("total params:", model.count_params())
model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.00015), loss="categorical_crossentropy",
              metrics=["accuracy"])

X_train_orig, Y_train_orig, X_test_orig, Y_test_orig, classes = load_dataset()
X_train = X_train_orig / 255.0
X_test = X_test_orig / 255.0
Y_train = convert_to_one_hot(Y_train_orig, 6).T
Y_test = convert_to_one_hot(Y_test_orig, 6).T
print("number of training examples =", X_train.shape[0])
print("X_train shape:", X_train.shape, "Y_train shape:", Y_train.shape)

model.fit(X_train, Y_train, epochs=1, batch_size=32)

preds = model.evaluate(X_test, Y_test, verbose=0)
print("Loss = " + str(preds[0]))
print("Test Accuracy = " + str(preds[1]))

img = X_test[:1]
print("Class prediction vector [p(0), p(1), ..., p(5)] =", model.predict(img, verbose=0))
