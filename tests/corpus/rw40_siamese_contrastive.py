"""Siamese network trained with contrastive loss (Hadsell et al., 2006).

Two images go through the *same* embedding tower (shared weights); the model
outputs the Euclidean distance between the embeddings squashed through a
sigmoid-ish head, and is trained so that same-class pairs are close and
different-class pairs are at least `margin` apart.

MNIST-shaped random "digits" are generated per class from a fixed prototype
plus noise so the pairs actually carry some signal.
"""
import random

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

EPOCHS = 1
BATCH_SIZE = 32
MARGIN = 1.0  # margin for contrastive loss
IMG_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
EMBED_DIM = 10

random.seed(0)
np.random.seed(0)


def make_fake_digits(n_per_class):
    protos = np.random.rand(NUM_CLASSES, *IMG_SHAPE).astype("float32")
    xs, ys = [], []
    for c in range(NUM_CLASSES):
        noise = 0.3 * np.random.rand(n_per_class, *IMG_SHAPE).astype("float32")
        xs.append(np.clip(protos[c] + noise, 0.0, 1.0))
        ys.append(np.full((n_per_class,), c, dtype="uint8"))
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    perm = np.random.permutation(len(y))
    return x[perm], y[perm]


def make_pairs(x, y):
    """Creates a tuple containing image pairs with corresponding label.

    For every sample we add one positive pair (same class, label 0)
    and one negative pair (different class, label 1).
    """
    num_classes = max(y) + 1
    digit_indices = [np.where(y == i)[0] for i in range(num_classes)]

    pairs = []
    labels = []

    for idx1 in range(len(x)):
        # add a matching example
        x1 = x[idx1]
        label1 = y[idx1]
        idx2 = random.choice(digit_indices[label1])
        x2 = x[idx2]

        pairs += [[x1, x2]]
        labels += [0]

        # add a non-matching example
        label2 = random.randint(0, num_classes - 1)
        while label2 == label1:
            label2 = random.randint(0, num_classes - 1)

        idx2 = random.choice(digit_indices[label2])
        x2 = x[idx2]

        pairs += [[x1, x2]]
        labels += [1]

    return np.array(pairs), np.array(labels).astype("float32")


def euclidean_distance(vects):
    """Find the Euclidean distance between two vectors."""
    x, y = vects
    sum_square = ops.sum(ops.square(x - y), axis=1, keepdims=True)
    return ops.sqrt(ops.maximum(sum_square, keras.backend.epsilon()))


def loss(margin=1):
    """Provides 'contrastive_loss' an enclosing scope with variable 'margin'."""

    def contrastive_loss(y_true, y_pred):
        square_pred = ops.square(y_pred)
        margin_square = ops.square(ops.maximum(margin - (y_pred), 0))
        return ops.mean((1 - y_true) * square_pred + (y_true) * margin_square)

    return contrastive_loss


def build_embedding_network():
    inp = keras.Input(IMG_SHAPE)
    x = layers.BatchNormalization()(inp)
    x = layers.Conv2D(4, (5, 5), activation="tanh")(x)
    x = layers.AveragePooling2D(pool_size=(2, 2))(x)
    x = layers.Conv2D(16, (5, 5), activation="tanh")(x)
    x = layers.AveragePooling2D(pool_size=(2, 2))(x)
    x = layers.Flatten()(x)
    x = layers.BatchNormalization()(x)
    x = layers.Dense(EMBED_DIM, activation="tanh")(x)
    return keras.Model(inp, x, name="embedding_tower")


def build_siamese(embedding_network):
    input_1 = keras.Input(IMG_SHAPE, name="left")
    input_2 = keras.Input(IMG_SHAPE, name="right")

    # As mentioned above, Siamese Network share weights between
    # tower networks (sister networks). To allow this, we will use
    # same embedding network for both tower networks.
    tower_1 = embedding_network(input_1)
    tower_2 = embedding_network(input_2)

    merge_layer = layers.Lambda(euclidean_distance, output_shape=(1,))([tower_1, tower_2])
    normal_layer = layers.BatchNormalization()(merge_layer)
    output_layer = layers.Dense(1, activation="sigmoid")(normal_layer)
    return keras.Model(inputs=[input_1, input_2], outputs=output_layer, name="siamese")


if __name__ == "__main__":
    x_train_val, y_train_val = make_fake_digits(40)
    x_test, y_test = make_fake_digits(8)

    # Keep 50% of train_val in validation set
    x_train, x_val = x_train_val[:200], x_train_val[200:]
    y_train, y_val = y_train_val[:200], y_train_val[200:]

    pairs_train, labels_train = make_pairs(x_train, y_train)
    pairs_val, labels_val = make_pairs(x_val, y_val)
    pairs_test, labels_test = make_pairs(x_test, y_test)
    print("pairs_train:", pairs_train.shape)  # (N, 2, 28, 28, 1)

    # Split the pairs into the two inputs of the siamese model.
    x_train_1 = pairs_train[:, 0]
    x_train_2 = pairs_train[:, 1]
    x_val_1 = pairs_val[:, 0]
    x_val_2 = pairs_val[:, 1]
    x_test_1 = pairs_test[:, 0]
    x_test_2 = pairs_test[:, 1]

    embedding_network = build_embedding_network()
    siamese = build_siamese(embedding_network)
    siamese.compile(loss=loss(margin=MARGIN), optimizer="RMSprop", metrics=["accuracy"])
    siamese.summary()

    history = siamese.fit(
        [x_train_1, x_train_2],
        labels_train,
        validation_data=([x_val_1, x_val_2], labels_val),
        batch_size=BATCH_SIZE,
        epochs=EPOCHS,
        verbose=2,
    )

    results = siamese.evaluate([x_test_1, x_test_2], labels_test, verbose=0)
    print("test loss, test acc:", results)

    # Shared weights: the tower appears once in the graph, reused twice.
    n_tower_weights = len(embedding_network.weights)
    print("tower weights:", n_tower_weights, "siamese weights:", len(siamese.weights))

    predictions = siamese.predict([x_test_1[:8], x_test_2[:8]], verbose=0)
    for p, t in zip(predictions[:, 0], labels_test[:8]):
        print(f"pred={p:.3f} true={'different' if t else 'same'}")
