"""Small WaveNet for autoregressive 8-bit mu-law audio modelling.

Stacks of dilated causal Conv1D layers with gated (tanh * sigmoid)
activations, residual connections and summed skip connections, optionally
conditioned on a global speaker id. Trained with teacher forcing on
synthetic sine mixtures, then used for a short sample-by-sample generation.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

QUANT_CHANNELS = 256
CFG = dict(
    residual_channels=32,
    skip_channels=64,
    dilation_cycles=2,
    max_dilation_pow=5,   # dilations 1..32
    kernel_size=2,
    num_speakers=4,
    seq_len=512,
)


def mu_law_encode(audio, mu=QUANT_CHANNELS - 1):
    audio = tf.clip_by_value(audio, -1.0, 1.0)
    magnitude = tf.math.log1p(mu * tf.abs(audio)) / tf.math.log1p(float(mu))
    signal = tf.sign(audio) * magnitude
    return tf.cast((signal + 1.0) / 2.0 * mu + 0.5, tf.int32)


def mu_law_decode(codes, mu=QUANT_CHANNELS - 1):
    signal = 2.0 * (tf.cast(codes, tf.float32) / mu) - 1.0
    return tf.sign(signal) * (tf.pow(1.0 + mu, tf.abs(signal)) - 1.0) / mu


def receptive_field():
    dilations = [2 ** i for i in range(CFG["max_dilation_pow"] + 1)] * CFG["dilation_cycles"]
    return (CFG["kernel_size"] - 1) * sum(dilations) + 1


class GatedResidualBlock(layers.Layer):
    def __init__(self, dilation, residual_channels, skip_channels, kernel_size, **kwargs):
        super().__init__(**kwargs)
        self.dilation = dilation
        self.filter_conv = layers.Conv1D(residual_channels, kernel_size, dilation_rate=dilation,
                                         padding="causal")
        self.gate_conv = layers.Conv1D(residual_channels, kernel_size, dilation_rate=dilation,
                                       padding="causal")
        self.cond_filter = layers.Dense(residual_channels, use_bias=False)
        self.cond_gate = layers.Dense(residual_channels, use_bias=False)
        self.res_proj = layers.Conv1D(residual_channels, 1)
        self.skip_proj = layers.Conv1D(skip_channels, 1)

    def call(self, x, cond):
        # cond: (batch, cond_dim) -> broadcast over time
        f = self.filter_conv(x) + self.cond_filter(cond)[:, None, :]
        g = self.gate_conv(x) + self.cond_gate(cond)[:, None, :]
        z = tf.tanh(f) * tf.sigmoid(g)
        return x + self.res_proj(z), self.skip_proj(z)


def build_wavenet():
    codes = keras.Input(shape=(None,), dtype="int32", name="mu_codes")
    speaker = keras.Input(shape=(), dtype="int32", name="speaker_id")

    x = layers.Embedding(QUANT_CHANNELS, CFG["residual_channels"], name="sample_embed")(codes)
    x = layers.Conv1D(CFG["residual_channels"], 2, padding="causal", name="causal_in")(x)
    cond = layers.Embedding(CFG["num_speakers"], 16, name="speaker_embed")(speaker)

    skips = []
    for cycle in range(CFG["dilation_cycles"]):
        for p in range(CFG["max_dilation_pow"] + 1):
            block = GatedResidualBlock(2 ** p, CFG["residual_channels"], CFG["skip_channels"],
                                       CFG["kernel_size"], name=f"res_c{cycle}_d{2 ** p}")
            x, s = block(x, cond)
            skips.append(s)

    out = layers.Add(name="skip_sum")(skips)
    out = layers.Activation("relu")(out)
    out = layers.Conv1D(CFG["skip_channels"], 1, activation="relu", name="post1")(out)
    logits = layers.Conv1D(QUANT_CHANNELS, 1, name="post2")(out)
    return keras.Model([codes, speaker], logits, name="wavenet")


def synthetic_audio(n, length, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(length + 1) / 8000.0
    speakers = rng.integers(0, CFG["num_speakers"], size=n)
    audio = np.zeros((n, length + 1), dtype=np.float32)
    for i, spk in enumerate(speakers):
        base = 110.0 * (spk + 1)
        for h in range(1, 4):
            audio[i] += (0.3 / h) * np.sin(2 * np.pi * base * h * t + rng.uniform(0, np.pi))
    audio += 0.01 * rng.standard_normal(audio.shape).astype(np.float32)
    return audio, speakers.astype(np.int32)


def make_teacher_forcing_ds(audio, speakers, batch_size=8):
    codes = mu_law_encode(tf.constant(audio))
    inputs, targets = codes[:, :-1], codes[:, 1:]
    return (tf.data.Dataset.from_tensor_slices(((inputs, speakers), targets))
            .shuffle(64).batch(batch_size))


def generate(model, speaker_id, n_samples, seed_codes):
    rf = receptive_field()
    buf = list(seed_codes)
    spk = tf.constant([speaker_id], dtype=tf.int32)
    for _ in range(n_samples):
        window = tf.constant([buf[-rf:]], dtype=tf.int32)
        logits = model([window, spk], training=False)[:, -1, :]
        nxt = tf.random.categorical(logits, num_samples=1)[0, 0]
        buf.append(int(nxt))
    return mu_law_decode(tf.constant(buf[len(seed_codes):])).numpy()


def main():
    keras.utils.set_random_seed(5)
    print("receptive field (samples):", receptive_field())
    audio, speakers = synthetic_audio(40, CFG["seq_len"], seed=0)
    ds = make_teacher_forcing_ds(audio, speakers)

    model = build_wavenet()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="next_sample_acc")],
    )
    model.fit(ds, epochs=1, verbose=2)

    seed_codes = mu_law_encode(tf.constant(audio[0, :64])).numpy().tolist()
    wav = generate(model, int(speakers[0]), n_samples=16, seed_codes=seed_codes)
    print("generated", wav.shape, "range", float(wav.min()), float(wav.max()))


if __name__ == "__main__":
    main()
