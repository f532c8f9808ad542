"""Heterogeneous ensemble for multivariate time-series regression.

Three different base learners (dense-on-flattened, LSTM, small transformer)
are trained on the same data. We compare:
  - simple mean of predictions (a single Keras model wrapping the members),
  - inverse-validation-MSE weighted average,
  - a stacked meta-learner trained on the members' validation predictions.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

LOOKBACK = 24
HORIZON = 4
N_FEATURES = 5
BATCH = 64
EPOCHS = 2

keras.utils.set_random_seed(11)


def make_series(n_steps=2000):
    t = np.arange(n_steps, dtype="float32")
    base = np.stack([
        np.sin(t / 12.0),
        np.cos(t / 30.0),
        np.sin(t / 7.0) * np.cos(t / 50.0),
        0.001 * t,
        np.random.randn(n_steps) * 0.1,
    ], axis=-1).astype("float32")
    target = (0.6 * base[:, 0] + 0.3 * base[:, 2] + 0.1 * np.roll(base[:, 1], 3)).astype("float32")
    return base, target


def windowed(features, target):
    n = len(features) - LOOKBACK - HORIZON + 1
    idx = np.arange(LOOKBACK)[None, :] + np.arange(n)[:, None]
    X = features[idx]                                      # (n, LOOKBACK, F)
    yidx = np.arange(HORIZON)[None, :] + (np.arange(n) + LOOKBACK)[:, None]
    Y = target[yidx]                                       # (n, HORIZON)
    return X, Y


def chrono_split(X, Y, fracs=(0.6, 0.2, 0.2)):
    n = len(X)
    a = int(n * fracs[0])
    b = a + int(n * fracs[1])
    return (X[:a], Y[:a]), (X[a:b], Y[a:b]), (X[b:], Y[b:])


class PositionalEmbedding(layers.Layer):
    def __init__(self, seq_len, d_model, **kwargs):
        super().__init__(**kwargs)
        self.seq_len = seq_len
        self.d_model = d_model
        self.proj = layers.Dense(d_model)

    def build(self, input_shape):
        self.proj.build(input_shape)
        self.pos = self.add_weight(name="pos", shape=(self.seq_len, self.d_model),
                                   initializer="random_normal", trainable=True)

    def call(self, x):
        return self.proj(x) + self.pos[None, :, :]


def dense_member():
    inp = keras.Input((LOOKBACK, N_FEATURES))
    x = layers.Flatten()(inp)
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dense(32, activation="relu")(x)
    return keras.Model(inp, layers.Dense(HORIZON)(x), name="dense")


def lstm_member():
    inp = keras.Input((LOOKBACK, N_FEATURES))
    x = layers.LSTM(32, return_sequences=True)(inp)
    x = layers.LSTM(16)(x)
    return keras.Model(inp, layers.Dense(HORIZON)(x), name="lstm")


def transformer_member(d_model=32, heads=4):
    inp = keras.Input((LOOKBACK, N_FEATURES))
    x = PositionalEmbedding(LOOKBACK, d_model)(inp)
    attn = layers.MultiHeadAttention(heads, d_model // heads, dropout=0.1)(x, x, use_causal_mask=True)
    x = layers.LayerNormalization(epsilon=1e-6)(x + attn)
    ff = layers.Dense(d_model * 2, activation="gelu")(x)
    ff = layers.Dense(d_model)(ff)
    x = layers.LayerNormalization(epsilon=1e-6)(x + ff)
    # use last token representation for the forecast
    x = x[:, -1, :]
    return keras.Model(inp, layers.Dense(HORIZON)(x), name="transformer")


MEMBERS = {"dense": dense_member, "lstm": lstm_member, "transformer": transformer_member}


def mean_ensemble(models):
    inp = keras.Input((LOOKBACK, N_FEATURES))
    outs = [m(inp) for m in models]
    avg = layers.Average(name="avg")(outs)
    return keras.Model(inp, avg, name="mean_ensemble")


def build_stacker(n_members):
    # input: (batch, n_members, HORIZON) -> learn per-horizon mixing weights
    preds = keras.Input((n_members, HORIZON))
    logits = layers.Dense(n_members, use_bias=False)(layers.Flatten()(preds))
    w = layers.Softmax(name="mix_weights")(logits)                     # (batch, n_members)
    mixed = layers.Lambda(lambda t: ops.sum(t[0] * ops.expand_dims(t[1], -1), axis=1))([preds, w])
    model = keras.Model(preds, mixed, name="stacker")
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    return model


def mse(a, b):
    return float(np.mean((a - b) ** 2))


def main():
    feats, target = make_series()
    X, Y = windowed(feats, target)
    (xtr, ytr), (xva, yva), (xte, yte) = chrono_split(X, Y)
    print("train/val/test windows:", xtr.shape, xva.shape, xte.shape, "targets", ytr.shape)

    trained, val_preds, test_preds, scores = [], [], [], {}
    for name, factory in MEMBERS.items():
        model = factory()
        model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="mse", metrics=["mae"])
        model.fit(xtr, ytr, validation_data=(xva, yva), batch_size=BATCH, epochs=EPOCHS, verbose=0)
        pv = model.predict(xva, batch_size=256, verbose=0)
        pt = model.predict(xte, batch_size=256, verbose=0)
        val_preds.append(pv)
        test_preds.append(pt)
        trained.append(model)
        scores[name] = (mse(pv, yva), mse(pt, yte))

    ens = mean_ensemble(trained)
    pt_mean = ens.predict(xte, batch_size=256, verbose=0)
    scores["mean ensemble"] = (mse(ens.predict(xva, verbose=0), yva), mse(pt_mean, yte))

    inv = np.array([1.0 / scores[n][0] for n in MEMBERS])
    w = inv / inv.sum()
    pt_w = np.tensordot(w, np.stack(test_preds), axes=1)
    pv_w = np.tensordot(w, np.stack(val_preds), axes=1)
    scores["inv-mse weighted"] = (mse(pv_w, yva), mse(pt_w, yte))

    stack_val = np.stack(val_preds, axis=1)    # (n, members, HORIZON)
    stack_te = np.stack(test_preds, axis=1)
    stacker = build_stacker(len(MEMBERS))
    stacker.fit(stack_val, yva, epochs=5, batch_size=BATCH, verbose=0)
    # note: stacker was fit on val, so its "val" number is in-sample
    scores["stacked (meta)"] = (mse(stacker.predict(stack_val, verbose=0), yva),
                                mse(stacker.predict(stack_te, verbose=0), yte))

    print("\nweights (inv-mse):", {n: round(float(v), 3) for n, v in zip(MEMBERS, w)})
    print(f"\n{'model':<18}{'val mse':>10}{'test mse':>10}")
    for name, (v, t) in scores.items():
        print(f"{name:<18}{v:>10.4f}{t:>10.4f}")


if __name__ == "__main__":
    main()
