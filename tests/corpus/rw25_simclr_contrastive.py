"""
SimCLR-style self-supervised pretraining with an online linear probe.

Two stochastic views of every image go through a shared (Siamese) encoder and a
projection MLP; the NT-Xent loss pulls the views of the same image together and
pushes all other 2N-2 samples in the batch apart. A linear classifier on top of
the frozen-gradient encoder features tracks representation quality during training.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

CONFIG = {
    "image_size": 32,
    "image_channels": 3,
    "num_classes": 10,
    "num_unlabeled": 128,
    "num_labeled": 64,
    "batch_size": 32,
    "width": 64,
    "temperature": 0.1,
    "epochs": 1,
    # stronger augmentations for the contrastive branch, weaker for the probe
    "contrastive_augmentation": {"min_area": 0.25, "brightness": 0.6, "jitter": 0.2},
    "classification_augmentation": {"min_area": 0.75, "brightness": 0.3, "jitter": 0.1},
}


class RandomColorAffine(layers.Layer):
    """Random per-image brightness scaling + 3x3 colour-mixing jitter."""

    def __init__(self, brightness=0.0, jitter=0.0, **kwargs):
        super().__init__(**kwargs)
        self.brightness = brightness
        self.jitter = jitter
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, images, training=True):
        if not training:
            return images
        batch_size = ops.shape(images)[0]
        brightness_scales = 1 + keras.random.uniform(
            (batch_size, 1, 1, 1), minval=-self.brightness, maxval=self.brightness,
            seed=self.seed_generator)
        jitter_matrices = keras.random.uniform(
            (batch_size, 1, 3, 3), minval=-self.jitter, maxval=self.jitter, seed=self.seed_generator)
        color_transforms = (
            ops.tile(ops.expand_dims(ops.eye(3), axis=0), (batch_size, 1, 1, 1)) * brightness_scales
            + jitter_matrices
        )
        return ops.clip(ops.matmul(images, color_transforms), 0, 1)

    def get_config(self):
        return {**super().get_config(), "brightness": self.brightness, "jitter": self.jitter}


class RandomGrayscale(layers.Layer):
    def __init__(self, rate=0.2, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, images, training=True):
        if not training:
            return images
        gray = tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(images))
        coin = tf.random.uniform((tf.shape(images)[0], 1, 1, 1)) < self.rate
        return tf.where(coin, gray, images)


def get_augmenter(min_area, brightness, jitter):
    zoom_factor = 1.0 - min_area ** 0.5  # random resized crop approximation
    return keras.Sequential([
        layers.Rescaling(1 / 255),
        layers.RandomFlip("horizontal"),
        layers.RandomTranslation(zoom_factor / 2, zoom_factor / 2),
        layers.RandomZoom((-zoom_factor, 0.0), (-zoom_factor, 0.0)),
        RandomColorAffine(brightness, jitter),
        RandomGrayscale(0.2),
    ])


def get_encoder(width):
    return keras.Sequential([
        layers.Conv2D(width, kernel_size=3, strides=2, activation="relu"),
        layers.Conv2D(width, kernel_size=3, strides=2, activation="relu"),
        layers.Conv2D(width, kernel_size=3, strides=2, activation="relu"),
        layers.Flatten(),
        layers.Dense(width, activation="relu"),
    ], name="encoder")


def nt_xent(z1, z2, temperature):
    """Normalized temperature-scaled cross entropy over the 2N x 2N similarity matrix."""
    n = ops.shape(z1)[0]
    z = ops.normalize(ops.concatenate([z1, z2], axis=0), axis=1)
    logits = ops.matmul(z, ops.transpose(z)) / temperature
    logits = logits - 1e9 * ops.eye(2 * n)  # remove self-similarity
    positives = ops.concatenate([ops.arange(n) + n, ops.arange(n)], axis=0)
    loss = keras.losses.sparse_categorical_crossentropy(positives, logits, from_logits=True)
    acc = ops.mean(ops.cast(ops.equal(ops.argmax(logits, axis=1), positives), "float32"))
    return ops.mean(loss), acc


class ContrastiveModel(keras.Model):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.temperature = cfg["temperature"]
        self.contrastive_augmenter = get_augmenter(**cfg["contrastive_augmentation"])
        self.classification_augmenter = get_augmenter(**cfg["classification_augmentation"])
        self.encoder = get_encoder(cfg["width"])
        self.projection_head = keras.Sequential([
            keras.Input(shape=(cfg["width"],)),
            layers.Dense(cfg["width"], activation="relu"),
            layers.Dense(cfg["width"]),
        ], name="projection_head")
        self.linear_probe = keras.Sequential(
            [layers.Input(shape=(cfg["width"],)), layers.Dense(cfg["num_classes"])],
            name="linear_probe")

    def compile(self, contrastive_optimizer, probe_optimizer, **kwargs):
        super().compile(**kwargs)
        self.contrastive_optimizer = contrastive_optimizer
        self.probe_optimizer = probe_optimizer
        self.probe_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.contrastive_loss_tracker = keras.metrics.Mean(name="c_loss")
        self.contrastive_accuracy = keras.metrics.Mean(name="c_acc")
        self.probe_loss_tracker = keras.metrics.Mean(name="p_loss")
        self.probe_accuracy = keras.metrics.SparseCategoricalAccuracy(name="p_acc")

    @property
    def metrics(self):
        return [self.contrastive_loss_tracker, self.contrastive_accuracy,
                self.probe_loss_tracker, self.probe_accuracy]

    def call(self, images, training=False):
        return self.linear_probe(self.encoder(images, training=training))

    def train_step(self, data):
        (unlabeled_images, _), (labeled_images, labels) = data
        images = ops.concatenate((unlabeled_images, labeled_images), axis=0)
        augmented_images_1 = self.contrastive_augmenter(images, training=True)
        augmented_images_2 = self.contrastive_augmenter(images, training=True)
        with tf.GradientTape() as tape:
            features_1 = self.encoder(augmented_images_1, training=True)
            features_2 = self.encoder(augmented_images_2, training=True)
            projections_1 = self.projection_head(features_1, training=True)
            projections_2 = self.projection_head(features_2, training=True)
            contrastive_loss, contrastive_acc = nt_xent(projections_1, projections_2, self.temperature)
        weights = self.encoder.trainable_weights + self.projection_head.trainable_weights
        gradients = tape.gradient(contrastive_loss, weights)
        self.contrastive_optimizer.apply_gradients(zip(gradients, weights))
        self.contrastive_loss_tracker.update_state(contrastive_loss)
        self.contrastive_accuracy.update_state(contrastive_acc)

        # Linear probe on stop-gradient features.
        preprocessed_images = self.classification_augmenter(labeled_images, training=True)
        with tf.GradientTape() as tape:
            features = ops.stop_gradient(self.encoder(preprocessed_images, training=False))
            class_logits = self.linear_probe(features, training=True)
            probe_loss = self.probe_loss(labels, class_logits)
        gradients = tape.gradient(probe_loss, self.linear_probe.trainable_weights)
        self.probe_optimizer.apply_gradients(zip(gradients, self.linear_probe.trainable_weights))
        self.probe_loss_tracker.update_state(probe_loss)
        self.probe_accuracy.update_state(labels, class_logits)
        return {m.name: m.result() for m in self.metrics}


def prepare_dataset(cfg):
    rng = np.random.default_rng(0)
    shape = (cfg["image_size"], cfg["image_size"], cfg["image_channels"])
    steps = cfg["num_unlabeled"] // (cfg["batch_size"] * 2 // 3)
    unlabeled_bs = cfg["num_unlabeled"] // steps
    labeled_bs = cfg["num_labeled"] // steps
    x_u = rng.integers(0, 256, (cfg["num_unlabeled"],) + shape).astype("float32")
    x_l = rng.integers(0, 256, (cfg["num_labeled"],) + shape).astype("float32")
    y_l = rng.integers(0, cfg["num_classes"], cfg["num_labeled"])
    unlabeled = (tf.data.Dataset.from_tensor_slices((x_u, -np.ones(len(x_u), "int64")))
                 .shuffle(1024, seed=0).batch(unlabeled_bs, drop_remainder=True))
    labeled = (tf.data.Dataset.from_tensor_slices((x_l, y_l))
               .shuffle(1024, seed=0).batch(labeled_bs, drop_remainder=True))
    print(f"batch size is {unlabeled_bs} (unlabeled) + {labeled_bs} (labeled), {steps} steps")
    return tf.data.Dataset.zip((unlabeled, labeled)).prefetch(tf.data.AUTOTUNE), x_l


if __name__ == "__main__":
    keras.utils.set_random_seed(42)
    train_dataset, x_labeled = prepare_dataset(CONFIG)

    pretraining_model = ContrastiveModel(CONFIG)
    pretraining_model.compile(contrastive_optimizer=keras.optimizers.Adam(),
                              probe_optimizer=keras.optimizers.Adam())
    history = pretraining_model.fit(train_dataset, epochs=CONFIG["epochs"], verbose=2)
    print({k: round(float(v[-1]), 4) for k, v in history.history.items()})

    # Siamese check: cosine similarity of two views of the same image vs. different images.
    images = x_labeled[:16]
    view_a = pretraining_model.contrastive_augmenter(images, training=True)
    view_b = pretraining_model.contrastive_augmenter(images, training=True)
    emb_a = ops.normalize(pretraining_model.projection_head(pretraining_model.encoder(view_a)), axis=-1)
    emb_b = ops.normalize(pretraining_model.projection_head(pretraining_model.encoder(view_b)), axis=-1)
    sim = ops.convert_to_numpy(ops.matmul(emb_a, ops.transpose(emb_b)))
    off_diag = sim[~np.eye(len(sim), dtype=bool)]
    print(f"positive-pair cos: {np.diag(sim).mean():.3f}  negative-pair cos: {off_diag.mean():.3f}")

    probe_logits = pretraining_model.predict(x_labeled[:32] / 255.0, verbose=0)
    print("probe logits:", probe_logits.shape)
