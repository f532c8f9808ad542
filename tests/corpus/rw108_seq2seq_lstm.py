"""Seq2seq LSTM encoder-decoder forecaster with teacher forcing.

Training: decoder gets the ground-truth previous value (shifted target).
Inference: autoregressive loop feeding the decoder its own predictions, with
the encoder/decoder split into separate models sharing weights.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from keras import layers

ENC_LEN = 40
DEC_LEN = 10
LATENT = 32
N_SERIES = 300


def generate_batch(n, enc_len, dec_len, seed=0):
    """Random-phase, random-frequency damped sinusoids."""
    r = np.random.RandomState(seed)
    total = enc_len + dec_len
    t = np.arange(total)[None, :]
    freq = r.uniform(0.05, 0.25, size=(n, 1))
    phase = r.uniform(0, 2 * np.pi, size=(n, 1))
    amp = r.uniform(0.5, 1.5, size=(n, 1))
    decay = r.uniform(0.0, 0.01, size=(n, 1))
    y = amp * np.exp(-decay * t) * np.sin(2 * np.pi * freq * t + phase)
    y += 0.05 * r.randn(n, total)
    y = y.astype("float32")[..., None]
    return y[:, :enc_len], y[:, enc_len:]


def teacher_forcing_inputs(enc_x, dec_y):
    # first decoder input is the last observed encoder value
    start = enc_x[:, -1:, :]
    return np.concatenate([start, dec_y[:, :-1, :]], axis=1)


# ---- training graph ----
encoder_in = keras.Input(shape=(None, 1), name="encoder_in")
encoder_lstm = layers.LSTM(LATENT, return_state=True, name="encoder_lstm")
_, state_h, state_c = encoder_lstm(encoder_in)
encoder_states = [state_h, state_c]

decoder_in = keras.Input(shape=(None, 1), name="decoder_in")
decoder_lstm = layers.LSTM(LATENT, return_sequences=True, return_state=True, name="decoder_lstm")
decoder_dense = layers.TimeDistributed(layers.Dense(1), name="decoder_out")
dec_seq, _, _ = decoder_lstm(decoder_in, initial_state=encoder_states)
decoder_out = decoder_dense(dec_seq)

train_model = keras.Model([encoder_in, decoder_in], decoder_out, name="seq2seq_train")
train_model.compile(optimizer="adam", loss="mse")
train_model.summary(line_length=90)

enc_x, dec_y = generate_batch(N_SERIES, ENC_LEN, DEC_LEN, seed=1)
dec_x = teacher_forcing_inputs(enc_x, dec_y)
train_model.fit([enc_x, dec_x], dec_y, batch_size=32, epochs=2, validation_split=0.2, verbose=2)

# ---- inference graph (shares layers) ----
encoder_model = keras.Model(encoder_in, encoder_states, name="encoder_inf")

dec_h_in = keras.Input(shape=(LATENT,), name="h_in")
dec_c_in = keras.Input(shape=(LATENT,), name="c_in")
step_in = keras.Input(shape=(1, 1), name="step_in")
step_seq, h_out, c_out = decoder_lstm(step_in, initial_state=[dec_h_in, dec_c_in])
step_pred = decoder_dense(step_seq)
decoder_model = keras.Model([step_in, dec_h_in, dec_c_in], [step_pred, h_out, c_out], name="decoder_inf")


def forecast(history, steps):
    h, c = encoder_model.predict(history, verbose=0)
    current = history[:, -1:, :]
    outputs = []
    for _ in range(steps):
        pred, h, c = decoder_model.predict([current, h, c], verbose=0)
        outputs.append(pred)
        current = pred
    return np.concatenate(outputs, axis=1)


test_enc, test_dec = generate_batch(16, ENC_LEN, DEC_LEN, seed=99)
auto_preds = forecast(test_enc, DEC_LEN)
tf_preds = train_model.predict([test_enc, teacher_forcing_inputs(test_enc, test_dec)], verbose=0)

mse_auto = float(np.mean((auto_preds - test_dec) ** 2))
mse_tf = float(np.mean((tf_preds - test_dec) ** 2))
print(f"teacher-forced MSE: {mse_tf:.4f}   autoregressive MSE: {mse_auto:.4f}")

# error growth across the horizon in free-running mode
growth = np.mean((auto_preds - test_dec) ** 2, axis=(0, 2))
print("autoregressive MSE by step:", [round(float(g), 3) for g in growth])
