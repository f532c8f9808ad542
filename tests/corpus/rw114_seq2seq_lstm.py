# seq2seq LSTM encoder-decoder for sales forecasting
# - windows built with numpy stride tricks (as_strided + sliding_window_view)
# - teacher forcing during training, custom tf.function train step
# - separate encoder / decoder-step models for autoregressive inference
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers
from numpy.lib.stride_tricks import as_strided, sliding_window_view

ENC_LEN = 30
DEC_LEN = 7
UNITS = 48
N_SERIES = 3
STEPS = 260
BATCH = 64
EPOCHS = 2

np.random.seed(2024)
tf.random.set_seed(2024)


def fake_sales(n_series, steps):
    t = np.arange(steps)
    out = []
    for s in range(n_series):
        level = 50 + 10 * s
        trend = 0.05 * (s + 1) * t
        season = 8 * np.sin(2 * np.pi * t / 7 + s)
        noise = np.random.normal(0, 2, steps)
        out.append(level + trend + season + noise)
    return np.stack(out, axis=0).astype("float32")  # (n_series, steps)


def strided_windows(x, win, stride=1):
    """Manual as_strided version: x is 1-D, returns (n_windows, win) view."""
    n = (len(x) - win) // stride + 1
    s = x.strides[0]
    return as_strided(x, shape=(n, win), strides=(stride * s, s), writeable=False)


def build_pairs(series_matrix):
    enc_list, dec_list = [], []
    for row in series_matrix:
        # scale each series by its own mean (classic for retail sales)
        row = row / row[: -DEC_LEN].mean()
        wins = strided_windows(row, ENC_LEN + DEC_LEN)
        # sanity check against the safe API
        assert np.allclose(wins, sliding_window_view(row, ENC_LEN + DEC_LEN))
        enc_list.append(wins[:, :ENC_LEN])
        dec_list.append(wins[:, ENC_LEN:])
    enc = np.concatenate(enc_list)[..., None]
    dec = np.concatenate(dec_list)[..., None]
    return np.ascontiguousarray(enc), np.ascontiguousarray(dec)


sales = fake_sales(N_SERIES, STEPS)
enc_x, dec_y = build_pairs(sales)
# decoder input is the target shifted right, seeded with last encoder value
dec_in = np.concatenate([enc_x[:, -1:, :], dec_y[:, :-1, :]], axis=1)
print(f"encoder in {enc_x.shape}, decoder in {dec_in.shape}, decoder out {dec_y.shape}")

perm = np.random.permutation(len(enc_x))
n_train = int(0.85 * len(perm))
tr, te = perm[:n_train], perm[n_train:]

train_ds = (
    tf.data.Dataset.from_tensor_slices(((enc_x[tr], dec_in[tr]), dec_y[tr]))
    .shuffle(1024)
    .batch(BATCH, drop_remainder=True)
    .prefetch(2)
)

# ----------------------------------------------------------------- model parts
encoder_inputs = keras.Input(shape=(ENC_LEN, 1), name="enc_in")
encoder_lstm = layers.LSTM(UNITS, return_state=True, name="encoder")
_, enc_h, enc_c = encoder_lstm(encoder_inputs)

decoder_inputs = keras.Input(shape=(None, 1), name="dec_in")
decoder_lstm = layers.LSTM(UNITS, return_sequences=True, return_state=True, name="decoder")
decoder_dense = layers.TimeDistributed(layers.Dense(1), name="proj")
dec_seq, _, _ = decoder_lstm(decoder_inputs, initial_state=[enc_h, enc_c])
train_out = decoder_dense(dec_seq)

seq2seq = keras.Model([encoder_inputs, decoder_inputs], train_out, name="seq2seq_train")
seq2seq.summary()

# inference graphs that reuse the same weights
encoder_model = keras.Model(encoder_inputs, [enc_h, enc_c], name="encoder_inf")
state_h_in = keras.Input(shape=(UNITS,), name="h_in")
state_c_in = keras.Input(shape=(UNITS,), name="c_in")
step_in = keras.Input(shape=(1, 1), name="step_in")
step_seq, step_h, step_c = decoder_lstm(step_in, initial_state=[state_h_in, state_c_in])
decoder_model = keras.Model(
    [step_in, state_h_in, state_c_in], [decoder_dense(step_seq), step_h, step_c], name="decoder_step"
)

optimizer = keras.optimizers.Adam(learning_rate=5e-3, clipnorm=1.0)
loss_fn = keras.losses.Huber(delta=0.5)
train_loss = keras.metrics.Mean(name="train_loss")


@tf.function
def train_step(enc_batch, dec_batch, target):
    with tf.GradientTape() as tape:
        pred = seq2seq([enc_batch, dec_batch], training=True)
        loss = loss_fn(target, pred)
    grads = tape.gradient(loss, seq2seq.trainable_variables)
    optimizer.apply_gradients(zip(grads, seq2seq.trainable_variables))
    train_loss.update_state(loss)
    return loss


for epoch in range(EPOCHS):
    t0 = time.time()
    train_loss.reset_state()
    for step, ((e, d), y) in enumerate(train_ds):
        train_step(e, d, y)
    print(f"epoch {epoch + 1}/{EPOCHS}  loss={train_loss.result():.4f}  ({time.time() - t0:.1f}s, {step + 1} steps)")


def forecast(encoder_batch, horizon=DEC_LEN):
    h, c = encoder_model(encoder_batch, training=False)
    current = encoder_batch[:, -1:, :]
    outputs = []
    for _ in range(horizon):  # python loop over a python int: fine
        yhat, h, c = decoder_model([current, h, c], training=False)
        outputs.append(yhat)
        current = yhat
    return tf.concat(outputs, axis=1).numpy()


preds = forecast(tf.constant(enc_x[te]))
naive = np.repeat(enc_x[te][:, -1:, :], DEC_LEN, axis=1)
mae_model = np.abs(preds - dec_y[te]).mean()
mae_naive = np.abs(naive - dec_y[te]).mean()
print(f"autoregressive MAE={mae_model:.4f} vs naive last-value MAE={mae_naive:.4f}")
print("first test forecast:", np.round(preds[0, :, 0], 3))
print("first test truth:   ", np.round(dec_y[te][0, :, 0], 3))
