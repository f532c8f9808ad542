"""Retail demand forecasting with quantile outputs.

Store + item ids -> embeddings, a GRU over the last LOOKBACK days of sales
(with a few calendar covariates), and a Dense head predicting P10/P50/P90
for the next HORIZON days. Trained with the pinball loss.
"""
import argparse

import numpy as np
import tensorflow as tf
import keras
from keras import layers
from tensorflow.keras.layers import Embedding, GRU

QUANTILES = [0.1, 0.5, 0.9]


def get_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n_stores", type=int, default=4)
    ap.add_argument("--n_items", type=int, default=8)
    ap.add_argument("--days", type=int, default=120)
    ap.add_argument("--lookback", type=int, default=28)
    ap.add_argument("--horizon", type=int, default=7)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=5)
    args, _ = ap.parse_known_args()
    return args


def simulate_sales(n_stores, n_items, days, seed=3):
    """Returns a dict of columns in 'long' format, one row per (store, item, day)."""
    rng = np.random.default_rng(seed)
    dates = np.datetime64("2023-01-01") + np.arange(days)
    # 1970-01-01 was a Thursday -> shift so Monday == 0
    dow = (dates.astype(np.int64) + 3) % 7
    store_scale = rng.uniform(0.5, 2.0, n_stores)
    item_base = rng.gamma(2.0, 5.0, n_items)
    dow_effect = np.array([0.9, 0.85, 0.9, 1.0, 1.2, 1.4, 1.1])
    cols = {"date": [], "dow": [], "store": [], "item": [], "sales": [], "promo": []}
    for s in range(n_stores):
        for i in range(n_items):
            lam = store_scale[s] * item_base[i] * dow_effect[dow]
            lam = lam * (1 + 0.002 * np.arange(days))  # slow trend
            promo = rng.random(days) < 0.08
            lam = np.where(promo, lam * 1.6, lam)
            cols["date"].append(dates)
            cols["dow"].append(dow)
            cols["store"].append(np.full(days, s))
            cols["item"].append(np.full(days, i))
            cols["sales"].append(rng.poisson(lam))
            cols["promo"].append(promo.astype(np.int8))
    return {k: np.concatenate(v) for k, v in cols.items()}


def build_windows(data, lookback, horizon):
    """Turn the long table into (ids, lag features, targets) windows."""
    store_ids, item_ids, lags, targets = [], [], [], []
    keys = np.unique(np.stack([data["store"], data["item"]], axis=1), axis=0)
    for s, i in keys:
        sel = (data["store"] == s) & (data["item"] == i)
        order = np.argsort(data["date"][sel])
        sales = np.log1p(data["sales"][sel][order].astype(np.float32))
        dow = data["dow"][sel][order]
        feats = np.column_stack([
            sales,
            data["promo"][sel][order].astype(np.float32),
            np.sin(2 * np.pi * dow / 7), np.cos(2 * np.pi * dow / 7),
        ]).astype(np.float32)
        for start in range(0, len(sales) - lookback - horizon + 1, 3):
            end = start + lookback
            lags.append(feats[start:end])
            targets.append(sales[end:end + horizon])
            store_ids.append(s)
            item_ids.append(i)
    return (np.array(store_ids, dtype=np.int32), np.array(item_ids, dtype=np.int32),
            np.stack(lags), np.stack(targets))


def pinball_loss(quantiles):
    q = tf.constant(quantiles, dtype=tf.float32)

    def loss(y_true, y_pred):
        # y_true (B, H), y_pred (B, H, Q)
        err = tf.expand_dims(y_true, -1) - y_pred
        return tf.reduce_mean(tf.maximum(q * err, (q - 1.0) * err))

    loss.__name__ = "pinball"
    return loss


class SortQuantiles(layers.Layer):
    """Cheap fix for quantile crossing: predict a base + positive increments."""

    def call(self, x):
        base = x[..., :1]
        incr = tf.nn.softplus(x[..., 1:])
        return tf.concat([base, base + tf.cumsum(incr, axis=-1)], axis=-1)


def build_model(n_stores, n_items, lookback, n_feats, horizon, n_q):
    store_in = keras.Input(shape=(), dtype="int32", name="store")
    item_in = keras.Input(shape=(), dtype="int32", name="item")
    lag_in = keras.Input(shape=(lookback, n_feats), name="lags")

    store_emb = Embedding(n_stores, 4, name="store_emb")(store_in)
    item_emb = Embedding(n_items, 8, name="item_emb")(item_in)
    static = layers.Concatenate(name="static")([store_emb, item_emb])

    # broadcast the static context along time and feed it with the lags
    static_seq = layers.RepeatVector(lookback)(static)
    seq = layers.Concatenate(axis=-1)([lag_in, static_seq])
    h = GRU(32, return_sequences=True, name="gru_1")(seq)
    h = GRU(32, name="gru_2")(h)

    z = layers.Concatenate()([h, static])
    z = layers.Dense(64, activation="relu")(z)
    z = layers.Dense(horizon * n_q)(z)
    z = layers.Reshape((horizon, n_q))(z)
    out = SortQuantiles(name="quantiles")(z)
    return keras.Model([store_in, item_in, lag_in], out, name="demand_qgru")


def coverage(y_true, y_pred, lo=0, hi=-1):
    inside = (y_true >= y_pred[..., lo]) & (y_true <= y_pred[..., hi])
    return float(inside.mean())


def main():
    args = get_args()
    keras.utils.set_random_seed(11)
    data = simulate_sales(args.n_stores, args.n_items, args.days)
    print("first rows:", [(str(data["date"][k]), int(data["sales"][k])) for k in range(3)])
    s_ids, i_ids, lags, y = build_windows(data, args.lookback, args.horizon)
    print(f"windows={len(y)} lag tensor={lags.shape} target={y.shape}")

    # time-ordered split would be better, random is ok for a smoke test
    idx = np.random.permutation(len(y))
    cut = int(0.85 * len(idx))
    tr, te = idx[:cut], idx[cut:]

    def to_ds(ix, shuffle):
        ds = tf.data.Dataset.from_tensor_slices(
            ({"store": s_ids[ix], "item": i_ids[ix], "lags": lags[ix]}, y[ix]))
        if shuffle:
            ds = ds.shuffle(len(ix))
        return ds.batch(args.batch).prefetch(tf.data.AUTOTUNE)

    model = build_model(args.n_stores, args.n_items, args.lookback, lags.shape[-1],
                        args.horizon, len(QUANTILES))
    model.compile(optimizer=keras.optimizers.Adam(3e-3, clipnorm=1.0),
                  loss=pinball_loss(QUANTILES))
    model.fit(to_ds(tr, True), epochs=1, steps_per_epoch=args.steps, verbose=2)

    preds = model.predict(to_ds(te, False), verbose=0)
    y_te = np.expm1(y[te])
    p_te = np.expm1(preds)
    mae_p50 = np.abs(y_te - p_te[..., 1]).mean()
    print(f"test P50 MAE (units): {mae_p50:.2f}, P10-P90 coverage: {coverage(y_te, p_te):.2%}")
    print("store embedding matrix:", model.get_layer("store_emb").get_weights()[0].shape)


if __name__ == "__main__":
    main()
