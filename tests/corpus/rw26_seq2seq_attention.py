"""Character-level seq2seq with Luong-style attention.

Toy "translation" task: the target sequence is the source sequence reversed
with every token shifted by one. The model is a classic LSTM encoder-decoder
trained with teacher forcing; at inference time we split it into separate
encoder / decoder-step models and decode greedily.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# ---------------------------------------------------------------------------
# Hyper-parameters
# ---------------------------------------------------------------------------
NUM_SAMPLES = 512
MAX_SRC_LEN = 12
MAX_TGT_LEN = MAX_SRC_LEN + 2  # + <start> and <end>
VOCAB = 20                     # real tokens are 3..VOCAB-1
PAD, START, END = 0, 1, 2
EMBED_DIM = 32
LATENT_DIM = 64
BATCH_SIZE = 64


def make_pair(rng):
    n = rng.integers(4, MAX_SRC_LEN + 1)
    src = rng.integers(3, VOCAB - 1, size=n)
    tgt = (src[::-1] + 1)
    return src, tgt


def build_dataset(num_samples, seed=0):
    rng = np.random.default_rng(seed)
    enc_in = np.zeros((num_samples, MAX_SRC_LEN), dtype="int32")
    dec_in = np.zeros((num_samples, MAX_TGT_LEN), dtype="int32")
    dec_out = np.zeros((num_samples, MAX_TGT_LEN), dtype="int32")
    for i in range(num_samples):
        src, tgt = make_pair(rng)
        enc_in[i, : len(src)] = src
        full = np.concatenate([[START], tgt, [END]])
        dec_in[i, : len(full) - 1] = full[:-1]   # teacher forcing input
        dec_out[i, : len(full) - 1] = full[1:]   # shifted by one
    return enc_in, dec_in, dec_out


enc_in, dec_in, dec_out = build_dataset(NUM_SAMPLES)
print("encoder input:", enc_in.shape, "decoder input:", dec_in.shape)

# ---------------------------------------------------------------------------
# Training model
# ---------------------------------------------------------------------------
encoder_inputs = keras.Input(shape=(None,), dtype="int32", name="encoder_inputs")
enc_embedding = layers.Embedding(VOCAB, EMBED_DIM, mask_zero=True, name="enc_emb")
x = enc_embedding(encoder_inputs)
encoder_lstm = layers.LSTM(LATENT_DIM, return_sequences=True, return_state=True,
                           name="encoder_lstm")
encoder_outputs, state_h, state_c = encoder_lstm(x)
encoder_states = [state_h, state_c]

decoder_inputs = keras.Input(shape=(None,), dtype="int32", name="decoder_inputs")
dec_embedding = layers.Embedding(VOCAB, EMBED_DIM, mask_zero=True, name="dec_emb")
decoder_lstm = layers.LSTM(LATENT_DIM, return_sequences=True, return_state=True,
                           name="decoder_lstm")
dec_emb = dec_embedding(decoder_inputs)
decoder_outputs, _, _ = decoder_lstm(dec_emb, initial_state=encoder_states)

attention = layers.Attention(name="luong_attention")
context = attention([decoder_outputs, encoder_outputs])
concat = layers.Concatenate(axis=-1, name="concat_ctx")
attn_hidden = layers.Dense(LATENT_DIM, activation="tanh", name="attn_hidden")
decoder_dense = layers.Dense(VOCAB, activation="softmax", name="decoder_dense")

h = attn_hidden(concat([decoder_outputs, context]))
outputs = decoder_dense(h)

model = keras.Model([encoder_inputs, decoder_inputs], outputs, name="seq2seq_attn")
model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.summary()

model.fit(
    [enc_in, dec_in],
    dec_out,
    batch_size=BATCH_SIZE,
    epochs=2,
    validation_split=0.1,
    verbose=2,
)

# ---------------------------------------------------------------------------
# Inference models
# ---------------------------------------------------------------------------
encoder_model = keras.Model(encoder_inputs, [encoder_outputs] + encoder_states,
                            name="encoder_inf")

dec_state_input_h = keras.Input(shape=(LATENT_DIM,), name="dec_h")
dec_state_input_c = keras.Input(shape=(LATENT_DIM,), name="dec_c")
enc_seq_input = keras.Input(shape=(None, LATENT_DIM), name="enc_seq")
dec_token_input = keras.Input(shape=(1,), dtype="int32", name="dec_token")

step_emb = dec_embedding(dec_token_input)
step_out, step_h, step_c = decoder_lstm(
    step_emb, initial_state=[dec_state_input_h, dec_state_input_c]
)
step_ctx = attention([step_out, enc_seq_input])
step_probs = decoder_dense(attn_hidden(concat([step_out, step_ctx])))

decoder_model = keras.Model(
    [dec_token_input, enc_seq_input, dec_state_input_h, dec_state_input_c],
    [step_probs, step_h, step_c],
    name="decoder_step",
)


def greedy_decode(src_batch, max_len=MAX_TGT_LEN):
    enc_seq, h, c = encoder_model.predict(src_batch, verbose=0)
    batch = src_batch.shape[0]
    token = np.full((batch, 1), START, dtype="int32")
    decoded = []
    finished = np.zeros(batch, dtype=bool)
    for _ in range(max_len):
        probs, h, c = decoder_model.predict([token, enc_seq, h, c], verbose=0)
        next_tok = np.argmax(probs[:, -1, :], axis=-1).astype("int32")
        next_tok = np.where(finished, PAD, next_tok)
        decoded.append(next_tok)
        finished |= next_tok == END
        if finished.all():
            break
        token = next_tok[:, None]
    return np.stack(decoded, axis=1)


test_src, _, test_tgt = build_dataset(8, seed=123)
preds = greedy_decode(test_src)
for s, p, t in zip(test_src[:3], preds[:3], test_tgt[:3]):
    strip = lambda a: [int(v) for v in a if v not in (PAD, END)]
    print("src:", strip(s), "\n  pred:", strip(p), "\n  gold:", strip(t))

# Attention weights for a single example, useful for plotting alignments.
scores = attention(
    [decoder_lstm(dec_embedding(dec_in[:1]), initial_state=encoder_model(enc_in[:1])[1:])[0],
     encoder_model(enc_in[:1])[0]],
    return_attention_scores=True,
)[1]
print("attention scores shape:", tuple(scores.shape))
