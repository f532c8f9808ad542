"""Headline generation with an LSTM seq2seq + Luong attention + a copy (pointer) switch.

encoder LSTM -> (h, c) initialise the decoder LSTM; keras.layers.Attention gives dot-product
(Luong) attention; a learned p_gen mixes the vocab softmax with the attention distribution
scattered onto source token ids (See et al. 2017, minus coverage).
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers
from keras import ops

HP = dict(src_len=20, tgt_len=8, vocab=400, emb=32, units=64, batch=6, lr=2e-3)
keras.utils.set_random_seed(11)

DATA = [
    ("the city council approved a new budget for public parks on monday evening",
     "council approves parks budget"),
    ("heavy rain caused flooding in several villages near the river this weekend",
     "rain floods river villages"),
    ("the national team won the final match after a dramatic penalty shootout",
     "national team wins final"),
    ("scientists discovered a new species of frog in the mountain forest",
     "new frog species discovered"),
    ("the central bank raised interest rates to fight rising inflation",
     "central bank raises rates"),
    ("a fire destroyed an old warehouse near the harbor late on friday",
     "fire destroys harbor warehouse"),
    ("the company announced record profits thanks to strong phone sales",
     "company reports record profits"),
    ("local schools will close early because of the heat wave",
     "heat wave closes schools"),
    ("the museum opened a new exhibition about ancient egypt",
     "museum opens egypt exhibition"),
    ("engineers finished repairs on the main bridge ahead of schedule",
     "bridge repairs finished early"),
    ("the mayor promised more buses for the northern districts",
     "mayor promises more buses"),
    ("farmers expect a poor harvest after the long dry summer",
     "farmers expect poor harvest"),
]
sources = [s for s, _ in DATA]
targets = [f"[start] {t} [end]" for _, t in DATA]

# shared vocab so the copy mechanism can point at source ids directly
vectorizer = layers.TextVectorization(
    max_tokens=HP["vocab"], standardize="lower", split="whitespace", output_mode="int"
)
vectorizer.adapt(sources + targets)
vocab = vectorizer.get_vocabulary()
V = len(vocab)
tok2id = {t: i for i, t in enumerate(vocab)}
START, END = tok2id["[start]"], tok2id["[end]"]


def to_ids(texts, length):
    ids = vectorizer(tf.constant(texts)).numpy()
    out = np.zeros((len(texts), length), dtype="int32")
    n = min(length, ids.shape[1])
    out[:, :n] = ids[:, :n]
    return out


src_ids = to_ids(sources, HP["src_len"])
tgt_ids = to_ids(targets, HP["tgt_len"] + 1)
dec_in, dec_out = tgt_ids[:, :-1], tgt_ids[:, 1:]
print(f"vocab={V} src={src_ids.shape} dec_in={dec_in.shape}")


class PointerMixer(layers.Layer):
    """Combine p_vocab and attention-weighted copy distribution."""

    def __init__(self, vocab_size, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size = vocab_size
        self.switch = layers.Dense(1, activation="sigmoid", name="p_gen")
        self.supports_masking = True

    def call(self, vocab_probs, attn_scores, src_tokens, context, dec_state):
        p_gen = self.switch(ops.concatenate([context, dec_state], axis=-1))
        src_onehot = ops.one_hot(src_tokens, self.vocab_size)
        copy_probs = ops.einsum("bts,bsv->btv", attn_scores, src_onehot)
        mixed = p_gen * vocab_probs + (1.0 - p_gen) * copy_probs
        return ops.clip(mixed, 1e-7, 1.0)


# layers are created once and reused by the train graph and the inference graphs
shared_emb = layers.Embedding(V, HP["emb"], mask_zero=True, name="shared_emb")
enc_lstm = layers.LSTM(HP["units"], return_sequences=True, return_state=True, name="enc_lstm")
dec_lstm = layers.LSTM(HP["units"], return_sequences=True, return_state=True, name="dec_lstm")
luong = layers.Attention(score_mode="dot", name="luong_attn")
attn_combine = layers.Dense(HP["units"], activation="tanh", name="attn_combine")
vocab_proj = layers.Dense(V, activation="softmax", name="vocab_dist")
pointer = PointerMixer(V, name="pointer")


def decode_block(dec_tokens, enc_seq, enc_tokens, h, c):
    x = shared_emb(dec_tokens)
    dec_seq, h, c = dec_lstm(x, initial_state=[h, c])
    # don't let attention (and therefore the copy dist) land on source padding
    src_mask = ops.not_equal(enc_tokens, 0)
    context, scores = luong([dec_seq, enc_seq], mask=[None, src_mask], return_attention_scores=True)
    hidden = attn_combine(layers.concatenate([dec_seq, context]))
    probs = pointer(vocab_proj(hidden), scores, enc_tokens, context, dec_seq)
    return probs, h, c, scores


enc_in = keras.Input((HP["src_len"],), dtype="int32", name="src")
dec_tok_in = keras.Input((None,), dtype="int32", name="dec_in")
enc_seq, enc_h, enc_c = enc_lstm(shared_emb(enc_in))
train_probs, _, _, _ = decode_block(dec_tok_in, enc_seq, enc_in, enc_h, enc_c)
model = keras.Model([enc_in, dec_tok_in], train_probs, name="pointer_seq2seq")


def masked_nll(y_true, y_pred):
    y_true = tf.cast(y_true, tf.int32)
    nll = -tf.math.log(tf.gather(y_pred, y_true, batch_dims=2))
    mask = tf.cast(y_true != 0, nll.dtype)
    return tf.reduce_sum(nll * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)


model.compile(optimizer=keras.optimizers.Adam(HP["lr"], clipnorm=5.0), loss=masked_nll)
model.fit([src_ids, dec_in], dec_out, batch_size=HP["batch"], epochs=1, verbose=2)

# ---- inference graphs -------------------------------------------------------
encoder_model = keras.Model(enc_in, [enc_seq, enc_h, enc_c], name="encoder_inf")

step_tok = keras.Input((1,), dtype="int32", name="step_tok")
step_enc = keras.Input((HP["src_len"], HP["units"]), name="enc_seq")
step_src = keras.Input((HP["src_len"],), dtype="int32", name="src_tokens")
h_in = keras.Input((HP["units"],), name="h")
c_in = keras.Input((HP["units"],), name="c")
step_probs, h_out, c_out, step_scores = decode_block(step_tok, step_enc, step_src, h_in, c_in)
decoder_model = keras.Model(
    [step_tok, step_enc, step_src, h_in, c_in], [step_probs, h_out, c_out, step_scores],
    name="decoder_step",
)


def greedy_summarize(text, max_steps=HP["tgt_len"]):
    src = to_ids([text], HP["src_len"])
    seq, h, c = encoder_model.predict(src, verbose=0)
    tok = np.array([[START]], dtype="int32")
    words, attn_rows = [], []
    for _ in range(max_steps):
        probs, h, c, scores = decoder_model.predict([tok, seq, src, h, c], verbose=0)
        step_p = probs[0, -1].copy()
        step_p[0] = 0.0  # never emit padding
        next_id = int(np.argmax(step_p))
        if next_id == END:
            break
        words.append(vocab[next_id])
        attn_rows.append(scores[0, -1])
        tok = np.array([[next_id]], dtype="int32")
    return " ".join(words), np.stack(attn_rows) if attn_rows else None


for text in sources[:2] + ["the council opened a new museum near the river"]:
    summary, attn = greedy_summarize(text)
    focus = ""
    if attn is not None:
        src_words = text.split()[: HP["src_len"]]
        focus = src_words[int(attn[0, : len(src_words)].argmax())]
    print(f"> {text[:50]}...\n  = {summary!r} (first step attends to '{focus}')")
