"""1D convolutional U-Net that denoises synthetic signals, FiLM-conditioned.

Clean signals are sums of random sinusoids; Gaussian noise of a random level
is added.  The network gets the noisy signal and the noise level, and the
noise level modulates each decoder stage through a FiLM layer (scale/shift
computed from an MLP embedding).  Skip connections are concatenated with
ops.concatenate inside the functional graph.
"""
import numpy as np
import keras
from keras import layers, ops

SIGNAL_LEN = 128
BASE_FILTERS = 8
DEPTH = 3


def make_signals(n, rng):
    t = np.linspace(0.0, 1.0, SIGNAL_LEN, dtype="float32")
    clean = np.zeros((n, SIGNAL_LEN), dtype="float32")
    for _ in range(3):
        freq = rng.uniform(1.0, 12.0, size=(n, 1)).astype("float32")
        phase = rng.uniform(0.0, 2 * np.pi, size=(n, 1)).astype("float32")
        amp = rng.uniform(0.2, 1.0, size=(n, 1)).astype("float32")
        clean += amp * np.sin(2 * np.pi * freq * t[None, :] + phase)
    sigma = rng.uniform(0.05, 0.5, size=(n, 1)).astype("float32")
    noisy = clean + sigma * rng.standard_normal((n, SIGNAL_LEN)).astype("float32")
    return noisy[..., None], sigma, clean[..., None]


@keras.saving.register_keras_serializable(package="rw13")
class FiLM(layers.Layer):
    """Feature-wise linear modulation: x * (1 + gamma) + beta."""

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.to_gamma_beta = layers.Dense(2 * channels, kernel_initializer="zeros")

    def build(self, input_shapes):
        _, cond_shape = input_shapes
        self.to_gamma_beta.build(cond_shape)

    def call(self, inputs):
        x, cond = inputs
        gb = self.to_gamma_beta(cond)                 # (B, 2C)
        gamma, beta = ops.split(gb, 2, axis=-1)
        gamma = ops.expand_dims(gamma, 1)             # (B, 1, C)
        beta = ops.expand_dims(beta, 1)
        return x * (1.0 + gamma) + beta

    def get_config(self):
        return {**super().get_config(), "channels": self.channels}


def conv_block(x, filters, name):
    x = layers.Conv1D(filters, 5, padding="same", name=f"{name}_c1")(x)
    x = layers.GroupNormalization(groups=4, name=f"{name}_gn1")(x)
    x = layers.Activation("swish")(x)
    x = layers.Conv1D(filters, 5, padding="same", name=f"{name}_c2")(x)
    x = layers.GroupNormalization(groups=4, name=f"{name}_gn2")(x)
    return layers.Activation("swish")(x)


def build_unet():
    signal = keras.Input((SIGNAL_LEN, 1), name="noisy")
    sigma = keras.Input((1,), name="sigma")

    cond = layers.Dense(32, activation="swish", name="cond_fc1")(ops.log(sigma))
    cond = layers.Dense(32, activation="swish", name="cond_fc2")(cond)

    skips = []
    x = signal
    for level in range(DEPTH):
        x = conv_block(x, BASE_FILTERS * 2**level, f"down{level}")
        skips.append(x)
        x = layers.MaxPooling1D(2, name=f"pool{level}")(x)

    x = conv_block(x, BASE_FILTERS * 2**DEPTH, "bottleneck")

    for level in reversed(range(DEPTH)):
        filters = BASE_FILTERS * 2**level
        x = layers.UpSampling1D(2, name=f"up{level}")(x)
        x = layers.Conv1D(filters, 3, padding="same", name=f"up{level}_proj")(x)
        x = ops.concatenate([x, skips[level]], axis=-1)
        x = conv_block(x, filters, f"dec{level}")
        x = FiLM(filters, name=f"film{level}")([x, cond])

    residual = layers.Conv1D(1, 1, name="residual_head")(x)
    denoised = layers.Subtract(name="denoised")([signal, residual])
    return keras.Model([signal, sigma], denoised, name="unet1d_denoiser")


if __name__ == "__main__":
    keras.utils.set_random_seed(11)
    rng = np.random.default_rng(11)
    noisy, sigma, clean = make_signals(96, rng)
    val_noisy, val_sigma, val_clean = make_signals(32, rng)

    model = build_unet()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3, clipnorm=1.0),
        loss="mse",
        metrics=[keras.metrics.MeanAbsoluteError(name="mae")],
    )
    model.fit(
        {"noisy": noisy, "sigma": sigma},
        clean,
        validation_data=({"noisy": val_noisy, "sigma": val_sigma}, val_clean),
        batch_size=32,
        epochs=1,
        callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=2)],
        verbose=2,
    )

    out = model.predict({"noisy": val_noisy[:4], "sigma": val_sigma[:4]}, verbose=0)
    before = np.mean((val_noisy[:4] - val_clean[:4]) ** 2)
    after = np.mean((out - val_clean[:4]) ** 2)
    print(f"mse noisy={before:.4f} denoised={after:.4f}")
