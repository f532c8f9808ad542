#!/usr/bin/env python
# Beam search over a GRU language model.
#
# Q: "How do I do beam search in TF without a python loop over beams?"
# A: keep everything as [batch, beam, ...], add the per-beam score to the
#    log-probs, flatten to [batch, beam*vocab], take tf.math.top_k(k=beam),
#    then recover (beam_index, token) with // and %. Recurrent state is
#    reordered with tf.gather(..., batch_dims=1).
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

PAD, BOS, EOS = 0, 1, 2
FIRST_DIGIT = 3
VOCAB = 14
HIDDEN = 64
EMB = 24
MAX_TRAIN_LEN = 14
BEAM = 4
MAX_DECODE = 12
LENGTH_ALPHA = 0.6
NEG_INF = -1e9

np.random.seed(11)
tf.random.set_seed(11)


# ---- data: "count down from s to the smallest digit, then EOS" ----------
def countdown(start):
    return [BOS] + list(range(start, FIRST_DIGIT - 1, -1)) + [EOS]


def build_arrays(n):
    seqs = [countdown(np.random.randint(FIRST_DIGIT, VOCAB)) for _ in range(n)]
    arr = keras.utils.pad_sequences(seqs, maxlen=MAX_TRAIN_LEN, padding="post", value=PAD)
    return arr[:, :-1].astype("int32"), arr[:, 1:].astype("int32")


x_train, y_train = build_arrays(400)

# ---- model: shared layers, one training graph and one single-step graph ---
embedding = layers.Embedding(VOCAB, EMB, name="emb")
gru = layers.GRU(HIDDEN, return_sequences=True, return_state=True, name="gru")
proj = layers.Dense(VOCAB, name="logits")

tok_in = keras.Input((None,), dtype="int32")
seq_out, _ = gru(embedding(tok_in))
train_model = keras.Model(tok_in, proj(seq_out))

step_tok = keras.Input((None,), dtype="int32", name="step_tokens")
step_state = keras.Input((HIDDEN,), name="state_in")
step_seq, new_state = gru(embedding(step_tok), initial_state=step_state)
step_model = keras.Model([step_tok, step_state], [proj(step_seq[:, -1]), new_state])


def masked_xent(y_true, y_pred):
    per_tok = keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)
    mask = tf.cast(tf.math.not_equal(y_true, PAD), per_tok.dtype)
    return tf.reduce_sum(per_tok * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)


train_model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=masked_xent)
train_model.fit(x_train, y_train, batch_size=32, epochs=2, verbose=2)


# ---- beam search ---------------------------------------------------------
@tf.function(reduce_retracing=True)
def beam_step(tokens, state, scores, finished):
    """tokens [B,K], state [B,K,H], scores [B,K], finished [B,K] bool."""
    B = tf.shape(tokens)[0]
    flat_tok = tf.reshape(tokens, [B * BEAM, 1])
    flat_state = tf.reshape(state, [B * BEAM, HIDDEN])
    logits, next_state = step_model([flat_tok, flat_state])
    logp = tf.nn.log_softmax(logits)                               # [B*K, V]
    logp = tf.reshape(logp, [B, BEAM, VOCAB])

    # finished beams may only emit EOS again, at zero additional cost
    eos_only = tf.one_hot(EOS, VOCAB, on_value=0.0, off_value=NEG_INF)
    logp = tf.where(finished[:, :, None], eos_only[None, None, :], logp)

    cand = scores[:, :, None] + logp                               # [B, K, V]
    flat = tf.reshape(cand, [B, BEAM * VOCAB])
    top_scores, top_idx = tf.math.top_k(flat, k=BEAM)              # [B, K]
    src_beam = top_idx // VOCAB
    new_tok = top_idx % VOCAB

    next_state = tf.reshape(next_state, [B, BEAM, HIDDEN])
    next_state = tf.gather(next_state, src_beam, batch_dims=1)
    was_done = tf.gather(finished, src_beam, batch_dims=1)
    now_done = tf.logical_or(was_done, tf.equal(new_tok, EOS))
    return new_tok, next_state, top_scores, now_done, src_beam


def beam_search(prefixes):
    """prefixes: list of int lists (each starting with BOS). Returns best hyps."""
    B = len(prefixes)
    # prefill each prompt separately (they may differ in length)
    states, last = [], []
    for p in prefixes:
        arr = tf.constant([p[:-1]], dtype=tf.int32)
        h = tf.zeros([1, HIDDEN])
        if len(p) > 1:
            _, h = step_model([arr, h])
        states.append(h)
        last.append(p[-1])
    state = tf.tile(tf.concat(states, 0)[:, None, :], [1, BEAM, 1])
    tokens = tf.tile(tf.constant(last, tf.int32)[:, None], [1, BEAM])
    # only beam 0 is "alive" at t=0 so we don't get K copies of one hypothesis
    scores = tf.tile(tf.constant([[0.0] + [NEG_INF] * (BEAM - 1)]), [B, 1])
    finished = tf.zeros([B, BEAM], tf.bool)
    history = tf.zeros([B, BEAM, 0], tf.int32)
    lengths = tf.zeros([B, BEAM], tf.float32)

    for t in range(MAX_DECODE):
        tokens, state, scores, new_finished, src = beam_step(tokens, state, scores, finished)
        history = tf.gather(history, src, batch_dims=1)
        lengths = tf.gather(lengths, src, batch_dims=1)
        prev_finished = tf.gather(finished, src, batch_dims=1)
        lengths += tf.cast(tf.logical_not(prev_finished), tf.float32)
        history = tf.concat([history, tokens[:, :, None]], axis=2)
        finished = new_finished
        if bool(tf.reduce_all(finished)):   # eager check, outside tf.function
            print(f"all beams finished after {t + 1} steps")
            break

    # GNMT length penalty
    lp = tf.pow((5.0 + lengths) / 6.0, LENGTH_ALPHA)
    normed = scores / lp
    order = tf.argsort(normed, axis=-1, direction="DESCENDING")
    history = tf.gather(history, order, batch_dims=1)
    normed = tf.gather(normed, order, batch_dims=1)
    return history.numpy(), normed.numpy()


def strip(seq):
    out = []
    for tok in seq:
        if tok == EOS:
            break
        out.append(int(tok))
    return out


prompts = [[BOS, 9], [BOS, 12, 11], [BOS, 5], [BOS, 7, 6, 5]]
hyps, hyp_scores = beam_search(prompts)
for p, beams, sc in zip(prompts, hyps, hyp_scores):
    print(f"prompt {p[1:]}:")
    for rank, (h, s) in enumerate(zip(beams, sc)):
        print(f"   #{rank} score={s:7.3f}  -> {p[1:] + strip(h)}")

best = [p[1:] + strip(h[0]) for p, h in zip(prompts, hyps)]
exact = sum(b == countdown(p[1])[1:-1] for p, b in zip(prompts, best))
print(f"exact countdowns in top beam: {exact}/{len(prompts)}")
