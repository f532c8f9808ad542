"""
HW1 -- Regression on a synthetic housing dataset
================================================

Predict a house price from 8 tabular features (size, rooms, age, ...).
We use a keras Normalization layer adapted on the training features,
EarlyStopping on the validation loss, and compare a few optimizers.

The data is generated synthetically so no download is needed:
    price = 3*size + 1.5*rooms - 0.8*age + 2*location_score + noise
"""

import numpy as np
import tensorflow as tf
import keras
from keras import layers

rng = np.random.default_rng(123)
tf.random.set_seed(123)

FEATURES = ["size_m2", "rooms", "age", "location_score",
            "dist_center_km", "floor", "has_garden", "year_renovated"]
N = 600

# --- generate the data ------------------------------------------------------
size = rng.normal(90, 30, N)
rooms = rng.integers(1, 7, N).astype(float)
age = rng.uniform(0, 80, N)
loc = rng.uniform(0, 10, N)
dist = rng.exponential(5, N)
floor = rng.integers(0, 15, N).astype(float)
garden = rng.integers(0, 2, N).astype(float)
renov = rng.uniform(1960, 2024, N)

X = np.stack([size, rooms, age, loc, dist, floor, garden, renov], axis=1).astype("float32")
price = (3.0 * size + 1.5 * rooms - 0.8 * age + 2.0 * loc - 1.2 * dist
         + 5.0 * garden + rng.normal(0, 10, N))
y = price.astype("float32").reshape(-1, 1)
print("X:", X.shape, "y:", y.shape)

# look at the raw feature scales -- very different, so we need normalization
for name, col_mean, col_std in zip(FEATURES, X.mean(0), X.std(0)):
    print(f"  {name:15s} mean={col_mean:9.2f} std={col_std:8.2f}")

# --- train / val / test split (by hand) -------------------------------------
idx = rng.permutation(N)
train_idx, val_idx, test_idx = idx[:400], idx[400:500], idx[500:]
X_train, y_train = X[train_idx], y[train_idx]
X_val, y_val = X[val_idx], y[val_idx]
X_test, y_test = X[test_idx], y[test_idx]
print("train:", X_train.shape, "val:", X_val.shape, "test:", X_test.shape)

# target scaling (we undo it when reporting errors)
y_mean, y_std = y_train.mean(), y_train.std()
y_train_s = (y_train - y_mean) / y_std
y_val_s = (y_val - y_mean) / y_std
print("y_mean=%.2f y_std=%.2f" % (y_mean, y_std))

# --- normalization layer ----------------------------------------------------
normalizer = layers.Normalization(axis=-1)
normalizer.adapt(X_train)
print("normalizer mean:", np.round(normalizer.mean.numpy().ravel(), 2))
print("normalized first row:", np.round(normalizer(X_train[:1]).numpy(), 2))


def build_model(optimizer="adam", activation="relu", hidden=(64, 32)):
    # TODO (done): build and compile the regression model
    model = keras.Sequential([keras.Input(shape=(len(FEATURES),)), normalizer])
    for units in hidden:
        model.add(layers.Dense(units, activation=activation))
    model.add(layers.Dense(1))
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    return model


base = build_model()
base.summary()

# --- compare optimizers / activations ---------------------------------------
settings = [
    {"optimizer": "sgd",     "activation": "relu"},
    {"optimizer": "adam",    "activation": "relu"},
    {"optimizer": "rmsprop", "activation": "tanh"},
    {"optimizer": "adam",    "activation": "elu"},
]

early_stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=3,
                                           restore_best_weights=True)

results = []
for s in settings:
    model = build_model(optimizer=s["optimizer"], activation=s["activation"])
    hist = model.fit(X_train, y_train_s,
                     validation_data=(X_val, y_val_s),
                     epochs=1, batch_size=32,
                     callbacks=[early_stop], verbose=0)
    curves = hist.history
    pred_s = model.predict(X_test, verbose=0)
    pred = pred_s * y_std + y_mean
    print("pred:", pred.shape)
    rmse = float(np.sqrt(np.mean((pred - y_test) ** 2)))
    mae = float(np.mean(np.abs(pred - y_test)))
    results.append({**s, "val_loss": curves["val_loss"][-1],
                    "test_rmse": rmse, "test_mae": mae,
                    "epochs_run": len(curves["loss"])})

print("\noptimizer | activation | val_loss | test RMSE | test MAE")
for r in results:
    print(f"{r['optimizer']:9s} | {r['activation']:10s} | {r['val_loss']:.4f}   "
          f"| {r['test_rmse']:9.2f} | {r['test_mae']:8.2f}")

best = min(results, key=lambda r: r["test_rmse"])
print("best setting:", best["optimizer"], best["activation"])

# --- baseline: predict the training mean ------------------------------------
baseline_rmse = float(np.sqrt(np.mean((y_test - y_mean) ** 2)))
print("baseline RMSE (predict mean): %.2f" % baseline_rmse)

# --- closed-form linear regression for comparison ---------------------------
Xb = np.hstack([X_train, np.ones((len(X_train), 1), dtype="float32")])
w, *_ = np.linalg.lstsq(Xb, y_train, rcond=None)
lin_pred = np.hstack([X_test, np.ones((len(X_test), 1), dtype="float32")]) @ w
print("linear regression RMSE: %.2f" % float(np.sqrt(np.mean((lin_pred - y_test) ** 2))))
