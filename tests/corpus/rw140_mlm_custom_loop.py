"""
MLM with *dynamic* masking done in the tf.data pipeline, and a hand-written
training loop (GradientTape + tf.function) instead of model.fit.

All masking logic is vectorised tensor ops (tf.where / tf.random), so it is
safe inside Dataset.map and tf.function graphs.
"""
import tempfile
import os
import time
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
import keras


@dataclass
class Cfg:
    vocab_size: int = 128
    seq_len: int = 16
    d_model: int = 32
    n_heads: int = 2
    d_ff: int = 64
    n_layers: int = 2
    mask_prob: float = 0.2
    batch_size: int = 32
    steps_per_epoch: int = 10
    epochs: int = 2
    lr: float = 3e-3
    ckpt_dir: str = os.path.join(tempfile.gettempdir(), "rw140_mlm_ckpt")


cfg = Cfg()
tf.random.set_seed(0)
np.random.seed(0)

# ------------------------------------------------------------------ data
colors = ["red", "blue", "green", "yellow", "black", "white"]
things = ["apple", "shirt", "car", "house", "flower", "bicycle", "cup"]
people = ["anna", "bob", "carla", "dev", "emma", "farid"]
verbs = ["bought", "painted", "lost", "found", "wanted", "borrowed"]

sentences = []
for _ in range(300):
    p, v = np.random.choice(people), np.random.choice(verbs)
    c, t = np.random.choice(colors), np.random.choice(things)
    extra = f" from {np.random.choice(people)}" if v == "borrowed" else ""
    sentences.append(f"{p.title()} {v} a {c} {t}{extra}.")

vectorizer = keras.layers.TextVectorization(
    max_tokens=cfg.vocab_size - 1,  # reserve one id for [MASK]
    output_sequence_length=cfg.seq_len,
)
vectorizer.adapt(sentences)
VOCAB = [str(t) for t in vectorizer.get_vocabulary()]
MASK_ID = len(VOCAB)  # first unused id
N_CLASSES = MASK_ID + 1
print(f"{len(sentences)} sentences, vocab={len(VOCAB)}, mask_id={MASK_ID}")


def dynamic_mask(ids):
    """ids: int64 [B, T] -> (masked_ids, labels, weights). No Python branching on tensors."""
    ids = tf.cast(ids, tf.int32)
    is_token = ids > 1
    rnd = tf.random.uniform(tf.shape(ids))
    chosen = tf.logical_and(rnd < cfg.mask_prob, is_token)
    # guarantee at least one target per row: if a row has none, pick its first real token
    none_chosen = tf.logical_not(tf.reduce_any(chosen, axis=1, keepdims=True))
    first_tok = tf.equal(tf.cumsum(tf.cast(is_token, tf.int32), axis=1), 1) & is_token
    chosen = tf.logical_or(chosen, tf.logical_and(none_chosen, first_tok))

    replace_rnd = tf.random.uniform(tf.shape(ids))
    random_ids = tf.random.uniform(tf.shape(ids), minval=2, maxval=MASK_ID, dtype=tf.int32)
    new_ids = tf.where(replace_rnd < 0.8, tf.fill(tf.shape(ids), MASK_ID),
                       tf.where(replace_rnd < 0.9, random_ids, ids))
    masked = tf.where(chosen, new_ids, ids)
    labels = tf.where(chosen, ids, tf.zeros_like(ids))
    weights = tf.cast(chosen, tf.float32)
    return masked, labels, weights


ds = (
    tf.data.Dataset.from_tensor_slices(sentences)
    .repeat()
    .shuffle(300)
    .batch(cfg.batch_size, drop_remainder=True)
    .map(vectorizer, num_parallel_calls=tf.data.AUTOTUNE)
    .map(dynamic_mask, num_parallel_calls=tf.data.AUTOTUNE)
    .prefetch(tf.data.AUTOTUNE)
)

m, l, w = next(iter(ds))
print("masked[0]:", m[0].numpy())
print("labels[0]:", l[0].numpy())


# ------------------------------------------------------------------ model
class Embeddings(keras.layers.Layer):
    def __init__(self, vocab, seq_len, dim, **kw):
        super().__init__(**kw)
        self.tok = keras.layers.Embedding(vocab, dim)
        self.pos = self.add_weight(name="pos", shape=(seq_len, dim), initializer="random_normal")
        self.norm = keras.layers.LayerNormalization()

    def call(self, ids):
        return self.norm(self.tok(ids) + self.pos[tf.newaxis, : tf.shape(ids)[1]])


class EncoderLayer(keras.layers.Layer):
    def __init__(self, d_model, n_heads, d_ff, **kw):
        super().__init__(**kw)
        self.att = keras.layers.MultiHeadAttention(n_heads, d_model // n_heads)
        self.ff = keras.Sequential([
            keras.layers.Dense(d_ff, activation="gelu"),
            keras.layers.Dense(d_model),
        ])
        self.ln_a = keras.layers.LayerNormalization()
        self.ln_b = keras.layers.LayerNormalization()

    def call(self, x, pad_mask, training=False):
        # pad_mask: bool [B, T] -> attention mask [B, 1, T] (broadcast over queries)
        y = self.att(x, x, attention_mask=pad_mask[:, None, :], training=training)
        x = self.ln_a(x + y)
        return self.ln_b(x + self.ff(x, training=training))


class MLMModel(keras.Model):
    def __init__(self, c: Cfg, n_out: int):
        super().__init__()
        self.emb = Embeddings(n_out, c.seq_len, c.d_model)
        self.layers_ = [EncoderLayer(c.d_model, c.n_heads, c.d_ff, name=f"encoder_{i}") for i in range(c.n_layers)]
        self.head_transform = keras.layers.Dense(c.d_model, activation="gelu")
        self.head_norm = keras.layers.LayerNormalization()
        self.head_bias = self.add_weight(name="mlm_bias", shape=(n_out,), initializer="zeros")

    def call(self, ids, training=False):
        pad_mask = tf.not_equal(ids, 0)
        x = self.emb(ids)
        for enc in self.layers_:
            x = enc(x, pad_mask, training=training)
        h = self.head_norm(self.head_transform(x))
        # weight tying: project back with the token embedding matrix
        logits = tf.matmul(h, self.emb.tok.embeddings, transpose_b=True) + self.head_bias
        return logits


model = MLMModel(cfg, N_CLASSES)
model(tf.zeros((1, cfg.seq_len), tf.int32))  # build
print("trainable params:", sum(int(np.prod(v.shape)) for v in model.trainable_variables))

schedule = keras.optimizers.schedules.CosineDecay(cfg.lr, decay_steps=cfg.epochs * cfg.steps_per_epoch, alpha=0.1)
optimizer = keras.optimizers.Adam(schedule)
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")
loss_tracker = keras.metrics.Mean(name="loss")
acc_tracker = keras.metrics.SparseCategoricalAccuracy(name="masked_acc")


@tf.function
def train_step(masked_ids, labels, weights):
    with tf.GradientTape() as tape:
        logits = model(masked_ids, training=True)
        per_tok = loss_fn(labels, logits)
        loss = tf.reduce_sum(per_tok * weights) / tf.maximum(tf.reduce_sum(weights), 1.0)
    grads = tape.gradient(loss, model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 1.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    loss_tracker.update_state(loss)
    acc_tracker.update_state(labels, logits, sample_weight=weights)
    return loss


os.makedirs(cfg.ckpt_dir, exist_ok=True)

it = iter(ds)
for epoch in range(cfg.epochs):
    t0 = time.time()
    loss_tracker.reset_state()
    acc_tracker.reset_state()
    for step in range(cfg.steps_per_epoch):
        batch = next(it)
        train_step(*batch)
    path = os.path.join(cfg.ckpt_dir, f"mlm_epoch{epoch + 1:02d}.weights.h5")
    model.save_weights(path)
    print(f"epoch {epoch + 1}/{cfg.epochs}  loss={loss_tracker.result():.4f}  "
          f"masked_acc={acc_tracker.result():.3f}  ({time.time() - t0:.1f}s)  -> {os.path.basename(path)}")

# restore into a fresh model to make sure the checkpoint is usable
fresh = MLMModel(cfg, N_CLASSES)
fresh(tf.zeros((1, cfg.seq_len), tf.int32))
fresh.load_weights(path)
probe_ids, probe_labels, probe_w = next(it)
diff = tf.reduce_max(tf.abs(model(probe_ids) - fresh(probe_ids))).numpy()
print(f"max |logit diff| after restore: {diff:.2e}")

# show a couple of predictions
pred = tf.argmax(fresh(probe_ids), axis=-1, output_type=tf.int32).numpy()
tokens_or_mask = lambda i: "[MASK]" if i == MASK_ID else VOCAB[i]
for row in range(2):
    ids = probe_ids[row].numpy()
    shown = " ".join(tokens_or_mask(i) for i in ids if i != 0)
    fills = [(VOCAB[probe_labels[row, j]], VOCAB[pred[row, j]]) for j in np.flatnonzero(probe_w[row].numpy())]
    print(f"{shown}\n   (target, predicted): {fills}")
