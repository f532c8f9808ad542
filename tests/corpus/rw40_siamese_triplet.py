"""Image similarity with a Siamese network and triplet loss.

anchor / positive / negative images go through one shared embedding network
(a small ResNet-style CNN from keras.applications would be the usual choice,
here a compact tower so it runs on CPU). A DistanceLayer returns the two
squared distances and a subclassed SiameseModel implements the triplet loss
in a custom ``train_step`` / ``test_step``.

Data: random "photos" built as shifted colour blobs; positives are augmented
copies of the anchor, negatives are other images.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers, metrics, Model

target_shape = (64, 64)
n_images = 96
batch_size = 16
margin = 0.5


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------
def random_blob_images(n, size):
    yy, xx = np.mgrid[0:size[0], 0:size[1]].astype("float32")
    imgs = np.empty((n, size[0], size[1], 3), dtype="float32")
    for i in range(n):
        cy, cx = np.random.uniform(8, size[0] - 8, size=2)
        r = np.random.uniform(4, 14)
        color = np.random.rand(3)
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r**2))
        imgs[i] = blob[..., None] * color[None, None, :]
    return imgs


def preprocess_image(image):
    image = tf.image.convert_image_dtype(image, tf.float32)
    image = tf.image.resize(image, target_shape)
    return image


def make_positive(image):
    # random brightness/flip/crop keeps the "identity" of the image
    image = tf.image.random_flip_left_right(image)
    image = tf.image.random_brightness(image, 0.1)
    image = tf.image.resize_with_crop_or_pad(image, target_shape[0] + 8, target_shape[1] + 8)
    image = tf.image.random_crop(image, target_shape + (3,))
    return tf.clip_by_value(image, 0.0, 1.0)


def preprocess_triplets(anchor, positive, negative):
    return (
        preprocess_image(anchor),
        make_positive(preprocess_image(positive)),
        preprocess_image(negative),
    )


def build_triplet_datasets(images):
    anchors = images
    positives = images  # augmented inside the map fn
    negatives = np.roll(images, shift=np.random.randint(1, len(images)), axis=0)

    ds = tf.data.Dataset.from_tensor_slices((anchors, positives, negatives))
    ds = ds.shuffle(buffer_size=256)
    ds = ds.map(preprocess_triplets, num_parallel_calls=tf.data.AUTOTUNE)

    n_train = round(len(images) * 0.8)
    train_dataset = ds.take(n_train)
    val_dataset = ds.skip(n_train)

    train_dataset = train_dataset.batch(batch_size, drop_remainder=False).prefetch(8)
    val_dataset = val_dataset.batch(batch_size, drop_remainder=False).prefetch(8)
    return train_dataset, val_dataset


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
def residual_block(x, filters, stride):
    shortcut = x
    x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(shortcut)
        shortcut = layers.BatchNormalization()(shortcut)
    return layers.ReLU()(layers.add([x, shortcut]))


def build_embedding(input_shape=target_shape + (3,)):
    base_input = layers.Input(shape=input_shape)
    x = layers.Conv2D(16, 5, strides=2, padding="same")(base_input)
    x = residual_block(x, 16, 1)
    x = residual_block(x, 32, 2)
    x = residual_block(x, 64, 2)
    flatten = layers.GlobalAveragePooling2D()(x)
    dense1 = layers.Dense(128, activation="relu")(flatten)
    dense1 = layers.BatchNormalization()(dense1)
    output = layers.Dense(64)(dense1)
    # L2-normalised embeddings make the margin scale-independent
    output = layers.UnitNormalization(axis=-1)(output)
    return Model(base_input, output, name="Embedding")


class DistanceLayer(layers.Layer):
    """
    This layer is responsible for computing the distance between the anchor
    embedding and the positive embedding, and the anchor embedding and the
    negative embedding.
    """

    def call(self, anchor, positive, negative):
        ap_distance = tf.reduce_sum(tf.square(anchor - positive), -1)
        an_distance = tf.reduce_sum(tf.square(anchor - negative), -1)
        return (ap_distance, an_distance)


def build_siamese_network(embedding):
    anchor_input = layers.Input(name="anchor", shape=target_shape + (3,))
    positive_input = layers.Input(name="positive", shape=target_shape + (3,))
    negative_input = layers.Input(name="negative", shape=target_shape + (3,))

    distances = DistanceLayer()(
        embedding(anchor_input),
        embedding(positive_input),
        embedding(negative_input),
    )
    return Model(inputs=[anchor_input, positive_input, negative_input], outputs=distances)


class SiameseModel(Model):
    """The Siamese Network model with a custom training and testing loops.

    Computes the triplet loss using the three embeddings produced by the
    Siamese Network.

    The triplet loss is defined as:
       L(A, P, N) = max(||f(A) - f(P)||² - ||f(A) - f(N)||² + margin, 0)
    """

    def __init__(self, siamese_network, margin=0.5):
        super().__init__()
        self.siamese_network = siamese_network
        self.margin = margin
        self.loss_tracker = metrics.Mean(name="loss")

    def call(self, inputs):
        return self.siamese_network(inputs)

    def train_step(self, data):
        # GradientTape is a context manager that records every operation that
        # you do inside. We are using it here to compute the loss so we can get
        # the gradients and apply them using the optimizer specified in
        # `compile()`.
        with tf.GradientTape() as tape:
            loss = self._compute_loss(data)

        gradients = tape.gradient(loss, self.siamese_network.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.siamese_network.trainable_weights))

        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    def test_step(self, data):
        loss = self._compute_loss(data)
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    def _compute_loss(self, data):
        # The output of the network is a tuple containing the distances
        # between the anchor and the positive example, and the anchor and
        # the negative example.
        ap_distance, an_distance = self.siamese_network(data)

        # Computing the Triplet Loss by subtracting both distances and
        # making sure we don't get a negative value.
        loss = ap_distance - an_distance
        loss = tf.maximum(loss + self.margin, 0.0)
        return tf.reduce_mean(loss)

    @property
    def metrics(self):
        # We need to list our metrics here so the `reset_state()` can be
        # called automatically.
        return [self.loss_tracker]


if __name__ == "__main__":
    images = random_blob_images(n_images, target_shape)
    train_dataset, val_dataset = build_triplet_datasets(images)
    a, p, n = next(iter(train_dataset))
    print("triplet batch:", a.shape, p.shape, n.shape)

    embedding = build_embedding()
    embedding.summary()
    siamese_network = build_siamese_network(embedding)

    siamese_model = SiameseModel(siamese_network, margin=margin)
    siamese_model.compile(optimizer=keras.optimizers.Adam(0.0001))
    siamese_model.fit(train_dataset, epochs=1, validation_data=val_dataset, verbose=2)

    # Inspecting what the network has learned: cosine similarity between
    # anchor/positive vs anchor/negative embeddings.
    anchor, positive, negative = next(iter(val_dataset))
    anchor_embedding, positive_embedding, negative_embedding = (
        embedding(anchor, training=False),
        embedding(positive, training=False),
        embedding(negative, training=False),
    )

    cosine_similarity = metrics.CosineSimilarity()
    positive_similarity = cosine_similarity(anchor_embedding, positive_embedding)
    print("Positive similarity:", float(positive_similarity))

    cosine_similarity.reset_state()
    negative_similarity = cosine_similarity(anchor_embedding, negative_embedding)
    print("Negative similarity:", float(negative_similarity))
