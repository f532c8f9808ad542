"""Dense autoencoder for credit-card-style fraud detection.

Train only on "normal" transactions, then flag anything whose reconstruction
error exceeds a percentile threshold picked on a held-out normal split.
Data here is synthetic (30 PCA-like features + amount), shaped like the
Kaggle creditcard.csv dataset.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 42
N_NORMAL = 4000
N_FRAUD = 80
N_FEATURES = 30
BATCH_SIZE = 128
EPOCHS = 2
LATENT_DIM = 8
THRESHOLD_PERCENTILE = 99.0

np.random.seed(SEED)
tf.random.set_seed(SEED)


def make_transactions(n_normal, n_fraud, n_features):
    """Normal rows live on a low-rank manifold, fraud rows are shifted + noisy."""
    basis = np.random.randn(6, n_features).astype("float32")
    z = np.random.randn(n_normal, 6).astype("float32")
    normal = z @ basis + 0.1 * np.random.randn(n_normal, n_features)
    fraud = np.random.randn(n_fraud, n_features) * 2.5 + 1.0
    amount_n = np.random.lognormal(3.0, 1.0, size=(n_normal, 1))
    amount_f = np.random.lognormal(5.0, 1.2, size=(n_fraud, 1))
    X = np.vstack([np.hstack([normal, amount_n]), np.hstack([fraud, amount_f])])
    y = np.concatenate([np.zeros(n_normal), np.ones(n_fraud)]).astype("int32")
    return X.astype("float32"), y


def build_autoencoder(input_dim, latent_dim):
    """Symmetric 24-16-latent-16-24 MLP. Returns (autoencoder, encoder)."""
    inp = keras.Input(shape=(input_dim,), name="transaction")
    h = layers.Dense(24, activation="relu")(inp)
    h = layers.Dropout(0.1)(h)
    h = layers.Dense(16, activation="relu")(h)
    code = layers.Dense(latent_dim, activation="relu", name="bottleneck")(h)
    h = layers.Dense(16, activation="relu")(code)
    h = layers.Dense(24, activation="relu")(h)
    out = layers.Dense(input_dim, name="reconstruction")(h)
    return keras.Model(inp, out, name="fraud_autoencoder"), keras.Model(inp, code, name="encoder")


X, y = make_transactions(N_NORMAL, N_FRAUD, N_FEATURES)
X[:, -1] = np.log1p(X[:, -1])  # log-transform the Amount column
print("data:", X.shape, "fraud ratio: %.4f" % y.mean())

# shuffle then split: train/val on normals only, test gets everything that's left
idx = np.random.permutation(len(X))
X, y = X[idx], y[idx]
normal_idx = np.where(y == 0)[0]
fraud_idx = np.where(y == 1)[0]
train_idx = normal_idx[:2800]
val_idx = normal_idx[2800:3400]
test_idx = np.concatenate([normal_idx[3400:], fraud_idx])

X_train, X_val = X[train_idx], X[val_idx]
X_test, y_test = X[test_idx], y[test_idx]

normalizer = layers.Normalization(axis=-1, name="scaler")
normalizer.adapt(X_train)

# the scaler stays outside the model so the AE reconstructs standardized features
autoencoder, encoder = build_autoencoder(X.shape[1], LATENT_DIM)
autoencoder.summary()

Xtr_s = normalizer(X_train).numpy()
Xval_s = normalizer(X_val).numpy()
Xte_s = normalizer(X_test).numpy()

autoencoder.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
history = autoencoder.fit(
    Xtr_s, Xtr_s,
    validation_data=(Xval_s, Xval_s),
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    shuffle=True,
    callbacks=[keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)],
    verbose=2,
)


def reconstruction_error(model, data):
    recon = model.predict(data, batch_size=512, verbose=0)
    return np.mean(np.square(data - recon), axis=1)


val_err = reconstruction_error(autoencoder, Xval_s)
threshold = np.percentile(val_err, THRESHOLD_PERCENTILE)
print(f"threshold @ p{THRESHOLD_PERCENTILE:.0f} of val MSE: {threshold:.4f}")

test_err = reconstruction_error(autoencoder, Xte_s)
y_pred = (test_err > threshold).astype("int32")

tp = int(np.sum((y_pred == 1) & (y_test == 1)))
fp = int(np.sum((y_pred == 1) & (y_test == 0)))
fn = int(np.sum((y_pred == 0) & (y_test == 1)))
precision = tp / max(tp + fp, 1)
recall = tp / max(tp + fn, 1)
f1 = 2 * precision * recall / max(precision + recall, 1e-8)
print(f"TP={tp} FP={fp} FN={fn}  precision={precision:.3f} recall={recall:.3f} f1={f1:.3f}")

auc = keras.metrics.AUC(num_thresholds=200)
auc.update_state(y_test, test_err / test_err.max())
print("ROC-AUC:", float(auc.result()))

# sweep a few thresholds like people do in the notebook
for pct in (95, 97.5, 99, 99.5):
    t = np.percentile(val_err, pct)
    flagged = test_err > t
    print(f"  p{pct:<5} thr={t:.3f} flagged={flagged.sum():4d} "
          f"caught={np.sum(flagged & (y_test == 1))}/{len(fraud_idx)}")

codes = encoder.predict(Xte_s[:8], verbose=0)
print("latent codes:", codes.shape)
