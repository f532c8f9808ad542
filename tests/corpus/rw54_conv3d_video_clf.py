"""Small 3D-CNN action recognition baseline.

Trains a C3D-style Conv3D / MaxPooling3D network on short video clips.
Real data would come from UCF101-style folders of decoded frames; here we
generate synthetic clips (moving bright squares whose direction is the label)
so the pipeline can be smoke-tested without downloads.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# ----------------------------------------------------------------------------
# Config
# ----------------------------------------------------------------------------
NUM_FRAMES = 8
IMG_SIZE = 32
CHANNELS = 3
NUM_CLASSES = 4          # up, down, left, right
BATCH_SIZE = 8
NUM_CLIPS = 64
EPOCHS = 1
SEED = 42

DIRECTIONS = {0: (-1, 0), 1: (1, 0), 2: (0, -1), 3: (0, 1)}


def make_moving_square_clip(label, rng):
    """Render a clip of a square moving in one of four directions."""
    clip = np.zeros((NUM_FRAMES, IMG_SIZE, IMG_SIZE, CHANNELS), dtype=np.float32)
    dy, dx = DIRECTIONS[label]
    size = 6
    y, x = rng.integers(size, IMG_SIZE - 2 * size, size=2)
    color = rng.uniform(0.5, 1.0, size=CHANNELS)
    for t in range(NUM_FRAMES):
        yy = int(np.clip(y + dy * t * 2, 0, IMG_SIZE - size))
        xx = int(np.clip(x + dx * t * 2, 0, IMG_SIZE - size))
        clip[t, yy:yy + size, xx:xx + size, :] = color
    clip += rng.normal(0, 0.05, size=clip.shape).astype(np.float32)
    return clip


def build_synthetic_dataset(n, rng):
    labels = rng.integers(0, NUM_CLASSES, size=n)
    clips = np.stack([make_moving_square_clip(int(l), rng) for l in labels])
    return clips, labels.astype(np.int32)


def augment(clip, label):
    # Same random brightness for every frame in the clip -- temporal consistency
    # matters, so we never augment frames independently.
    delta = tf.random.uniform([], -0.1, 0.1)
    clip = clip + delta
    # random temporal crop-and-pad: drop the first frame and repeat the last one
    clip = tf.concat([clip[1:], clip[-1:]], axis=0)
    clip = tf.clip_by_value(clip, 0.0, 1.0)
    return clip, label


def make_dataset(clips, labels, training):
    ds = tf.data.Dataset.from_tensor_slices((clips, labels))
    if training:
        ds = ds.shuffle(len(clips), seed=SEED)
        ds = ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


def conv3d_block(filters, pool_size, name):
    return [
        layers.Conv3D(filters, kernel_size=3, padding="same", name=f"{name}_conv"),
        layers.BatchNormalization(name=f"{name}_bn"),
        layers.Activation("relu", name=f"{name}_relu"),
        layers.MaxPooling3D(pool_size=pool_size, name=f"{name}_pool"),
    ]


def build_c3d(input_shape, num_classes):
    """C3D-lite. First pool keeps the temporal dim (1,2,2) as in the paper."""
    model = keras.Sequential(name="c3d_lite")
    model.add(keras.Input(shape=input_shape))
    for l in conv3d_block(16, (1, 2, 2), "block1"):
        model.add(l)
    for l in conv3d_block(32, (2, 2, 2), "block2"):
        model.add(l)
    for l in conv3d_block(64, (2, 2, 2), "block3"):
        model.add(l)
    model.add(layers.GlobalAveragePooling3D())
    model.add(layers.Dropout(0.3))
    model.add(layers.Dense(num_classes, activation="softmax"))
    return model


def main():
    rng = np.random.default_rng(SEED)
    tf.random.set_seed(SEED)

    x_train, y_train = build_synthetic_dataset(NUM_CLIPS, rng)
    x_val, y_val = build_synthetic_dataset(NUM_CLIPS // 4, rng)
    print("train clips:", x_train.shape, "labels:", y_train.shape)

    train_ds = make_dataset(x_train, y_train, training=True)
    val_ds = make_dataset(x_val, y_val, training=False)

    model = build_c3d((NUM_FRAMES, IMG_SIZE, IMG_SIZE, CHANNELS), NUM_CLASSES)
    model.summary()

    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
    )
    history = model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2)
    print("final val acc: %.3f" % history.history["val_accuracy"][-1])

    # clip-level inference: average predictions over several temporal crops
    clip = x_val[:1]
    crops = np.concatenate([np.roll(clip, shift=s, axis=1) for s in range(3)], axis=0)
    probs = model.predict(crops, verbose=0).mean(axis=0)
    print("predicted class:", int(np.argmax(probs)), "true:", int(y_val[0]))


if __name__ == "__main__":
    main()
