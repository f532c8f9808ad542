import numpy as np
import tensorflow as tf
from tensorflow import keras
from keras.utils import pad_sequences

# Variable length sensor sequences, each timestep has 3 features.
# Padded with -1 (0 is a real reading in my data) and masked.
PAD_VALUE = -1.0
MAXLEN = 20
N_FEATURES = 3

rng = np.random.default_rng(123)
lengths = rng.integers(5, MAXLEN + 1, size=24)
sequences = [rng.normal(size=(l, N_FEATURES)).astype("float32") for l in lengths]
labels = np.array([1 if s[:, 0].mean() > 0 else 0 for s in sequences])

X = pad_sequences(sequences, maxlen=MAXLEN, dtype="float32",
                  padding="post", truncating="post", value=PAD_VALUE)
print("padded:", X.shape, "labels balance:", np.bincount(labels))

# weight longer sequences more (they are more reliable)
sample_weight = (lengths / lengths.max()).astype("float32")

model = keras.Sequential([
    keras.layers.Input(shape=(MAXLEN, N_FEATURES)),
    keras.layers.Masking(mask_value=PAD_VALUE),
    keras.layers.LSTM(24, return_sequences=True),
    keras.layers.LSTM(16),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(X, labels, sample_weight=sample_weight, batch_size=8, epochs=1, verbose=2)

# check masking actually works: adding more padding shouldn't change the output
x0 = X[:1]
x0_more_pad = x0.copy()
x0_more_pad[0, lengths[0]:, :] = PAD_VALUE
p1 = model.predict(x0, verbose=0)
p2 = model.predict(x0_more_pad, verbose=0)
print("same prediction with padding:", np.allclose(p1, p2))

# --- token version: integer sequences with Embedding(mask_zero=True) ---
vocab_size = 50
token_seqs = [list(rng.integers(1, vocab_size, size=n)) for n in rng.integers(3, 15, size=32)]
tok_labels = rng.integers(0, 2, size=32)
X_tok = pad_sequences(token_seqs, maxlen=15, padding="pre")

tok_in = keras.Input(shape=(15,), dtype="int32")
emb = keras.layers.Embedding(vocab_size, 16, mask_zero=True)(tok_in)
h = keras.layers.Bidirectional(keras.layers.LSTM(8))(emb)
tok_out = keras.layers.Dense(1, activation="sigmoid")(h)
tok_model = keras.Model(tok_in, tok_out)
tok_model.compile(optimizer="adam", loss="binary_crossentropy")

# timestep-level sample weights need a per-timestep output; here just per-sample
tok_weights = np.where(tok_labels == 1, 2.0, 1.0)
ds = tf.data.Dataset.from_tensor_slices((X_tok, tok_labels, tok_weights)).shuffle(32).batch(8)
tok_model.fit(ds, epochs=1, verbose=0)

emb_layer = tok_model.layers[1]
mask = emb_layer.compute_mask(X_tok[:2])
print("mask row 0:", mask.numpy()[0].astype(int))
print("token preds:", tok_model.predict(X_tok[:4], verbose=0).ravel().round(3))
