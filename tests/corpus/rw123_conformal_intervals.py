# %% [markdown]
# # Conformal prediction intervals on top of a Keras regressor
# Two recipes, both computed in plain numpy from model predictions:
#  1. split conformal with absolute residual scores (constant width)
#  2. conformalised quantile regression (CQR) using a 3-output quantile net
# Target miscoverage alpha = 0.1  ->  we want ~90% empirical coverage.

# %%
import numpy as np
import tensorflow as tf
from tensorflow import keras

ALPHA = 0.1
QUANTILES = [ALPHA / 2, 0.5, 1 - ALPHA / 2]
N = 900
SPLITS = {"train": 0.5, "calib": 0.25, "test": 0.25}
EPOCHS = 2
BS = 32

rng = np.random.default_rng(2024)
keras.utils.set_random_seed(2024)

# %% synthetic data: heavy-tailed, heteroscedastic noise
x = rng.uniform(0, 5, size=(N, 2)).astype(np.float32)
noise_scale = 0.2 + 0.4 * x[:, 0]
y = (np.cos(x[:, 0]) * 2 + 0.5 * x[:, 1] + noise_scale * rng.standard_t(df=4, size=N)).astype(np.float32)

cuts = np.cumsum([int(N * SPLITS[k]) for k in ("train", "calib")])
idx = rng.permutation(N)
tr_idx, cal_idx, te_idx = np.split(idx, cuts)
print({k: len(v) for k, v in zip(SPLITS, (tr_idx, cal_idx, te_idx))})

x_mean, x_std = x[tr_idx].mean(0), x[tr_idx].std(0)
norm = lambda a: (a - x_mean) / x_std
X_tr, X_cal, X_te = (norm(x[i]) for i in (tr_idx, cal_idx, te_idx))
y_tr, y_cal, y_te = (y[i] for i in (tr_idx, cal_idx, te_idx))


# %% models
def mlp_trunk(inp, widths=(64, 64)):
    h = inp
    for w in widths:
        h = keras.layers.Dense(w, activation="relu")(h)
    return h


def pinball(tau):
    def loss(y_true, y_pred):
        diff = y_true - y_pred
        return tf.reduce_mean(tf.maximum(tau * diff, (tau - 1.0) * diff))
    loss.__name__ = f"pinball_{int(tau * 100)}"
    return loss


inp = keras.Input(shape=(2,))
point_model = keras.Model(inp, keras.layers.Dense(1)(mlp_trunk(inp)), name="point")
point_model.compile(keras.optimizers.Adam(5e-3), loss="mse")

q_inp = keras.Input(shape=(2,))
trunk = mlp_trunk(q_inp)
q_outputs = {f"q{int(q * 100):02d}": keras.layers.Dense(1, name=f"q{int(q * 100):02d}")(trunk)
             for q in QUANTILES}
quantile_model = keras.Model(q_inp, q_outputs, name="quantile_net")
quantile_model.compile(
    optimizer=keras.optimizers.Adam(5e-3),
    loss={name: pinball(q) for name, q in zip(q_outputs, QUANTILES)},
)

# %% train
train_ds = tf.data.Dataset.from_tensor_slices((X_tr, y_tr[:, None])).shuffle(512).batch(BS)
point_model.fit(train_ds, epochs=EPOCHS, verbose=2)

q_targets = {name: y_tr[:, None] for name in q_outputs}
quantile_model.fit(X_tr, q_targets, batch_size=BS, epochs=EPOCHS, verbose=2)


# %% conformal helpers (numpy only)
def conformal_quantile(scores, alpha):
    n = len(scores)
    level = min(1.0, np.ceil((n + 1) * (1 - alpha)) / n)
    return np.quantile(scores, level, method="higher")


def coverage_and_width(lo, hi, y_true):
    return float(np.mean((y_true >= lo) & (y_true <= hi))), float(np.mean(hi - lo))


def report(name, lo, hi):
    cov, width = coverage_and_width(lo, hi, y_te)
    print(f"{name:<22} coverage={cov:.3f} (target {1 - ALPHA:.2f})  mean width={width:.3f}")
    return cov, width


# %% 1) split conformal with |y - f(x)|
f_cal = point_model.predict(X_cal, verbose=0).ravel()
f_te = point_model.predict(X_te, verbose=0).ravel()
q_hat = conformal_quantile(np.abs(y_cal - f_cal), ALPHA)
print(f"split-conformal radius q_hat={q_hat:.3f}")
results = {"split": report("split conformal", f_te - q_hat, f_te + q_hat)}

# %% 2) CQR
def predict_quantiles(X):
    out = quantile_model.predict(X, verbose=0)
    lo, med, hi = (out[f"q{int(q * 100):02d}"].ravel() for q in QUANTILES)
    # quantile crossing can happen after short training: sort per row
    stacked = np.sort(np.stack([lo, med, hi], axis=1), axis=1)
    return stacked[:, 0], stacked[:, 1], stacked[:, 2]


lo_cal, _, hi_cal = predict_quantiles(X_cal)
lo_te, med_te, hi_te = predict_quantiles(X_te)
report("raw quantile net", lo_te, hi_te)
cqr_scores = np.maximum(lo_cal - y_cal, y_cal - hi_cal)
q_cqr = conformal_quantile(cqr_scores, ALPHA)
print(f"CQR correction q_hat={q_cqr:+.3f}")
results["cqr"] = report("CQR", lo_te - q_cqr, hi_te + q_cqr)

# %% conditional coverage by input region (x0 drives the noise level)
x0_te = x[te_idx, 0]
bins = np.digitize(x0_te, [5 / 3, 10 / 3])
for b, label in enumerate(["low noise", "mid noise", "high noise"]):
    m = bins == b
    c_split, _ = coverage_and_width(f_te[m] - q_hat, f_te[m] + q_hat, y_te[m])
    c_cqr, w_cqr = coverage_and_width(lo_te[m] - q_cqr, hi_te[m] + q_cqr, y_te[m])
    print(f"  {label:<10} n={m.sum():3d}  split cov={c_split:.2f}  CQR cov={c_cqr:.2f} (width {w_cqr:.2f})")

# %% repeated random calib/test re-splits to see the coverage distribution
all_scores = np.abs(np.concatenate([y_cal, y_te]) - np.concatenate([f_cal, f_te]))
covs = []
for r in range(200):
    perm = np.random.default_rng(r).permutation(len(all_scores))
    c, t = perm[: len(y_cal)], perm[len(y_cal):]
    covs.append(np.mean(all_scores[t] <= conformal_quantile(all_scores[c], ALPHA)))
print(f"split-conformal coverage over 200 re-splits: mean={np.mean(covs):.3f} "
      f"5%={np.quantile(covs, 0.05):.3f} 95%={np.quantile(covs, 0.95):.3f}")
