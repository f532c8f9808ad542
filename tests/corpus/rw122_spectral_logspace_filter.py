"""
1-D signal classification with two hand-rolled spectral layers:

* LogFourierFeatures - sin/cos embedding of a time coordinate at log-spaced
  frequencies (ops.logspace), random phase drawn with keras.random.
* LearnableSpectralFilter - rfft -> multiply by learnable complex gains
  (view_as_complex) -> split back with ops.real / ops.imag -> irfft.

Everything is keras.ops, so the layers are backend agnostic.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers
from keras import ops

SIGNAL_LEN = 128
N_CLASSES = 3
N_PER_CLASS = 120
N_FREQ_FEATURES = 8
BATCH = 24
keras.utils.set_random_seed(42)


def synth_signals(n_per_class, length, rng):
    """Class k = sum of two sines whose base frequency depends on k, plus noise."""
    t = np.linspace(0.0, 1.0, length, endpoint=False)
    xs, ys = [], []
    for k in range(N_CLASSES):
        base = 4 + 6 * k
        for _ in range(n_per_class):
            f1 = base + rng.uniform(-1, 1)
            f2 = 2.5 * base + rng.uniform(-2, 2)
            sig = np.sin(2 * np.pi * f1 * t + rng.uniform(0, 2 * np.pi))
            sig += 0.5 * np.sin(2 * np.pi * f2 * t)
            sig += 0.6 * rng.normal(size=length)
            xs.append(sig)
            ys.append(k)
    x = np.asarray(xs, dtype="float32")[..., None]
    y = np.asarray(ys, dtype="int32")
    perm = rng.permutation(len(y))
    return x[perm], y[perm]


class LogFourierFeatures(layers.Layer):
    def __init__(self, num_freqs=8, min_exp=0.0, max_exp=2.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.num_freqs = num_freqs
        self.min_exp = min_exp
        self.max_exp = max_exp
        self.seed = seed

    def build(self, input_shape):
        # frozen phases sampled once; stored as a (non-trainable) weight so they are saved
        phase_init = keras.random.uniform((self.num_freqs,), 0.0, 2 * np.pi, seed=self.seed)
        self.phase = self.add_weight(
            name="phase", shape=(self.num_freqs,),
            initializer=keras.initializers.Constant(ops.convert_to_numpy(phase_init)),
            trainable=False,
        )
        self.freq_scale = self.add_weight(name="freq_scale", shape=(self.num_freqs,), initializer="ones")

    def call(self, x):
        # x: (batch, length, channels); time coordinate in [0, 1)
        length = ops.shape(x)[1]
        t = ops.arange(length, dtype="float32") / ops.cast(length, "float32")
        freqs = ops.logspace(self.min_exp, self.max_exp, self.num_freqs) * self.freq_scale
        angles = 2.0 * np.pi * t[:, None] * freqs[None, :] + self.phase
        feats = ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)  # (L, 2F)
        feats = ops.broadcast_to(feats[None], (ops.shape(x)[0], length, 2 * self.num_freqs))
        return ops.concatenate([x, feats], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 2 * self.num_freqs)


class LearnableSpectralFilter(layers.Layer):
    """Per-channel complex gain on every rfft bin."""

    def build(self, input_shape):
        length, channels = input_shape[1], input_shape[2]
        self.n_bins = length // 2 + 1
        self.gain_re = self.add_weight(name="gain_re", shape=(self.n_bins, channels), initializer="ones")
        self.gain_im = self.add_weight(name="gain_im", shape=(self.n_bins, channels), initializer="zeros")

    def call(self, x):
        # rfft works on the last axis -> move time to the end
        xt = ops.transpose(x, (0, 2, 1))
        spec_re, spec_im = ops.rfft(xt)                               # (B, C, bins) each
        spec = ops.view_as_complex(ops.stack([spec_re, spec_im], -1))
        gain = ops.view_as_complex(ops.stack([ops.transpose(self.gain_re), ops.transpose(self.gain_im)], -1))
        filtered = spec * gain[None]
        out = ops.irfft((ops.real(filtered), ops.imag(filtered)), fft_length=ops.shape(xt)[-1])
        return ops.transpose(out, (0, 2, 1))

    def compute_output_shape(self, input_shape):
        return input_shape


class SpectralPower(layers.Layer):
    """log|X(f)|^2 pooled into a fixed number of bands; no weights."""

    def __init__(self, n_bands=16, **kwargs):
        super().__init__(**kwargs)
        self.n_bands = n_bands

    def call(self, x):
        xt = ops.transpose(x, (0, 2, 1))
        re, im = ops.rfft(xt)
        power = ops.log1p(re ** 2 + im ** 2)
        n_bins = power.shape[-1]
        usable = (n_bins // self.n_bands) * self.n_bands
        power = power[..., :usable]
        power = ops.reshape(power, (-1, power.shape[1], self.n_bands, usable // self.n_bands))
        return ops.reshape(ops.mean(power, axis=-1), (-1, power.shape[1] * self.n_bands))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2] * self.n_bands)


def build_classifier():
    inp = keras.Input((SIGNAL_LEN, 1), name="signal")
    x = LearnableSpectralFilter(name="spec_filter")(inp)
    x = LogFourierFeatures(N_FREQ_FEATURES, seed=3, name="log_fourier")(x)
    x = layers.Conv1D(16, 7, padding="same", activation="relu")(x)
    x = layers.Conv1D(16, 5, strides=2, padding="same", activation="relu")(x)
    time_branch = layers.GlobalAveragePooling1D()(x)
    freq_branch = SpectralPower(n_bands=16, name="band_power")(inp)
    h = layers.Concatenate()([time_branch, freq_branch])
    h = layers.Dense(32, activation="relu")(h)
    out = layers.Dense(N_CLASSES, activation="softmax")(h)
    return keras.Model(inp, out)


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    x, y = synth_signals(N_PER_CLASS, SIGNAL_LEN, rng)
    n_val = len(y) // 5
    train_ds = tf.data.Dataset.from_tensor_slices((x[n_val:], y[n_val:])).shuffle(512).batch(BATCH)
    val_ds = tf.data.Dataset.from_tensor_slices((x[:n_val], y[:n_val])).batch(BATCH)

    model = build_classifier()
    model.compile(keras.optimizers.Adam(2e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    print(model.summary(line_length=100))
    model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

    # identity check: untrained filter (gain = 1 + 0j) must be a no-op
    f = LearnableSpectralFilter()
    probe = ops.convert_to_tensor(x[:4])
    err = float(ops.max(ops.abs(f(probe) - probe)))
    print(f"identity filter reconstruction error: {err:.2e}")

    learned = model.get_layer("spec_filter")
    mag = np.sqrt(ops.convert_to_numpy(learned.gain_re) ** 2 + ops.convert_to_numpy(learned.gain_im) ** 2)
    top_bins = np.argsort(mag[:, 0])[-5:][::-1]
    print("bins with largest learned gain:", top_bins.tolist())
    print("log-spaced base freqs:", np.round(ops.convert_to_numpy(ops.logspace(0.0, 2.0, N_FREQ_FEATURES)), 2))
