"""CNN-LSTM video classifier with TimeDistributed feature extraction.

A per-frame 2D CNN (shared weights via TimeDistributed) produces a feature
vector for every frame, a masked LSTM aggregates them over time. Videos have
variable length, so clips are zero-padded and a Masking layer skips padding.
Trained with a hand-written GradientTape loop.
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf


@dataclass
class TrainConfig:
    max_frames: int = 12
    height: int = 32
    width: int = 32
    channels: int = 3
    num_classes: int = 5
    lstm_units: int = 32
    batch_size: int = 4
    n_videos: int = 24
    steps: int = 6
    learning_rate: float = 3e-4


class FrameEncoder(tf.keras.layers.Layer):
    """Tiny per-frame CNN; wrapped in TimeDistributed by the parent model."""

    def __init__(self, widths=(16, 32), embed_dim=64, **kwargs):
        super().__init__(**kwargs)
        self.convs = []
        for w in widths:
            self.convs.append(tf.keras.layers.Conv2D(w, 3, padding="same", activation="relu"))
            self.convs.append(tf.keras.layers.MaxPooling2D())
        self.gap = tf.keras.layers.GlobalAveragePooling2D()
        self.proj = tf.keras.layers.Dense(embed_dim, activation="relu")

    def build(self, input_shape):
        # build sublayers eagerly so TimeDistributed can infer output shapes
        shape = input_shape
        for layer in self.convs:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        shape = self.gap.compute_output_shape(shape)
        self.proj.build(shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.proj.units)

    def call(self, x):
        for layer in self.convs:
            x = layer(x)
        return self.proj(self.gap(x))


class CNNLSTMClassifier(tf.keras.Model):
    def __init__(self, cfg: TrainConfig, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.td_encoder = tf.keras.layers.TimeDistributed(FrameEncoder(), name="td_encoder")
        self.lstm = tf.keras.layers.LSTM(cfg.lstm_units, name="temporal_lstm")
        self.dropout = tf.keras.layers.Dropout(0.25)
        self.head = tf.keras.layers.Dense(cfg.num_classes, name="logits")

    def call(self, inputs, training=False):
        frames, frame_mask = inputs
        feats = self.td_encoder(frames, training=training)        # (B, T, D)
        # zero out features of padded frames, then let the LSTM mask them
        feats = feats * tf.cast(frame_mask[..., tf.newaxis], feats.dtype)
        h = self.lstm(feats, mask=frame_mask, training=training)  # (B, U)
        return self.head(self.dropout(h, training=training))


def make_fake_videos(cfg: TrainConfig, rng):
    lengths = rng.integers(cfg.max_frames // 2, cfg.max_frames + 1, size=cfg.n_videos)
    videos = np.zeros((cfg.n_videos, cfg.max_frames, cfg.height, cfg.width, cfg.channels),
                      dtype=np.float32)
    for i, n in enumerate(lengths):
        videos[i, :n] = rng.random((n, cfg.height, cfg.width, cfg.channels))
    labels = rng.integers(0, cfg.num_classes, size=cfg.n_videos)
    return videos, lengths.astype(np.int32), labels.astype(np.int32)


def to_example(video, length, label, max_frames):
    mask = tf.sequence_mask(length, maxlen=max_frames)
    # per-video normalisation using only valid frames
    valid = tf.cast(mask, tf.float32)[:, None, None, None]
    n_px = tf.reduce_sum(valid) * tf.cast(tf.reduce_prod(tf.shape(video)[1:]), tf.float32)
    mean = tf.reduce_sum(video * valid) / n_px
    video = (video - mean) * valid
    return (video, mask), label


def main():
    cfg = TrainConfig()
    rng = np.random.default_rng(0)
    tf.random.set_seed(0)

    videos, lengths, labels = make_fake_videos(cfg, rng)
    ds = (tf.data.Dataset.from_tensor_slices((videos, lengths, labels))
          .map(lambda v, n, y: to_example(v, n, y, cfg.max_frames))
          .shuffle(64)
          .batch(cfg.batch_size, drop_remainder=True)
          .repeat())

    model = CNNLSTMClassifier(cfg)
    optimizer = tf.keras.optimizers.Adam(cfg.learning_rate)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc = tf.keras.metrics.SparseCategoricalAccuracy()
    train_loss = tf.keras.metrics.Mean()

    @tf.function
    def train_step(batch):
        (frames, mask), y = batch
        with tf.GradientTape() as tape:
            logits = model((frames, mask), training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 5.0)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        train_loss.update_state(loss)
        train_acc.update_state(y, logits)
        return loss

    for step, batch in enumerate(ds.take(cfg.steps)):
        loss = train_step(batch)
        if step % 2 == 0:
            print(f"step {step:02d}  loss={float(loss):.4f}  "
                  f"acc={float(train_acc.result()):.3f}")

    model.summary()
    (frames, mask), y = next(iter(ds))
    logits = model((frames, mask), training=False)
    print("logits:", logits.shape, "pred:", tf.argmax(logits, -1).numpy(), "true:", y.numpy())


if __name__ == "__main__":
    main()
