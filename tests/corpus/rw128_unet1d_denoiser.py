# 1-D U-Net for waveform denoising (Wave-U-Net-ish, heavily shrunk so it trains on CPU).
# Clean signal = sum of a few random sinusoids; noisy = clean + gaussian + occasional clicks.
import math
import numpy as np
import tensorflow as tf
import keras
from keras import layers

CFG = {
    "seq_len": 512,
    "n_train": 320,
    "n_val": 64,
    "base_filters": 8,
    "depth": 3,
    "kernel": 7,
    "batch": 32,
    "epochs": 2,
    "lr": 2e-3,
    "seed": 42,
}

np.random.seed(CFG["seed"])
tf.random.set_seed(CFG["seed"])


def synth_pairs(n, length):
    t = np.linspace(0, 1, length, endpoint=False)[None, :]
    n_tones = 3
    freqs = np.random.uniform(2, 40, size=(n, n_tones, 1))
    phases = np.random.uniform(0, 2 * math.pi, size=(n, n_tones, 1))
    amps = np.random.uniform(0.2, 1.0, size=(n, n_tones, 1))
    clean = (amps * np.sin(2 * math.pi * freqs * t[:, None, :] + phases)).sum(axis=1)
    clean /= np.abs(clean).max(axis=1, keepdims=True) + 1e-8

    noise = np.random.normal(0, 0.3, size=clean.shape)
    clicks = (np.random.rand(*clean.shape) < 0.01) * np.random.choice([-1.5, 1.5], size=clean.shape)
    noisy = clean + noise + clicks
    return noisy[..., None].astype("float32"), clean[..., None].astype("float32")


def conv_block(x, filters, kernel, name):
    for i in range(2):
        x = layers.Conv1D(filters, kernel, padding="same", name=f"{name}_conv{i}")(x)
        x = layers.BatchNormalization(name=f"{name}_bn{i}")(x)
        x = layers.LeakyReLU(negative_slope=0.1, name=f"{name}_act{i}")(x)
    return x


def build_unet1d(cfg):
    L, f0, depth, k = cfg["seq_len"], cfg["base_filters"], cfg["depth"], cfg["kernel"]
    assert L % (2 ** depth) == 0, "sequence length must be divisible by 2**depth"

    inputs = keras.Input((L, 1), name="noisy")
    x = inputs
    skips = []
    for d in range(depth):
        x = conv_block(x, f0 * 2 ** d, k, name=f"enc{d}")
        skips.append(x)
        x = layers.MaxPooling1D(2, name=f"pool{d}")(x)

    x = conv_block(x, f0 * 2 ** depth, k, name="bottleneck")

    for d in reversed(range(depth)):
        x = layers.Conv1DTranspose(f0 * 2 ** d, kernel_size=4, strides=2, padding="same",
                                   name=f"up{d}")(x)
        x = layers.Concatenate(name=f"skip{d}")([x, skips[d]])
        x = conv_block(x, f0 * 2 ** d, k, name=f"dec{d}")

    residual = layers.Conv1D(1, 1, name="residual_head")(x)
    # predict the noise and subtract it, which trains faster than predicting the clean signal
    outputs = layers.Subtract(name="denoised")([inputs, residual])
    return keras.Model(inputs, outputs, name="unet1d")


def snr_db(clean, est):
    num = np.sum(clean ** 2, axis=(1, 2))
    den = np.sum((clean - est) ** 2, axis=(1, 2)) + 1e-10
    return 10 * np.log10(num / den)


def main():
    x_tr, y_tr = synth_pairs(CFG["n_train"], CFG["seq_len"])
    x_va, y_va = synth_pairs(CFG["n_val"], CFG["seq_len"])

    train_ds = (tf.data.Dataset.from_tensor_slices((x_tr, y_tr))
                .shuffle(512)
                .batch(CFG["batch"], drop_remainder=True)
                .prefetch(2))
    val_ds = tf.data.Dataset.from_tensor_slices((x_va, y_va)).batch(CFG["batch"])

    model = build_unet1d(CFG)
    print(f"U-Net params: {model.count_params():,}")
    model.compile(
        optimizer=keras.optimizers.Adam(CFG["lr"]),
        loss=keras.losses.Huber(delta=0.5),
        metrics=[keras.metrics.MeanAbsoluteError(name="mae")],
    )
    model.fit(train_ds, validation_data=val_ds, epochs=CFG["epochs"], verbose=2)

    denoised = model.predict(x_va, batch_size=CFG["batch"], verbose=0)
    print(f"input SNR  : {snr_db(y_va, x_va).mean():6.2f} dB")
    print(f"output SNR : {snr_db(y_va, denoised).mean():6.2f} dB")


if __name__ == "__main__":
    main()
