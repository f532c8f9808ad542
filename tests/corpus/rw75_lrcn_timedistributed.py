"""LRCN: per-frame CNN (TimeDistributed) + bidirectional LSTM for video classification.

Variable-length videos are uniformly sampled down to a fixed number of frames
(TSN-style segment sampling, short clips are looped) and the frame encoder
is shared across time through TimeDistributed.
"""
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf


@dataclass
class Config:
    num_frames: int = 8
    img_size: int = 48
    channels: int = 3
    num_classes: int = 4
    num_videos: int = 40
    min_len: int = 5
    max_len: int = 30
    cnn_filters: tuple = (16, 32, 64)
    lstm_units: int = 32
    batch_size: int = 8
    epochs: int = 1
    lr: float = 1e-3
    class_names: list = field(default_factory=lambda: ["walk", "run", "jump", "wave"])


def uniform_sample_indices(n_total, n_sample, train=False, rng=None):
    """Split the video into n_sample segments and pick one frame per segment.

    Videos shorter than n_sample are looped (index modulo length).
    """
    if n_total <= n_sample:
        return np.arange(n_sample) % n_total
    edges = np.linspace(0, n_total, n_sample + 1)
    if train:
        rng = rng or np.random.default_rng()
        idx = [rng.integers(int(edges[i]), max(int(edges[i + 1]), int(edges[i]) + 1))
               for i in range(n_sample)]
        return np.asarray(idx)
    return ((edges[:-1] + edges[1:]) / 2).astype(int)


def synthetic_videos(cfg, seed=1):
    rng = np.random.default_rng(seed)
    videos, labels = [], []
    for _ in range(cfg.num_videos):
        length = rng.integers(cfg.min_len, cfg.max_len + 1)
        label = rng.integers(cfg.num_classes)
        t = np.linspace(0, 1, length)[:, None, None, None]
        base = rng.random((1, cfg.img_size, cfg.img_size, cfg.channels))
        # class-dependent temporal frequency of intensity change
        video = base * (0.5 + 0.5 * np.sin(2 * np.pi * (label + 1) * t))
        videos.append(video.astype(np.float32))
        labels.append(label)
    return videos, np.array(labels)


def videos_to_tensor(videos, cfg, train, seed=0):
    rng = np.random.default_rng(seed)
    out = np.empty((len(videos), cfg.num_frames, cfg.img_size, cfg.img_size, cfg.channels),
                   dtype=np.float32)
    for i, v in enumerate(videos):
        idx = uniform_sample_indices(len(v), cfg.num_frames, train=train, rng=rng)
        out[i] = v[idx]
    return out


def frame_encoder(cfg):
    """Small 2-D CNN applied to each frame independently."""
    enc = tf.keras.Sequential(name="frame_encoder")
    enc.add(tf.keras.layers.Input((cfg.img_size, cfg.img_size, cfg.channels)))
    for f in cfg.cnn_filters:
        enc.add(tf.keras.layers.Conv2D(f, 3, padding="same", use_bias=False))
        enc.add(tf.keras.layers.BatchNormalization())
        enc.add(tf.keras.layers.ReLU())
        enc.add(tf.keras.layers.MaxPooling2D())
    enc.add(tf.keras.layers.GlobalAveragePooling2D())
    return enc


def build_lrcn(cfg):
    frames = tf.keras.Input((cfg.num_frames, cfg.img_size, cfg.img_size, cfg.channels),
                            name="frames")
    encoder = frame_encoder(cfg)
    x = tf.keras.layers.TimeDistributed(encoder, name="td_encoder")(frames)   # (B, T, C)
    x = tf.keras.layers.TimeDistributed(tf.keras.layers.Dropout(0.2))(x)
    x = tf.keras.layers.Bidirectional(
        tf.keras.layers.LSTM(cfg.lstm_units, return_sequences=True))(x)
    # Combine last hidden state and temporal average for the classifier
    last = tf.keras.layers.Lambda(lambda s: s[:, -1, :], name="last_step")(x)
    avg = tf.keras.layers.GlobalAveragePooling1D()(x)
    x = tf.keras.layers.Concatenate()([last, avg])
    x = tf.keras.layers.Dense(64, activation="relu")(x)
    out = tf.keras.layers.Dense(cfg.num_classes, activation="softmax")(x)
    return tf.keras.Model(frames, out, name="lrcn")


def main():
    cfg = Config()
    videos, labels = synthetic_videos(cfg)
    print("video lengths:", sorted({len(v) for v in videos})[:8], "...")

    n_train = int(0.8 * len(videos))
    x_train = videos_to_tensor(videos[:n_train], cfg, train=True)
    x_test = videos_to_tensor(videos[n_train:], cfg, train=False)
    y_train, y_test = labels[:n_train], labels[n_train:]
    print("x_train", x_train.shape, "x_test", x_test.shape)

    train_ds = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
                .shuffle(64).batch(cfg.batch_size).prefetch(2))
    test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(cfg.batch_size)

    model = build_lrcn(cfg)
    model.summary(expand_nested=False)
    model.compile(optimizer=tf.keras.optimizers.Adam(cfg.lr),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(),
                  metrics=["accuracy"])
    model.fit(train_ds, epochs=cfg.epochs, verbose=2)
    loss, acc = model.evaluate(test_ds, verbose=0)
    print(f"test loss={loss:.4f} acc={acc:.3f}")

    # Inspect per-frame embeddings from the shared encoder
    td = model.get_layer("td_encoder")
    emb = td(x_test[:2])
    print("per-frame embeddings:", emb.shape)
    preds = np.argmax(model.predict(x_test[:4], verbose=0), axis=-1)
    print("pred:", [cfg.class_names[p] for p in preds])
    print("true:", [cfg.class_names[t] for t in y_test[:4]])


if __name__ == "__main__":
    main()
