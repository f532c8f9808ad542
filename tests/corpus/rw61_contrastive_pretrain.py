"""SimCLR-style contrastive pretraining with a custom train_step/test_step,
followed by a linear probe on the frozen encoder.

The dataset yields dicts {"view_a", "view_b", "label"}; the two views are
produced by random augmentation inside Dataset.map. The NT-Xent loss is
computed on L2-normalised projections with temperature scaling.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

HPARAMS = dict(
    image_size=32,
    channels=3,
    num_classes=5,
    width=32,
    proj_dim=32,
    temperature=0.2,
    batch_size=32,
    n_unlabeled=256,
    n_labeled=128,
    pretrain_epochs=1,
    probe_epochs=1,
)


# ----------------------------------------------------------------- data
def synthetic_images(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, HPARAMS["num_classes"], n)
    s = HPARAMS["image_size"]
    yy, xx = np.mgrid[0:s, 0:s] / s
    imgs = np.empty((n, s, s, HPARAMS["channels"]), "float32")
    for i, c in enumerate(labels):
        freq = 1.0 + c
        base = 0.5 + 0.5 * np.sin(2 * np.pi * freq * (xx + yy))
        imgs[i] = base[..., None] * rng.uniform(0.6, 1.0, size=(1, 1, 3))
    return imgs, labels.astype("int32")


def random_view(image):
    s = HPARAMS["image_size"]
    x = tf.image.random_flip_left_right(image)
    x = tf.image.resize(tf.image.random_crop(x, (s - 6, s - 6, 3)), (s, s))
    x = tf.image.random_brightness(x, 0.2)
    x = tf.image.random_contrast(x, 0.7, 1.3)
    # random grayscale with p=0.2, done arithmetically (no python branching)
    gray = tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(x))
    use_gray = tf.cast(tf.random.uniform(()) < 0.2, tf.float32)
    x = use_gray * gray + (1.0 - use_gray) * x
    return tf.clip_by_value(x, 0.0, 1.0)


def two_views(image, label):
    return {"view_a": random_view(image), "view_b": random_view(image), "label": label}


def pretrain_dataset(images, labels):
    return (
        tf.data.Dataset.from_tensor_slices((images, labels))
        .shuffle(len(images))
        .map(two_views, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(HPARAMS["batch_size"], drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )


# ---------------------------------------------------------------- model
def make_encoder():
    s, c, w = HPARAMS["image_size"], HPARAMS["channels"], HPARAMS["width"]
    return keras.Sequential(
        [
            keras.Input((s, s, c)),
            layers.Rescaling(2.0, offset=-1.0),
            layers.Conv2D(w, 3, strides=2, padding="same", activation="relu"),
            layers.Conv2D(w, 3, strides=2, padding="same", activation="relu"),
            layers.Conv2D(w * 2, 3, strides=2, padding="same", activation="relu"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(w * 2, activation="relu"),
        ],
        name="encoder",
    )


def nt_xent(z_a, z_b, temperature):
    z_a = tf.math.l2_normalize(z_a, axis=1)
    z_b = tf.math.l2_normalize(z_b, axis=1)
    batch = tf.shape(z_a)[0]
    z = tf.concat([z_a, z_b], axis=0)                           # (2B, D)
    sim = tf.matmul(z, z, transpose_b=True) / temperature       # (2B, 2B)
    sim = sim - 1e9 * tf.eye(2 * batch)                         # drop self-similarity
    targets = tf.concat([tf.range(batch, 2 * batch), tf.range(0, batch)], axis=0)
    loss = keras.losses.sparse_categorical_crossentropy(targets, sim, from_logits=True)
    acc = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(sim, axis=1, output_type=tf.int32), targets),
                                 tf.float32))
    return tf.reduce_mean(loss), acc


class ContrastiveModel(keras.Model):
    def __init__(self, temperature, **kwargs):
        super().__init__(**kwargs)
        self.temperature = temperature
        self.encoder = make_encoder()
        self.projector = keras.Sequential(
            [layers.Dense(HPARAMS["width"] * 2, activation="relu"), layers.Dense(HPARAMS["proj_dim"])],
            name="projector",
        )
        self.loss_tracker = keras.metrics.Mean(name="c_loss")
        self.acc_tracker = keras.metrics.Mean(name="c_acc")

    @property
    def metrics(self):
        return [self.loss_tracker, self.acc_tracker]

    def call(self, images, training=False):
        return self.projector(self.encoder(images, training=training), training=training)

    def train_step(self, data):
        with tf.GradientTape() as tape:
            z_a = self(data["view_a"], training=True)
            z_b = self(data["view_b"], training=True)
            loss, acc = nt_xent(z_a, z_b, self.temperature)
        variables = self.encoder.trainable_weights + self.projector.trainable_weights
        grads = tape.gradient(loss, variables)
        self.optimizer.apply_gradients(zip(grads, variables))
        self.loss_tracker.update_state(loss)
        self.acc_tracker.update_state(acc)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        z_a = self(data["view_a"], training=False)
        z_b = self(data["view_b"], training=False)
        loss, acc = nt_xent(z_a, z_b, self.temperature)
        self.loss_tracker.update_state(loss)
        self.acc_tracker.update_state(acc)
        return {m.name: m.result() for m in self.metrics}


def linear_probe(encoder, images, labels):
    encoder.trainable = False
    inputs = keras.Input(encoder.input_shape[1:])
    feats = encoder(inputs, training=False)
    outputs = layers.Dense(HPARAMS["num_classes"])(feats)
    probe = keras.Model(inputs, outputs, name="linear_probe")
    probe.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
    )
    n_train = int(0.75 * len(images))
    probe.fit(images[:n_train], labels[:n_train], batch_size=HPARAMS["batch_size"],
              epochs=HPARAMS["probe_epochs"], verbose=2)
    print("probe trainable weights:", len(probe.trainable_weights))
    return probe.evaluate(images[n_train:], labels[n_train:], return_dict=True, verbose=0)


if __name__ == "__main__":
    tf.random.set_seed(11)
    unl_x, unl_y = synthetic_images(HPARAMS["n_unlabeled"], seed=0)
    lab_x, lab_y = synthetic_images(HPARAMS["n_labeled"], seed=1)

    model = ContrastiveModel(HPARAMS["temperature"])
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.encoder.summary()

    train_ds = pretrain_dataset(unl_x, unl_y)
    val_ds = pretrain_dataset(lab_x, lab_y).take(2)
    print("element spec:", {k: v.shape for k, v in train_ds.element_spec.items()})
    model.fit(train_ds, validation_data=val_ds, epochs=HPARAMS["pretrain_epochs"], verbose=2)

    print("probe eval:", linear_probe(model.encoder, lab_x, lab_y))
