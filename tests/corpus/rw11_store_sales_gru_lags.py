#!/usr/bin/env python
# coding: utf-8
"""Store Item Demand Forecasting (Kaggle-style notebook export).

Daily sales for several store/item series. Builds lag + rolling-mean +
calendar features in numpy, slices them into sliding windows, trains a
GRU that predicts the next day's (scaled) sales, then rolls the model
forward recursively to forecast a short horizon for every series.
"""

# In[1]:


import numpy as np
import tensorflow as tf
import keras
from keras import layers

np.random.seed(7)
keras.utils.set_random_seed(7)


# In[2]:


N_SERIES = 6
N_DAYS = 220
HORIZON = 7
t = np.arange(N_DAYS)
base = np.random.uniform(20, 60, size=(N_SERIES, 1))
weekly = 8 * np.sin(2 * np.pi * t / 7)[None, :]
trend = 0.05 * t[None, :]
sales = base + weekly + trend + np.random.normal(0, 3, size=(N_SERIES, N_DAYS))
sales = np.clip(sales, 0, None).astype("float32")
print("sales", sales.shape)


# In[3]:


# per-series scaling
s_mean = sales.mean(axis=1, keepdims=True)
s_std = sales.std(axis=1, keepdims=True)
sales_sc = (sales - s_mean) / s_std

LAGS = [1, 7, 14]
ROLL = [7, 28]
MAX_SHIFT = 28


def build_features(series_sc):
    """series_sc: (n_series, n_days) -> (n_series, n_days, n_feat)"""
    n_s, n_d = series_sc.shape
    feats = [series_sc[..., None]]
    for lag in LAGS:
        lagged = np.full_like(series_sc, np.nan)
        lagged[:, lag:] = series_sc[:, :-lag]
        feats.append(lagged[..., None])
    csum = np.concatenate([np.zeros((n_s, 1)), np.cumsum(series_sc, axis=1)], axis=1)
    for w in ROLL:
        rm = np.full_like(series_sc, np.nan)
        rm[:, w - 1:] = (csum[:, w:] - csum[:, :-w]) / w
        feats.append(rm[..., None])
    dow = np.arange(n_d) % 7
    dow_oh = np.eye(7, dtype="float32")[dow]
    feats.append(np.broadcast_to(dow_oh, (n_s, n_d, 7)))
    return np.concatenate(feats, axis=-1).astype("float32")


F = build_features(sales_sc)
F = F[:, MAX_SHIFT:]          # drop warm-up rows with NaN lags
target = sales_sc[:, MAX_SHIFT:]
print("features", F.shape, "nan?", np.isnan(F).any())


# In[4]:


WINDOW = 21

def make_windows(F, target, window):
    X, Y = [], []
    for s in range(F.shape[0]):
        for i in range(F.shape[1] - window):
            X.append(F[s, i:i + window])
            Y.append(target[s, i + window])
    return np.array(X), np.array(Y)[:, None]

# time-based split: last 30 days of each series are validation
F_tr, F_va = F[:, :-30], F[:, -30 - WINDOW:]
T_tr, T_va = target[:, :-30], target[:, -30 - WINDOW:]
X_train, y_train = make_windows(F_tr, T_tr, WINDOW)
X_val, y_val = make_windows(F_va, T_va, WINDOW)
print(X_train.shape, y_train.shape, X_val.shape, y_val.shape)


# In[5]:


n_feat = X_train.shape[-1]
inp = keras.Input(shape=(WINDOW, n_feat))
x = layers.GRU(48, return_sequences=True)(inp)
x = layers.GRU(24)(x)
x = layers.Dense(16, activation="relu")(x)
out = layers.Dense(1)(x)
model = keras.Model(inp, out, name="sales_gru")
model.compile(optimizer=keras.optimizers.Adam(2e-3), loss=keras.losses.Huber(),
              metrics=["mae"])
model.summary()


# In[6]:


train_ds = (tf.data.Dataset.from_tensor_slices((X_train, y_train))
            .shuffle(1024).batch(64).prefetch(tf.data.AUTOTUNE))
val_ds = tf.data.Dataset.from_tensor_slices((X_val, y_val)).batch(128)
history = model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)


# In[7]:


# recursive multi-step forecast: append each prediction and rebuild features
hist_sc = sales_sc.copy()
forecast = np.zeros((N_SERIES, HORIZON), dtype="float32")
for h in range(HORIZON):
    ext = np.concatenate([hist_sc, np.zeros((N_SERIES, 1), "float32")], axis=1)
    F_ext = build_features(ext)
    last_window = F_ext[:, -WINDOW - 1:-1]
    step = model.predict(last_window, verbose=0)[:, 0]
    forecast[:, h] = step
    hist_sc = np.concatenate([hist_sc, step[:, None]], axis=1)

forecast = forecast * s_std + s_mean
print("forecast (units):", forecast.shape)
print(np.round(forecast[:3], 1))


# In[8]:


def smape(a, f):
    return 100 * np.mean(2 * np.abs(f - a) / (np.abs(a) + np.abs(f) + 1e-8))

val_pred = model.predict(X_val, verbose=0)
print("val SMAPE (scaled space):", round(float(smape(y_val, val_pred)), 2))
submission = np.column_stack([np.arange(forecast.size), forecast.ravel()])
print(submission[:4], submission.shape)
