"""C3D-style action recognition on short clips.

Small re-implementation of the C3D architecture (Tran et al. 2015) trained on
synthetic "videos" so the whole pipeline (clip sampling -> augmentation ->
Conv3D net) can be smoke-tested without UCF101 on disk.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 42
NUM_VIDEOS = 48
VIDEO_LEN = 24          # frames stored per video
CLIP_LEN = 8            # frames fed to the network
FRAME_SIZE = 40         # stored frame resolution
CROP_SIZE = 32          # network input resolution
NUM_CLASSES = 5
BATCH_SIZE = 8
EPOCHS = 1

tf.random.set_seed(SEED)
np.random.seed(SEED)


def make_fake_videos(n, t, h, w, num_classes):
    """Moving bright blob whose direction encodes the class."""
    videos = np.zeros((n, t, h, w, 3), dtype=np.uint8)
    labels = np.random.randint(0, num_classes, size=n)
    yy, xx = np.mgrid[0:h, 0:w]
    for i, lab in enumerate(labels):
        angle = 2 * np.pi * lab / num_classes
        dx, dy = np.cos(angle), np.sin(angle)
        cx, cy = w / 2, h / 2
        for f in range(t):
            px = cx + dx * f * 0.8
            py = cy + dy * f * 0.8
            blob = np.exp(-((xx - px) ** 2 + (yy - py) ** 2) / 20.0)
            videos[i, f, :, :, lab % 3] = (blob * 255).astype(np.uint8)
        noise = np.random.randint(0, 20, size=videos[i].shape)
        videos[i] = np.clip(videos[i].astype(np.int32) + noise, 0, 255).astype(np.uint8)
    return videos, labels


def sample_clip(video, label, training=True):
    """Random temporal crop + random spatial crop + flip (train) / center crop (eval)."""
    video = tf.image.convert_image_dtype(video, tf.float32)
    n_frames = tf.shape(video)[0]
    if training:
        start = tf.random.uniform([], 0, n_frames - CLIP_LEN + 1, dtype=tf.int32)
    else:
        start = (n_frames - CLIP_LEN) // 2
    clip = video[start:start + CLIP_LEN]

    if training:
        clip = tf.image.random_crop(clip, [CLIP_LEN, CROP_SIZE, CROP_SIZE, 3])
        # flip the whole clip consistently, not per-frame
        flip = tf.random.uniform([]) > 0.5
        clip = tf.where(flip, tf.reverse(clip, axis=[2]), clip)
    else:
        off = (FRAME_SIZE - CROP_SIZE) // 2
        clip = clip[:, off:off + CROP_SIZE, off:off + CROP_SIZE, :]

    # per-clip normalisation
    mean = tf.reduce_mean(clip, axis=[0, 1, 2], keepdims=True)
    clip = clip - mean
    clip.set_shape([CLIP_LEN, CROP_SIZE, CROP_SIZE, 3])
    return clip, label


def build_dataset(videos, labels, training):
    ds = tf.data.Dataset.from_tensor_slices((videos, labels))
    if training:
        ds = ds.shuffle(len(videos), seed=SEED)
    ds = ds.map(lambda v, y: sample_clip(v, y, training),
                num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


def conv3d_block(x, filters, n_convs, pool_size, name):
    for i in range(n_convs):
        x = layers.Conv3D(filters, kernel_size=3, padding="same",
                          activation="relu", name=f"{name}_conv{i + 1}")(x)
    x = layers.MaxPool3D(pool_size=pool_size, strides=pool_size,
                         padding="same", name=f"{name}_pool")(x)
    return x


def build_c3d(input_shape, num_classes, width=16):
    inputs = keras.Input(shape=input_shape, name="clip")
    # C3D keeps temporal resolution in the first pool: (1, 2, 2)
    x = conv3d_block(inputs, width, 1, (1, 2, 2), "block1")
    x = conv3d_block(x, width * 2, 1, (2, 2, 2), "block2")
    x = conv3d_block(x, width * 4, 2, (2, 2, 2), "block3")
    x = conv3d_block(x, width * 8, 2, (2, 2, 2), "block4")
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu", name="fc6")(x)
    x = layers.Dropout(0.5)(x)
    x = layers.Dense(128, activation="relu", name="fc7")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="fc8")(x)
    return keras.Model(inputs, outputs, name="c3d_small")


def main():
    videos, labels = make_fake_videos(NUM_VIDEOS, VIDEO_LEN, FRAME_SIZE,
                                      FRAME_SIZE, NUM_CLASSES)
    split = int(0.75 * NUM_VIDEOS)
    train_ds = build_dataset(videos[:split], labels[:split], training=True)
    val_ds = build_dataset(videos[split:], labels[split:], training=False)

    for clips, ys in train_ds.take(1):
        print("clip batch:", clips.shape, "labels:", ys.shape)

    model = build_c3d((CLIP_LEN, CROP_SIZE, CROP_SIZE, 3), NUM_CLASSES)
    model.summary()
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=3e-3, momentum=0.9),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=3, name="top3")],
    )
    history = model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2)
    print({k: round(float(v[-1]), 4) for k, v in history.history.items()})

    # video-level prediction: average softmax over several evenly spaced clips
    video = tf.image.convert_image_dtype(videos[split], tf.float32)
    starts = np.linspace(0, VIDEO_LEN - CLIP_LEN, num=4).astype(int)
    off = (FRAME_SIZE - CROP_SIZE) // 2
    clips = tf.stack([video[s:s + CLIP_LEN, off:off + CROP_SIZE, off:off + CROP_SIZE]
                      for s in starts])
    clips = clips - tf.reduce_mean(clips, axis=[1, 2, 3], keepdims=True)
    probs = model.predict(clips, verbose=0).mean(axis=0)
    print("video-level pred:", int(np.argmax(probs)), "true:", int(labels[split]))


if __name__ == "__main__":
    main()
