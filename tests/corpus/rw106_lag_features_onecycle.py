"""
Item-level demand: lag / rolling-window features built with numpy stride tricks,
out-of-fold target encoding for the item id, and a subclassed Keras MLP trained
with a one-cycle learning-rate callback written by hand.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops
from numpy.lib.stride_tricks import sliding_window_view

N_ITEMS = 15
N_DAYS = 120
LAGS = (1, 2, 7, 14)
ROLL_WINDOWS = (7, 28)
MAX_LOOKBACK = max(max(LAGS), max(ROLL_WINDOWS))
VALID_DAYS = 14

rng = np.random.default_rng(3)
keras.utils.set_random_seed(3)

# --- raw demand: poisson counts with item level, weekly cycle and promos ----------
item_level = rng.uniform(2, 20, N_ITEMS)
promo = (rng.random((N_ITEMS, N_DAYS)) < 0.08).astype(np.float32)
dow = np.arange(N_DAYS) % 7
weekly = 1 + 0.3 * np.sin(2 * np.pi * dow / 7)
lam = item_level[:, None] * weekly[None, :] * (1 + 0.8 * promo)
demand = rng.poisson(lam).astype(np.float32)   # (items, days)


def lag_matrix(series, lag):
    out = np.full_like(series, np.nan)
    out[:, lag:] = series[:, :-lag]
    return out


def rolling(series, window, fn):
    """Rolling stat over the *previous* `window` days (shifted by 1 so no leakage)."""
    out = np.full_like(series, np.nan)
    views = sliding_window_view(series, window, axis=1)        # (items, days-window+1, window)
    out[:, window:] = fn(views, axis=-1)[:, :-1]
    return out


features = {}
for lag in LAGS:
    features[f"lag_{lag}"] = lag_matrix(demand, lag)
for w in ROLL_WINDOWS:
    features[f"roll_mean_{w}"] = rolling(demand, w, np.mean)
    features[f"roll_std_{w}"] = rolling(demand, w, np.std)
features["roll_max_7"] = rolling(demand, 7, np.max)
features["promo"] = promo
features["dow_sin"] = np.broadcast_to(np.sin(2 * np.pi * dow / 7), demand.shape)
features["dow_cos"] = np.broadcast_to(np.cos(2 * np.pi * dow / 7), demand.shape)
features["lag7_ratio"] = features["lag_7"] / (features["roll_mean_28"] + 1.0)

feat_names = list(features)
cube = np.stack([features[k] for k in feat_names], axis=-1)[:, MAX_LOOKBACK:]  # (items, days', F)
target = demand[:, MAX_LOOKBACK:]
item_ids = np.broadcast_to(np.arange(N_ITEMS)[:, None], target.shape)
n_days_used = target.shape[1]
print(f"{len(feat_names)} features: {feat_names}")
assert not np.isnan(cube).any(), "lookback too short"

# time-based split: last VALID_DAYS days for validation
is_valid = np.zeros_like(target, dtype=bool)
is_valid[:, -VALID_DAYS:] = True


def flat(a, mask):
    return a[mask] if a.ndim == 2 else a[mask, :]


X_tr, X_va = flat(cube, ~is_valid), flat(cube, is_valid)
y_tr, y_va = flat(target, ~is_valid), flat(target, is_valid)
id_tr, id_va = flat(item_ids, ~is_valid), flat(item_ids, is_valid)

# --- out-of-fold target encoding (5 folds over training rows) --------------------
def target_encode(ids_tr, y, ids_apply, smoothing=10.0):
    prior = y.mean()
    sums = np.bincount(ids_tr, weights=y, minlength=N_ITEMS)
    counts = np.bincount(ids_tr, minlength=N_ITEMS)
    enc = (sums + smoothing * prior) / (counts + smoothing)
    return enc[ids_apply]


te_tr = np.zeros(len(y_tr), dtype=np.float32)
fold = rng.integers(0, 5, len(y_tr))
for k in range(5):
    te_tr[fold == k] = target_encode(id_tr[fold != k], y_tr[fold != k], id_tr[fold == k])
te_va = target_encode(id_tr, y_tr, id_va).astype(np.float32)

X_tr = np.column_stack([X_tr, te_tr])
X_va = np.column_stack([X_va, te_va])
# log1p on count-like columns then z-score
X_tr, X_va = np.log1p(np.abs(X_tr)) * np.sign(X_tr), np.log1p(np.abs(X_va)) * np.sign(X_va)
mu, sigma = X_tr.mean(0), X_tr.std(0) + 1e-6
X_tr, X_va = ((X_tr - mu) / sigma).astype(np.float32), ((X_va - mu) / sigma).astype(np.float32)
print("train", X_tr.shape, "valid", X_va.shape)


# --- model --------------------------------------------------------------------------
class DemandMLP(keras.Model):
    def __init__(self, hidden=(128, 64, 32), dropout=0.15, init_log_rate=0.0, **kw):
        super().__init__(**kw)
        self.blocks = []
        for h in hidden:
            self.blocks.append((layers.Dense(h), layers.BatchNormalization(), layers.Dropout(dropout)))
        # start the output at the average log-rate so early steps are sane
        self.out_layer = layers.Dense(1, bias_initializer=keras.initializers.Constant(init_log_rate))

    def call(self, x, training=False):
        for dense, bn, drop in self.blocks:
            x = drop(ops.relu(bn(dense(x), training=training)), training=training)
        # predict log-rate, exponentiate for a poisson loss
        return ops.exp(self.out_layer(x))


class OneCycle(keras.callbacks.Callback):
    def __init__(self, max_lr, total_steps, pct_start=0.3, div=25.0, final_div=1e3):
        super().__init__()
        self.max_lr, self.total = max_lr, total_steps
        self.up = int(total_steps * pct_start)
        self.start_lr, self.end_lr = max_lr / div, max_lr / final_div
        self.step, self.history = 0, []

    @staticmethod
    def _cos(a, b, pct):
        return b + (a - b) / 2 * (1 + np.cos(np.pi * pct))

    def on_train_batch_begin(self, batch, logs=None):
        if self.step < self.up:
            lr = self._cos(self.start_lr, self.max_lr, self.step / max(1, self.up))
        else:
            lr = self._cos(self.max_lr, self.end_lr, (self.step - self.up) / max(1, self.total - self.up))
        self.model.optimizer.learning_rate.assign(lr)
        self.history.append(lr)
        self.step += 1


BATCH, EPOCHS = 128, 2
steps = int(np.ceil(len(X_tr) / BATCH)) * EPOCHS
sched = OneCycle(max_lr=1e-2, total_steps=steps)

model = DemandMLP(init_log_rate=float(np.log(y_tr.mean())))
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.Poisson(),
              metrics=[keras.metrics.MeanAbsoluteError(name="mae")])
hist = model.fit(X_tr, y_tr[:, None], validation_data=(X_va, y_va[:, None]),
                 batch_size=BATCH, epochs=EPOCHS, callbacks=[sched], verbose=2)

pred = model.predict(X_va, verbose=0).ravel()
rmse = lambda a, b: float(np.sqrt(np.mean((a - b) ** 2)))
print(f"valid RMSE model={rmse(pred, y_va):.3f} | lag_7 baseline={rmse(flat(features['lag_7'][:, MAX_LOOKBACK:], is_valid), y_va):.3f}"
      f" | roll_mean_28 baseline={rmse(flat(features['roll_mean_28'][:, MAX_LOOKBACK:], is_valid), y_va):.3f}")
print(f"one-cycle lr went {sched.history[0]:.2e} -> {max(sched.history):.2e} -> {sched.history[-1]:.2e} over {len(sched.history)} steps")

# crude permutation importance on the validation set
base = rmse(pred, y_va)
names = feat_names + ["item_te"]
imp = []
for j, name in enumerate(names):
    Xp = X_va.copy()
    Xp[:, j] = rng.permutation(Xp[:, j])
    imp.append((rmse(model.predict(Xp, verbose=0).ravel(), y_va) - base, name))
for delta, name in sorted(imp, reverse=True)[:5]:
    print(f"  {name:>14s}: +{delta:.3f} RMSE when shuffled")
