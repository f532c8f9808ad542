"""Small C3D-style action classifier on synthetic 'videos'.

Each clip is a short sequence of grayscale frames where a blob moves in one of
four directions; the label is the direction. Frames are sampled uniformly from
longer raw videos before stacking into (T, H, W, C) clips.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
RAW_FRAMES = 24      # length of the "raw" video
CLIP_LEN = 8         # frames kept per clip
IMG = 32
NUM_CLASSES = 4
N_VIDEOS = 240
BATCH = 16
EPOCHS = 2

rng = np.random.default_rng(SEED)
tf.random.set_seed(SEED)

DIRECTIONS = {0: (0, 1), 1: (0, -1), 2: (1, 0), 3: (-1, 0)}


def render_video(label, n_frames=RAW_FRAMES, size=IMG):
    dy, dx = DIRECTIONS[label]
    y, x = rng.integers(8, size - 8, size=2)
    yy, xx = np.mgrid[0:size, 0:size]
    frames = np.zeros((n_frames, size, size), dtype=np.float32)
    for t in range(n_frames):
        cy = (y + dy * t * 0.6) % size
        cx = (x + dx * t * 0.6) % size
        frames[t] = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 12.0)
    frames += rng.normal(0, 0.05, frames.shape).astype(np.float32)
    return np.clip(frames, 0.0, 1.0)


def sample_frame_indices(n_total, clip_len, jitter=True):
    """Uniformly spaced indices, optionally jittered inside each segment."""
    edges = np.linspace(0, n_total, clip_len + 1)
    if jitter:
        idx = [rng.integers(int(a), max(int(a) + 1, int(b))) for a, b in zip(edges[:-1], edges[1:])]
    else:
        idx = ((edges[:-1] + edges[1:]) / 2).astype(int)
    return np.clip(np.asarray(idx), 0, n_total - 1)


def build_dataset(n):
    labels = rng.integers(0, NUM_CLASSES, size=n)
    clips = []
    for lab in labels:
        vid = render_video(int(lab))
        clips.append(vid[sample_frame_indices(len(vid), CLIP_LEN)])
    x = np.stack(clips)[..., np.newaxis]  # (N, T, H, W, 1)
    return x.astype("float32"), labels.astype("int32")


def c3d_small(input_shape, num_classes, filters=(16, 32, 64)):
    model = keras.Sequential(name="c3d_small")
    model.add(keras.Input(shape=input_shape))
    for i, f in enumerate(filters):
        model.add(layers.Conv3D(f, kernel_size=3, padding="same", activation="relu", name=f"conv{i + 1}"))
        # keep temporal resolution in the first block, like the original C3D
        pool = (1, 2, 2) if i == 0 else (2, 2, 2)
        model.add(layers.MaxPooling3D(pool_size=pool, name=f"pool{i + 1}"))
    model.add(layers.GlobalAveragePooling3D())
    model.add(layers.Dropout(0.3))
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dense(num_classes, activation="softmax"))
    return model


if __name__ == "__main__":
    x, y = build_dataset(N_VIDEOS)
    split = int(0.8 * len(x))
    x_train, y_train, x_val, y_val = x[:split], y[:split], x[split:], y[split:]
    print(f"train clips: {x_train.shape}, val clips: {x_val.shape}")

    model = c3d_small(x.shape[1:], NUM_CLASSES)
    model.summary()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(
        x_train, y_train,
        validation_data=(x_val, y_val),
        batch_size=BATCH,
        epochs=EPOCHS,
        verbose=2,
    )
    for k, v in history.history.items():
        print(f"{k:>14s}: {[round(float(a), 4) for a in v]}")

    probs = model.predict(x_val[:4], verbose=0)
    print("pred:", probs.argmax(-1), "true:", y_val[:4])
