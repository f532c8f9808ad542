"""Seq2seq LSTM forecaster trained with teacher forcing.

Encoder reads the history; decoder is trained on the ground-truth shifted
target sequence (teacher forcing) and then used autoregressively at inference,
feeding back its own predictions step by step. Also shows scheduled sampling
in a custom train_step.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras

IN_STEPS, OUT_STEPS = 40, 10
N_FEATURES = 2        # target + exogenous signal
LATENT = 48
BATCH_SIZE = 64

tf.random.set_seed(1)
np.random.seed(1)


# ---------------------------------------------------------------------------
# data: many short noisy sine waves with random frequency/phase
# ---------------------------------------------------------------------------
def generate_sequences(n, length):
    freq = np.random.uniform(0.02, 0.1, size=(n, 1))
    phase = np.random.uniform(0, 2 * np.pi, size=(n, 1))
    t = np.arange(length)[None, :]
    y = np.sin(2 * np.pi * freq * t + phase) + 0.05 * np.random.randn(n, length)
    exo = np.cos(2 * np.pi * freq * t + phase)             # a leading indicator
    return np.stack([y, exo], axis=-1).astype(np.float32)  # (n, length, 2)


seqs = generate_sequences(2000, IN_STEPS + OUT_STEPS)
enc_in = seqs[:, :IN_STEPS, :]
target = seqs[:, IN_STEPS:, :1]                            # predict the target channel only
# decoder input for teacher forcing: last observed value + target shifted right by one
dec_in = np.concatenate([enc_in[:, -1:, :1], target[:, :-1, :]], axis=1)
print("encoder in", enc_in.shape, "decoder in", dec_in.shape, "target", target.shape)

n_train = 1600
train_ds = (
    tf.data.Dataset.from_tensor_slices(((enc_in[:n_train], dec_in[:n_train]), target[:n_train]))
    .shuffle(n_train)
    .batch(BATCH_SIZE)
    .prefetch(tf.data.AUTOTUNE)
)
val_ds = tf.data.Dataset.from_tensor_slices(
    ((enc_in[n_train:], dec_in[n_train:]), target[n_train:])
).batch(BATCH_SIZE)


# ---------------------------------------------------------------------------
# training model (teacher forcing)
# ---------------------------------------------------------------------------
encoder_inputs = keras.Input(shape=(None, N_FEATURES), name="encoder_inputs")
encoder_lstm = keras.layers.LSTM(LATENT, return_state=True, name="encoder_lstm")
_, state_h, state_c = encoder_lstm(encoder_inputs)
encoder_states = [state_h, state_c]

decoder_inputs = keras.Input(shape=(None, 1), name="decoder_inputs")
decoder_lstm = keras.layers.LSTM(LATENT, return_sequences=True, return_state=True, name="decoder_lstm")
decoder_dense = keras.layers.Dense(1, name="decoder_dense")
dec_seq, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
decoder_outputs = decoder_dense(dec_seq)

train_model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs, name="seq2seq_tf")
train_model.compile(optimizer="adam", loss="mse")
train_model.summary()
train_model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)


# ---------------------------------------------------------------------------
# inference models: reuse trained layers, decode one step at a time
# ---------------------------------------------------------------------------
encoder_model = keras.Model(encoder_inputs, encoder_states, name="encoder_inf")

dec_state_in_h = keras.Input(shape=(LATENT,), name="dec_h")
dec_state_in_c = keras.Input(shape=(LATENT,), name="dec_c")
dec_step_in = keras.Input(shape=(1, 1), name="dec_step")
step_seq, h_out, c_out = decoder_lstm(dec_step_in, initial_state=[dec_state_in_h, dec_state_in_c])
step_pred = decoder_dense(step_seq)
decoder_model = keras.Model(
    [dec_step_in, dec_state_in_h, dec_state_in_c], [step_pred, h_out, c_out], name="decoder_inf"
)


@tf.function(input_signature=[tf.TensorSpec([None, IN_STEPS, N_FEATURES], tf.float32)])
def autoregressive_forecast(history):
    h, c = encoder_model(history, training=False)
    step_input = history[:, -1:, :1]
    outputs = tf.TensorArray(tf.float32, size=OUT_STEPS)
    # OUT_STEPS is a Python int, so this loop is unrolled at trace time
    for i in range(OUT_STEPS):
        pred, h, c = decoder_model([step_input, h, c], training=False)
        outputs = outputs.write(i, pred[:, 0, :])
        step_input = pred
    return tf.transpose(outputs.stack(), [1, 0, 2])      # (batch, OUT_STEPS, 1)


def autoregressive_forecast_py(history):
    """Plain Python loop version (eager) - easier to debug."""
    h, c = encoder_model.predict(history, verbose=0)
    step_input = history[:, -1:, :1]
    preds = []
    for _ in range(OUT_STEPS):
        pred, h, c = decoder_model([step_input, h, c], training=False)
        preds.append(pred)
        step_input = pred
    return tf.concat(preds, axis=1)


x_hist = enc_in[n_train:n_train + 8]
ar_py = autoregressive_forecast_py(x_hist)
tf_forced = train_model.predict([x_hist, dec_in[n_train:n_train + 8]], verbose=0)
ar_graph = autoregressive_forecast(tf.constant(x_hist))
print("AR forecast shape:", ar_py.shape, "graph/eager max diff:",
      float(tf.reduce_max(tf.abs(ar_graph - ar_py))))
print("teacher-forced MSE:", float(np.mean((tf_forced - target[n_train:n_train + 8]) ** 2)))
print("free-running MSE  :", float(np.mean((ar_py.numpy() - target[n_train:n_train + 8]) ** 2)))


# ---------------------------------------------------------------------------
# scheduled sampling: mix ground truth and own predictions during training
# ---------------------------------------------------------------------------
class ScheduledSamplingSeq2Seq(keras.Model):
    def __init__(self, latent, out_steps, **kwargs):
        super().__init__(**kwargs)
        self.out_steps = out_steps
        self.encoder = keras.layers.LSTM(latent, return_state=True)
        self.cell = keras.layers.LSTMCell(latent)
        self.proj = keras.layers.Dense(1)
        self.teacher_prob = tf.Variable(1.0, trainable=False, name="teacher_prob")

    def decode(self, history, dec_truth=None, training=False):
        _, h, c = self.encoder(history, training=training)
        states = [h, c]
        step_input = history[:, -1, :1]
        preds = []
        for t in range(self.out_steps):   # static Python loop over a config value
            out, states = self.cell(step_input, states, training=training)
            pred = self.proj(out)
            preds.append(pred)
            if dec_truth is not None:
                # per-sample coin flip, vectorised with tf.where (no tensor-valued `if`)
                coin = tf.random.uniform(tf.shape(pred)[:1]) < self.teacher_prob
                step_input = tf.where(coin[:, None], dec_truth[:, t, :], pred)
            else:
                step_input = pred
        return tf.stack(preds, axis=1)

    def call(self, history, training=False):
        return self.decode(history, training=training)

    def train_step(self, data):
        (history, _), y = data
        with tf.GradientTape() as tape:
            y_pred = self.decode(history, dec_truth=y, training=True)
            loss = self.compute_loss(x=history, y=y, y_pred=y_pred)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        for m in self.metrics:
            if m.name == "loss":
                m.update_state(loss)
            else:
                m.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        (history, _), y = data
        y_pred = self.decode(history, training=False)
        loss = self.compute_loss(x=history, y=y, y_pred=y_pred)
        for m in self.metrics:
            if m.name == "loss":
                m.update_state(loss)
            else:
                m.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


class TeacherForcingDecay(keras.callbacks.Callback):
    """Linearly decay teacher forcing probability every N batches."""

    def __init__(self, every=10, step=0.1, floor=0.2):
        super().__init__()
        self.every, self.step, self.floor = every, step, floor

    def on_train_batch_end(self, batch, logs=None):
        if batch and batch % self.every == 0:
            new = max(self.floor, float(self.model.teacher_prob.numpy()) - self.step)
            self.model.teacher_prob.assign(new)


ss_model = ScheduledSamplingSeq2Seq(LATENT, OUT_STEPS, name="seq2seq_scheduled")
ss_model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="mse", metrics=["mae"])
ss_model.fit(train_ds, validation_data=val_ds, epochs=1, callbacks=[TeacherForcingDecay()], verbose=2)
print("final teacher prob:", float(ss_model.teacher_prob.numpy()))
print("scheduled-sampling forecast:", ss_model(x_hist[:2]).shape)
