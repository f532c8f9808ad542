"""Google Brain Ventilator Pressure - stacked BiLSTM on per-breath sequences.

Re-implementation of the popular "LSTM + feature engineering" notebook in pure numpy
(no pandas groupby). Highlights:
  * lag / diff / cumsum / rolling features computed on a (breaths, 80, F) tensor
  * R/C one-hot, GroupKFold by breath
  * loss = MAE masked to the inspiratory phase (u_out == 0), which is what the metric scores
  * fold median ensemble + snap predictions to the discrete pressure grid
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


class Config:
    seed = 42
    n_breaths = 240
    seq_len = 80
    n_test_breaths = 60
    folds = 3
    epochs = 1
    batch_size = 32
    lstm_units = (64, 32)
    lr = 2e-3
    R_vals = (5, 20, 50)
    C_vals = (10, 20, 50)


CFG = Config()
keras.utils.set_random_seed(CFG.seed)

# pressure in the real data lives on a grid of 950 unique values
PRESSURE_MIN, PRESSURE_MAX, PRESSURE_STEP = -1.895744294564641, 64.8209917386395, 0.07030214545121005
PRESSURE_GRID = np.arange(PRESSURE_MIN, PRESSURE_MAX + PRESSURE_STEP, PRESSURE_STEP).astype("float32")


# ---------------------------------------------------------------------------
# simulate breaths
# ---------------------------------------------------------------------------
def simulate(n_breaths, rng):
    T = CFG.seq_len
    t = np.tile(np.linspace(0, 2.6, T, dtype="float32"), (n_breaths, 1))
    t += rng.normal(0, 0.002, size=t.shape).astype("float32")
    R = rng.choice(CFG.R_vals, size=n_breaths)
    C = rng.choice(CFG.C_vals, size=n_breaths)
    u_out = (np.arange(T)[None, :] >= rng.integers(28, 34, size=(n_breaths, 1))).astype("float32")
    u_in = np.abs(rng.normal(10, 8, size=(n_breaths, 1)) * np.exp(-np.arange(T)[None, :] / 15.0))
    u_in = (u_in * (1 - u_out)).astype("float32")
    # a toy RC lung: pressure integrates flow / C and adds R * flow
    dt = np.diff(t, axis=1, prepend=t[:, :1])
    vol = np.cumsum(u_in * dt, axis=1)
    p = 5 + vol * (50.0 / C[:, None]) + u_in * (R[:, None] / 20.0)
    p = p * (1 - u_out) + (5 + rng.normal(0, 0.3, size=p.shape)) * u_out
    p = PRESSURE_GRID[np.clip(np.searchsorted(PRESSURE_GRID, p), 0, len(PRESSURE_GRID) - 1)]
    return t, u_in, u_out, R, C, p.astype("float32")


rng = np.random.default_rng(CFG.seed)
tr_t, tr_uin, tr_uout, tr_R, tr_C, tr_p = simulate(CFG.n_breaths, rng)
te_t, te_uin, te_uout, te_R, te_C, _ = simulate(CFG.n_test_breaths, rng)
breath_id = np.arange(CFG.n_breaths)
print("train seqs", tr_uin.shape, "pressure range", tr_p.min(), tr_p.max())


# ---------------------------------------------------------------------------
# feature engineering on (B, T) arrays
# ---------------------------------------------------------------------------
def shift(a, k):
    """shift along time like groupby('breath_id').shift(k), filling with 0."""
    out = np.zeros_like(a)
    if k > 0:
        out[:, k:] = a[:, :-k]
    else:
        out[:, :k] = a[:, -k:]
    return out


def rolling_mean(a, w):
    c = np.cumsum(np.pad(a, ((0, 0), (w, 0))), axis=1)
    return (c[:, w:] - c[:, :-w]) / w


def one_hot(vals, choices):
    return (np.asarray(vals)[:, None] == np.asarray(choices)[None, :]).astype("float32")


def add_features(t, u_in, u_out, R, C):
    B, T = u_in.shape
    dt = np.diff(t, axis=1, prepend=t[:, :1])
    feats = {
        "time_step": t,
        "u_in": u_in,
        "u_out": u_out,
        "area": np.cumsum(t * u_in, axis=1),
        "u_in_cumsum": np.cumsum(u_in, axis=1),
        "vol": np.cumsum(u_in * dt, axis=1),
        "u_in_diff1": u_in - shift(u_in, 1),
        "u_in_diff2": u_in - shift(u_in, 2),
        "u_in_back1": shift(u_in, -1),
        "u_in_roll4": rolling_mean(u_in, 4),
        "u_in_max": np.repeat(u_in.max(1, keepdims=True), T, 1),
        "u_in_mean": np.repeat(u_in.mean(1, keepdims=True), T, 1),
        "R*C": np.repeat((R * C)[:, None].astype("float32"), T, 1),
        "R/C": np.repeat((R / C)[:, None].astype("float32"), T, 1),
    }
    for lag in (1, 2, 3):
        feats[f"u_in_lag{lag}"] = shift(u_in, lag)
        feats[f"u_out_lag{lag}"] = shift(u_out, lag)
    names = list(feats)
    X = np.stack([feats[k] for k in names], axis=-1)                       # (B, T, F)
    # static one-hots broadcast over time
    rc = np.concatenate([one_hot(R, CFG.R_vals), one_hot(C, CFG.C_vals)], 1)  # (B, 6)
    X = np.concatenate([X, np.repeat(rc[:, None, :], T, axis=1)], axis=-1)
    names += [f"R_{r}" for r in CFG.R_vals] + [f"C_{c}" for c in CFG.C_vals]
    return X.astype("float32"), names


X_train, feat_names = add_features(tr_t, tr_uin, tr_uout, tr_R, tr_C)
X_test, _ = add_features(te_t, te_uin, te_uout, te_R, te_C)

# RobustScaler equivalent, fit on flattened train rows
flat = X_train.reshape(-1, X_train.shape[-1])
med = np.median(flat, axis=0)
iqr = np.percentile(flat, 75, axis=0) - np.percentile(flat, 25, axis=0)
iqr[iqr == 0] = 1.0
X_train = (X_train - med) / iqr
X_test = (X_test - med) / iqr
N_FEATS = X_train.shape[-1]
print(f"{N_FEATS} features:", ", ".join(feat_names[:8]), "...")

# target + mask packed together so the loss can see u_out
Y_train = np.stack([tr_p, tr_uout], axis=-1)  # (B, T, 2)


# ---------------------------------------------------------------------------
# model
# ---------------------------------------------------------------------------
def masked_mae(y_true, y_pred):
    p_true = y_true[..., 0]
    w = 1.0 - y_true[..., 1]                      # only inspiratory phase counts
    err = ops.abs(p_true - ops.squeeze(y_pred, -1)) * w
    return ops.sum(err) / (ops.sum(w) + 1e-6)


class InspMAE(keras.metrics.Metric):
    def __init__(self, name="insp_mae", **kw):
        super().__init__(name=name, **kw)
        self.total = self.add_weight(name="total", initializer="zeros")
        self.count = self.add_weight(name="count", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        w = 1.0 - y_true[..., 1]
        self.total.assign_add(ops.sum(ops.abs(y_true[..., 0] - y_pred[..., 0]) * w))
        self.count.assign_add(ops.sum(w))

    def result(self):
        return self.total / (self.count + 1e-6)

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)


def build_lstm(n_feats, units=CFG.lstm_units):
    inp = layers.Input(shape=(CFG.seq_len, n_feats))
    x = layers.Dense(64, activation="selu")(inp)
    skips = []
    for u in units:
        x = layers.Bidirectional(layers.LSTM(u, return_sequences=True))(x)
        skips.append(x)
    x = layers.Concatenate(axis=-1)(skips)          # (B, T, sum(2u))
    x = layers.LayerNormalization()(x)
    x = layers.Dense(64, activation="selu")(x)
    out = layers.Dense(1)(x)                         # (B, T, 1)
    m = keras.Model(inp, out, name="vent_bilstm")
    m.compile(optimizer=keras.optimizers.Adam(CFG.lr), loss=masked_mae, metrics=[InspMAE()])
    return m


def group_kfold(groups, n_splits, seed):
    uniq = np.unique(groups)
    np.random.RandomState(seed).shuffle(uniq)
    for k, chunk in enumerate(np.array_split(uniq, n_splits)):
        va = np.isin(groups, chunk)
        yield k, np.where(~va)[0], np.where(va)[0]


def snap_to_grid(p):
    idx = np.clip(np.searchsorted(PRESSURE_GRID, p), 1, len(PRESSURE_GRID) - 1)
    left, right = PRESSURE_GRID[idx - 1], PRESSURE_GRID[idx]
    return np.where(np.abs(p - left) < np.abs(p - right), left, right)


# ---------------------------------------------------------------------------
# train
# ---------------------------------------------------------------------------
oof = np.zeros_like(tr_p)
test_preds = []
for fold, tr_idx, va_idx in group_kfold(breath_id, CFG.folds, CFG.seed):
    keras.backend.clear_session()
    model = build_lstm(N_FEATS)
    if fold == 0:
        model.summary()
    lr_cb = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=10, verbose=0)
    model.fit(X_train[tr_idx], Y_train[tr_idx],
              validation_data=(X_train[va_idx], Y_train[va_idx]),
              epochs=CFG.epochs, batch_size=CFG.batch_size, callbacks=[lr_cb], verbose=2)
    oof[va_idx] = model.predict(X_train[va_idx], batch_size=128, verbose=0)[..., 0]
    test_preds.append(model.predict(X_test, batch_size=128, verbose=0)[..., 0])
    insp = tr_uout[va_idx] == 0
    print(f"fold {fold}: insp MAE {np.abs(oof[va_idx] - tr_p[va_idx])[insp].mean():.4f}")

insp = tr_uout == 0
mae_raw = np.abs(oof - tr_p)[insp].mean()
mae_snap = np.abs(snap_to_grid(oof) - tr_p)[insp].mean()
print(f"OOF insp MAE raw={mae_raw:.4f} snapped={mae_snap:.4f}")

test_stack = np.stack(test_preds, 0)             # (folds, B, T)
final = snap_to_grid(np.median(test_stack, axis=0))
print("test pred", final.shape, "-> flattened rows", final.reshape(-1).shape)
