"""Two-stream video action classifier on short frame clips.

Appearance stream: a small 2D CNN applied per frame via TimeDistributed,
followed by a GRU over time. Motion stream: a Conv3D network over temporal
frame differences computed with tf ops inside the graph. The streams are
fused late and trained on synthetic "moving blob" clips whose class is the
direction of motion.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

CLIP_LEN = 8
FRAME_SIZE = 48
CHANNELS = 3
DIRECTIONS = ["left", "right", "up", "down", "static"]
NUM_CLASSES = len(DIRECTIONS)


def render_clip(direction, rng):
    clip = rng.uniform(0, 0.1, size=(CLIP_LEN, FRAME_SIZE, FRAME_SIZE, CHANNELS))
    y0, x0 = rng.integers(12, FRAME_SIZE - 12, size=2)
    dy, dx = {"left": (0, -3), "right": (0, 3), "up": (-3, 0),
              "down": (3, 0), "static": (0, 0)}[direction]
    color = rng.uniform(0.5, 1.0, size=CHANNELS)
    yy, xx = np.mgrid[:FRAME_SIZE, :FRAME_SIZE]
    for t in range(CLIP_LEN):
        cy, cx = y0 + dy * t, x0 + dx * t
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 < 36
        clip[t][mask] = color
    return clip.astype(np.float32)


def make_clips(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, NUM_CLASSES, size=n)
    clips = np.stack([render_clip(DIRECTIONS[k], rng) for k in labels])
    return clips, labels


def frame_encoder(filters=(16, 32, 64)):
    inp = keras.Input(shape=(FRAME_SIZE, FRAME_SIZE, CHANNELS))
    x = inp
    for f in filters:
        x = layers.Conv2D(f, 3, padding="same", activation="relu")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, x, name="frame_encoder")


class TemporalDifference(layers.Layer):
    """x[t+1] - x[t] along the time axis (drops one frame)."""

    def call(self, clips):
        return clips[:, 1:] - clips[:, :-1]


def conv3d_unit(x, filters, pool):
    x = layers.Conv3D(filters, (3, 3, 3), padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    return layers.MaxPooling3D(pool_size=pool)(x)


def build_two_stream():
    clips = keras.Input(shape=(CLIP_LEN, FRAME_SIZE, FRAME_SIZE, CHANNELS), name="clip")

    # appearance stream
    per_frame = layers.TimeDistributed(frame_encoder(), name="td_cnn")(clips)
    app = layers.GRU(64, return_sequences=True, name="gru1")(per_frame)
    app = layers.GRU(64, name="gru2")(app)

    # motion stream
    diff = TemporalDifference(name="frame_diff")(clips)
    mot = diff
    for filters, pool in [(16, (1, 2, 2)), (32, (2, 2, 2)), (64, (2, 2, 2))]:
        mot = conv3d_unit(mot, filters, pool)
    mot = layers.GlobalAveragePooling3D(name="motion_gap")(mot)

    fused = layers.Concatenate(name="fusion")([app, mot])
    fused = layers.Dense(64, activation="relu")(fused)
    fused = layers.Dropout(0.3)(fused)
    out = layers.Dense(NUM_CLASSES, activation="softmax", name="action")(fused)
    return keras.Model(clips, out, name="two_stream_video")


def augment(clip, label):
    # one brightness offset shared by every frame in the clip
    clip = tf.image.adjust_brightness(clip, tf.random.uniform([], -0.05, 0.05))
    clip = tf.clip_by_value(clip, 0.0, 1.0)
    return clip, label


def main():
    keras.utils.set_random_seed(11)
    x_train, y_train = make_clips(48, seed=0)
    x_test, y_test = make_clips(12, seed=1)

    train_ds = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
                .shuffle(48)
                .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
                .batch(8)
                .prefetch(2))

    model = build_two_stream()
    model.compile(
        optimizer=keras.optimizers.Adam(3e-4),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc"),
                 keras.metrics.SparseTopKCategoricalAccuracy(k=2, name="top2")],
    )
    model.fit(train_ds, epochs=1, verbose=2)
    results = model.evaluate(x_test, y_test, batch_size=6, verbose=0, return_dict=True)
    print({k: round(float(v), 4) for k, v in results.items()})

    probs = model.predict(x_test[:4], verbose=0)
    for p, y in zip(probs, y_test[:4]):
        print(f"pred={DIRECTIONS[int(np.argmax(p))]:7s} true={DIRECTIONS[int(y)]}")


if __name__ == "__main__":
    main()
