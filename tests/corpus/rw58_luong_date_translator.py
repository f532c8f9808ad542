"""Human-readable dates -> ISO 8601 with a char-level LSTM seq2seq + Luong attention.

Keras "lstm_seq2seq" style: one functional training graph (teacher forcing),
then separate encoder / decoder inference models that reuse the trained
layers. Luong (dot-product) attention is assembled by hand from Dot/Lambda
layers with an explicit padding mask. Decoding is batched greedy search.
"""
import datetime
import random

import numpy as np
from tensorflow import keras
from keras import layers, ops

random.seed(0)
np.random.seed(0)

N_SAMPLES = 1200
LATENT_DIM = 64
EMBED_DIM = 16
BATCH_SIZE = 64
EPOCHS = 1

FORMATS = [
    "%d %B %Y", "%B %d, %Y", "%d/%m/%Y", "%a %d %b %Y", "%A, %B %d %Y",
    "%d.%m.%y", "%b %d %Y", "%Y %B %d",
]


def random_date():
    start = datetime.date(1950, 1, 1)
    d = start + datetime.timedelta(days=random.randint(0, 365 * 90))
    human = d.strftime(random.choice(FORMATS)).lower()
    return human, d.isoformat()


pairs = [random_date() for _ in range(N_SAMPLES)]
input_texts = [p[0] for p in pairs]
# "\t" is the start-of-sequence char and "\n" the end-of-sequence char
target_texts = ["\t" + p[1] + "\n" for p in pairs]

input_chars = sorted(set("".join(input_texts)))
target_chars = sorted(set("".join(target_texts)))
# index 0 is reserved for padding in both vocabularies
input_token_index = {c: i + 1 for i, c in enumerate(input_chars)}
target_token_index = {c: i + 1 for i, c in enumerate(target_chars)}
reverse_target_index = {i: c for c, i in target_token_index.items()}
num_encoder_tokens = len(input_token_index) + 1
num_decoder_tokens = len(target_token_index) + 1
max_encoder_seq_length = max(len(t) for t in input_texts)
max_decoder_seq_length = max(len(t) for t in target_texts)

print("Number of samples:", len(input_texts))
print("Number of unique input tokens:", num_encoder_tokens)
print("Number of unique output tokens:", num_decoder_tokens)
print("Max sequence length for inputs:", max_encoder_seq_length)
print("Max sequence length for outputs:", max_decoder_seq_length)
print("example:", repr(input_texts[0]), "->", repr(target_texts[0]))

encoder_input_data = keras.utils.pad_sequences(
    [[input_token_index[c] for c in t] for t in input_texts],
    maxlen=max_encoder_seq_length, padding="post")
target_ids = keras.utils.pad_sequences(
    [[target_token_index[c] for c in t] for t in target_texts],
    maxlen=max_decoder_seq_length, padding="post")
decoder_input_data = target_ids[:, :-1]
decoder_target_data = target_ids[:, 1:]  # shifted by one step

# ---------------------------------------------------------------------------
# Layers (kept as module-level objects so the inference models can reuse them)
# ---------------------------------------------------------------------------
enc_embedding = layers.Embedding(num_encoder_tokens, EMBED_DIM, name="enc_emb")
encoder_lstm = layers.LSTM(LATENT_DIM, return_sequences=True, return_state=True, name="encoder_lstm")
dec_embedding = layers.Embedding(num_decoder_tokens, EMBED_DIM, name="dec_emb")
decoder_lstm = layers.LSTM(LATENT_DIM, return_sequences=True, return_state=True, name="decoder_lstm")
attn_combine = layers.Dense(LATENT_DIM, activation="tanh", name="attn_combine")  # W_c [c; h]
decoder_dense = layers.Dense(num_decoder_tokens, activation="softmax", name="decoder_dense")

score_dot = layers.Dot(axes=(2, 2), name="luong_score")    # (B, Ty, Tx)
context_dot = layers.Dot(axes=(2, 1), name="luong_context")  # (B, Ty, H)


def padding_bias(src_ids):
    # (B, Tx) -> (B, 1, Tx) additive bias: 0 for real tokens, -1e9 for padding
    pad = ops.cast(ops.equal(src_ids, 0), "float32")
    return ops.expand_dims(pad * -1e9, 1)


mask_bias_layer = layers.Lambda(padding_bias, name="padding_bias")
masked_softmax = layers.Lambda(lambda t: ops.softmax(t[0] + t[1], axis=-1), name="attention_weights")


def luong_attention(decoder_seq, encoder_seq, src_ids):
    scores = score_dot([decoder_seq, encoder_seq])
    weights = masked_softmax([scores, mask_bias_layer(src_ids)])
    context = context_dot([weights, encoder_seq])
    attentional = attn_combine(layers.concatenate([context, decoder_seq]))
    return attentional, weights


# ---------------------------------------------------------------------------
# Training model
# ---------------------------------------------------------------------------
encoder_inputs = keras.Input(shape=(None,), dtype="int32", name="encoder_inputs")
encoder_seq, state_h, state_c = encoder_lstm(enc_embedding(encoder_inputs))
encoder_states = [state_h, state_c]

decoder_inputs = keras.Input(shape=(None,), dtype="int32", name="decoder_inputs")
decoder_seq, _, _ = decoder_lstm(dec_embedding(decoder_inputs), initial_state=encoder_states)
attentional, _ = luong_attention(decoder_seq, encoder_seq, encoder_inputs)
decoder_outputs = decoder_dense(attentional)

model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs, name="date_seq2seq")
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.summary(line_length=100)
model.fit(
    [encoder_input_data, decoder_input_data], decoder_target_data,
    batch_size=BATCH_SIZE, epochs=EPOCHS, validation_split=0.1, verbose=2,
)

# ---------------------------------------------------------------------------
# Inference models
# ---------------------------------------------------------------------------
encoder_model = keras.Model(encoder_inputs, [encoder_seq] + encoder_states, name="encoder_inf")

dec_state_input_h = keras.Input(shape=(LATENT_DIM,), name="dec_h")
dec_state_input_c = keras.Input(shape=(LATENT_DIM,), name="dec_c")
enc_seq_input = keras.Input(shape=(None, LATENT_DIM), name="enc_seq")
src_ids_input = keras.Input(shape=(None,), dtype="int32", name="src_ids")
step_input = keras.Input(shape=(1,), dtype="int32", name="prev_char")

step_seq, h, c = decoder_lstm(dec_embedding(step_input),
                              initial_state=[dec_state_input_h, dec_state_input_c])
step_attentional, step_weights = luong_attention(step_seq, enc_seq_input, src_ids_input)
step_probs = decoder_dense(step_attentional)
decoder_model = keras.Model(
    [step_input, enc_seq_input, src_ids_input, dec_state_input_h, dec_state_input_c],
    [step_probs, h, c, step_weights], name="decoder_inf")


def decode_batch(src_batch):
    """Greedy decoding for a whole batch at once; stops when every row emitted '\\n'."""
    enc_seq, h, c = encoder_model.predict(src_batch, verbose=0)
    batch = src_batch.shape[0]
    prev = np.full((batch, 1), target_token_index["\t"], dtype="int32")
    done = np.zeros(batch, dtype=bool)
    out = [[] for _ in range(batch)]
    attn_maps = []
    for _ in range(max_decoder_seq_length):
        probs, h, c, w = decoder_model.predict([prev, enc_seq, src_batch, h, c], verbose=0)
        next_ids = probs[:, -1, :].argmax(axis=-1)
        attn_maps.append(w[:, 0, :])
        for i, tid in enumerate(next_ids):
            if done[i]:
                continue
            ch = reverse_target_index.get(int(tid), "")
            if ch == "\n":
                done[i] = True
            else:
                out[i].append(ch)
        if done.all():
            break
        prev = next_ids[:, None].astype("int32")
    return ["".join(o) for o in out], np.stack(attn_maps, axis=1)


test_idx = np.random.choice(len(input_texts), size=5, replace=False)
decoded, attn = decode_batch(encoder_input_data[test_idx])
print("attention maps:", attn.shape)  # (batch, Ty, Tx)
for i, idx in enumerate(test_idx):
    print(f"{input_texts[idx]:>32} -> {decoded[i]:<12} (gold {target_texts[idx].strip()})")
