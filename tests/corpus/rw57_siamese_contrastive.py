"""Siamese network with contrastive loss (ported from an old Keras 2 example).

The original used `keras.layers.merge` + `K.sqrt(K.sum(K.square(x - y)))`.
This version keeps the backend-style helpers (tf.keras.backend) but runs on
TF 2 / Keras 3. Data is synthetic: pairs of random "digits" (8x8 patches) that
share a class template plus noise.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import backend as K
from tensorflow.keras import layers

np.random.seed(1337)
tf.random.set_seed(1337)

NUM_CLASSES = 5
IMG_SHAPE = (8, 8, 1)
PAIRS_PER_CLASS = 40
EPOCHS = 2
BATCH_SIZE = 32


def euclidean_distance(vects):
    x, y = vects
    sum_square = K.sum(K.square(x - y), axis=1, keepdims=True)
    return K.sqrt(K.maximum(sum_square, K.epsilon()))


def eucl_dist_output_shape(shapes):
    shape1, _ = shapes
    return (shape1[0], 1)


def contrastive_loss(y_true, y_pred, margin=1.0):
    """Hadsell et al. '06. y_true == 1 means "same class"."""
    y_true = K.cast(y_true, y_pred.dtype)
    square_pred = K.square(y_pred)
    margin_square = K.square(K.maximum(margin - y_pred, 0))
    return K.mean(y_true * square_pred + (1 - y_true) * margin_square)


def compute_accuracy(y_true, y_pred, threshold=0.5):
    pred = y_pred.ravel() < threshold
    return np.mean(pred == y_true)


def accuracy(y_true, y_pred):
    """Keras metric version of the above."""
    return K.mean(K.equal(y_true, K.cast(y_pred < 0.5, y_true.dtype)))


def make_fake_digits(n_per_class):
    templates = np.random.rand(NUM_CLASSES, *IMG_SHAPE).astype("float32")
    x, y = [], []
    for c in range(NUM_CLASSES):
        noise = 0.25 * np.random.randn(n_per_class, *IMG_SHAPE).astype("float32")
        x.append(np.clip(templates[c] + noise, 0.0, 1.0))
        y.append(np.full((n_per_class,), c))
    return np.concatenate(x), np.concatenate(y)


def create_pairs(x, digit_indices):
    """Positive and negative pair creation, alternating between the two."""
    pairs, labels = [], []
    n = min(len(digit_indices[d]) for d in range(NUM_CLASSES)) - 1
    for d in range(NUM_CLASSES):
        for i in range(n):
            z1, z2 = digit_indices[d][i], digit_indices[d][i + 1]
            pairs += [[x[z1], x[z2]]]
            inc = np.random.randint(1, NUM_CLASSES)
            dn = (d + inc) % NUM_CLASSES
            z1, z2 = digit_indices[d][i], digit_indices[dn][i]
            pairs += [[x[z1], x[z2]]]
            labels += [1, 0]
    return np.array(pairs), np.array(labels, dtype="float32")


def create_base_network(input_shape):
    """Shared embedding tower."""
    inp = layers.Input(shape=input_shape)
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(inp)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(32, activation="relu")(x)
    return keras.Model(inp, x, name="base_network")


x_train, y_train = make_fake_digits(PAIRS_PER_CLASS)
x_test, y_test = make_fake_digits(PAIRS_PER_CLASS // 4)

digit_indices = [np.where(y_train == i)[0] for i in range(NUM_CLASSES)]
tr_pairs, tr_y = create_pairs(x_train, digit_indices)
digit_indices = [np.where(y_test == i)[0] for i in range(NUM_CLASSES)]
te_pairs, te_y = create_pairs(x_test, digit_indices)
print("train pairs:", tr_pairs.shape, "test pairs:", te_pairs.shape)

base_network = create_base_network(IMG_SHAPE)
base_network.summary()

input_a = layers.Input(shape=IMG_SHAPE, name="left")
input_b = layers.Input(shape=IMG_SHAPE, name="right")

# because we re-use the same instance `base_network`,
# the weights of the network will be shared across the two branches
processed_a = base_network(input_a)
processed_b = base_network(input_b)

distance = layers.Lambda(euclidean_distance,
                         output_shape=eucl_dist_output_shape,
                         name="distance")([processed_a, processed_b])

model = keras.Model([input_a, input_b], distance)
model.compile(loss=contrastive_loss,
              optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
              metrics=[accuracy])

history = model.fit([tr_pairs[:, 0], tr_pairs[:, 1]], tr_y,
                    batch_size=BATCH_SIZE,
                    epochs=EPOCHS,
                    validation_data=([te_pairs[:, 0], te_pairs[:, 1]], te_y),
                    verbose=2)

y_pred = model.predict([tr_pairs[:, 0], tr_pairs[:, 1]], verbose=0)
tr_acc = compute_accuracy(tr_y, y_pred)
y_pred = model.predict([te_pairs[:, 0], te_pairs[:, 1]], verbose=0)
te_acc = compute_accuracy(te_y, y_pred)

print("* Accuracy on training set: %0.2f%%" % (100 * tr_acc))
print("* Accuracy on test set: %0.2f%%" % (100 * te_acc))

# Pull the embedding tower back out of the full model and use it on its own.
embedder = model.get_layer("base_network")
emb = embedder.predict(x_test[:8], verbose=0)
print("embedding shape:", emb.shape, "norms:", np.round(np.linalg.norm(emb, axis=1), 2))
