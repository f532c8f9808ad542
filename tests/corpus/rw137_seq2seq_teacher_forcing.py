# Seq2seq LSTM forecaster: encoder reads the history, decoder is trained with
# teacher forcing (previous ground-truth value as decoder input), then at
# inference time we run the decoder autoregressively with separate models that
# share the trained layers.
import numpy as np
import tensorflow as tf
import keras
from keras import layers

CONFIG = {
    "n_series": 160,
    "series_len": 120,
    "enc_len": 40,
    "dec_len": 10,
    "latent_dim": 32,
    "batch_size": 32,
    "epochs": 2,
    "lr": 3e-3,
}

rng = np.random.default_rng(123)
keras.utils.set_random_seed(123)


def generate_panel(n_series, length):
    """Many short noisy sinusoids with random period/phase/amplitude."""
    t = np.arange(length)[None, :]
    period = rng.uniform(8, 30, size=(n_series, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n_series, 1))
    amp = rng.uniform(0.5, 2.0, size=(n_series, 1))
    level = rng.normal(0, 1, size=(n_series, 1))
    y = level + amp * np.sin(2 * np.pi * t / period + phase)
    y += 0.05 * rng.standard_normal(y.shape)
    return y.astype("float32")


def make_training_triplets(panel, enc_len, dec_len):
    """Return encoder inputs, teacher-forced decoder inputs and targets."""
    enc_in, dec_in, dec_out = [], [], []
    step = dec_len
    for s in panel:
        for start in range(0, len(s) - enc_len - dec_len + 1, step):
            hist = s[start:start + enc_len]
            fut = s[start + enc_len:start + enc_len + dec_len]
            # decoder input = last observed value followed by shifted targets
            shifted = np.concatenate([hist[-1:], fut[:-1]])
            enc_in.append(hist)
            dec_in.append(shifted)
            dec_out.append(fut)
    to3d = lambda a: np.asarray(a, dtype="float32")[..., None]
    return to3d(enc_in), to3d(dec_in), to3d(dec_out)


def scale_per_window(enc, dec_in, dec_out):
    # normalize each window by its encoder statistics so the net sees similar scales
    mu = enc.mean(axis=1, keepdims=True)
    sd = enc.std(axis=1, keepdims=True) + 1e-6
    return (enc - mu) / sd, (dec_in - mu) / sd, (dec_out - mu) / sd, mu, sd


class Seq2SeqForecaster:
    def __init__(self, latent_dim):
        self.latent_dim = latent_dim
        self.encoder_lstm = layers.LSTM(latent_dim, return_state=True, name="encoder_lstm")
        self.decoder_lstm = layers.LSTM(latent_dim, return_sequences=True,
                                        return_state=True, name="decoder_lstm")
        self.decoder_head = layers.Dense(1, name="decoder_head")
        self._build_training_model()
        self._build_inference_models()

    def _build_training_model(self):
        enc_inputs = keras.Input(shape=(None, 1), name="encoder_inputs")
        dec_inputs = keras.Input(shape=(None, 1), name="decoder_inputs")
        _, h, c = self.encoder_lstm(enc_inputs)
        dec_seq, _, _ = self.decoder_lstm(dec_inputs, initial_state=[h, c])
        outputs = self.decoder_head(dec_seq)
        self.train_model = keras.Model([enc_inputs, dec_inputs], outputs, name="seq2seq_train")

    def _build_inference_models(self):
        enc_inputs = keras.Input(shape=(None, 1))
        _, h, c = self.encoder_lstm(enc_inputs)
        self.encoder_model = keras.Model(enc_inputs, [h, c], name="encoder_infer")

        step_in = keras.Input(shape=(1, 1))
        h_in = keras.Input(shape=(self.latent_dim,))
        c_in = keras.Input(shape=(self.latent_dim,))
        seq, h_out, c_out = self.decoder_lstm(step_in, initial_state=[h_in, c_in])
        y = self.decoder_head(seq)
        self.decoder_model = keras.Model([step_in, h_in, c_in], [y, h_out, c_out],
                                         name="decoder_step")

    def forecast(self, enc, steps):
        h, c = self.encoder_model.predict(enc, verbose=0)
        current = enc[:, -1:, :]
        preds = []
        for _ in range(steps):
            y, h, c = self.decoder_model.predict([current, h, c], verbose=0)
            preds.append(y)
            current = y
        return np.concatenate(preds, axis=1)


def main():
    cfg = CONFIG
    panel = generate_panel(cfg["n_series"], cfg["series_len"])
    n_train = int(0.8 * len(panel))
    tr = make_training_triplets(panel[:n_train], cfg["enc_len"], cfg["dec_len"])
    te = make_training_triplets(panel[n_train:], cfg["enc_len"], cfg["dec_len"])
    enc_tr, din_tr, dout_tr, _, _ = scale_per_window(*tr)
    enc_te, din_te, dout_te, mu_te, sd_te = scale_per_window(*te)
    print(f"train windows: {enc_tr.shape[0]}, test windows: {enc_te.shape[0]}")

    train_ds = (tf.data.Dataset.from_tensor_slices(((enc_tr, din_tr), dout_tr))
                .shuffle(1024, seed=0)
                .batch(cfg["batch_size"])
                .prefetch(tf.data.AUTOTUNE))

    model = Seq2SeqForecaster(cfg["latent_dim"])
    model.train_model.compile(optimizer=keras.optimizers.Adam(cfg["lr"]),
                              loss="mse", metrics=[keras.metrics.MeanAbsoluteError()])
    model.train_model.summary()
    hist = model.train_model.fit(train_ds, epochs=cfg["epochs"], verbose=2)
    print("final train loss:", round(hist.history["loss"][-1], 4))

    # teacher-forced evaluation (optimistic) vs free-running evaluation (realistic)
    tf_loss = model.train_model.evaluate([enc_te, din_te], dout_te, verbose=0)[0]
    subset = slice(0, 64)
    free = model.forecast(enc_te[subset], cfg["dec_len"])
    free_mse = float(np.mean((free - dout_te[subset]) ** 2))
    print(f"teacher-forced test mse: {tf_loss:.4f}  free-running test mse: {free_mse:.4f}")

    # back to original units for one example
    example = free[0, :, 0] * sd_te[0, 0, 0] + mu_te[0, 0, 0]
    truth = dout_te[0, :, 0] * sd_te[0, 0, 0] + mu_te[0, 0, 0]
    for k, (p, y) in enumerate(zip(example, truth), start=1):
        print(f"  t+{k:02d}: pred={p:+.3f} true={y:+.3f}")


if __name__ == "__main__":
    main()
