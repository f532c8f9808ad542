"""Small Conv3D video classifier on synthetic 'moving blob' clips.

Each clip shows a bright square drifting in one of four directions
(left, right, up, down).  We render long videos, then uniformly sample a
fixed number of frames from each one - the same trick you'd use on real
UCF101-style data where videos have different lengths.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
NUM_CLASSES = 4
NUM_VIDEOS = 240
FRAME_SIZE = 32
CLIP_LEN = 8          # frames fed to the model
BATCH_SIZE = 16
EPOCHS = 2

DIRECTIONS = {0: (0, 1), 1: (0, -1), 2: (1, 0), 3: (-1, 0)}  # (dy, dx)

rng = np.random.default_rng(SEED)
tf.random.set_seed(SEED)


def render_video(label, n_frames, size=FRAME_SIZE, box=6):
    """Render one grayscale video of a square moving in a fixed direction."""
    dy, dx = DIRECTIONS[label]
    y, x = rng.integers(box, size - box, size=2)
    speed = rng.uniform(0.5, 1.5)
    frames = np.zeros((n_frames, size, size), dtype=np.float32)
    for t in range(n_frames):
        cy = int(np.clip(y + dy * speed * t, 0, size - box))
        cx = int(np.clip(x + dx * speed * t, 0, size - box))
        frames[t, cy:cy + box, cx:cx + box] = 1.0
    frames += rng.normal(0, 0.1, frames.shape).astype(np.float32)
    return frames


def sample_frames(video, clip_len=CLIP_LEN):
    """Uniformly pick `clip_len` frame indices across the whole video."""
    n = video.shape[0]
    idx = np.linspace(0, n - 1, clip_len).round().astype(int)
    return video[idx]


def build_dataset(n_videos):
    clips, labels = [], []
    for _ in range(n_videos):
        label = int(rng.integers(NUM_CLASSES))
        n_frames = int(rng.integers(12, 30))  # variable-length source videos
        video = render_video(label, n_frames)
        clips.append(sample_frames(video))
        labels.append(label)
    x = np.stack(clips)[..., np.newaxis]  # (N, T, H, W, 1)
    y = np.array(labels, dtype=np.int32)
    return x, y


def make_model(input_shape, num_classes):
    model = keras.Sequential(name="c3d_tiny")
    model.add(keras.Input(shape=input_shape))
    for filters in (16, 32):
        model.add(layers.Conv3D(filters, kernel_size=3, padding="same", activation="relu"))
        model.add(layers.BatchNormalization())
        model.add(layers.MaxPooling3D(pool_size=(1, 2, 2)))
    model.add(layers.Conv3D(64, kernel_size=3, padding="same", activation="relu"))
    model.add(layers.GlobalAveragePooling3D())
    model.add(layers.Dropout(0.3))
    model.add(layers.Dense(num_classes, activation="softmax"))
    return model


if __name__ == "__main__":
    x, y = build_dataset(NUM_VIDEOS)
    split = int(0.8 * len(x))
    x_train, y_train = x[:split], y[:split]
    x_val, y_val = x[split:], y[split:]
    print(f"train clips: {x_train.shape}, val clips: {x_val.shape}")

    model = make_model(x.shape[1:], NUM_CLASSES)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.summary()

    history = model.fit(
        x_train, y_train,
        validation_data=(x_val, y_val),
        batch_size=BATCH_SIZE,
        epochs=EPOCHS,
        verbose=2,
    )
    loss, acc = model.evaluate(x_val, y_val, verbose=0)
    print(f"val loss={loss:.4f} acc={acc:.3f}")

    preds = model.predict(x_val[:5], verbose=0).argmax(axis=-1)
    print("pred:", preds, "true:", y_val[:5])
