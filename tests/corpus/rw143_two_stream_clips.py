"""Sliding-window clip stacking for a long surveillance-style video.

A single long synthetic video is cut into overlapping clips with numpy stride
tricks; each clip gets a label saying whether an "intruder" object appears in
it. Two streams are fed to the network: raw frames (appearance) and temporal
frame differences (motion). Batches come from a keras.utils.PyDataset.
"""
from dataclasses import dataclass
import numpy as np
import keras
from keras import layers


@dataclass
class Config:
    total_frames: int = 1400
    height: int = 32
    width: int = 32
    clip_len: int = 8
    stride: int = 4          # hop between clip starts
    frame_step: int = 2      # temporal subsampling inside a clip
    batch_size: int = 16
    epochs: int = 2
    seed: int = 3


def synth_long_video(cfg):
    rng = np.random.default_rng(cfg.seed)
    T, H, W = cfg.total_frames, cfg.height, cfg.width
    video = np.tile(np.linspace(0.2, 0.5, W, dtype=np.float32), (T, H, 1))
    video += rng.normal(0, 0.02, video.shape).astype(np.float32)
    present = np.zeros(T, dtype=bool)
    t = 0
    while t < T:
        gap = rng.integers(20, 60)
        dur = rng.integers(15, 40)
        start, stop = t + gap, min(t + gap + dur, T)
        row = rng.integers(4, H - 8)
        for k, f in enumerate(range(start, stop)):
            col = int(k * (W - 6) / max(dur - 1, 1))
            video[f, row:row + 5, col:col + 5] = 1.0
        present[start:stop] = True
        t = stop
    return video[..., None], present


def stack_clips(video, present, cfg):
    """Overlapping clips of shape (n, clip_len, H, W, C) via sliding_window_view."""
    span = cfg.clip_len * cfg.frame_step
    windows = np.lib.stride_tricks.sliding_window_view(video, span, axis=0)
    # sliding_window_view puts the window axis last -> move it next to batch axis
    windows = np.moveaxis(windows, -1, 1)[::cfg.stride, ::cfg.frame_step]
    label_win = np.lib.stride_tricks.sliding_window_view(present, span)[::cfg.stride, ::cfg.frame_step]
    labels = (label_win.mean(axis=1) > 0.25).astype(np.float32)
    return np.ascontiguousarray(windows), labels


def frame_diffs(clips):
    d = np.diff(clips, axis=1)
    return np.concatenate([np.zeros_like(d[:, :1]), d], axis=1)


class TwoStreamSequence(keras.utils.PyDataset):
    def __init__(self, clips, labels, batch_size, shuffle=True, **kwargs):
        super().__init__(**kwargs)
        self.clips, self.labels = clips, labels
        self.batch_size, self.shuffle = batch_size, shuffle
        self.order = np.arange(len(clips))
        self.on_epoch_end()

    def __len__(self):
        return int(np.ceil(len(self.clips) / self.batch_size))

    def __getitem__(self, i):
        idx = self.order[i * self.batch_size:(i + 1) * self.batch_size]
        rgb = self.clips[idx]
        return {"appearance": rgb, "motion": frame_diffs(rgb)}, self.labels[idx]

    def on_epoch_end(self):
        if self.shuffle:
            np.random.shuffle(self.order)


def stream(inp, prefix, filters):
    x = inp
    for j, f in enumerate(filters):
        x = layers.Conv3D(f, (3, 3, 3), padding="same", activation="relu", name=f"{prefix}_c{j}")(x)
        x = layers.MaxPooling3D((1 if j == 0 else 2, 2, 2), name=f"{prefix}_p{j}")(x)
    return layers.GlobalMaxPooling3D(name=f"{prefix}_gmp")(x)


def build_two_stream(cfg):
    shape = (cfg.clip_len, cfg.height, cfg.width, 1)
    a_in = keras.Input(shape, name="appearance")
    m_in = keras.Input(shape, name="motion")
    fused = layers.Concatenate()([stream(a_in, "rgb", [8, 16]), stream(m_in, "flow", [8, 16, 32])])
    fused = layers.Dense(32, activation="relu")(fused)
    out = layers.Dense(1, activation="sigmoid", name="intruder")(fused)
    return keras.Model([a_in, m_in], out)


def main():
    cfg = Config()
    np.random.seed(cfg.seed)
    keras.utils.set_random_seed(cfg.seed)

    video, present = synth_long_video(cfg)
    clips, labels = stack_clips(video, present, cfg)
    print(f"video {video.shape} -> clips {clips.shape}, positives {labels.mean():.2%}")

    cut = int(0.8 * len(clips))
    train_seq = TwoStreamSequence(clips[:cut], labels[:cut], cfg.batch_size)
    val_seq = TwoStreamSequence(clips[cut:], labels[cut:], cfg.batch_size, shuffle=False)

    model = build_two_stream(cfg)
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=[keras.metrics.BinaryAccuracy(name="acc"), keras.metrics.AUC(name="auc")])
    model.fit(train_seq, validation_data=val_seq, epochs=cfg.epochs, verbose=2)

    # score every clip of the held-out part and map predictions back to frame time
    scores = model.predict(val_seq, verbose=0).ravel()
    starts = (np.arange(len(scores)) + cut) * cfg.stride
    top = np.argsort(-scores)[:5]
    for k in top:
        print(f"clip starting at frame {starts[k]:5d}: p(intruder)={scores[k]:.3f} label={labels[cut + k]:.0f}")


if __name__ == "__main__":
    main()
