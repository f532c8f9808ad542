"""MoA-style multilabel stacking notebook.

Level 1 (all trained on the same folds, OOF saved):
    - mlp       : plain BN/Dropout/WeightNorm-ish MLP
    - cnn1d     : the "1D-CNN for tabular" trick (dense -> reshape -> conv1d)
    - dae_mlp   : swap-noise denoising autoencoder features (Porto Seguro trick) + MLP
Level 2:
    - rank average, Caruana hill-climbing blend, and a tiny Keras stacker that learns
      per-target softmax weights over the level-1 models.
Synthetic gene/cell features, 8 targets.
"""
import time
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 0
N, N_TEST = 800, 200
N_GENES, N_CELLS = 24, 8
N_TARGETS = 8
K = 2
EPOCHS = 2
BS = 64
P_MIN, P_MAX = 0.0005, 0.9995   # clipping used for the final submission

tf.keras.utils.set_random_seed(SEED)

# --------------------------------------------------------------------- data
rs = np.random.RandomState(SEED)
genes = rs.randn(N + N_TEST, N_GENES).astype("float32")
cells = (rs.randn(N + N_TEST, N_CELLS) * 0.5 + 0.3 * genes[:, :N_CELLS]).astype("float32")
cp_time = rs.choice([24, 48, 72], N + N_TEST)
cp_dose = rs.randint(0, 2, N + N_TEST)
is_ctl = rs.rand(N + N_TEST) < 0.08            # cp_type == "ctl_vehicle"
W = rs.randn(N_GENES + N_CELLS, N_TARGETS) * 0.6
logit = np.concatenate([genes, cells], 1) @ W - 3.0
Y_all = (rs.rand(N + N_TEST, N_TARGETS) < 1 / (1 + np.exp(-logit))).astype("float32")
Y_all[is_ctl] = 0.0                            # controls never have MoA

# feature engineering: summary stats across gene/cell blocks + one-hots
def block_stats(a):
    return np.stack([a.mean(1), a.std(1), a.min(1), a.max(1),
                     np.sort(a, axis=1)[:, a.shape[1] // 2]], axis=1)   # median via sort


onehot_time = (cp_time[:, None] == np.array([24, 48, 72])[None]).astype("float32")
X_all = np.concatenate([genes, cells, block_stats(genes), block_stats(cells),
                        onehot_time, cp_dose[:, None].astype("float32")], axis=1)
# quantile -> gaussian ("RankGauss") transform, fit on all rows like most public kernels
ranks = X_all.argsort(0).argsort(0).astype("float64")
u = (ranks + 0.5) / len(X_all)
u = np.clip(u, 1e-3, 1 - 1e-3)
gauss = np.sqrt(2.0) * tf.math.erfinv(tf.constant(2 * u - 1)).numpy()
n_cont = N_GENES + N_CELLS + 10                  # don't rank-gauss the one-hots
X_all = np.concatenate([gauss[:, :n_cont], X_all[:, n_cont:]], axis=1).astype("float32")
X, X_test = X_all[:N], X_all[N:]
Y = Y_all[:N]
N_FEAT = X.shape[1]
print("X", X.shape, "Y", Y.shape, "positive rate per target:", np.round(Y.mean(0), 3))


def mean_logloss(y, p):
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


# --------------------------------------------------------------------- level-1 factories
def mlp(n_in, hidden=(256, 128), drop=0.25):
    inp = keras.Input((n_in,))
    x = layers.BatchNormalization()(inp)
    for h in hidden:
        x = layers.Dropout(drop)(x)
        x = layers.Dense(h, activation="elu",
                         kernel_regularizer=keras.regularizers.l2(1e-5))(x)
        x = layers.BatchNormalization()(x)
    out = layers.Dense(N_TARGETS, activation="sigmoid")(x)
    return keras.Model(inp, out)


def cnn1d(n_in, ch=16, width=32):
    """dense -> reshape to (width, ch) 'signal' -> conv1d stack -> flatten."""
    inp = keras.Input((n_in,))
    x = layers.BatchNormalization()(inp)
    x = layers.Dense(width * ch, activation="celu")(x)
    x = layers.Reshape((width, ch))(x)
    x = layers.Conv1D(ch * 2, 5, padding="same", activation="relu")(x)
    x = layers.AveragePooling1D(2)(x)                  # width/2
    shortcut = x
    x = layers.Conv1D(ch * 2, 3, padding="same", activation="relu")(x)
    x = layers.Conv1D(ch * 2, 3, padding="same", activation="relu")(x)
    x = layers.Multiply()([x, shortcut])               # the weird residual-multiply from the 2nd-place sol
    x = layers.MaxPooling1D(4, strides=2, padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.2)(x)
    out = layers.Dense(N_TARGETS, activation="sigmoid")(x)
    return keras.Model(inp, out)


class SwapNoise(layers.Layer):
    """Replace each cell with the value from a random row of the batch with prob p."""

    def __init__(self, p=0.15, **kw):
        super().__init__(**kw)
        self.p = p

    def call(self, x, training=None):
        if not training:
            return x
        b = tf.shape(x)[0]
        f = tf.shape(x)[1]
        rand_rows = tf.random.uniform((b, f), 0, b, dtype=tf.int32)
        cols = tf.broadcast_to(tf.range(f)[None, :], (b, f))
        swapped = tf.gather_nd(x, tf.stack([rand_rows, cols], axis=-1))
        mask = tf.random.uniform((b, f)) < self.p
        return tf.where(mask, swapped, x)


def train_dae(x_unlabeled, bottleneck=64, epochs=EPOCHS):
    inp = keras.Input((x_unlabeled.shape[1],))
    h = SwapNoise(0.15)(inp)
    h1 = layers.Dense(128, activation="relu", name="dae_h1")(h)
    h2 = layers.Dense(bottleneck, activation="relu", name="dae_h2")(h1)
    h3 = layers.Dense(128, activation="relu", name="dae_h3")(h2)
    rec = layers.Dense(x_unlabeled.shape[1])(h3)
    dae = keras.Model(inp, rec)
    dae.compile(optimizer="adam", loss="mse")
    dae.fit(x_unlabeled, x_unlabeled, batch_size=BS, epochs=epochs, verbose=0)
    # encoder = concat of all hidden activations (as in the 1st place Porto solution)
    encoder = keras.Model(inp, layers.Concatenate()([h1, h2, h3]), name="dae_encoder")
    print("DAE recon mse: %.4f" % dae.evaluate(x_unlabeled, x_unlabeled, verbose=0))
    return encoder


t0 = time.time()
dae_encoder = train_dae(X_all)          # unsupervised -> can use train+test
D_train = dae_encoder.predict(X, batch_size=256, verbose=0)
D_test = dae_encoder.predict(X_test, batch_size=256, verbose=0)
print("DAE features", D_train.shape, f"({time.time() - t0:.1f}s)")

MODEL_ZOO = {
    "mlp": dict(factory=lambda: mlp(N_FEAT), data=(X, X_test), lr=1e-3),
    "cnn1d": dict(factory=lambda: cnn1d(N_FEAT), data=(X, X_test), lr=2e-3),
    "dae_mlp": dict(factory=lambda: mlp(D_train.shape[1], hidden=(128,), drop=0.3),
                    data=(D_train, D_test), lr=1e-3),
}


# --------------------------------------------------------------------- multilabel stratified folds (crude)
def ml_folds(Y, k, seed=SEED):
    # stratify on the rarest positive label of each row; rows with none get bucket -1
    rare_order = np.argsort(Y.sum(0))
    key = np.full(len(Y), -1)
    for t in rare_order[::-1]:
        key[Y[:, t] == 1] = t
    fid = np.zeros(len(Y), int)
    r = np.random.RandomState(seed)
    for g in np.unique(key):
        ids = np.where(key == g)[0]
        r.shuffle(ids)
        fid[ids] = np.arange(len(ids)) % k
    return fid


fold_id = ml_folds(Y, K)
oof = {name: np.zeros_like(Y) for name in MODEL_ZOO}
sub = {name: np.zeros((N_TEST, N_TARGETS), "float32") for name in MODEL_ZOO}

for name, spec in MODEL_ZOO.items():
    Xtr_full, Xte = spec["data"]
    for k in range(K):
        tr, va = fold_id != k, fold_id == k
        model = spec["factory"]()
        model.compile(optimizer=keras.optimizers.Adam(spec["lr"]),
                      loss=keras.losses.BinaryCrossentropy(label_smoothing=0.001))
        model.fit(Xtr_full[tr], Y[tr], validation_data=(Xtr_full[va], Y[va]),
                  epochs=EPOCHS, batch_size=BS, verbose=0,
                  callbacks=[keras.callbacks.ReduceLROnPlateau(factor=0.1, patience=3)])
        oof[name][va] = model.predict(Xtr_full[va], batch_size=256, verbose=0)
        sub[name] += model.predict(Xte, batch_size=256, verbose=0) / K
    print(f"{name:8s} OOF logloss: {mean_logloss(Y, oof[name]):.5f}")

names = list(MODEL_ZOO)
O = np.stack([oof[n] for n in names], 0)      # (M, N, T)
S = np.stack([sub[n] for n in names], 0)      # (M, N_TEST, T)

# --------------------------------------------------------------------- level 2a: simple / rank average
print("mean blend  :", round(mean_logloss(Y, O.mean(0)), 5))
rank = O.argsort(1).argsort(1) / (N - 1)
print("rank avg (not calibrated, just for reference):", round(mean_logloss(Y, np.clip(rank.mean(0), 0.01, 0.99)), 5))


# --------------------------------------------------------------------- level 2b: Caruana hill climbing
def hill_climb(O, y, iters=15):
    chosen = [int(np.argmin([mean_logloss(y, o) for o in O]))]
    for _ in range(iters):
        cur = O[chosen].mean(0)
        scores = [mean_logloss(y, (cur * len(chosen) + O[m]) / (len(chosen) + 1)) for m in range(len(O))]
        chosen.append(int(np.argmin(scores)))
    w = np.bincount(chosen, minlength=len(O)) / len(chosen)
    return w


w_hc = hill_climb(O, Y)
print("hill-climb weights:", {n: round(float(w), 3) for n, w in zip(names, w_hc)},
      "-> logloss", round(mean_logloss(Y, np.tensordot(w_hc, O, axes=1)), 5))


# --------------------------------------------------------------------- level 2c: keras stacker
class PerTargetSoftmaxBlend(layers.Layer):
    """inputs (B, M, T) -> (B, T); weights (M, T) softmax-normalized over models, applied in logit space."""

    def build(self, input_shape):
        m, t = input_shape[1], input_shape[2]
        self.logits = self.add_weight(shape=(m, t), initializer="zeros", name="blend_logits")
        self.bias = self.add_weight(shape=(t,), initializer="zeros", name="blend_bias")
        self.temp = self.add_weight(shape=(t,), initializer="ones", name="temperature")

    def call(self, p):
        w = tf.nn.softmax(self.logits, axis=0)                  # (M, T)
        p = tf.clip_by_value(p, 1e-6, 1 - 1e-6)
        z = tf.math.log(p) - tf.math.log1p(-p)                  # logit
        z = tf.reduce_sum(z * w[None], axis=1)                  # (B, T)
        return tf.sigmoid(z * self.temp + self.bias)


stack_in = keras.Input((len(names), N_TARGETS))
blend = PerTargetSoftmaxBlend(name="blend")
stacker = keras.Model(stack_in, blend(stack_in))
stacker.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")

O_bnt = np.transpose(O, (1, 0, 2))   # (N, M, T)
S_bnt = np.transpose(S, (1, 0, 2))
stack_oof = np.zeros_like(Y)
for k in range(K):                   # stacker gets CV'd too, otherwise the score is a lie
    tr, va = fold_id != k, fold_id == k
    for v in stacker.weights:        # reset to init between folds
        v.assign(tf.zeros_like(v) if "temperature" not in v.name else tf.ones_like(v))
    stacker.fit(O_bnt[tr], Y[tr], epochs=5, batch_size=128, verbose=0)
    stack_oof[va] = stacker.predict(O_bnt[va], verbose=0)
print("keras stacker OOF logloss:", round(mean_logloss(Y, stack_oof), 5))
print("learned mean model weights:",
      {n: round(float(w), 3) for n, w in zip(names, tf.nn.softmax(blend.logits, axis=0).numpy().mean(1))})

final = np.clip(stacker.predict(S_bnt, verbose=0), P_MIN, P_MAX)
# control rows get zero predictions, classic MoA post-proc
final[is_ctl[N:]] = 0.0
print("submission", final.shape, "mean pred %.4f" % final.mean())
