"""
Q: "ValueError: Input 0 of layer "lstm_1" is incompatible with the layer:
    expected ndim=3, found ndim=2" when building an LSTM autoencoder

    I'm trying to build a sequence autoencoder for multivariate time series.
    My data is (n_samples, timesteps, n_features). Encoder is an LSTM, decoder
    is another LSTM, but Keras complains as soon as I stack the second LSTM:

        model = Sequential()
        model.add(LSTM(64, input_shape=(timesteps, n_features)))
        model.add(LSTM(64, return_sequences=True))   # <- error here
        model.add(Dense(n_features))

A: The first LSTM has return_sequences=False (the default), so it outputs only
   the last hidden state: shape (batch, 64) -> ndim=2. An LSTM needs a 3-D
   input (batch, timesteps, features). For an autoencoder that is actually
   what you want for the *bottleneck*, you just have to turn the vector back
   into a sequence before the decoder: RepeatVector(timesteps). Then wrap the
   output Dense in TimeDistributed (Dense would also broadcast over time in
   Keras 3, but TimeDistributed makes the intent explicit).

   Below: reproduce the error, then the fixed model, trained on toy sine data,
   plus a version where the encoder keeps return_sequences=True in the first
   layer (stacked encoder).
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras.models import Sequential

timesteps = 30
n_features = 3
latent = 16

# toy data: phase-shifted sines with a bit of noise
rng = np.random.default_rng(42)
t = np.linspace(0, 2 * np.pi, timesteps)
phases = rng.uniform(0, 2 * np.pi, size=(400, 1, n_features))
freqs = rng.uniform(0.5, 2.0, size=(400, 1, n_features))
X = np.sin(freqs * t[None, :, None] + phases) + 0.05 * rng.standard_normal((400, timesteps, n_features))
X = X.astype("float32")
print("X shape:", X.shape)  # (400, 30, 3)


# ---------------------------------------------------------------------------
# 1) the broken model from the question
# ---------------------------------------------------------------------------
def broken_model():
    model = Sequential()
    model.add(keras.Input(shape=(timesteps, n_features)))
    model.add(layers.LSTM(64))                          # -> (None, 64)
    model.add(layers.LSTM(64, return_sequences=True))   # expects (None, T, F)
    model.add(layers.Dense(n_features))
    return model


try:
    broken_model()
except ValueError as e:
    first_line = str(e).strip().splitlines()[0]
    print("Reproduced the error ->", first_line[:160])


# ---------------------------------------------------------------------------
# 2) the fix: RepeatVector between encoder and decoder
# ---------------------------------------------------------------------------
def lstm_autoencoder(timesteps, n_features, latent_dim=latent):
    model = Sequential(name="lstm_ae")
    model.add(keras.Input(shape=(timesteps, n_features)))
    model.add(layers.LSTM(latent_dim, name="encoder"))             # (None, latent)
    model.add(layers.RepeatVector(timesteps, name="repeat"))        # (None, T, latent)
    model.add(layers.LSTM(latent_dim, return_sequences=True, name="decoder"))  # (None, T, latent)
    model.add(layers.TimeDistributed(layers.Dense(n_features), name="reconstruct"))
    return model


model = lstm_autoencoder(timesteps, n_features)
for layer in model.layers:
    print(f"{layer.name:12s} -> {layer.output.shape}")

model.compile(optimizer="adam", loss="mse")
model.fit(X, X, epochs=2, batch_size=32, validation_split=0.2, verbose=2)


# ---------------------------------------------------------------------------
# 3) if you want *stacked* LSTMs in the encoder, every LSTM except the last
#    one needs return_sequences=True. Functional API so we can pull out the
#    encoder afterwards (e.g. to use the latent vectors for clustering).
# ---------------------------------------------------------------------------
inp = keras.Input(shape=(timesteps, n_features))
h = layers.LSTM(32, return_sequences=True)(inp)   # keep the time axis
z = layers.LSTM(latent)(h)                        # final state only
d = layers.RepeatVector(timesteps)(z)
d = layers.LSTM(latent, return_sequences=True)(d)
d = layers.LSTM(32, return_sequences=True)(d)
out = layers.TimeDistributed(layers.Dense(n_features))(d)

stacked_ae = keras.Model(inp, out, name="stacked_lstm_ae")
encoder = keras.Model(inp, z, name="encoder_only")
stacked_ae.compile(optimizer=keras.optimizers.Adam(2e-3), loss="mse")
stacked_ae.fit(X, X, epochs=1, batch_size=32, verbose=2)

codes = encoder.predict(X[:10], verbose=0)
recon = stacked_ae.predict(X[:10], verbose=0)
per_seq_mse = np.mean((recon - X[:10]) ** 2, axis=(1, 2))
print("latent codes:", codes.shape)
print("reconstruction MSE per sequence:", np.round(per_seq_mse, 3))

# simple anomaly-score style usage: threshold on reconstruction error
threshold = per_seq_mse.mean() + 2 * per_seq_mse.std()
print(f"threshold={threshold:.4f}, flagged={int((per_seq_mse > threshold).sum())}")
