# Raw-waveform classifier (no spectrogram): stack of strided Conv1D blocks
# straight on the samples, a bit like a tiny SampleCNN / M5 net.
#
# Classes: pure tone, up-chirp, white-noise burst, square-ish wave.
import math

import numpy as np
import keras
from keras import layers

CFG = {
    "sr": 4000,
    "n_samples": 4000,          # 1 s clips
    "n_train": 320,
    "n_val": 80,
    "batch_size": 32,
    "epochs": 2,
    "lr": 3e-3,
    # (filters, kernel, stride) for each conv block
    "blocks": [(16, 80, 4), (32, 3, 1), (32, 3, 1), (64, 3, 1)],
    "pool": 4,
}
CLASS_NAMES = ["tone", "chirp", "noise_burst", "square"]

keras.utils.set_random_seed(7)


def synth_clip(kind, rng, sr=CFG["sr"], n=CFG["n_samples"]):
    t = np.arange(n, dtype=np.float32) / sr
    f = rng.uniform(150, 900)
    if kind == "tone":
        x = np.sin(2 * math.pi * f * t)
    elif kind == "chirp":
        f1 = f + rng.uniform(400, 1000)
        x = np.sin(2 * math.pi * (f * t + (f1 - f) * t ** 2 / 2))
    elif kind == "noise_burst":
        x = np.zeros(n, dtype=np.float32)
        for _ in range(rng.integers(2, 5)):
            start = rng.integers(0, n - 400)
            length = rng.integers(100, 400)
            x[start:start + length] += rng.normal(0, 1.0, size=length)
    elif kind == "square":
        x = np.sign(np.sin(2 * math.pi * f * t)) * 0.7
    else:
        raise ValueError(kind)
    x = x * rng.uniform(0.3, 1.0) + rng.normal(0, 0.05, size=n)
    return x.astype(np.float32)


class WaveformSequence(keras.utils.PyDataset):
    """Generates fresh synthetic clips per batch; fixed seed per index so val is stable."""

    def __init__(self, n_items, batch_size, seed, **kwargs):
        super().__init__(**kwargs)
        self.n_items = n_items
        self.batch_size = batch_size
        self.seed = seed

    def __len__(self):
        return math.ceil(self.n_items / self.batch_size)

    def __getitem__(self, idx):
        rng = np.random.default_rng(self.seed + idx)
        bs = min(self.batch_size, self.n_items - idx * self.batch_size)
        labels = rng.integers(0, len(CLASS_NAMES), size=bs)
        clips = np.stack([synth_clip(CLASS_NAMES[l], rng) for l in labels])
        # peak-normalise each clip, add channel axis
        clips /= np.max(np.abs(clips), axis=1, keepdims=True) + 1e-8
        return clips[..., None], labels.astype("int32")


def conv_block(x, filters, kernel, stride, pool, name):
    x = layers.Conv1D(filters, kernel, strides=stride, padding="same", name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_act")(x)
    return layers.MaxPooling1D(pool, name=f"{name}_pool")(x)


def build_model(cfg, n_classes):
    inputs = keras.Input(shape=(cfg["n_samples"], 1), name="waveform")
    x = inputs
    for i, (f, k, s) in enumerate(cfg["blocks"]):
        x = conv_block(x, f, k, s, cfg["pool"] if i < len(cfg["blocks"]) - 1 else 2, f"block{i + 1}")
    x = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(n_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name="raw_wave_cnn")


if __name__ == "__main__":
    train_seq = WaveformSequence(CFG["n_train"], CFG["batch_size"], seed=0)
    val_seq = WaveformSequence(CFG["n_val"], CFG["batch_size"], seed=10_000)

    model = build_model(CFG, len(CLASS_NAMES))
    model.summary()

    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=CFG["lr"], weight_decay=1e-4),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
    )
    model.fit(train_seq, validation_data=val_seq, epochs=CFG["epochs"], verbose=2)

    x_val, y_val = val_seq[0]
    logits = model.predict(x_val, verbose=0)
    pred = logits.argmax(-1)
    confusion = np.zeros((len(CLASS_NAMES),) * 2, dtype=int)
    for t_, p_ in zip(y_val, pred):
        confusion[t_, p_] += 1
    print("confusion (rows=true):")
    print("\n".join(f"{name:>12s} {row}" for name, row in zip(CLASS_NAMES, confusion)))

    # receptive field / downsampling sanity check
    total_stride = np.prod([s for _, _, s in CFG["blocks"]]) * CFG["pool"] ** (len(CFG["blocks"]) - 1) * 2
    print(f"total temporal downsampling: x{total_stride}")
