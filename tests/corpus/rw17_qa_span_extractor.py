"""Extractive question answering: predict answer start/end inside a context.

The context and the question share one embedding table.  The question is
encoded by a BiLSTM and mean-pooled; the context is encoded by another BiLSTM
and enriched with context-to-question attention.  Two Dense heads produce
start and end logits over the context positions, trained with two sparse
categorical cross-entropy losses (from_logits=True).  At inference we pick the
best (start, end) pair with start <= end and a maximum answer length.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

VOCAB = 800
CTX_LEN = 40
Q_LEN = 10
EMB = 32
HIDDEN = 32
MAX_ANSWER_LEN = 8
BATCH = 16


def build_model():
    context = keras.Input(shape=(CTX_LEN,), dtype="int32", name="context")
    question = keras.Input(shape=(Q_LEN,), dtype="int32", name="question")

    embed = layers.Embedding(VOCAB, EMB, name="shared_embedding")
    c_emb = embed(context)
    q_emb = embed(question)

    q_enc = layers.Bidirectional(layers.LSTM(HIDDEN, return_sequences=True),
                                 name="question_encoder")(q_emb)
    c_enc = layers.Bidirectional(layers.LSTM(HIDDEN, return_sequences=True),
                                 name="context_encoder")(c_emb)

    # Context-to-question attention: each context token attends over question.
    c2q = layers.Attention(use_scale=True, name="c2q_attention")([c_enc, q_enc])
    q_summary = layers.GlobalAveragePooling1D(name="question_pool")(q_enc)
    q_tiled = layers.RepeatVector(CTX_LEN, name="tile_question")(q_summary)

    fused = layers.Concatenate(name="fuse")(
        [c_enc, c2q, layers.Multiply()([c_enc, c2q]), q_tiled])
    fused = layers.Dense(HIDDEN * 2, activation="relu", name="fuse_proj")(fused)
    modeled = layers.Bidirectional(layers.LSTM(HIDDEN, return_sequences=True),
                                   name="modeling")(fused)

    start = layers.Dense(1, name="start_dense")(modeled)
    start = layers.Reshape((CTX_LEN,), name="start_logits")(start)
    end_in = layers.Concatenate()([modeled, fused])
    end = layers.Dense(1, name="end_dense")(end_in)
    end = layers.Reshape((CTX_LEN,), name="end_logits")(end)

    return keras.Model([context, question], {"start": start, "end": end},
                       name="span_extractor")


def make_synthetic(n, rng):
    """Plant the question's tokens in the context so the span is learnable."""
    ctx = rng.integers(1, VOCAB, size=(n, CTX_LEN)).astype("int32")
    qs = np.zeros((n, Q_LEN), dtype="int32")
    starts = np.zeros((n,), dtype="int32")
    ends = np.zeros((n,), dtype="int32")
    for i in range(n):
        length = rng.integers(1, MAX_ANSWER_LEN + 1)
        s = rng.integers(0, CTX_LEN - length)
        q_len = rng.integers(max(3, length), Q_LEN + 1)
        qs[i, :q_len] = rng.integers(1, VOCAB, size=q_len)
        ctx[i, s:s + length] = qs[i, :length]
        starts[i] = s
        ends[i] = s + length - 1
    return ctx, qs, starts, ends


def best_spans(start_logits, end_logits, max_len=MAX_ANSWER_LEN):
    """Greedy search for argmax_{i<=j<i+max_len} start[i] + end[j]."""
    spans = []
    for s_log, e_log in zip(start_logits, end_logits):
        scores = s_log[:, None] + e_log[None, :]
        valid = np.triu(np.ones_like(scores, dtype=bool))
        valid &= ~np.triu(np.ones_like(scores, dtype=bool), k=max_len)
        scores = np.where(valid, scores, -np.inf)
        i, j = np.unravel_index(np.argmax(scores), scores.shape)
        spans.append((int(i), int(j)))
    return spans


def main():
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    ctx, qs, starts, ends = make_synthetic(128, rng)

    model = build_model()
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss={
            "start": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            "end": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        },
        loss_weights={"start": 1.0, "end": 1.0},
        metrics={"start": ["sparse_categorical_accuracy"],
                 "end": ["sparse_categorical_accuracy"]},
    )
    model.summary(line_length=100)

    ds = tf.data.Dataset.from_tensor_slices(
        ({"context": ctx, "question": qs}, {"start": starts, "end": ends}))
    ds = ds.shuffle(128, seed=3).batch(BATCH).prefetch(tf.data.AUTOTUNE)
    hist = model.fit(ds, epochs=1, steps_per_epoch=6, verbose=2)
    print({k: round(float(v[-1]), 4) for k, v in hist.history.items()})

    preds = model.predict({"context": ctx[:5], "question": qs[:5]}, verbose=0)
    start_probs = ops.convert_to_numpy(ops.softmax(preds["start"], axis=-1))
    assert start_probs.shape == (5, CTX_LEN)
    for (i, j), s, e in zip(best_spans(preds["start"], preds["end"]),
                            starts[:5], ends[:5]):
        assert i <= j < i + MAX_ANSWER_LEN
        print(f"pred span=({i},{j})  gold span=({s},{e})")


if __name__ == "__main__":
    main()
