"""Siamese network with a Lambda(euclidean_distance) layer and contrastive loss.

Port of the well-known keras mnist_siamese example to random data: a shared
base network embeds two inputs, a Lambda layer computes the euclidean
distance between the embeddings, and the model is trained with the
contrastive loss (Hadsell et al. 2006). Pairs are built in numpy from
class-labelled synthetic "digits" (class-dependent mean + noise).
"""
from __future__ import absolute_import, print_function

import random
import numpy as np
import tensorflow as tf
from tensorflow.keras.models import Sequential, Model
from tensorflow.keras.layers import Input, Flatten, Dense, Dropout, Lambda
from tensorflow.keras.optimizers import RMSprop

K = tf.keras.backend

NUM_CLASSES = 10
INPUT_DIM = 64
EPOCHS = 1
BATCH_SIZE = 64
MARGIN = 1.0
SAMPLES_PER_CLASS = 20

random.seed(0)
np.random.seed(0)


def euclidean_distance(vects):
    x, y = vects
    sum_square = K.sum(K.square(x - y), axis=1, keepdims=True)
    return K.sqrt(K.maximum(sum_square, K.epsilon()))


def eucl_dist_output_shape(shapes):
    shape1, shape2 = shapes
    return (shape1[0], 1)


def contrastive_loss(y_true, y_pred):
    """1 = similar pair, 0 = dissimilar pair."""
    y_true = K.cast(y_true, y_pred.dtype)
    square_pred = K.square(y_pred)
    margin_square = K.square(K.maximum(MARGIN - y_pred, 0))
    return K.mean(y_true * square_pred + (1 - y_true) * margin_square)


def create_pairs(x, digit_indices):
    """Positive and negative pair creation, alternating between the two."""
    pairs = []
    labels = []
    n = min([len(digit_indices[d]) for d in range(NUM_CLASSES)]) - 1
    for d in range(NUM_CLASSES):
        for i in range(n):
            z1, z2 = digit_indices[d][i], digit_indices[d][i + 1]
            pairs += [[x[z1], x[z2]]]
            inc = random.randrange(1, NUM_CLASSES)
            dn = (d + inc) % NUM_CLASSES
            z1, z2 = digit_indices[d][i], digit_indices[dn][i]
            pairs += [[x[z1], x[z2]]]
            labels += [1, 0]
    return np.array(pairs), np.array(labels)


def create_base_network(input_shape):
    model = Sequential(name='base_network')
    model.add(Flatten(input_shape=input_shape))
    model.add(Dense(128, activation='relu'))
    model.add(Dropout(0.1))
    model.add(Dense(128, activation='relu'))
    model.add(Dropout(0.1))
    model.add(Dense(32, activation='relu'))
    return model


def compute_accuracy(y_true, y_pred):
    pred = y_pred.ravel() < 0.5
    return np.mean(pred == y_true)


def accuracy(y_true, y_pred):
    """Keras metric: fraction of pairs on the right side of the 0.5 threshold."""
    return K.mean(K.equal(K.cast(y_true, 'float32'),
                          K.cast(y_pred < 0.5, 'float32')))


# class centres + gaussian noise
centres = np.random.randn(NUM_CLASSES, INPUT_DIM).astype('float32')
y_all = np.repeat(np.arange(NUM_CLASSES), SAMPLES_PER_CLASS)
x_all = centres[y_all] + 0.5 * np.random.randn(len(y_all), INPUT_DIM).astype('float32')
perm = np.random.permutation(len(y_all))
x_all, y_all = x_all[perm], y_all[perm]
split = int(0.75 * len(y_all))
x_train, y_train = x_all[:split], y_all[:split]
x_test, y_test = x_all[split:], y_all[split:]
input_shape = x_train.shape[1:]

digit_indices = [np.where(y_train == i)[0] for i in range(NUM_CLASSES)]
tr_pairs, tr_y = create_pairs(x_train, digit_indices)
digit_indices = [np.where(y_test == i)[0] for i in range(NUM_CLASSES)]
te_pairs, te_y = create_pairs(x_test, digit_indices)
print('train pairs:', tr_pairs.shape, 'test pairs:', te_pairs.shape)

base_network = create_base_network(input_shape)

input_a = Input(shape=input_shape)
input_b = Input(shape=input_shape)
# because we re-use the same instance `base_network`,
# the weights of the network will be shared across the two branches
processed_a = base_network(input_a)
processed_b = base_network(input_b)

distance = Lambda(euclidean_distance,
                  output_shape=eucl_dist_output_shape,
                  name='distance')([processed_a, processed_b])

model = Model([input_a, input_b], distance)
rms = RMSprop()
model.compile(loss=contrastive_loss, optimizer=rms, metrics=[accuracy])
model.summary()

model.fit([tr_pairs[:, 0], tr_pairs[:, 1]], tr_y.astype('float32'),
          batch_size=BATCH_SIZE,
          epochs=EPOCHS,
          validation_data=([te_pairs[:, 0], te_pairs[:, 1]], te_y.astype('float32')),
          verbose=2)

y_pred = model.predict([tr_pairs[:, 0], tr_pairs[:, 1]], verbose=0)
tr_acc = compute_accuracy(tr_y, y_pred)
y_pred = model.predict([te_pairs[:, 0], te_pairs[:, 1]], verbose=0)
te_acc = compute_accuracy(te_y, y_pred)

print('* Accuracy on training set: %0.2f%%' % (100 * tr_acc))
print('* Accuracy on test set: %0.2f%%' % (100 * te_acc))

# embed single samples with the shared tower
embeddings = base_network.predict(x_test[:5], verbose=0)
print('embedding shape:', embeddings.shape)
