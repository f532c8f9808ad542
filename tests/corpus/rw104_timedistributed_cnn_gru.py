"""
CNN-RNN action recognizer: per-frame CNN wrapped in TimeDistributed,
followed by a bidirectional GRU. Frames are sampled randomly from each
video *inside* the tf.data pipeline (random temporal crop with stride).
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

N_VIDEOS = 200
MAX_FRAMES = 24
H = W = 28
CHANNELS = 3
N_CLASSES = 3
CLIP = 6
STRIDE = 2
BATCH = 16
AUTOTUNE = tf.data.AUTOTUNE


def synth_videos(n, seed=42):
    """Three 'actions': pulsing brightness, rotating color, horizontal sweep."""
    r = np.random.RandomState(seed)
    vids = np.zeros((n, MAX_FRAMES, H, W, CHANNELS), np.float32)
    labels = r.randint(0, N_CLASSES, size=n)
    lengths = r.randint(CLIP * STRIDE, MAX_FRAMES + 1, size=n)
    yy, xx = np.mgrid[0:H, 0:W]
    for i, (lab, L) in enumerate(zip(labels, lengths)):
        phase = r.uniform(0, 2 * np.pi)
        for t in range(L):
            if lab == 0:
                vids[i, t] = 0.5 + 0.5 * np.sin(phase + t * 0.8)
            elif lab == 1:
                c = (t + int(phase)) % 3
                vids[i, t, :, :, c] = 1.0
            else:
                col = (t * 2 + int(phase * 3)) % W
                vids[i, t, :, max(col - 2, 0):col + 2, :] = 1.0
        vids[i, :L] += r.normal(0, 0.05, size=vids[i, :L].shape)
    return vids, labels.astype(np.int32), lengths.astype(np.int32)


def random_clip(video, label, length):
    # pick a random start so that CLIP frames at STRIDE fit into the valid length
    max_start = length - (CLIP - 1) * STRIDE
    start = tf.random.uniform([], 0, tf.maximum(max_start, 1), dtype=tf.int32)
    idx = start + tf.range(CLIP) * STRIDE
    idx = tf.minimum(idx, length - 1)
    clip = tf.gather(video, idx)
    return clip, label


def center_clip(video, label, length):
    span = (CLIP - 1) * STRIDE
    start = tf.maximum((length - span) // 2, 0)
    idx = tf.minimum(start + tf.range(CLIP) * STRIDE, length - 1)
    return tf.gather(video, idx), label


def augment(clip, label):
    # same flip for every frame in the clip
    flip = tf.random.uniform([]) > 0.5
    clip = tf.cond(flip, lambda: tf.reverse(clip, axis=[2]), lambda: clip)
    clip = tf.image.adjust_brightness(clip, tf.random.uniform([], -0.1, 0.1))
    return tf.clip_by_value(clip, 0.0, 1.0), label


def make_ds(vids, labels, lengths, training):
    ds = tf.data.Dataset.from_tensor_slices((vids, labels, lengths))
    if training:
        ds = ds.shuffle(len(vids)).map(random_clip, num_parallel_calls=AUTOTUNE)
        ds = ds.map(augment, num_parallel_calls=AUTOTUNE)
    else:
        ds = ds.map(center_clip, num_parallel_calls=AUTOTUNE)
    return ds.batch(BATCH).prefetch(AUTOTUNE)


def frame_encoder():
    enc = keras.Sequential([
        layers.Input((H, W, CHANNELS)),
        layers.Conv2D(16, 3, activation="relu", padding="same"),
        layers.MaxPool2D(),
        layers.Conv2D(32, 3, activation="relu", padding="same"),
        layers.MaxPool2D(),
        layers.Conv2D(64, 3, activation="relu", padding="same"),
        layers.GlobalAveragePooling2D(),
    ], name="frame_encoder")
    return enc


def build_model():
    clip_in = keras.Input((CLIP, H, W, CHANNELS), name="clip")
    feats = layers.TimeDistributed(frame_encoder(), name="td_encoder")(clip_in)
    x = layers.Bidirectional(layers.GRU(32))(feats)
    x = layers.Dense(32, activation="relu")(x)
    out = layers.Dense(N_CLASSES, activation="softmax")(x)
    return keras.Model(clip_in, out)


def main():
    vids, labels, lengths = synth_videos(N_VIDEOS)
    cut = int(0.8 * N_VIDEOS)
    train_ds = make_ds(vids[:cut], labels[:cut], lengths[:cut], training=True)
    val_ds = make_ds(vids[cut:], labels[cut:], lengths[cut:], training=False)

    for clips, labs in train_ds.take(1):
        print("batch:", clips.shape, labs.shape)

    model = build_model()
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
    )
    model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

    # per-class accuracy on validation
    y_true = np.concatenate([y.numpy() for _, y in val_ds])
    y_pred = model.predict(val_ds, verbose=0).argmax(-1)
    for c in range(N_CLASSES):
        m = y_true == c
        if m.any():
            print(f"class {c}: {np.mean(y_pred[m] == c):.2f} ({m.sum()} clips)")


if __name__ == "__main__":
    main()
