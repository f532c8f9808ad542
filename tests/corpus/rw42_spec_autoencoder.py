"""Convolutional autoencoder on log-magnitude spectrograms.

Encoder/decoder built with Conv2D / Conv2DTranspose, trained with a hand-written
GradientTape loop (L1 + spectral convergence loss). Reconstruction goes back to
audio with tf.signal.inverse_stft using the *noisy* phase, as in a lot of
denoising-AE blog posts. Everything is synthetic and tiny.
"""
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers

SR = 16000
N_FFT = 512            # -> 257 bins; drop Nyquist to get 256
HOP = 128
WIN = 512
N_FRAMES = 64
AUDIO_LEN = HOP * (N_FRAMES - 1) + WIN
LATENT_CH = 16
BATCH = 8
STEPS = 10
LR = 2e-3


def synth_batch(batch_size):
    """Harmonic tones (clean) and the same tones plus white noise (noisy)."""
    t = tf.range(AUDIO_LEN, dtype=tf.float32) / SR
    f0 = tf.random.uniform([batch_size, 1], 110.0, 440.0)
    clean = tf.zeros([batch_size, AUDIO_LEN])
    for k in range(1, 5):
        clean += (0.5 / k) * tf.sin(2.0 * np.pi * k * f0 * t[None, :])
    noisy = clean + tf.random.normal(tf.shape(clean), stddev=0.05)
    return noisy, clean


def stft(x):
    return tf.signal.stft(x, frame_length=WIN, frame_step=HOP, fft_length=N_FFT,
                          window_fn=tf.signal.hann_window)


def to_log_mag(spec):
    mag = tf.abs(spec)
    return tf.math.log1p(mag)[..., None]        # (B, T, F, 1)


def from_log_mag(log_mag, phase):
    mag = tf.math.expm1(tf.maximum(log_mag[..., 0], 0.0))
    return tf.complex(mag * tf.cos(phase), mag * tf.sin(phase))


def conv_block(x, filters, strides, name):
    x = layers.Conv2D(filters, 3, strides=strides, padding="same", name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.LeakyReLU(0.2, name=f"{name}_act")(x)


def deconv_block(x, filters, strides, name):
    x = layers.Conv2DTranspose(filters, 3, strides=strides, padding="same", name=f"{name}_deconv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.LeakyReLU(0.2, name=f"{name}_act")(x)


def build_autoencoder(n_frames, n_bins):
    inp = keras.Input((n_frames, n_bins, 1), name="log_spec")
    x = conv_block(inp, 16, (1, 2), "enc1")     # (64, 128)
    x = conv_block(x, 32, (2, 2), "enc2")       # (32, 64)
    x = conv_block(x, 64, (2, 2), "enc3")       # (16, 32)
    z = layers.Conv2D(LATENT_CH, 1, name="bottleneck")(x)
    encoder = keras.Model(inp, z, name="encoder")

    lat_in = keras.Input(z.shape[1:], name="latent")
    y = deconv_block(lat_in, 64, (2, 2), "dec1")
    y = deconv_block(y, 32, (2, 2), "dec2")
    y = deconv_block(y, 16, (1, 2), "dec3")
    out = layers.Conv2D(1, 3, padding="same", activation="softplus", name="recon")(y)
    decoder = keras.Model(lat_in, out, name="decoder")

    ae = keras.Model(inp, decoder(encoder(inp)), name="spec_autoencoder")
    return encoder, decoder, ae


def spectral_convergence(y_true, y_pred):
    num = tf.norm(tf.reshape(y_true - y_pred, [tf.shape(y_true)[0], -1]), axis=-1)
    den = tf.norm(tf.reshape(y_true, [tf.shape(y_true)[0], -1]), axis=-1) + 1e-7
    return tf.reduce_mean(num / den)


def main():
    n_bins = N_FFT // 2 + 1
    encoder, decoder, ae = build_autoencoder(N_FRAMES, n_bins - 1)
    ae.summary()
    print("latent shape:", encoder.output_shape)

    optimizer = keras.optimizers.Adam(LR)
    loss_tracker = keras.metrics.Mean(name="loss")

    @tf.function
    def train_step(noisy_audio, clean_audio):
        # drop the Nyquist bin so the freq axis is a power of two
        x = to_log_mag(stft(noisy_audio))[:, :, :-1, :]
        y = to_log_mag(stft(clean_audio))[:, :, :-1, :]
        with tf.GradientTape() as tape:
            y_hat = ae(x, training=True)
            l1 = tf.reduce_mean(tf.abs(y - y_hat))
            sc = spectral_convergence(y, y_hat)
            loss = l1 + 0.5 * sc
        grads = tape.gradient(loss, ae.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 5.0)
        optimizer.apply_gradients(zip(grads, ae.trainable_variables))
        loss_tracker.update_state(loss)
        return l1, sc

    t0 = time.time()
    for step in range(STEPS):
        noisy, clean = synth_batch(BATCH)
        l1, sc = train_step(noisy, clean)
        if step % 3 == 0 or step == STEPS - 1:
            print(f"step {step:3d}  loss={loss_tracker.result():.4f}  l1={float(l1):.4f}  sc={float(sc):.4f}")
    print(f"trained {STEPS} steps in {time.time() - t0:.1f}s")

    # Denoise one clip and resynthesise with the noisy phase
    noisy, clean = synth_batch(1)
    spec = stft(noisy)
    log_mag = to_log_mag(spec)
    recon = ae(log_mag[:, :, :-1, :], training=False)
    # pad back the nyquist bin
    recon = tf.concat([recon, log_mag[:, :, -1:, :]], axis=2)
    den_spec = from_log_mag(recon, tf.math.angle(spec))
    wav = tf.signal.inverse_stft(
        den_spec, frame_length=WIN, frame_step=HOP, fft_length=N_FFT,
        window_fn=tf.signal.inverse_stft_window_fn(HOP, forward_window_fn=tf.signal.hann_window),
    )
    n = min(wav.shape[-1], clean.shape[-1])
    snr = 10.0 * np.log10(
        np.sum(clean[:, :n].numpy() ** 2) / (np.sum((clean[:, :n] - wav[:, :n]).numpy() ** 2) + 1e-9)
    )
    print("resynth wav:", wav.shape, "SNR vs clean: %.2f dB" % snr)


if __name__ == "__main__":
    main()
