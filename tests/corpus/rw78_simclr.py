"""SimCLR on synthetic images with Keras 3.

Two random augmented views of every image go through a shared ResNet-ish
encoder + MLP projection head, and we optimise the NT-Xent (normalized
temperature-scaled cross entropy) loss. Training is done with a custom
`train_step` so we can still use `model.fit`.

Based loosely on the keras.io "Semi-supervised image classification using
contrastive pretraining with SimCLR" example, shrunk down to run on a laptop.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

# ---------------------------------------------------------------------------
# Hyper-parameters
# ---------------------------------------------------------------------------
IMAGE_SIZE = 32
CROP_SIZE = 28
NUM_IMAGES = 256
BATCH_SIZE = 32
PROJECTION_DIM = 64
WIDTH = 64
TEMPERATURE = 0.1
EPOCHS = 1
SEED = 42

tf.random.set_seed(SEED)
np.random.seed(SEED)


def make_fake_dataset(n=NUM_IMAGES):
    """Random blobs on noise so the augmentations have something to work with."""
    xx, yy = np.meshgrid(np.linspace(-1, 1, IMAGE_SIZE), np.linspace(-1, 1, IMAGE_SIZE))
    images = np.random.uniform(0, 0.3, size=(n, IMAGE_SIZE, IMAGE_SIZE, 3)).astype("float32")
    for i in range(n):
        cx, cy = np.random.uniform(-0.5, 0.5, size=2)
        r = np.random.uniform(0.2, 0.5)
        blob = ((xx - cx) ** 2 + (yy - cy) ** 2) < r**2
        images[i][blob] += np.random.uniform(0.3, 0.7, size=3)
    return np.clip(images, 0.0, 1.0)


# ---------------------------------------------------------------------------
# Augmentations (tf.image ops only -> usable inside Dataset.map)
# ---------------------------------------------------------------------------
def color_jitter(x, strength=0.5):
    x = tf.image.random_brightness(x, max_delta=0.8 * strength)
    x = tf.image.random_contrast(x, lower=1 - 0.8 * strength, upper=1 + 0.8 * strength)
    x = tf.image.random_saturation(x, lower=1 - 0.8 * strength, upper=1 + 0.8 * strength)
    x = tf.image.random_hue(x, max_delta=0.2 * strength)
    return tf.clip_by_value(x, 0.0, 1.0)


def color_drop(x):
    gray = tf.image.rgb_to_grayscale(x)
    return tf.tile(gray, [1, 1, 3])


def random_apply(fn, x, p):
    """Apply `fn` with probability p, graph-friendly (no python `if` on tensors)."""
    do_it = tf.less(tf.random.uniform([], 0, 1), p)
    return tf.cond(do_it, lambda: fn(x), lambda: x)


def simclr_augment(image):
    x = tf.image.random_crop(image, size=(CROP_SIZE, CROP_SIZE, 3))
    x = tf.image.resize(x, (IMAGE_SIZE, IMAGE_SIZE))
    x = tf.image.random_flip_left_right(x)
    x = random_apply(color_jitter, x, p=0.8)
    x = random_apply(color_drop, x, p=0.2)
    return x


def two_views(image):
    return simclr_augment(image), simclr_augment(image)


def build_pipeline(images):
    ds = tf.data.Dataset.from_tensor_slices(images)
    ds = ds.shuffle(len(images), seed=SEED)
    ds = ds.map(two_views, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(BATCH_SIZE, drop_remainder=True)
    return ds.prefetch(tf.data.AUTOTUNE)


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
def residual_block(x, filters, stride=1):
    shortcut = x
    x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(shortcut)
        shortcut = layers.BatchNormalization()(shortcut)
    x = layers.Add()([x, shortcut])
    return layers.ReLU()(x)


def get_encoder():
    inputs = keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 3))
    x = layers.Rescaling(2.0, offset=-1.0)(inputs)
    x = layers.Conv2D(32, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    for filters, stride in [(32, 1), (64, 2), (128, 2)]:
        x = residual_block(x, filters, stride)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, x, name="encoder")


def get_projection_head(in_dim):
    return keras.Sequential(
        [
            keras.Input(shape=(in_dim,)),
            layers.Dense(WIDTH, use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Dense(PROJECTION_DIM),
        ],
        name="projection_head",
    )


class SimCLR(keras.Model):
    def __init__(self, temperature=TEMPERATURE, **kwargs):
        super().__init__(**kwargs)
        self.temperature = temperature
        self.encoder = get_encoder()
        self.projection_head = get_projection_head(self.encoder.output_shape[-1])
        self.loss_tracker = keras.metrics.Mean(name="c_loss")
        self.acc_tracker = keras.metrics.SparseCategoricalAccuracy(name="c_acc")

    @property
    def metrics(self):
        return [self.loss_tracker, self.acc_tracker]

    def call(self, images, training=False):
        h = self.encoder(images, training=training)
        return self.projection_head(h, training=training)

    def nt_xent_loss(self, z1, z2):
        """NT-Xent over 2N samples; positives are the other view of the same image."""
        batch_size = tf.shape(z1)[0]
        z = tf.math.l2_normalize(tf.concat([z1, z2], axis=0), axis=1)  # (2N, D)
        sim = tf.matmul(z, z, transpose_b=True) / self.temperature  # (2N, 2N)

        # mask out self-similarity with a big negative number
        large_neg = -1e9
        sim = sim + tf.eye(2 * batch_size) * large_neg

        # index of the positive pair: i <-> i + N
        labels = tf.concat(
            [tf.range(batch_size, 2 * batch_size), tf.range(0, batch_size)], axis=0
        )
        loss = keras.losses.sparse_categorical_crossentropy(labels, sim, from_logits=True)
        self.acc_tracker.update_state(labels, sim)
        return tf.reduce_mean(loss)

    def train_step(self, data):
        view_1, view_2 = data
        with tf.GradientTape() as tape:
            z1 = self(view_1, training=True)
            z2 = self(view_2, training=True)
            loss = self.nt_xent_loss(z1, z2)
        trainable = self.encoder.trainable_weights + self.projection_head.trainable_weights
        grads = tape.gradient(loss, trainable)
        self.optimizer.apply_gradients(zip(grads, trainable))
        self.loss_tracker.update_state(loss)
        return {m.name: m.result() for m in self.metrics}


def main():
    images = make_fake_dataset()
    train_ds = build_pipeline(images)
    v1, v2 = next(iter(train_ds))
    print("view shapes:", v1.shape, v2.shape)

    model = SimCLR()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3))
    model.encoder.summary()

    steps = NUM_IMAGES // BATCH_SIZE
    history = model.fit(train_ds, epochs=EPOCHS, steps_per_epoch=steps, verbose=2)
    print("final contrastive loss: %.4f" % history.history["c_loss"][-1])

    # embeddings used downstream (the projection head is thrown away)
    feats = model.encoder.predict(images[:16], verbose=0)
    print("representation shape:", feats.shape)


if __name__ == "__main__":
    main()
