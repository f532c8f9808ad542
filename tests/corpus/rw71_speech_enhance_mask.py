"""Single-channel speech enhancement by complex-STFT magnitude masking.

noisy wav --stft--> |X|, angle(X) --> CRN-ish encoder (Conv2D) + GRU --> mask
mask * |X| with noisy phase --inverse_stft--> enhanced wav

Trained end-to-end in the time domain with negative SI-SDR using a custom
tf.GradientTape loop. Clean "speech" is a sum of harmonic tones, noise is
white + low-frequency hum, mixed at random SNRs.
"""
import time

import numpy as np
import tensorflow as tf

keras = tf.keras
L = tf.keras.layers

SR = 8000
SEG_LEN = 8000                  # 1 s training segments
WIN, HOP, NFFT = 256, 64, 256
N_BINS = NFFT // 2 + 1
BATCH = 8
STEPS = 6
SNR_RANGE_DB = (-5.0, 10.0)

window_fn = tf.signal.hann_window
inverse_window_fn = tf.signal.inverse_stft_window_fn(HOP, forward_window_fn=window_fn)


def stft(x):
    return tf.signal.stft(x, WIN, HOP, NFFT, window_fn=window_fn, pad_end=False)


def istft(spec, length):
    y = tf.signal.inverse_stft(spec, WIN, HOP, NFFT, window_fn=inverse_window_fn)
    return y[:, :length]


def synth_speech(rng, n):
    t = np.arange(SEG_LEN) / SR
    out = np.zeros((n, SEG_LEN), np.float32)
    for i in range(n):
        f0 = rng.uniform(90, 250)
        # slowly varying pitch + syllable-like amplitude envelope
        f0_track = f0 * (1 + 0.05 * np.sin(2 * np.pi * rng.uniform(0.5, 2) * t))
        phase = 2 * np.pi * np.cumsum(f0_track) / SR
        env = np.clip(np.sin(2 * np.pi * rng.uniform(2, 5) * t + rng.uniform(0, 6)), 0, None)
        for h in range(1, 8):
            out[i] += (0.4 / h) * np.sin(h * phase) * env
    return out


def synth_noise(rng, n):
    t = np.arange(SEG_LEN) / SR
    hum = 0.3 * np.sin(2 * np.pi * 50 * t)[None] * rng.uniform(0, 1, (n, 1))
    return (rng.standard_normal((n, SEG_LEN)) * 0.3 + hum).astype(np.float32)


def mix_at_snr(clean, noise, snr_db):
    p_clean = tf.reduce_mean(tf.square(clean), axis=-1, keepdims=True)
    p_noise = tf.reduce_mean(tf.square(noise), axis=-1, keepdims=True)
    scale = tf.sqrt(p_clean / (p_noise * tf.pow(10.0, snr_db / 10.0) + 1e-8))
    return clean + scale * noise


def si_sdr(reference, estimate, eps=1e-8):
    reference = reference - tf.reduce_mean(reference, axis=-1, keepdims=True)
    estimate = estimate - tf.reduce_mean(estimate, axis=-1, keepdims=True)
    alpha = tf.reduce_sum(reference * estimate, -1, keepdims=True) / (
        tf.reduce_sum(reference ** 2, -1, keepdims=True) + eps)
    target = alpha * reference
    residual = estimate - target
    ratio = tf.reduce_sum(target ** 2, -1) / (tf.reduce_sum(residual ** 2, -1) + eps)
    return 10.0 * tf.math.log(ratio + eps) / tf.math.log(10.0)


class MaskEstimator(keras.Model):
    """Conv encoder over (time, freq) + GRU over time + sigmoid mask per bin."""

    def __init__(self, n_bins=N_BINS, channels=(16, 32), rnn_units=128):
        super().__init__(name="mask_estimator")
        self.encoder = []
        for c in channels:
            self.encoder.append(L.Conv2D(c, (3, 3), strides=(1, 2), padding="same"))
            self.encoder.append(L.BatchNormalization())
            self.encoder.append(L.ELU())
        self.rnn = L.GRU(rnn_units, return_sequences=True)
        self.dense = L.Dense(n_bins, activation="sigmoid")
        self.skip_proj = L.Dense(rnn_units)

    def call(self, log_mag, training=False):
        # log_mag: (B, T, F)
        x = log_mag[..., tf.newaxis]
        for layer in self.encoder:
            x = layer(x, training=training)
        b, t = tf.shape(x)[0], tf.shape(x)[1]
        x = tf.reshape(x, [b, t, x.shape[2] * x.shape[3]])
        h = self.rnn(x, training=training) + self.skip_proj(log_mag)
        return self.dense(h)


def enhance(model, noisy, training=False):
    spec = stft(noisy)
    mag = tf.abs(spec)
    log_mag = tf.math.log1p(mag)
    mask = model(log_mag, training=training)
    # |X| * mask * exp(j*angle(X)) == X * mask, so just scale the noisy STFT
    enhanced_spec = spec * tf.complex(mask, tf.zeros_like(mask))
    return istft(enhanced_spec, tf.shape(noisy)[-1]), mask


def main():
    rng = np.random.default_rng(0)
    tf.random.set_seed(0)

    model = MaskEstimator()
    optimizer = keras.optimizers.Adam(learning_rate=1e-3, clipnorm=3.0)

    @tf.function(input_signature=[tf.TensorSpec([None, SEG_LEN], tf.float32)] * 2)
    def train_step(clean, noise):
        snr = tf.random.uniform([tf.shape(clean)[0], 1], *SNR_RANGE_DB)
        noisy = mix_at_snr(clean, noise, snr)
        with tf.GradientTape() as tape:
            est, _ = enhance(model, noisy, training=True)
            # the istft output is slightly shorter than the input (no end padding)
            n = tf.shape(est)[-1]
            loss = -tf.reduce_mean(si_sdr(clean[:, :n], est))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        improvement = tf.reduce_mean(si_sdr(clean[:, :n], est) - si_sdr(clean[:, :n], noisy[:, :n]))
        return loss, improvement

    t0 = time.time()
    for step in range(STEPS):
        clean = synth_speech(rng, BATCH)
        noise = synth_noise(rng, BATCH)
        loss, imp = train_step(clean, noise)
        print(f"step {step + 1}/{STEPS}  -SI-SDR {loss.numpy():7.2f} dB  "
              f"SI-SDRi {imp.numpy():6.2f} dB")
    print(f"trained in {time.time() - t0:.1f}s, params={model.count_params():,}")

    # inference on a longer clip: the model is fully convolutional/recurrent in time
    clean = np.tile(synth_speech(rng, 1), (1, 3))
    noise = np.tile(synth_noise(rng, 1), (1, 3))
    noisy = mix_at_snr(tf.constant(clean), tf.constant(noise), 0.0)
    est, mask = enhance(model, noisy)
    print("noisy", noisy.shape, "-> enhanced", est.shape, "mask", mask.shape,
          f"mask mean={float(tf.reduce_mean(mask)):.3f}")

    # perfect-reconstruction check for the STFT pair we use
    recon = istft(stft(noisy), noisy.shape[-1])
    n = recon.shape[-1]
    err = tf.reduce_max(tf.abs(recon[:, WIN:n - WIN] - noisy[:, WIN:n - WIN]))
    print(f"stft/istft max reconstruction error (interior): {float(err):.2e}")


if __name__ == "__main__":
    main()
