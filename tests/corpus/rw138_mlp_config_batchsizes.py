#!/usr/bin/env python
"""House-price-ish regression MLP built from a config dict.

Fixed: input_shape used to be hard-coded as (10,) from an older version of the
feature set; after dropping two columns the data had 8 features and fit()
complained. Now the input shape comes from the data itself (X.shape[1:]).

Also checks the SO question "why does model.evaluate give a different number
with batch_size=1 vs batch_size=256?" - with a deterministic model it doesn't;
differences come from Dropout/BatchNorm in training mode, not from evaluate.
"""
import time

import numpy as np
import tensorflow as tf
from tensorflow.keras import Sequential, layers, optimizers, callbacks

CONFIG = {
    "n_samples": 700,
    "feature_names": ["area", "rooms", "age", "dist_center", "floor",
                      "has_garden", "noise_level", "school_score"],
    "hidden": [64, 64, 32],
    "dropout": 0.1,
    "lr": 3e-3,
    "epochs": 2,
    "fit_batch": 32,
    "eval_batches": [1, 10, 64, 256, 700],
}

np.random.seed(11)
tf.random.set_seed(11)


def synth_data(cfg):
    n, f = cfg["n_samples"], len(cfg["feature_names"])
    X = np.random.rand(n, f).astype("float32")
    coefs = np.linspace(-1.5, 2.5, f).astype("float32")
    y = X @ coefs + 0.3 * np.sin(6 * X[:, 0]) + np.random.normal(0, 0.05, n).astype("float32")
    return X, y.astype("float32")


def standardize(train, *others):
    mu, sd = train.mean(axis=0), train.std(axis=0) + 1e-7
    return [(a - mu) / sd for a in (train, *others)], (mu, sd)


def build_mlp(input_shape, cfg):
    model = Sequential(name="price_mlp")
    model.add(layers.Input(shape=input_shape))
    for units in cfg["hidden"]:
        model.add(layers.Dense(units, activation="relu"))
        if cfg["dropout"]:
            model.add(layers.Dropout(cfg["dropout"]))
    model.add(layers.Dense(1, name="price"))
    model.compile(optimizer=optimizers.Adam(cfg["lr"]), loss="mse", metrics=["mae"])
    return model


X, y = synth_data(CONFIG)
split = int(0.8 * len(X))
(X_tr, X_te), (mu, sd) = standardize(X[:split], X[split:])
y_tr, y_te = y[:split], y[split:]
print(f"train {X_tr.shape}, test {X_te.shape}")

model = build_mlp(X_tr.shape[1:], CONFIG)      # was build_mlp((10,), ...)
print("input_shape:", model.input_shape, "output_shape:", model.output_shape)
print("layer count:", len(model.layers), "->", [l.__class__.__name__ for l in model.layers])

hist = model.fit(
    X_tr, y_tr,
    validation_split=0.15,
    epochs=CONFIG["epochs"],
    batch_size=CONFIG["fit_batch"],
    callbacks=[callbacks.EarlyStopping(patience=3, restore_best_weights=True)],
    verbose=2,
)
print("history keys:", sorted(hist.history))

print("\n== evaluate() with different batch sizes ==")
rows = []
for bs in CONFIG["eval_batches"]:
    t0 = time.perf_counter()
    mse, mae = model.evaluate(X_te, y_te, batch_size=bs, verbose=0)
    rows.append((bs, mse, mae, time.perf_counter() - t0))
for bs, mse, mae, dt in rows:
    print(f"bs={bs:<4d} mse={mse:.6f} mae={mae:.6f} ({dt * 1000:.0f} ms)")
spread = max(r[1] for r in rows) - min(r[1] for r in rows)
print(f"mse spread across batch sizes: {spread:.2e}")

print("\n== predict vs predict_on_batch vs __call__ ==")
p_predict = model.predict(X_te, batch_size=16, verbose=0)
p_onbatch = model.predict_on_batch(X_te)
p_call_train = model(X_te, training=True).numpy()     # dropout ON -> differs
p_call_infer = model(X_te, training=False).numpy()
print("shapes:", p_predict.shape, p_onbatch.shape, p_call_infer.shape)
print("predict == predict_on_batch:", np.allclose(p_predict, p_onbatch, atol=1e-5))
print("predict == call(training=False):", np.allclose(p_predict, p_call_infer, atol=1e-5))
print("predict == call(training=True): ", np.allclose(p_predict, p_call_train, atol=1e-5))

# one new house, given as a plain python list in feature order
new_house = dict(zip(CONFIG["feature_names"], [0.6, 0.4, 0.2, 0.3, 0.5, 1.0, 0.1, 0.9]))
raw = np.array([new_house[k] for k in CONFIG["feature_names"]], dtype="float32")
x_new = ((raw - mu) / sd).reshape(1, -1)       # (8,) -> (1, 8)
print(f"\nnew house {raw.shape} -> {x_new.shape}: predicted price {model.predict(x_new, verbose=0).item():.3f}")
