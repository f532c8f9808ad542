# Siamese similarity model on a *truncated* MobileNetV3Small.
# We drop the final 1x1 conv stack (conv_1 / conv_1_bn / activation) by taking
# model.layers[-4].output, then only fine-tune the last inverted-residual block.
import numpy as np
import tensorflow as tf
import keras
from keras import layers

INPUT_SHAPE = (64, 64, 3)
EMBED_DIM = 32
MARGIN = 1.0
N_CLASSES = 4
PAIRS = 256
BATCH = 32
FINETUNE_PREFIX = "expanded_conv_10"


# ----------------------------------------------------------------------------- data
def class_prototypes(rng):
    return rng.uniform(0, 255, size=(N_CLASSES, 8, 8, 3)).astype("float32")


def sample_images(protos, labels, rng):
    up = np.repeat(np.repeat(protos[labels], 8, axis=1), 8, axis=2)
    noise = rng.normal(0, 30, size=up.shape)
    return np.clip(up + noise, 0, 255).astype("float32")


def make_pairs(protos, n_pairs, rng):
    a = rng.integers(0, N_CLASSES, n_pairs)
    same = rng.random(n_pairs) < 0.5
    b = np.where(same, a, (a + rng.integers(1, N_CLASSES, n_pairs)) % N_CLASSES)
    xa = sample_images(protos, a, rng)
    xb = sample_images(protos, b, rng)
    return xa, xb, same.astype("float32")


def jitter(img):
    img = tf.image.random_flip_left_right(img)
    img = tf.image.random_brightness(img, max_delta=20.0)
    return tf.clip_by_value(img, 0.0, 255.0)


def to_dataset(xa, xb, y, training):
    ds = tf.data.Dataset.from_tensor_slices(((xa, xb), y))
    if training:
        ds = ds.shuffle(len(y)).map(
            lambda pair, lab: ((jitter(pair[0]), jitter(pair[1])), lab),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return ds.batch(BATCH).prefetch(tf.data.AUTOTUNE)


# ----------------------------------------------------------------------------- model
def truncated_backbone():
    full = keras.applications.MobileNetV3Small(
        input_shape=INPUT_SHAPE, include_top=False, weights=None, minimalistic=False
    )
    cut = full.layers[-4]
    print(f"cutting MobileNetV3Small at layers[-4] = {cut.name} {tuple(cut.output.shape)}")
    trunk = keras.Model(full.input, cut.output, name="mnv3s_trunk")
    n_open = 0
    for layer in trunk.layers:
        layer.trainable = layer.name.startswith(FINETUNE_PREFIX) and not isinstance(
            layer, layers.BatchNormalization)
        n_open += layer.trainable
    print(f"{n_open} of {len(trunk.layers)} trunk layers left trainable")
    return trunk


def embedding_net(trunk):
    inp = keras.Input(INPUT_SHAPE)
    x = trunk(inp)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dense(EMBED_DIM)(x)
    x = layers.UnitNormalization()(x)
    return keras.Model(inp, x, name="embedder")


class EuclideanDistance(layers.Layer):
    def call(self, a, b):
        return tf.sqrt(tf.maximum(tf.reduce_sum(tf.square(a - b), axis=-1, keepdims=True), 1e-9))


def siamese(embedder):
    in_a = keras.Input(INPUT_SHAPE, name="left")
    in_b = keras.Input(INPUT_SHAPE, name="right")
    dist = EuclideanDistance(name="distance")(embedder(in_a), embedder(in_b))
    return keras.Model([in_a, in_b], dist, name="siamese")


def contrastive_loss(y_true, d):
    y_true = tf.reshape(tf.cast(y_true, d.dtype), tf.shape(d))
    pos = y_true * tf.square(d)
    neg = (1.0 - y_true) * tf.square(tf.nn.relu(MARGIN - d))
    return tf.reduce_mean(pos + neg)


def pair_accuracy(y_true, d):
    y_true = tf.reshape(tf.cast(y_true, d.dtype), tf.shape(d))
    pred_same = tf.cast(d < MARGIN / 2, d.dtype)
    return tf.reduce_mean(tf.cast(tf.equal(pred_same, y_true), tf.float32))


if __name__ == "__main__":
    rng = np.random.default_rng(3)
    protos = class_prototypes(rng)
    train = make_pairs(protos, PAIRS, rng)
    val = make_pairs(protos, 64, rng)

    trunk = truncated_backbone()
    embedder = embedding_net(trunk)
    model = siamese(embedder)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=contrastive_loss,
                  metrics=[pair_accuracy])
    model.fit(to_dataset(*train, training=True), validation_data=to_dataset(*val, training=False),
              epochs=2, verbose=2)

    # query the embedder directly: nearest prototype classification
    gallery = embedder.predict(sample_images(protos, np.arange(N_CLASSES), rng), verbose=0)
    q_labels = rng.integers(0, N_CLASSES, 40)
    queries = embedder.predict(sample_images(protos, q_labels, rng), verbose=0)
    dists = np.linalg.norm(queries[:, None, :] - gallery[None, :, :], axis=-1)
    print("1-NN accuracy vs. prototypes:", (dists.argmin(1) == q_labels).mean())
