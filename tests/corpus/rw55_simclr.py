"""SimCLR on tiny synthetic images.

Minimal re-implementation of "A Simple Framework for Contrastive Learning of
Visual Representations" (Chen et al., 2020) with a custom `train_step`, an
NT-Xent loss and a linear probe at the end. Data is random noise so this only
exercises the plumbing -- swap in CIFAR-10 for real results.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

# ---------------------------------------------------------------------------
# Hyperparameters
# ---------------------------------------------------------------------------
IMAGE_SIZE = 32
NUM_CHANNELS = 3
NUM_CLASSES = 10
BATCH_SIZE = 32
UNLABELED_SAMPLES = 256
LABELED_SAMPLES = 128
PROJECTION_DIM = 64
WIDTH = 64
TEMPERATURE = 0.1
PRETRAIN_EPOCHS = 1
PROBE_EPOCHS = 1

# augmentation strength
CONTRASTIVE_AUG = {"min_area": 0.25, "brightness": 0.6, "jitter": 0.2}
CLASSIFICATION_AUG = {"min_area": 0.75, "brightness": 0.3, "jitter": 0.1}

keras.utils.set_random_seed(42)


def make_datasets():
    """Random uint8 images standing in for STL-10 / CIFAR."""
    x_unlabeled = np.random.randint(0, 256, (UNLABELED_SAMPLES, IMAGE_SIZE, IMAGE_SIZE, NUM_CHANNELS)).astype("uint8")
    x_labeled = np.random.randint(0, 256, (LABELED_SAMPLES, IMAGE_SIZE, IMAGE_SIZE, NUM_CHANNELS)).astype("uint8")
    y_labeled = np.random.randint(0, NUM_CLASSES, (LABELED_SAMPLES,)).astype("int32")

    unlabeled_ds = (
        tf.data.Dataset.from_tensor_slices(x_unlabeled)
        .shuffle(UNLABELED_SAMPLES)
        .batch(BATCH_SIZE, drop_remainder=True)
    )
    labeled_ds = (
        tf.data.Dataset.from_tensor_slices((x_labeled, y_labeled))
        .shuffle(LABELED_SAMPLES)
        .batch(BATCH_SIZE, drop_remainder=True)
    )
    # zip so every pretraining step also sees a labeled batch (used for the online probe)
    train_ds = tf.data.Dataset.zip((unlabeled_ds, labeled_ds)).prefetch(tf.data.AUTOTUNE)
    return train_ds, labeled_ds


class RandomColorAffine(layers.Layer):
    """Brightness + per-channel colour jitter, applied only in training."""

    def __init__(self, brightness=0.0, jitter=0.0, **kwargs):
        super().__init__(**kwargs)
        self.brightness = brightness
        self.jitter = jitter

    def get_config(self):
        config = super().get_config()
        config.update({"brightness": self.brightness, "jitter": self.jitter})
        return config

    def call(self, images, training=True):
        if training:
            batch_size = tf.shape(images)[0]
            # same brightness scale for all channels of one image
            brightness_scales = 1 + tf.random.uniform(
                (batch_size, 1, 1, 1), minval=-self.brightness, maxval=self.brightness
            )
            # (batch, 1, 3, 3) colour mixing matrix
            jitter_matrices = tf.random.uniform(
                (batch_size, 1, 3, 3), minval=-self.jitter, maxval=self.jitter
            )
            color_transforms = (
                tf.eye(3, batch_shape=[batch_size, 1]) * brightness_scales + jitter_matrices
            )
            images = tf.clip_by_value(tf.matmul(images, color_transforms), 0, 1)
        return images


def get_augmenter(min_area, brightness, jitter):
    zoom_factor = 1.0 - float(np.sqrt(min_area))
    return keras.Sequential(
        [
            layers.Rescaling(1 / 255),
            layers.RandomFlip("horizontal"),
            layers.RandomTranslation(zoom_factor / 2, zoom_factor / 2),
            layers.RandomZoom((-zoom_factor, 0.0), (-zoom_factor, 0.0)),
            RandomColorAffine(brightness, jitter),
        ],
        name="augmenter",
    )


def get_encoder():
    return keras.Sequential(
        [
            keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, NUM_CHANNELS)),
            layers.Conv2D(WIDTH, 3, strides=2, activation="relu"),
            layers.Conv2D(WIDTH, 3, strides=2, activation="relu"),
            layers.Conv2D(WIDTH, 3, strides=2, activation="relu"),
            layers.Flatten(),
            layers.Dense(WIDTH, activation="relu"),
        ],
        name="encoder",
    )


class ContrastiveModel(keras.Model):
    def __init__(self):
        super().__init__()
        self.temperature = TEMPERATURE
        self.contrastive_augmenter = get_augmenter(**CONTRASTIVE_AUG)
        self.classification_augmenter = get_augmenter(**CLASSIFICATION_AUG)
        self.encoder = get_encoder()
        # non-linear projection head (g(.) in the paper)
        self.projection_head = keras.Sequential(
            [
                keras.Input(shape=(WIDTH,)),
                layers.Dense(WIDTH, activation="relu"),
                layers.Dense(PROJECTION_DIM),
            ],
            name="projection_head",
        )
        # online linear probe, trained on frozen features with stop_gradient
        self.linear_probe = keras.Sequential(
            [layers.Input(shape=(WIDTH,)), layers.Dense(NUM_CLASSES)], name="linear_probe"
        )

    def compile(self, contrastive_optimizer, probe_optimizer, **kwargs):
        super().compile(**kwargs)
        self.contrastive_optimizer = contrastive_optimizer
        self.probe_optimizer = probe_optimizer

        self.probe_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

        self.contrastive_loss_tracker = keras.metrics.Mean(name="c_loss")
        self.contrastive_accuracy = keras.metrics.SparseCategoricalAccuracy(name="c_acc")
        self.probe_loss_tracker = keras.metrics.Mean(name="p_loss")
        self.probe_accuracy = keras.metrics.SparseCategoricalAccuracy(name="p_acc")

    @property
    def metrics(self):
        return [
            self.contrastive_loss_tracker,
            self.contrastive_accuracy,
            self.probe_loss_tracker,
            self.probe_accuracy,
        ]

    def contrastive_loss(self, projections_1, projections_2):
        # NT-Xent: cosine similarity over temperature, positives on the diagonal
        projections_1 = tf.math.l2_normalize(projections_1, axis=1)
        projections_2 = tf.math.l2_normalize(projections_2, axis=1)
        similarities = tf.matmul(projections_1, projections_2, transpose_b=True) / self.temperature

        batch_size = tf.shape(projections_1)[0]
        contrastive_labels = tf.range(batch_size)
        self.contrastive_accuracy.update_state(contrastive_labels, similarities)
        self.contrastive_accuracy.update_state(contrastive_labels, tf.transpose(similarities))

        loss_1_2 = keras.losses.sparse_categorical_crossentropy(
            contrastive_labels, similarities, from_logits=True
        )
        loss_2_1 = keras.losses.sparse_categorical_crossentropy(
            contrastive_labels, tf.transpose(similarities), from_logits=True
        )
        return (loss_1_2 + loss_2_1) / 2

    def train_step(self, data):
        unlabeled_images, (labeled_images, labels) = data

        # both labeled and unlabeled images are used for the contrastive task
        images = tf.concat((unlabeled_images, labeled_images), axis=0)
        augmented_images_1 = self.contrastive_augmenter(images, training=True)
        augmented_images_2 = self.contrastive_augmenter(images, training=True)

        with tf.GradientTape() as tape:
            features_1 = self.encoder(augmented_images_1, training=True)
            features_2 = self.encoder(augmented_images_2, training=True)
            projections_1 = self.projection_head(features_1, training=True)
            projections_2 = self.projection_head(features_2, training=True)
            contrastive_loss = self.contrastive_loss(projections_1, projections_2)
        trainable = self.encoder.trainable_weights + self.projection_head.trainable_weights
        gradients = tape.gradient(contrastive_loss, trainable)
        self.contrastive_optimizer.apply_gradients(zip(gradients, trainable))
        self.contrastive_loss_tracker.update_state(contrastive_loss)

        # linear probe on top of frozen representations
        preprocessed_images = self.classification_augmenter(labeled_images, training=True)
        with tf.GradientTape() as tape:
            features = self.encoder(preprocessed_images, training=False)
            class_logits = self.linear_probe(features, training=True)
            probe_loss = self.probe_loss(labels, class_logits)
        gradients = tape.gradient(probe_loss, self.linear_probe.trainable_weights)
        self.probe_optimizer.apply_gradients(zip(gradients, self.linear_probe.trainable_weights))
        self.probe_loss_tracker.update_state(probe_loss)
        self.probe_accuracy.update_state(labels, class_logits)

        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        labeled_images, labels = data
        preprocessed_images = self.classification_augmenter(labeled_images, training=False)
        features = self.encoder(preprocessed_images, training=False)
        class_logits = self.linear_probe(features, training=False)
        probe_loss = self.probe_loss(labels, class_logits)
        self.probe_loss_tracker.update_state(probe_loss)
        self.probe_accuracy.update_state(labels, class_logits)
        # only the probe metrics are meaningful during evaluation
        return {m.name: m.result() for m in self.metrics[2:]}


def main():
    train_ds, labeled_ds = make_datasets()

    pretraining_model = ContrastiveModel()
    pretraining_model.compile(
        contrastive_optimizer=keras.optimizers.Adam(1e-3),
        probe_optimizer=keras.optimizers.Adam(1e-3),
    )
    history = pretraining_model.fit(train_ds, epochs=PRETRAIN_EPOCHS, validation_data=labeled_ds, verbose=2)
    print("final contrastive acc:", history.history["c_acc"][-1])
    pretraining_model.encoder.summary()

    # fine-tune a classifier on top of the pretrained encoder
    finetuning_model = keras.Sequential(
        [
            layers.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, NUM_CHANNELS)),
            get_augmenter(**CLASSIFICATION_AUG),
            pretraining_model.encoder,
            layers.Dense(NUM_CLASSES),
        ],
        name="finetuning_model",
    )
    finetuning_model.compile(
        optimizer=keras.optimizers.Adam(),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
    )
    finetuning_model.fit(labeled_ds, epochs=PROBE_EPOCHS, verbose=2)


if __name__ == "__main__":
    main()
