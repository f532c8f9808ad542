# Electricity-load style multi-horizon forecasting:
#   * tf.data .window()/.flat_map() to cut encoder/decoder windows
#   * known-future covariates (hour of day, holiday flag) fed to the decoder
#   * custom Time2Vec layer + encoder/decoder GRU
#   * pinball (quantile) loss for P10 / P50 / P90
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

ENC_LEN, DEC_LEN = 48, 12
QUANTILES = [0.1, 0.5, 0.9]
HOURS = 24 * 30
BATCH = 32

np.random.seed(5)
tf.random.set_seed(5)


def simulate_load(hours):
    t = np.arange(hours)
    hour_of_day = t % 24
    day = t // 24
    holiday = np.isin(day % 7, [5, 6]).astype(np.float32)
    daily = 10 * np.exp(-((hour_of_day - 18) ** 2) / 12) + 5 * np.exp(-((hour_of_day - 8) ** 2) / 6)
    load = 40 + daily * (1 - 0.4 * holiday) + 0.01 * t
    load += np.random.gamma(2.0, 1.5, hours) * (1 + 0.5 * (hour_of_day > 16))  # skewed noise
    return load.astype(np.float32), hour_of_day.astype(np.float32), holiday


load, hod, hol = simulate_load(HOURS)
split = int(0.8 * HOURS)
scale_mu, scale_sd = load[:split].mean(), load[:split].std()
load_n = (load - scale_mu) / scale_sd
covariates = np.stack([hod / 23.0, hol], axis=-1).astype(np.float32)   # (T, 2)
series = np.concatenate([load_n[:, None], covariates], axis=-1)        # (T, 3)


def make_windows(arr, shuffle):
    total = ENC_LEN + DEC_LEN
    ds = tf.data.Dataset.from_tensor_slices(arr)
    ds = ds.window(total, shift=2, drop_remainder=True)
    ds = ds.flat_map(lambda w: w.batch(total))

    def split_window(w):
        enc = w[:ENC_LEN]                       # load + covariates in the past
        dec_cov = w[ENC_LEN:, 1:]               # only covariates are known in the future
        target = w[ENC_LEN:, 0]
        return {"encoder": enc, "decoder_cov": dec_cov}, target

    ds = ds.map(split_window, num_parallel_calls=tf.data.AUTOTUNE)
    if shuffle:
        ds = ds.shuffle(500, seed=5)
    return ds.batch(BATCH).prefetch(tf.data.AUTOTUNE)


train_ds = make_windows(series[:split], shuffle=True)
valid_ds = make_windows(series[split - ENC_LEN:], shuffle=False)
for xb, yb in train_ds.take(1):
    print({k: v.shape for k, v in xb.items()}, "target", yb.shape)


@keras.utils.register_keras_serializable(package="rw106")
class Time2Vec(layers.Layer):
    """Learned linear + periodic representation of a scalar time feature."""

    def __init__(self, k=6, **kwargs):
        super().__init__(**kwargs)
        self.k = k

    def build(self, input_shape):
        self.w0 = self.add_weight(shape=(1,), initializer="uniform", name="w0")
        self.b0 = self.add_weight(shape=(1,), initializer="uniform", name="b0")
        self.w = self.add_weight(shape=(1, self.k), initializer="uniform", name="w")
        self.b = self.add_weight(shape=(self.k,), initializer="uniform", name="b")

    def call(self, t):
        # t: (batch, steps, 1)
        linear = self.w0 * t + self.b0
        periodic = tf.sin(tf.matmul(t, self.w) * 2.0 * np.pi + self.b)
        return tf.concat([linear, periodic], axis=-1)

    def get_config(self):
        return {**super().get_config(), "k": self.k}


def pinball_loss(y_true, y_pred):
    # y_true: (b, DEC_LEN)  y_pred: (b, DEC_LEN, n_q)
    q = tf.constant(QUANTILES, dtype=y_pred.dtype)
    err = tf.expand_dims(y_true, -1) - y_pred
    return tf.reduce_mean(tf.maximum(q * err, (q - 1.0) * err))


def coverage_80(y_true, y_pred):
    inside = tf.logical_and(y_true >= y_pred[..., 0], y_true <= y_pred[..., -1])
    return tf.reduce_mean(tf.cast(inside, tf.float32), axis=-1)   # per-window coverage


def build_seq2seq(units=32):
    enc_in = keras.Input((ENC_LEN, 3), name="encoder")
    dec_in = keras.Input((DEC_LEN, 2), name="decoder_cov")
    t2v = Time2Vec(6, name="time2vec")

    enc_feats = layers.Concatenate()([enc_in, t2v(enc_in[..., 1:2])])
    enc_seq, enc_state = layers.GRU(units, return_sequences=True, return_state=True, name="enc_gru")(enc_feats)

    dec_feats = layers.Concatenate()([dec_in, t2v(dec_in[..., 0:1])])
    dec_seq = layers.GRU(units, return_sequences=True, name="dec_gru")(dec_feats, initial_state=enc_state)

    # Luong-style attention over the encoder outputs
    context = layers.Attention(name="attn")([dec_seq, enc_seq])
    h = layers.Concatenate()([dec_seq, context])
    h = layers.Dense(32, activation="elu")(h)       # Dense acts per time step on 3D input
    raw = layers.Dense(len(QUANTILES))(h)

    # enforce monotone quantiles: median + cumulative softplus offsets
    median = raw[..., 1:2]
    lower = median - keras.ops.softplus(raw[..., 0:1])
    upper = median + keras.ops.softplus(raw[..., 2:3])
    out = layers.Concatenate(name="quantiles")([lower, median, upper])
    return keras.Model([enc_in, dec_in], out, name="seq2seq_quantile")


model = build_seq2seq()
lr = keras.optimizers.schedules.ExponentialDecay(4e-3, decay_steps=20, decay_rate=0.8, staircase=True)
model.compile(optimizer=keras.optimizers.Adam(lr, clipnorm=1.0), loss=pinball_loss, metrics=[coverage_80])
print(f"params: {model.count_params():,}")

hist = model.fit(train_ds, validation_data=valid_ds, epochs=2, verbose=2,
                 callbacks=[keras.callbacks.TerminateOnNaN()])

# evaluate in original units
preds, trues = [], []
for xb, yb in valid_ds:
    preds.append(model(xb, training=False).numpy())
    trues.append(yb.numpy())
P = np.concatenate(preds) * scale_sd + scale_mu
Y = np.concatenate(trues) * scale_sd + scale_mu
mae_p50 = np.abs(P[..., 1] - Y).mean()
cov = np.mean((Y >= P[..., 0]) & (Y <= P[..., 2]))
width = np.mean(P[..., 2] - P[..., 0])
print(f"valid windows={len(Y)}  P50 MAE={mae_p50:.2f}  80% interval coverage={cov:.1%}  mean width={width:.2f}")
print("first window, first 4 steps (p10 / p50 / p90 | actual):")
for step in range(4):
    p10, p50, p90 = P[0, step]
    print(f"  t+{step + 1}: {p10:6.2f} / {p50:6.2f} / {p90:6.2f} | {Y[0, step]:6.2f}")
