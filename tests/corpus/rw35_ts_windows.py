## Store-sales forecasting: sliding windows built from a "dataframe" held in a numpy array
## columns: day, store_id, sales, onpromotion, dayofweek, oil_price
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

np.random.seed(2024)
N_STORES, N_DAYS = 6, 220
LOOKBACK, HORIZON = 28, 7

COLS = {"day": 0, "store_id": 1, "sales": 2, "onpromotion": 3, "dayofweek": 4, "oil": 5}

rows = []
oil = 60 + np.cumsum(np.random.randn(N_DAYS))
for s in range(N_STORES):
    base = 50 + 10 * s
    for d in range(N_DAYS):
        dow = d % 7
        promo = np.random.binomial(1, 0.2)
        sales = base * (1 + 0.3 * (dow >= 5)) + 15 * promo + np.random.randn() * 5 + 0.05 * d
        rows.append([d, s, sales, promo, dow, oil[d]])
data = np.asarray(rows, dtype=np.float32)
print("long-format table:", data.shape)

FEATURES = ["sales", "onpromotion", "oil"]
feat_idx = [COLS[c] for c in FEATURES]

# split on time, not rows
train_mask = data[:, COLS["day"]] < 170
mean = data[train_mask][:, feat_idx].mean(axis=0)
std = data[train_mask][:, feat_idx].std(axis=0)


def make_windows(table, lookback=LOOKBACK, horizon=HORIZON, day_range=(0, N_DAYS)):
    X, X_dow, store, Y = [], [], [], []
    for s in np.unique(table[:, COLS["store_id"]]).astype(int):
        sub = table[table[:, COLS["store_id"]] == s]
        sub = sub[np.argsort(sub[:, COLS["day"]])]
        sub = sub[(sub[:, 0] >= day_range[0]) & (sub[:, 0] < day_range[1])]
        feats = (sub[:, feat_idx] - mean) / std
        dows = sub[:, COLS["dayofweek"]].astype(np.int32)
        target = feats[:, 0]
        for t in range(lookback, len(sub) - horizon + 1):
            X.append(feats[t - lookback:t])
            X_dow.append(dows[t:t + horizon])  # known future calendar
            store.append(s)
            Y.append(target[t:t + horizon])
    return (np.stack(X), np.stack(X_dow), np.array(store, dtype=np.int32)[:, None],
            np.stack(Y).astype(np.float32))


Xtr, DOWtr, Str, Ytr = make_windows(data, day_range=(0, 170))
Xva, DOWva, Sva, Yva = make_windows(data, day_range=(170 - LOOKBACK, N_DAYS))
print("train windows", Xtr.shape, DOWtr.shape, Str.shape, Ytr.shape)
print("valid windows", Xva.shape, Yva.shape)

# sanity check vs the built-in utility for a single store
one_store = (data[data[:, 1] == 0][:, feat_idx] - mean) / std
ds_check = keras.utils.timeseries_dataset_from_array(
    one_store[:-HORIZON], targets=None, sequence_length=LOOKBACK, batch_size=32)
for b in ds_check.take(1):
    print("timeseries_dataset_from_array batch:", b.shape)


def build_forecaster(n_feats=len(FEATURES), n_stores=N_STORES):
    seq_in = keras.Input((LOOKBACK, n_feats), name="history")
    dow_in = keras.Input((HORIZON,), dtype="int32", name="future_dow")
    store_in = keras.Input((1,), dtype="int32", name="store")

    x = layers.Conv1D(32, kernel_size=5, padding="causal", activation="relu")(seq_in)
    x = layers.Conv1D(32, kernel_size=3, dilation_rate=2, padding="causal", activation="relu")(x)
    x = layers.LSTM(48, return_sequences=True)(x)
    x = layers.LSTM(24)(x)

    s = layers.Flatten()(layers.Embedding(n_stores, 3)(store_in))
    d = layers.Embedding(7, 2)(dow_in)            # (batch, HORIZON, 2)
    d = layers.Flatten()(d)

    z = layers.concatenate([x, s, d])
    z = layers.Dense(64, activation="relu")(z)
    out = layers.Dense(HORIZON, name="forecast")(z)
    return keras.Model([seq_in, dow_in, store_in], out, name="sales_forecaster")


model = build_forecaster()
model.compile(optimizer="adam", loss=keras.losses.Huber(), metrics=["mae"])
model.summary()

train_ds = (tf.data.Dataset.from_tensor_slices(((Xtr, DOWtr, Str), Ytr))
            .shuffle(2048).batch(64).prefetch(2))
valid_ds = tf.data.Dataset.from_tensor_slices(((Xva, DOWva, Sva), Yva)).batch(128)

model.fit(train_ds, validation_data=valid_ds, epochs=2, verbose=2)

pred = model.predict(valid_ds, verbose=0)
pred_sales = pred * std[0] + mean[0]
true_sales = Yva * std[0] + mean[0]
print("forecast", pred_sales.shape)
for h in range(HORIZON):
    print(f"  h+{h + 1}: MAE={np.abs(pred_sales[:, h] - true_sales[:, h]).mean():.2f}")

# naive seasonal baseline: same weekday last week
naive = Xva[:, -7:, 0] * std[0] + mean[0]
print("seasonal naive MAE:", np.abs(naive - true_sales).mean().round(2))
