# Siamese network on synthetic 20x20 "glyphs" with contrastive loss.
# Keras-2 era recipe (euclidean distance Lambda + output_shape fn) moved to tf.keras.
import random

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import backend as K
from tensorflow.keras.layers import (Input, Conv2D, MaxPooling2D, Dropout, Flatten,
                                     Dense, Lambda, BatchNormalization)
from tensorflow.keras.models import Model

SEED = 42
IMG = 20
N_CLASSES = 8
PER_CLASS = 40
MARGIN = 1.0

random.seed(SEED)
np.random.seed(SEED)
tf.random.set_seed(SEED)


def make_prototypes():
    protos = []
    for _ in range(N_CLASSES):
        p = (np.random.rand(IMG, IMG) > 0.7).astype("float32")
        protos.append(p)
    return np.stack(protos)


def sample_images(protos):
    xs, ys = [], []
    for c, p in enumerate(protos):
        for _ in range(PER_CLASS):
            noisy = np.clip(p + np.random.normal(0, 0.25, p.shape), 0, 1)
            shift = np.random.randint(-1, 2, size=2)
            xs.append(np.roll(noisy, shift, axis=(0, 1)))
            ys.append(c)
    return np.asarray(xs, "float32")[..., None], np.asarray(ys)


def create_pairs(x, digit_indices):
    """Alternating positive / negative pairs, the classic way."""
    pairs, labels = [], []
    n = min(len(d) for d in digit_indices) - 1
    for d in range(N_CLASSES):
        for i in range(n):
            z1, z2 = digit_indices[d][i], digit_indices[d][i + 1]
            pairs += [[x[z1], x[z2]]]
            inc = random.randrange(1, N_CLASSES)
            dn = (d + inc) % N_CLASSES
            z1, z2 = digit_indices[d][i], digit_indices[dn][i]
            pairs += [[x[z1], x[z2]]]
            labels += [1, 0]
    return np.array(pairs), np.array(labels, dtype="float32")


def euclidean_distance(vects):
    x, y = vects
    sum_square = K.sum(K.square(x - y), axis=1, keepdims=True)
    return K.sqrt(K.maximum(sum_square, K.epsilon()))


def eucl_dist_output_shape(shapes):
    shape1, _ = shapes
    return (shape1[0], 1)


def contrastive_loss(y_true, y_pred):
    # labels come in as (batch,), distances as (batch, 1)
    y_true = K.reshape(K.cast(y_true, y_pred.dtype), (-1, 1))
    square_pred = K.square(y_pred)
    margin_square = K.square(K.maximum(MARGIN - y_pred, 0))
    return K.mean(y_true * square_pred + (1 - y_true) * margin_square)


def pair_accuracy(y_true, y_pred):
    y_true = K.flatten(K.cast(y_true, "float32"))
    y_hat = K.flatten(K.cast(y_pred < 0.5, "float32"))
    return K.mean(K.cast(K.equal(y_true, y_hat), "float32"))


def create_base_network(input_shape):
    inp = Input(shape=input_shape)
    x = Conv2D(16, (3, 3), activation="relu", padding="same")(inp)
    x = BatchNormalization()(x)
    x = MaxPooling2D((2, 2))(x)
    x = Dropout(0.1)(x)
    x = Conv2D(32, (3, 3), activation="relu", padding="same")(x)
    x = MaxPooling2D((2, 2))(x)
    x = Dropout(0.1)(x)
    x = Flatten()(x)
    x = Dense(64, activation="relu")(x)
    x = Dense(32)(x)
    x = Lambda(lambda t: K.l2_normalize(t, axis=1), name="l2norm")(x)
    return Model(inp, x, name="base_network")


protos = make_prototypes()
x_all, y_all = sample_images(protos)
perm = np.random.permutation(len(x_all))
x_all, y_all = x_all[perm], y_all[perm]
split = int(0.8 * len(x_all))
x_tr, y_tr, x_te, y_te = x_all[:split], y_all[:split], x_all[split:], y_all[split:]

tr_pairs, tr_y = create_pairs(x_tr, [np.where(y_tr == i)[0] for i in range(N_CLASSES)])
te_pairs, te_y = create_pairs(x_te, [np.where(y_te == i)[0] for i in range(N_CLASSES)])
print("train pairs:", tr_pairs.shape, "test pairs:", te_pairs.shape)

input_shape = x_tr.shape[1:]
base_network = create_base_network(input_shape)

input_a = Input(shape=input_shape, name="left")
input_b = Input(shape=input_shape, name="right")
processed_a = base_network(input_a)
processed_b = base_network(input_b)
distance = Lambda(euclidean_distance, output_shape=eucl_dist_output_shape,
                  name="distance")([processed_a, processed_b])

model = Model([input_a, input_b], distance)
rms = keras.optimizers.RMSprop(learning_rate=1e-3)
model.compile(loss=contrastive_loss, optimizer=rms, metrics=[pair_accuracy])

model.fit([tr_pairs[:, 0], tr_pairs[:, 1]], tr_y,
          batch_size=64,
          epochs=2,
          validation_split=0.1,
          verbose=2)


def compute_accuracy(y_true, y_pred, thr=0.5):
    pred = y_pred.ravel() < thr
    return np.mean(pred == y_true)


y_pred_tr = model.predict([tr_pairs[:, 0], tr_pairs[:, 1]], verbose=0)
y_pred_te = model.predict([te_pairs[:, 0], te_pairs[:, 1]], verbose=0)
print("* Accuracy on training set: %0.2f%%" % (100 * compute_accuracy(tr_y, y_pred_tr)))
print("* Accuracy on test set: %0.2f%%" % (100 * compute_accuracy(te_y, y_pred_te)))

# nearest-prototype retrieval with the embedding net
proto_emb = base_network.predict(protos[..., None], verbose=0)
test_emb = base_network.predict(x_te, verbose=0)
dists = np.linalg.norm(test_emb[:, None, :] - proto_emb[None, :, :], axis=-1)
print(f"nearest-prototype accuracy: {np.mean(dists.argmin(1) == y_te):.3f}")
