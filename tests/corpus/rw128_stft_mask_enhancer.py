# Speech-enhancement style spectral masking: the net predicts a [0,1] magnitude mask on the
# STFT of a noisy waveform, the mask is applied to the complex STFT, and inverse_stft gives the
# enhanced waveform. Trained with a hand-written tf.GradientTape loop (waveform L1 + log-mag loss).
import time
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, Model, optimizers

SR = 8000
SIG_LEN = 4096
FRAME_LEN, HOP, NFFT = 256, 64, 256
N_BINS = NFFT // 2 + 1
BATCH_SIZE = 16
STEPS_PER_EPOCH = 12
EPOCHS = 2

window_fn = tf.signal.hann_window
inverse_window_fn = tf.signal.inverse_stft_window_fn(HOP, forward_window_fn=window_fn)


def harmonic_source(rng, n):
    """Crude 'voiced' source: f0 with vibrato + a few decaying harmonics + syllable envelope."""
    t = np.arange(SIG_LEN) / SR
    f0 = rng.uniform(110, 260, size=(n, 1)) * (1 + 0.03 * np.sin(2 * np.pi * 5 * t))
    phase = 2 * np.pi * np.cumsum(f0, axis=1) / SR
    sig = sum((0.7 ** k) * np.sin((k + 1) * phase) for k in range(5))
    syll_rate = rng.uniform(2, 5, size=(n, 1))
    env = np.clip(np.sin(2 * np.pi * syll_rate * t), 0, None)
    return (sig * env).astype(np.float32)


def make_batch_generator(seed):
    rng = np.random.default_rng(seed)
    while True:
        clean = harmonic_source(rng, BATCH_SIZE)
        noise = rng.normal(size=clean.shape).astype(np.float32)
        snr = rng.uniform(-5, 5, size=(BATCH_SIZE, 1))
        p_c = np.mean(clean ** 2, axis=1, keepdims=True) + 1e-8
        p_n = np.mean(noise ** 2, axis=1, keepdims=True)
        noise *= np.sqrt(p_c / (p_n * 10 ** (snr / 10))).astype(np.float32)
        yield (clean + noise).astype(np.float32), clean


def stft(x):
    return tf.signal.stft(x, FRAME_LEN, HOP, NFFT, window_fn=window_fn, pad_end=True)


def istft(spec):
    return tf.signal.inverse_stft(spec, FRAME_LEN, HOP, NFFT, window_fn=inverse_window_fn)


class MaskNet(Model):
    """Frequency-wise conv net over log-magnitude frames -> sigmoid mask."""

    def __init__(self, hidden=(96, 96), **kw):
        super().__init__(**kw)
        self.norm = layers.LayerNormalization()
        self.convs = [layers.Conv1D(h, 5, padding="same", activation="gelu") for h in hidden]
        self.gru = layers.GRU(64, return_sequences=True)
        self.head = layers.Dense(N_BINS, activation="sigmoid")

    def call(self, log_mag, training=False):
        h = self.norm(log_mag)
        for conv in self.convs:
            h = conv(h)
        h = self.gru(h, training=training)
        return self.head(h)


def enhance(model, noisy, training=False):
    spec = stft(noisy)
    mag = tf.abs(spec)
    mask = model(tf.math.log1p(mag), training=training)
    enhanced_spec = spec * tf.complex(mask, tf.zeros_like(mask))
    wav = istft(enhanced_spec)[:, :SIG_LEN]
    return wav, enhanced_spec


model = MaskNet(name="mask_net")
opt = optimizers.Adam(1e-3)


@tf.function
def train_step(noisy, clean):
    with tf.GradientTape() as tape:
        est, est_spec = enhance(model, noisy, training=True)
        clean_mag = tf.abs(stft(clean))
        wav_loss = tf.reduce_mean(tf.abs(est - clean))
        spec_loss = tf.reduce_mean(tf.abs(tf.math.log1p(tf.abs(est_spec)) - tf.math.log1p(clean_mag)))
        loss = wav_loss + 0.5 * spec_loss
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
    return loss, wav_loss, spec_loss


def si_snr(ref, est):
    ref = ref - tf.reduce_mean(ref, axis=-1, keepdims=True)
    est = est - tf.reduce_mean(est, axis=-1, keepdims=True)
    proj = tf.reduce_sum(ref * est, -1, keepdims=True) / (tf.reduce_sum(ref ** 2, -1, keepdims=True) + 1e-8) * ref
    noise = est - proj
    ratio = tf.reduce_sum(proj ** 2, -1) / (tf.reduce_sum(noise ** 2, -1) + 1e-8)
    return 10.0 * tf.math.log(ratio + 1e-8) / tf.math.log(10.0)


def main():
    # sanity check: STFT -> iSTFT round trip should be near-perfect with the matched window
    probe = tf.random.normal([2, SIG_LEN])
    recon = istft(stft(probe))[:, :SIG_LEN]
    inner = slice(FRAME_LEN, SIG_LEN - FRAME_LEN)
    print(f"round-trip max err (interior): {tf.reduce_max(tf.abs(recon[:, inner] - probe[:, inner])):.2e}")

    ds = tf.data.Dataset.from_generator(
        lambda: make_batch_generator(0),
        output_signature=(tf.TensorSpec([BATCH_SIZE, SIG_LEN], tf.float32),
                          tf.TensorSpec([BATCH_SIZE, SIG_LEN], tf.float32)),
    ).prefetch(2)
    it = iter(ds)

    for epoch in range(EPOCHS):
        t0 = time.time()
        totals = np.zeros(3)
        for _ in range(STEPS_PER_EPOCH):
            noisy, clean = next(it)
            totals += np.array([v.numpy() for v in train_step(noisy, clean)])
        totals /= STEPS_PER_EPOCH
        print(f"epoch {epoch + 1}: loss={totals[0]:.4f} wav_l1={totals[1]:.4f} "
              f"spec_l1={totals[2]:.4f} ({time.time() - t0:.1f}s)")

    noisy, clean = next(iter(ds))
    est, _ = enhance(model, noisy)
    print(f"SI-SNR noisy   : {tf.reduce_mean(si_snr(clean, noisy)).numpy():.2f} dB")
    print(f"SI-SNR enhanced: {tf.reduce_mean(si_snr(clean, est)).numpy():.2f} dB")


if __name__ == "__main__":
    main()
