"""MC dropout for 1-D regression: keep dropout active at inference and
sample the network many times to get a predictive mean and spread."""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
N_TRAIN = 400
N_TEST = 200
HIDDEN = [64, 64, 32]
DROP_RATE = 0.15
MC_SAMPLES = 50
BATCH = 32
EPOCHS = 2

rng = np.random.default_rng(SEED)
tf.random.set_seed(SEED)


def make_data(n, low=-3.0, high=3.0):
    x = rng.uniform(low, high, size=(n, 1)).astype("float32")
    noise = rng.normal(0.0, 0.1 + 0.05 * np.abs(x), size=x.shape)
    y = np.sin(1.5 * x) + 0.3 * x + noise
    return x, y.astype("float32")


class MCDropout(layers.Dropout):
    """Dropout that ignores the training flag, so it stays on at predict()."""

    def call(self, inputs, training=None):
        return super().call(inputs, training=True)


def build_model(hidden=HIDDEN, rate=DROP_RATE):
    inp = keras.Input(shape=(1,), name="x")
    h = inp
    for i, units in enumerate(hidden):
        h = layers.Dense(units, activation="relu", name=f"dense_{i}")(h)
        h = MCDropout(rate, name=f"mc_drop_{i}")(h)
    out = layers.Dense(1, name="y_hat")(h)
    return keras.Model(inp, out, name="mc_dropout_mlp")


def mc_predict(model, x, n_samples=MC_SAMPLES):
    # stack [n_samples, N, 1] of stochastic forward passes
    draws = np.stack([model(x, training=False).numpy() for _ in range(n_samples)])
    return draws.mean(axis=0), draws.std(axis=0), draws


def main():
    x_train, y_train = make_data(N_TRAIN)
    # test grid goes beyond the training range to show growing uncertainty
    x_test = np.linspace(-5, 5, N_TEST, dtype="float32").reshape(-1, 1)
    y_test = (np.sin(1.5 * x_test) + 0.3 * x_test).astype("float32")

    ds = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
          .shuffle(N_TRAIN, seed=SEED)
          .batch(BATCH)
          .prefetch(tf.data.AUTOTUNE))

    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse",
                  metrics=[keras.metrics.RootMeanSquaredError(name="rmse")])
    model.summary()
    hist = model.fit(ds, epochs=EPOCHS, verbose=2)
    print("final train loss:", round(hist.history["loss"][-1], 4))

    mean, std, draws = mc_predict(model, x_test)
    print("draws shape:", draws.shape)

    in_range = np.abs(x_test[:, 0]) <= 3.0
    print(f"mean predictive std  in-range: {std[in_range].mean():.4f}")
    print(f"mean predictive std out-range: {std[~in_range].mean():.4f}")

    rmse = np.sqrt(np.mean((mean - y_test) ** 2))
    lo, hi = mean - 1.96 * std, mean + 1.96 * std
    cover = np.mean((y_test >= lo) & (y_test <= hi))
    print(f"MC test RMSE={rmse:.4f}  95% band coverage (noise-free target)={cover:.3f}")

    # deterministic pass for comparison: a normal Dropout model would
    # be deterministic here, MCDropout is not -> two calls differ
    a = model.predict(x_test[:5], verbose=0)
    b = model.predict(x_test[:5], verbose=0)
    print("two predict() calls identical?", bool(np.allclose(a, b)))


if __name__ == "__main__":
    main()
