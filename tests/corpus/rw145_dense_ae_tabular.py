"""Dense autoencoder for tabular anomaly detection (credit-card style synthetic data).

Train only on "normal" transactions, then flag rows whose reconstruction
error is above the 95th percentile of training errors.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
N_NORMAL = 600
N_FRAUD = 30
N_FEATURES = 20
THRESHOLD_PCT = 95.0

CONFIG = {
    "hidden_units": [16, 8],
    "latent_dim": 4,
    "activation": "relu",
    "dropout": 0.1,
    "lr": 1e-3,
    "epochs": 2,
    "batch_size": 64,
}

rng = np.random.default_rng(SEED)
tf.random.set_seed(SEED)


def make_tabular_data():
    # normal rows live on a low-rank manifold plus small noise
    basis = rng.normal(size=(4, N_FEATURES))
    z = rng.normal(size=(N_NORMAL, 4))
    normal = z @ basis + 0.1 * rng.normal(size=(N_NORMAL, N_FEATURES))
    # frauds: off-manifold, heavier tails
    fraud = rng.standard_t(df=2, size=(N_FRAUD, N_FEATURES)) * 2.0
    return normal.astype("float32"), fraud.astype("float32")


def standardize(train, *others):
    mu = train.mean(axis=0, keepdims=True)
    sd = train.std(axis=0, keepdims=True) + 1e-6
    return [(x - mu) / sd for x in (train, *others)]


def build_autoencoder(n_features, cfg):
    inp = keras.Input(shape=(n_features,), name="features")
    x = inp
    for i, units in enumerate(cfg["hidden_units"]):
        x = layers.Dense(units, activation=cfg["activation"], name=f"enc_{i}")(x)
        x = layers.Dropout(cfg["dropout"])(x)
    code = layers.Dense(cfg["latent_dim"], name="bottleneck")(x)
    x = code
    for i, units in enumerate(reversed(cfg["hidden_units"])):
        x = layers.Dense(units, activation=cfg["activation"], name=f"dec_{i}")(x)
    out = layers.Dense(n_features, activation="linear", name="recon")(x)
    model = keras.Model(inp, out, name="tabular_ae")
    model.compile(optimizer=keras.optimizers.Adam(cfg["lr"]), loss="mse")
    return model


def reconstruction_error(model, x):
    recon = model.predict(x, batch_size=256, verbose=0)
    return np.mean(np.square(x - recon), axis=1)


def main():
    normal, fraud = make_tabular_data()
    idx = rng.permutation(len(normal))
    split = int(0.8 * len(normal))
    train_raw, val_raw = normal[idx[:split]], normal[idx[split:]]
    x_train, x_val, x_fraud = standardize(train_raw, val_raw, fraud)

    model = build_autoencoder(N_FEATURES, CONFIG)
    model.summary()
    hist = model.fit(
        x_train, x_train,
        validation_data=(x_val, x_val),
        epochs=CONFIG["epochs"],
        batch_size=CONFIG["batch_size"],
        shuffle=True,
        verbose=2,
    )
    print("final val loss:", round(hist.history["val_loss"][-1], 4))

    train_err = reconstruction_error(model, x_train)
    threshold = np.percentile(train_err, THRESHOLD_PCT)
    print(f"threshold (p{THRESHOLD_PCT:.0f}) = {threshold:.4f}")

    x_test = np.concatenate([x_val, x_fraud])
    y_test = np.concatenate([np.zeros(len(x_val)), np.ones(len(x_fraud))]).astype(int)
    test_err = reconstruction_error(model, x_test)
    y_pred = (test_err > threshold).astype(int)

    tp = int(np.sum((y_pred == 1) & (y_test == 1)))
    fp = int(np.sum((y_pred == 1) & (y_test == 0)))
    fn = int(np.sum((y_pred == 0) & (y_test == 1)))
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    print(f"TP={tp} FP={fp} FN={fn} precision={precision:.3f} recall={recall:.3f}")

    # top offenders
    worst = np.argsort(test_err)[::-1][:5]
    for rank, i in enumerate(worst, 1):
        print(f"#{rank} row={i} err={test_err[i]:.3f} label={y_test[i]}")


if __name__ == "__main__":
    main()
