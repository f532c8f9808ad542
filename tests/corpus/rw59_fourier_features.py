"""Fourier feature networks for low-dimensional regression (Tancik et al. 2020).

Fits a coordinate MLP  (x, y) -> RGB  to a synthetic 2-D test pattern and
compares three input encodings:

  * none      -- raw coordinates (spectral bias => blurry fit)
  * basic     -- [cos(2 pi v), sin(2 pi v)]
  * gaussian  -- [cos(2 pi B v), sin(2 pi B v)],  B ~ N(0, sigma^2)

Also includes a 1-D variant used as a time embedding for a tiny signal model.
"""
import numpy as np
import keras
from keras import ops, layers

RES = 32
MAPPING_SIZE = 64
SIGMAS = {"none": None, "basic": 0.0, "gaussian": 10.0}
EPOCHS = 4
BATCH = 256


def make_test_image(res=RES):
    """Concentric rings + a checkerboard corner: lots of high frequencies."""
    lin = np.linspace(0, 1, res, endpoint=False)
    xx, yy = np.meshgrid(lin, lin, indexing="xy")
    r = np.sqrt((xx - 0.5) ** 2 + (yy - 0.5) ** 2)
    rings = 0.5 + 0.5 * np.cos(40 * r)
    checker = ((np.floor(xx * 8) + np.floor(yy * 8)) % 2).astype(float)
    img = np.stack([rings, checker * (xx > 0.5), 0.5 * (rings + yy)], axis=-1)
    coords = np.stack([xx, yy], axis=-1)
    return coords.astype("float32"), img.astype("float32")


@keras.saving.register_keras_serializable(package="rw59")
class FourierFeatures(layers.Layer):
    """Random Fourier feature embedding gamma(v) = [cos(2 pi B v), sin(2 pi B v)]."""

    def __init__(self, mapping_size=256, scale=10.0, trainable_b=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.mapping_size = mapping_size
        self.scale = scale
        self.trainable_b = trainable_b
        self.seed = seed

    def build(self, input_shape):
        in_dim = input_shape[-1]
        self.B = self.add_weight(
            name="B",
            shape=(in_dim, self.mapping_size),
            initializer=keras.initializers.RandomNormal(stddev=self.scale, seed=self.seed),
            trainable=self.trainable_b,
        )

    def call(self, v):
        proj = 2.0 * np.pi * ops.matmul(v, self.B)
        return ops.concatenate([ops.cos(proj), ops.sin(proj)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 2 * self.mapping_size)

    def get_config(self):
        config = super().get_config()
        config.update({"mapping_size": self.mapping_size, "scale": self.scale,
                       "trainable_b": self.trainable_b, "seed": self.seed})
        return config


class BasicEncoding(layers.Layer):
    def call(self, v):
        return ops.concatenate([ops.cos(2.0 * np.pi * v), ops.sin(2.0 * np.pi * v)], axis=-1)


def psnr(y_true, y_pred):
    mse = ops.mean(ops.square(y_true - y_pred))
    return -10.0 * ops.log(mse) / ops.log(10.0)


def coordinate_mlp(encoding, depth=4, width=128, in_dim=2, out_dim=3):
    inp = keras.Input(shape=(in_dim,), name="coords")
    if encoding == "none":
        h = inp
    elif encoding == "basic":
        h = BasicEncoding(name="basic_enc")(inp)
    else:
        h = FourierFeatures(MAPPING_SIZE, scale=SIGMAS[encoding], seed=0, name="ff")(inp)
    for i in range(depth - 1):
        h = layers.Dense(width, activation="relu", name=f"dense_{i}")(h)
    out = layers.Dense(out_dim, activation="sigmoid", name="rgb")(h)
    return keras.Model(inp, out, name=f"mlp_{encoding}")


def run_image_experiment():
    coords, img = make_test_image()
    X = coords.reshape(-1, 2)
    Y = img.reshape(-1, 3)
    # train on every other pixel, test on all (interpolation task)
    train_idx = np.arange(0, len(X), 2)
    results = {}
    for enc in SIGMAS:
        model = coordinate_mlp(enc)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=[psnr])
        model.fit(X[train_idx], Y[train_idx], epochs=EPOCHS, batch_size=BATCH,
                  shuffle=True, verbose=0)
        pred = model.predict(X, batch_size=1024, verbose=0).reshape(RES, RES, 3)
        results[enc] = float(psnr(img, pred))
        print(f"{enc:>9s}: params={model.count_params():6d}  full-image PSNR={results[enc]:.2f} dB")
    return results


def run_time_embedding_demo():
    """FourierFeatures on scalar time for a (batch, T, 1) sequence via TimeDistributed-free broadcasting."""
    T = 100
    t = np.linspace(0, 1, T, dtype="float32")[None, :, None]            # (1, T, 1)
    t = np.repeat(t, 8, axis=0)                                          # (8, T, 1)
    signal = np.sin(2 * np.pi * 12 * t) * np.exp(-3 * t)

    inp = keras.Input(shape=(T, 1))
    emb = FourierFeatures(16, scale=5.0, seed=1, name="time_ff")(inp)  # (B, T, 32)
    h = layers.Dense(32, activation="gelu")(emb)
    h = layers.Conv1D(32, 5, padding="same", activation="gelu")(h)
    out = layers.Dense(1)(h)
    model = keras.Model(inp, out, name="time_ff_net")
    model.compile("adam", "mse")
    hist = model.fit(t, signal, epochs=3, verbose=0)
    print("time-embedding model:", model.output_shape, "final mse:", round(hist.history["loss"][-1], 4))

    # round-trip the custom layer through config
    clone = keras.models.clone_model(model)
    print("cloned layers:", [l.__class__.__name__ for l in clone.layers][:3])


if __name__ == "__main__":
    keras.utils.set_random_seed(0)
    run_image_experiment()
    run_time_embedding_demo()
