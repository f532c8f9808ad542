import math
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, models, callbacks

# ---------------------------------------------------------------------------
# constants
# ---------------------------------------------------------------------------
VIDEO_LEN = 30
CLIP_LEN = 6
FRAME_HW = (40, 40)
CHANNELS = 3
CLASSES = ["static", "flicker", "drift_right", "grow"]
N_TRAIN, N_VAL = 200, 48
BATCH_SIZE = 12
AUTOTUNE = tf.data.AUTOTUNE


def synth_video(kind, rng):
    h, w = FRAME_HW
    yy, xx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    base_color = rng.uniform(0.3, 1.0, size=CHANNELS).astype(np.float32)
    cy, cx = rng.uniform(10, 30, size=2)
    frames = []
    for t in range(VIDEO_LEN):
        r = 5.0
        amp = 1.0
        x0 = cx
        if kind == "flicker":
            amp = 0.5 + 0.5 * math.sin(t * 1.3)
        elif kind == "drift_right":
            x0 = (cx + t * 0.8) % w
        elif kind == "grow":
            r = 3.0 + t * 0.35
        mask = ((yy - cy) ** 2 + (xx - x0) ** 2) < r ** 2
        img = mask[..., None] * base_color * amp
        frames.append(img)
    vid = np.asarray(frames, dtype=np.float32)
    vid += rng.normal(0, 0.03, vid.shape).astype(np.float32)
    return (np.clip(vid, 0, 1) * 255).astype(np.uint8)


def make_split(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(CLASSES), n)
    videos = np.stack([synth_video(CLASSES[k], rng) for k in labels])
    return videos, labels


def random_clip(video, label):
    """Pick CLIP_LEN frames with a random stride and offset (graph-safe)."""
    stride = tf.random.uniform([], 1, 5, dtype=tf.int32)  # 1..4
    span = (CLIP_LEN - 1) * stride + 1
    max_start = tf.maximum(VIDEO_LEN - span, 0)
    start = tf.random.uniform([], 0, max_start + 1, dtype=tf.int32)
    idx = start + tf.range(CLIP_LEN) * stride
    idx = tf.minimum(idx, VIDEO_LEN - 1)
    clip = tf.gather(video, idx)
    clip = tf.image.convert_image_dtype(clip, tf.float32)
    # same horizontal flip for every frame of the clip (not for drift_right, it would change the label)
    flip = tf.logical_and(tf.random.uniform([]) > 0.5, tf.not_equal(label, 2))
    clip = tf.where(flip, tf.reverse(clip, axis=[2]), clip)
    return clip, label


def center_clip(video, label):
    idx = tf.cast(tf.linspace(0.0, VIDEO_LEN - 1.0, CLIP_LEN), tf.int32)
    clip = tf.image.convert_image_dtype(tf.gather(video, idx), tf.float32)
    return clip, label


def frame_encoder():
    inp = layers.Input(shape=(*FRAME_HW, CHANNELS))
    x = inp
    for f in (16, 32, 48):
        x = layers.Conv2D(f, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    return models.Model(inp, x, name="frame_encoder")


def build_classifier(rnn="gru"):
    clip_in = layers.Input(shape=(CLIP_LEN, *FRAME_HW, CHANNELS), name="clip")
    feats = layers.TimeDistributed(frame_encoder(), name="td_encoder")(clip_in)
    rnn_layer = {"gru": layers.GRU, "lstm": layers.LSTM}[rnn]
    x = rnn_layer(64, return_sequences=True)(feats)
    x = rnn_layer(32)(x)
    x = layers.Dropout(0.25)(x)
    out = layers.Dense(len(CLASSES), activation="softmax")(x)
    return models.Model(clip_in, out, name=f"cnn_{rnn}")


if __name__ == "__main__":
    tf.random.set_seed(0)
    train_v, train_y = make_split(N_TRAIN, seed=1)
    val_v, val_y = make_split(N_VAL, seed=2)
    print("raw train videos:", train_v.shape, train_v.dtype)

    train_ds = (tf.data.Dataset.from_tensor_slices((train_v, train_y))
                .shuffle(N_TRAIN)
                .map(random_clip, num_parallel_calls=AUTOTUNE)
                .batch(BATCH_SIZE, drop_remainder=True)
                .prefetch(AUTOTUNE))
    val_ds = (tf.data.Dataset.from_tensor_slices((val_v, val_y))
              .map(center_clip, num_parallel_calls=AUTOTUNE)
              .batch(BATCH_SIZE))

    for xb, yb in train_ds.take(1):
        print("batch:", xb.shape, yb.numpy())

    results = {}
    for cell in ("gru", "lstm"):
        model = build_classifier(cell)
        model.compile(optimizer=tf.keras.optimizers.RMSprop(1e-3),
                      loss=tf.keras.losses.SparseCategoricalCrossentropy(),
                      metrics=["accuracy"])
        hist = model.fit(train_ds, validation_data=val_ds, epochs=1, steps_per_epoch=10,
                         callbacks=[callbacks.TerminateOnNaN()], verbose=2)
        results[cell] = hist.history["val_accuracy"][-1]
        print(f"{model.name}: params={model.count_params():,}")

    for cell, acc in results.items():
        print(f"{cell.upper():5s} val acc after 1 short epoch: {acc:.3f}")
