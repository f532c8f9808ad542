"""Extractive question answering (SQuAD-style) with a tiny Transformer encoder.

Input is `[CLS] question [SEP] context [SEP]` with token-type ids. Two heads
produce start / end logits over the sequence; logits outside the context are
masked out before the softmax. Trained with a custom GradientTape loop and
decoded by scoring every valid (start, end) pair with end >= start and a
maximum answer length.

Synthetic data: the question contains a "key" token, the answer is the span
that follows that key inside the context.
"""
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CONFIG = {
    "vocab_size": 400,
    "max_len": 64,
    "max_q_len": 8,
    "d_model": 64,
    "num_heads": 4,
    "ff_dim": 128,
    "num_layers": 2,
    "dropout": 0.1,
    "batch_size": 32,
    "train_steps": 20,
    "lr": 3e-4,
    "max_answer_len": 6,
}
PAD_ID, CLS_ID, SEP_ID = 0, 1, 2
FIRST_WORD_ID = 10

rng = np.random.default_rng(123)


# ----------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------
def make_example(cfg):
    vocab, max_len, max_q = cfg["vocab_size"], cfg["max_len"], cfg["max_q_len"]
    q_len = int(rng.integers(3, max_q - 2))
    question = list(rng.integers(FIRST_WORD_ID, vocab, size=q_len))
    key = question[-1]

    ctx_budget = max_len - (q_len + 3)
    ctx_len = int(rng.integers(ctx_budget // 2, ctx_budget + 1))
    context = list(rng.integers(FIRST_WORD_ID, vocab, size=ctx_len))
    ans_len = int(rng.integers(1, cfg["max_answer_len"] + 1))
    key_pos = int(rng.integers(0, ctx_len - ans_len - 1))
    context[key_pos] = key

    tokens = [CLS_ID] + question + [SEP_ID]
    offset = len(tokens)
    tokens += context + [SEP_ID]
    type_ids = [0] * offset + [1] * (len(tokens) - offset)

    start = offset + key_pos + 1
    end = start + ans_len - 1
    pad_n = max_len - len(tokens)
    tokens = tokens + [PAD_ID] * pad_n
    type_ids = type_ids + [0] * pad_n
    attn = [1] * (max_len - pad_n) + [0] * pad_n
    return tokens, type_ids, attn, start, end


def make_dataset(n, cfg):
    cols = list(zip(*[make_example(cfg) for _ in range(n)]))
    features = {
        "input_ids": np.array(cols[0], dtype="int32"),
        "token_type_ids": np.array(cols[1], dtype="int32"),
        "attention_mask": np.array(cols[2], dtype="int32"),
    }
    labels = {
        "start_positions": np.array(cols[3], dtype="int32"),
        "end_positions": np.array(cols[4], dtype="int32"),
    }
    return features, labels


# ----------------------------------------------------------------------------
# model
# ----------------------------------------------------------------------------
class TransformerBlock(layers.Layer):
    def __init__(self, d_model, num_heads, ff_dim, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.attn = layers.MultiHeadAttention(num_heads, key_dim=d_model // num_heads, dropout=dropout)
        self.ffn = keras.Sequential([
            layers.Dense(ff_dim, activation="gelu"),
            layers.Dense(d_model),
        ])
        self.ln1 = layers.LayerNormalization(epsilon=1e-6)
        self.ln2 = layers.LayerNormalization(epsilon=1e-6)
        self.drop = layers.Dropout(dropout)

    def call(self, x, attention_mask, training=False):
        # attention_mask: (B, T) -> (B, 1, T) broadcast over query positions
        mask = tf.cast(attention_mask[:, tf.newaxis, :], tf.bool)
        h = self.attn(x, x, attention_mask=mask, training=training)
        x = self.ln1(x + self.drop(h, training=training))
        h = self.ffn(x)
        return self.ln2(x + self.drop(h, training=training))


class SpanQAModel(keras.Model):
    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        d = cfg["d_model"]
        self.tok_emb = layers.Embedding(cfg["vocab_size"], d)
        self.pos_emb = layers.Embedding(cfg["max_len"], d)
        self.type_emb = layers.Embedding(2, d)
        self.emb_norm = layers.LayerNormalization(epsilon=1e-6)
        self.blocks = [TransformerBlock(d, cfg["num_heads"], cfg["ff_dim"], cfg["dropout"],
                                        name=f"block_{i}")
                       for i in range(cfg["num_layers"])]
        # single Dense(2) and split, as in BERT's qa_outputs
        self.qa_outputs = layers.Dense(2, name="qa_outputs")

    def call(self, inputs, training=False):
        ids = inputs["input_ids"]
        types = inputs["token_type_ids"]
        attn = inputs["attention_mask"]
        seq_len = tf.shape(ids)[1]
        positions = tf.range(seq_len)[tf.newaxis, :]
        x = self.tok_emb(ids) + self.pos_emb(positions) + self.type_emb(types)
        x = self.emb_norm(x)
        for block in self.blocks:
            x = block(x, attn, training=training)
        logits = self.qa_outputs(x)                       # (B, T, 2)
        start_logits, end_logits = tf.unstack(logits, num=2, axis=-1)

        # only context tokens (type 1, not padding, not the final SEP) are valid answers
        valid = tf.logical_and(tf.equal(types, 1), tf.not_equal(ids, SEP_ID))
        neg = tf.fill(tf.shape(start_logits), -1e4)
        start_logits = tf.where(valid, start_logits, neg)
        end_logits = tf.where(valid, end_logits, neg)
        return start_logits, end_logits


def span_loss(start_pos, end_pos, start_logits, end_logits):
    ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return 0.5 * (ce(start_pos, start_logits) + ce(end_pos, end_logits))


def best_spans(start_logits, end_logits, max_answer_len):
    """Vectorised (numpy) search over start <= end < start + max_answer_len."""
    start_p = tf.nn.softmax(start_logits, axis=-1).numpy()
    end_p = tf.nn.softmax(end_logits, axis=-1).numpy()
    T = start_p.shape[-1]
    scores = start_p[:, :, None] * end_p[:, None, :]            # (B, T, T)
    band = np.triu(np.ones((T, T)), 0) - np.triu(np.ones((T, T)), max_answer_len)
    scores = scores * band[None]
    flat = scores.reshape(scores.shape[0], -1).argmax(axis=-1)
    starts, ends = np.unravel_index(flat, (T, T))
    return starts, ends, scores.reshape(scores.shape[0], -1).max(axis=-1)


def main():
    cfg = CONFIG
    tf.random.set_seed(0)
    train_x, train_y = make_dataset(1024, cfg)
    val_x, val_y = make_dataset(128, cfg)
    print({k: v.shape for k, v in train_x.items()})

    train_ds = (tf.data.Dataset.from_tensor_slices((train_x, train_y))
                .shuffle(1024, seed=0)
                .repeat()
                .batch(cfg["batch_size"], drop_remainder=True)
                .prefetch(2))

    model = SpanQAModel(cfg, name="span_qa")
    optimizer = keras.optimizers.AdamW(learning_rate=cfg["lr"], weight_decay=0.01, clipnorm=1.0)
    loss_metric = keras.metrics.Mean(name="loss")
    start_acc = keras.metrics.SparseCategoricalAccuracy(name="start_acc")
    end_acc = keras.metrics.SparseCategoricalAccuracy(name="end_acc")

    @tf.function
    def train_step(features, labels):
        with tf.GradientTape() as tape:
            start_logits, end_logits = model(features, training=True)
            loss = span_loss(labels["start_positions"], labels["end_positions"],
                             start_logits, end_logits)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        loss_metric.update_state(loss)
        start_acc.update_state(labels["start_positions"], start_logits)
        end_acc.update_state(labels["end_positions"], end_logits)
        return loss

    t0 = time.time()
    for step, (features, labels) in enumerate(train_ds.take(cfg["train_steps"])):
        train_step(features, labels)
        if (step + 1) % 10 == 0:
            print(f"step {step + 1:3d}  loss={loss_metric.result():.4f}  "
                  f"start_acc={start_acc.result():.3f}  end_acc={end_acc.result():.3f}")
            for m in (loss_metric, start_acc, end_acc):
                m.reset_state()
    print(f"trained {cfg['train_steps']} steps in {time.time() - t0:.1f}s")
    print("params:", model.count_params())

    # evaluation: exact match on the decoded span
    start_logits, end_logits = model(val_x, training=False)
    print("logits:", start_logits.shape, end_logits.shape)
    starts, ends, scores = best_spans(start_logits, end_logits, cfg["max_answer_len"])
    exact = np.mean((starts == val_y["start_positions"]) & (ends == val_y["end_positions"]))
    print(f"val exact match: {exact:.3f}")
    for i in range(3):
        ids = val_x["input_ids"][i]
        print(f"  pred span [{starts[i]}, {ends[i]}] score={scores[i]:.3f} "
              f"tokens={ids[starts[i]:ends[i] + 1].tolist()}  "
              f"gold=[{val_y['start_positions'][i]}, {val_y['end_positions'][i]}]")


if __name__ == "__main__":
    main()
