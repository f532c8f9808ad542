#!/usr/bin/env python
# Sentence-embedding dual encoder (query / passage towers share weights)
# trained with in-batch negatives, SimCSE / DPR style. Toy data, CPU friendly.
import argparse
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


def get_args():
    p = argparse.ArgumentParser()
    p.add_argument("--embed-dim", type=int, default=48)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--seq-len", type=int, default=16)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--temperature", type=float, default=0.05)
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--lr", type=float, default=2e-3)
    return p.parse_args([])


args = get_args()
tf.random.set_seed(1234)

# (question, answer-ish passage) pairs
PAIRS = [
    ("how do i reset my password", "click forgot password on the login page to reset it"),
    ("where is the nearest train station", "the central station is two blocks north of here"),
    ("what time does the shop open", "the store opens at nine in the morning"),
    ("how to cook rice", "rinse the rice then simmer it with water for twenty minutes"),
    ("is it going to rain tomorrow", "the forecast says showers are expected tomorrow afternoon"),
    ("best way to learn python", "practice small projects and read other people's code"),
    ("how much does the ticket cost", "a single ticket costs three euros"),
    ("can i bring my dog", "pets are welcome as long as they are on a leash"),
    ("why is the sky blue", "sunlight scatters off air molecules and blue scatters the most"),
    ("how do plants make food", "plants use sunlight water and carbon dioxide in photosynthesis"),
    ("who wrote hamlet", "hamlet is a tragedy written by william shakespeare"),
    ("how far is the moon", "the moon is about three hundred eighty thousand km away"),
    ("what is a neural network", "a neural network is a stack of learned linear maps and nonlinearities"),
    ("how to fix a flat tire", "remove the wheel patch the tube and inflate it again"),
    ("when does summer start", "summer begins around the twenty first of june"),
    ("how do vaccines work", "vaccines train the immune system to recognize a pathogen"),
]
queries = [q for q, _ in PAIRS]
passages = [p for _, p in PAIRS]

tokenizer = layers.TextVectorization(
    max_tokens=500, output_sequence_length=args.seq_len, name="tokenizer"
)
tokenizer.adapt(tf.data.Dataset.from_tensor_slices(queries + passages).batch(8))
VOCAB_SIZE = tokenizer.vocabulary_size()
print(f"vocab={VOCAB_SIZE}, pairs={len(PAIRS)}")


class MaskedMeanPooling(layers.Layer):
    """Average token vectors, ignoring padding positions."""

    def call(self, x, mask=None):
        if mask is None:
            return ops.mean(x, axis=1)
        m = ops.cast(ops.expand_dims(mask, -1), x.dtype)
        summed = ops.sum(x * m, axis=1)
        counts = ops.maximum(ops.sum(m, axis=1), 1.0)
        return summed / counts

    def compute_mask(self, inputs, mask=None):
        return None


class SentenceEncoder(keras.Model):
    def __init__(self, vocab_size, embed_dim, hidden, **kwargs):
        super().__init__(**kwargs)
        self.embed = layers.Embedding(vocab_size, embed_dim, mask_zero=True)
        self.rnn = layers.Bidirectional(
            layers.GRU(hidden // 2, return_sequences=True), merge_mode="concat"
        )
        self.pool = MaskedMeanPooling()
        self.proj = layers.Dense(hidden, use_bias=False)

    def call(self, token_ids, training=False):
        x = self.embed(token_ids)
        mask = self.embed.compute_mask(token_ids)
        x = self.rnn(x, mask=mask, training=training)
        x = self.pool(x, mask=mask)
        x = self.proj(x)
        return tf.math.l2_normalize(x, axis=-1)


def in_batch_softmax_loss(q_emb, p_emb, temperature):
    # every other passage in the batch is a negative for a given query
    logits = tf.einsum("qd,pd->qp", q_emb, p_emb) / temperature
    labels = tf.range(tf.shape(logits)[0])
    loss_q = tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    loss_p = tf.keras.losses.sparse_categorical_crossentropy(
        labels, tf.transpose(logits), from_logits=True
    )
    return tf.reduce_mean(loss_q + loss_p) / 2.0, logits


def make_dataset(batch_size):
    ds = tf.data.Dataset.from_tensor_slices((queries, passages))
    ds = ds.shuffle(len(PAIRS), reshuffle_each_iteration=True)
    ds = ds.map(lambda q, p: (tokenizer(q), tokenizer(p)), num_parallel_calls=tf.data.AUTOTUNE)
    # drop_remainder so the similarity matrix is always square
    return ds.batch(batch_size, drop_remainder=True).repeat().prefetch(2)


encoder = SentenceEncoder(VOCAB_SIZE, args.embed_dim, args.hidden, name="sent_encoder")
optimizer = keras.optimizers.AdamW(learning_rate=args.lr, weight_decay=1e-4)
loss_tracker = keras.metrics.Mean(name="loss")
acc_tracker = keras.metrics.Mean(name="in_batch_acc")


@tf.function
def train_step(q_tok, p_tok):
    with tf.GradientTape() as tape:
        q = encoder(q_tok, training=True)
        p = encoder(p_tok, training=True)
        loss, logits = in_batch_softmax_loss(q, p, args.temperature)
    grads = tape.gradient(loss, encoder.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 1.0)
    optimizer.apply_gradients(zip(grads, encoder.trainable_variables))
    hits = tf.cast(tf.equal(tf.argmax(logits, axis=-1, output_type=tf.int32),
                            tf.range(tf.shape(logits)[0])), tf.float32)
    return loss, tf.reduce_mean(hits)


t0 = time.time()
for step, (q_tok, p_tok) in enumerate(make_dataset(args.batch_size).take(args.steps)):
    loss, acc = train_step(q_tok, p_tok)
    loss_tracker.update_state(loss)
    acc_tracker.update_state(acc)
    if step % 2 == 0:
        print(f"step {step:02d}  loss={loss_tracker.result():.4f}  acc={acc_tracker.result():.3f}")
print(f"trained {args.steps} steps in {time.time() - t0:.1f}s")


def embed_texts(texts, batch_size=16):
    out = []
    for i in range(0, len(texts), batch_size):
        chunk = tokenizer(tf.constant(texts[i:i + batch_size]))
        out.append(encoder(chunk, training=False).numpy())
    return np.concatenate(out, axis=0)


# retrieval eval on the training pairs (yes, it's the train set, just a smoke test)
P = embed_texts(passages)
Q = embed_texts(queries)
sims = Q @ P.T
top1 = np.argmax(sims, axis=1)
recall_at_1 = float(np.mean(top1 == np.arange(len(queries))))
ranks = (-sims).argsort(axis=1)
recall_at_3 = float(np.mean([i in ranks[i, :3] for i in range(len(queries))]))
print(f"R@1={recall_at_1:.3f}  R@3={recall_at_3:.3f}")

for q in ["how can i reset the password", "who is the author of hamlet"]:
    qv = embed_texts([q])[0]
    best = int(np.argmax(P @ qv))
    print(f"{q!r} -> {passages[best]!r}")
