import random

import numpy as np
import tensorflow as tf
from tensorflow.keras import backend as K
from keras import ops

# Image similarity estimation using a Siamese Network with a contrastive loss.
# MNIST-shaped random data so that the script is self contained.

EPOCHS = 1
BATCH_SIZE = 16
MARGIN = 1.0  # Margin for contrastive loss.
IMG_SHAPE = (28, 28, 1)
NUM_DIGITS = 10

np.random.seed(11)
random.seed(11)

x_train_val = np.random.randint(0, 256, size=(80, 28, 28)).astype("float32")
y_train_val = np.random.randint(0, NUM_DIGITS, size=(80,))
x_test = np.random.randint(0, 256, size=(20, 28, 28)).astype("float32")
y_test = np.random.randint(0, NUM_DIGITS, size=(20,))

# Keep 50% of train_val in validation set
x_train, x_val = x_train_val[:40], x_train_val[40:]
y_train, y_val = y_train_val[:40], y_train_val[40:]
del x_train_val, y_train_val

x_train = x_train / 255.0
x_val = x_val / 255.0
x_test = x_test / 255.0


def make_pairs(x, y):
    """Creates a tuple containing image pairs with corresponding label.

    Returns:
        Tuple containing two numpy arrays as (pairs_of_samples, labels),
        where pairs_of_samples' shape is (2len(x), 2,n_features_dims) and
        labels are a binary array of shape (2len(x)).
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
        while label2 == label1 or len(digit_indices[label2]) == 0:
            label2 = random.randint(0, num_classes - 1)

        idx2 = random.choice(digit_indices[label2])
        x2 = x[idx2]

        pairs += [[x1, x2]]
        labels += [1]

    return np.array(pairs), np.array(labels).astype("float32")


pairs_train, labels_train = make_pairs(x_train, y_train)
pairs_val, labels_val = make_pairs(x_val, y_val)
pairs_test, labels_test = make_pairs(x_test, y_test)

print("pairs_train:", pairs_train.shape)

x_train_1 = pairs_train[:, 0]  # x_train_1.shape is (80, 28, 28)
x_train_2 = pairs_train[:, 1]
x_val_1 = pairs_val[:, 0]
x_val_2 = pairs_val[:, 1]
x_test_1 = pairs_test[:, 0]
x_test_2 = pairs_test[:, 1]


# Provided two tensors t1 and t2
# Euclidean distance = sqrt(sum(square(t1-t2)))
def euclidean_distance(vects):
    """Find the Euclidean distance between two vectors.

    Arguments:
        vects: List containing two tensors of same length.

    Returns:
        Tensor containing euclidean distance
        (as floating point value) between vectors.
    """
    x, y = vects
    sum_square = ops.sum(ops.square(x - y), axis=1, keepdims=True)
    return K.sqrt(K.maximum(sum_square, K.epsilon()))


input = tf.keras.layers.Input(IMG_SHAPE)
x = tf.keras.layers.BatchNormalization()(input)
x = tf.keras.layers.Conv2D(4, (5, 5), activation="tanh")(x)
x = tf.keras.layers.AveragePooling2D(pool_size=(2, 2))(x)
x = tf.keras.layers.Conv2D(16, (5, 5), activation="tanh")(x)
x = tf.keras.layers.AveragePooling2D(pool_size=(2, 2))(x)
x = tf.keras.layers.Flatten()(x)

x = tf.keras.layers.BatchNormalization()(x)
x = tf.keras.layers.Dense(10, activation="tanh")(x)
embedding_network = tf.keras.Model(input, x)


input_1 = tf.keras.layers.Input(IMG_SHAPE)
input_2 = tf.keras.layers.Input(IMG_SHAPE)

# As mentioned above, Siamese Network share weights between
# tower networks (sister networks). To allow this, we will use
# same embedding network for both tower networks.
tower_1 = embedding_network(input_1)
tower_2 = embedding_network(input_2)

merge_layer = tf.keras.layers.Lambda(euclidean_distance, output_shape=(1,))(
    [tower_1, tower_2]
)
normal_layer = tf.keras.layers.BatchNormalization()(merge_layer)
output_layer = tf.keras.layers.Dense(1, activation="sigmoid")(normal_layer)
siamese = tf.keras.Model(inputs=[input_1, input_2], outputs=output_layer)


def loss(margin=1):
    """Provides 'contrastive_loss' an enclosing scope with variable 'margin'.

    Arguments:
        margin: Integer, defines the baseline for distance for which pairs
                should be classified as dissimilar. - (default is 1).

    Returns:
        'contrastive_loss' function with data ('margin') attached.
    """

    # Contrastive loss = mean( (1-true_value) * square(prediction) +
    #                         true_value * square( max(margin-prediction, 0) ))
    def contrastive_loss(y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        square_pred = ops.square(y_pred)
        margin_square = ops.square(ops.maximum(margin - (y_pred), 0))
        return ops.mean((1 - y_true) * square_pred + (y_true) * margin_square)

    return contrastive_loss


siamese.compile(loss=loss(margin=MARGIN), optimizer="RMSprop", metrics=["accuracy"])
siamese.summary()
embedding_network.summary()

history = siamese.fit(
    [x_train_1, x_train_2],
    labels_train,
    validation_data=([x_val_1, x_val_2], labels_val),
    batch_size=BATCH_SIZE,
    epochs=EPOCHS,
)

results = siamese.evaluate([x_test_1, x_test_2], labels_test, verbose=0)
print("test loss, test acc:", results)

predictions = siamese.predict([x_test_1, x_test_2], verbose=0)
print("predictions:", predictions.shape, predictions[:4].ravel())

emb = embedding_network.predict(x_test[:5].reshape(-1, 28, 28, 1), verbose=0)
print("embedding shape:", emb.shape)
