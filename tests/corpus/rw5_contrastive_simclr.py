"""SimCLR in a few dozen lines: two augmented views, encoder + projection head,
NT-Xent loss, custom training loop. Random CIFAR-shaped images stand in for data."""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMAGE_SHAPE = (32, 32, 3)
NUM_IMAGES = 32
BATCH_SIZE = 8
TEMPERATURE = 0.5
PROJ_DIM = 32
WIDTH = 64
MAX_STEPS = 3

unlabeled = np.random.uniform(0, 1, size=(NUM_IMAGES,) + IMAGE_SHAPE).astype("float32")
dataset = (tf.data.Dataset.from_tensor_slices(unlabeled)
           .shuffle(NUM_IMAGES, seed=0)
           .batch(BATCH_SIZE, drop_remainder=True))


def get_augmenter(min_area=0.25, brightness=0.4, jitter=0.2):
    zoom = 1.0 - np.sqrt(min_area)
    return keras.Sequential(
        [
            layers.RandomFlip("horizontal"),
            layers.RandomTranslation(zoom / 2, zoom / 2),
            layers.RandomZoom((-zoom, 0.0), (-zoom, 0.0)),
            layers.RandomContrast(jitter),
            layers.RandomBrightness(brightness, value_range=(0, 1)),
        ],
        name="augmenter",
    )


def get_encoder():
    inputs = keras.Input(shape=IMAGE_SHAPE)
    x = inputs
    for i, f in enumerate([WIDTH // 2, WIDTH, WIDTH]):
        x = layers.Conv2D(f, 3, strides=2 if i > 0 else 1, padding="same", activation="relu")(x)
    x = layers.Conv2D(WIDTH, 3, strides=2, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(WIDTH, activation="relu")(x)
    return keras.Model(inputs, x, name="encoder")


augmenter = get_augmenter()
encoder = get_encoder()
projection_head = keras.Sequential(
    [
        keras.Input(shape=(WIDTH,)),
        layers.Dense(WIDTH, activation="relu"),
        layers.Dense(PROJ_DIM),
    ],
    name="projection_head",
)
encoder.summary()
projection_head.summary()


def nt_xent_loss(z1, z2, temperature=TEMPERATURE):
    z1 = tf.math.l2_normalize(z1, axis=1)
    z2 = tf.math.l2_normalize(z2, axis=1)
    batch_size = tf.shape(z1)[0]
    LARGE_NUM = 1e9
    masks = tf.eye(batch_size)
    labels = tf.one_hot(tf.range(batch_size), batch_size * 2)

    logits_aa = tf.matmul(z1, z1, transpose_b=True) / temperature - masks * LARGE_NUM
    logits_bb = tf.matmul(z2, z2, transpose_b=True) / temperature - masks * LARGE_NUM
    logits_ab = tf.matmul(z1, z2, transpose_b=True) / temperature
    logits_ba = tf.matmul(z2, z1, transpose_b=True) / temperature

    loss_a = tf.nn.softmax_cross_entropy_with_logits(labels, tf.concat([logits_ab, logits_aa], 1))
    loss_b = tf.nn.softmax_cross_entropy_with_logits(labels, tf.concat([logits_ba, logits_bb], 1))
    return tf.reduce_mean(loss_a + loss_b), logits_ab


optimizer = keras.optimizers.Adam(1e-3)
loss_tracker = keras.metrics.Mean(name="c_loss")
acc_tracker = keras.metrics.SparseCategoricalAccuracy(name="c_acc")
train_vars = encoder.trainable_weights + projection_head.trainable_weights


@tf.function
def train_step(images):
    view1 = augmenter(images, training=True)
    view2 = augmenter(images, training=True)
    with tf.GradientTape() as tape:
        h1 = encoder(view1, training=True)
        h2 = encoder(view2, training=True)
        z1 = projection_head(h1, training=True)
        z2 = projection_head(h2, training=True)
        loss, logits_ab = nt_xent_loss(z1, z2)
    grads = tape.gradient(loss, train_vars)
    optimizer.apply_gradients(zip(grads, train_vars))
    positives = tf.range(tf.shape(logits_ab)[0])
    acc_tracker.update_state(positives, logits_ab)
    acc_tracker.update_state(positives, tf.transpose(logits_ab))
    loss_tracker.update_state(loss)
    return loss


for step, batch in enumerate(dataset.take(MAX_STEPS)):
    loss = train_step(batch)
    print(f"step {step}: loss={loss.numpy():.4f} "
          f"c_acc={acc_tracker.result().numpy():.3f}")

# linear-probe style feature extraction with the frozen encoder
encoder.trainable = False
features = encoder.predict(unlabeled, batch_size=BATCH_SIZE, verbose=0)
fake_labels = np.random.randint(0, 10, size=NUM_IMAGES)
probe = keras.Sequential([keras.Input(shape=(WIDTH,)), layers.Dense(10)])
probe.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
probe.fit(features, fake_labels, epochs=1, batch_size=BATCH_SIZE, verbose=0)
print("features", features.shape, "probe acc", probe.evaluate(features, fake_labels, verbose=0)[1])

# nearest neighbour check in projection space
z = tf.math.l2_normalize(projection_head(features), axis=1).numpy()
sims = z @ z.T
np.fill_diagonal(sims, -np.inf)
nn = np.argmax(sims, axis=1)
print("nearest neighbours of first 5:", nn[:5])
