"""Mini BERT-style masked language model pretraining.

* synthetic token ids stand in for a tokenized corpus
* BERT 80/10/10 masking implemented as a tf.data map function
* a small transformer encoder (token + position embeddings, post-LN blocks)
* MLM head with weights tied to the token embedding matrix
* a custom Model.train_step that only scores masked positions
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


@dataclass
class BertConfig:
    vocab_size: int = 1000
    max_len: int = 64
    hidden: int = 64
    num_heads: int = 4
    ff_dim: int = 128
    num_layers: int = 2
    dropout: float = 0.1
    mask_prob: float = 0.15
    batch_size: int = 32
    num_sequences: int = 512
    steps: int = 8
    # special ids
    pad_id: int = 0
    cls_id: int = 1
    sep_id: int = 2
    mask_id: int = 3
    first_regular_id: int = 5


cfg = BertConfig()


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------
def synthetic_corpus(cfg, seed=0):
    """Zipf-ish token ids with variable lengths, wrapped in [CLS] ... [SEP] and padded."""
    rng = np.random.default_rng(seed)
    ranks = np.arange(cfg.first_regular_id, cfg.vocab_size)
    probs = 1.0 / (ranks - cfg.first_regular_id + 1)
    probs /= probs.sum()
    data = np.full((cfg.num_sequences, cfg.max_len), cfg.pad_id, dtype=np.int32)
    for i in range(cfg.num_sequences):
        n = rng.integers(cfg.max_len // 4, cfg.max_len - 2)
        body = rng.choice(ranks, size=n, p=probs)
        data[i, 0] = cfg.cls_id
        data[i, 1:n + 1] = body
        data[i, n + 1] = cfg.sep_id
    return data


def mask_tokens(token_ids):
    """BERT masking: choose 15% of non-special tokens; 80% -> [MASK], 10% random, 10% keep.

    Returns (masked_ids, labels, sample_weights). Written with pure tensor ops so it can
    run inside Dataset.map without autograph.
    """
    token_ids = tf.cast(token_ids, tf.int32)
    shape = tf.shape(token_ids)
    is_special = tf.less(token_ids, cfg.first_regular_id)

    rand = tf.random.uniform(shape)
    selected = tf.logical_and(rand < cfg.mask_prob, tf.logical_not(is_special))

    # split selected positions into the 80 / 10 / 10 buckets
    bucket = tf.random.uniform(shape)
    to_mask = tf.logical_and(selected, bucket < 0.8)
    to_random = tf.logical_and(selected, tf.logical_and(bucket >= 0.8, bucket < 0.9))

    random_tokens = tf.random.uniform(shape, minval=cfg.first_regular_id,
                                      maxval=cfg.vocab_size, dtype=tf.int32)
    masked = tf.where(to_mask, tf.fill(shape, cfg.mask_id), token_ids)
    masked = tf.where(to_random, random_tokens, masked)

    labels = tf.where(selected, token_ids, tf.zeros_like(token_ids))
    weights = tf.cast(selected, tf.float32)
    return masked, labels, weights


def make_dataset(data, cfg):
    ds = tf.data.Dataset.from_tensor_slices(data)
    ds = ds.shuffle(len(data)).repeat()
    ds = ds.batch(cfg.batch_size, drop_remainder=True)
    # mask after batching -> one vectorised call per batch, dynamic masks every epoch
    ds = ds.map(mask_tokens, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, vocab_size, max_len, hidden, **kwargs):
        super().__init__(**kwargs)
        self.token_emb = layers.Embedding(vocab_size, hidden, name="word_embeddings")
        self.pos_emb = layers.Embedding(max_len, hidden, name="position_embeddings")
        self.norm = layers.LayerNormalization(epsilon=1e-12)

    def call(self, x):
        seq_len = tf.shape(x)[-1]
        positions = tf.range(start=0, limit=seq_len, delta=1)
        positions = self.pos_emb(positions)           # (seq, hidden)
        x = self.token_emb(x)                         # (batch, seq, hidden)
        return self.norm(x + positions[tf.newaxis])   # broadcast over batch

    @property
    def embedding_matrix(self):
        return self.token_emb.embeddings


class EncoderBlock(layers.Layer):
    def __init__(self, hidden, num_heads, ff_dim, dropout, **kwargs):
        super().__init__(**kwargs)
        self.attn = layers.MultiHeadAttention(num_heads, key_dim=hidden // num_heads,
                                              dropout=dropout)
        self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="gelu"),
                                     layers.Dense(hidden)])
        self.ln1 = layers.LayerNormalization(epsilon=1e-12)
        self.ln2 = layers.LayerNormalization(epsilon=1e-12)
        self.drop1 = layers.Dropout(dropout)
        self.drop2 = layers.Dropout(dropout)

    def call(self, x, padding_mask, training=False):
        # padding_mask: (batch, seq) bool -> attention mask (batch, seq, seq)
        attn_mask = padding_mask[:, tf.newaxis, :] & padding_mask[:, :, tf.newaxis]
        h = self.attn(x, x, attention_mask=attn_mask, training=training)
        x = self.ln1(x + self.drop1(h, training=training))
        h = self.ffn(x)
        return self.ln2(x + self.drop2(h, training=training))


class MLMHead(layers.Layer):
    """Transform + LayerNorm + decoder tied to the input embedding matrix."""

    def __init__(self, embedding_layer, hidden, **kwargs):
        super().__init__(**kwargs)
        self.embedding_layer = embedding_layer
        self.transform = layers.Dense(hidden, activation="gelu")
        self.norm = layers.LayerNormalization(epsilon=1e-12)

    def build(self, input_shape):
        vocab_size = self.embedding_layer.token_emb.input_dim
        self.bias = self.add_weight(name="output_bias", shape=(vocab_size,),
                                    initializer="zeros")
        super().build(input_shape)

    def call(self, x):
        x = self.norm(self.transform(x))
        logits = tf.matmul(x, self.embedding_layer.embedding_matrix, transpose_b=True)
        return logits + self.bias


class MiniBertMLM(keras.Model):
    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.embeddings = TokenAndPositionEmbedding(cfg.vocab_size, cfg.max_len, cfg.hidden)
        self.blocks = [EncoderBlock(cfg.hidden, cfg.num_heads, cfg.ff_dim, cfg.dropout,
                                    name=f"layer_{i}") for i in range(cfg.num_layers)]
        self.mlm_head = MLMHead(self.embeddings, cfg.hidden)
        self.loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True,
                                                                  reduction="none")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.acc_tracker = keras.metrics.Mean(name="masked_acc")

    def call(self, token_ids, training=False):
        padding_mask = tf.not_equal(token_ids, self.cfg.pad_id)
        x = self.embeddings(token_ids)
        for block in self.blocks:
            x = block(x, padding_mask, training=training)
        return self.mlm_head(x)

    def train_step(self, data):
        masked_ids, labels, weights = data
        with tf.GradientTape() as tape:
            logits = self(masked_ids, training=True)
            per_token = self.loss_fn(labels, logits)
            loss = tf.reduce_sum(per_token * weights) / (tf.reduce_sum(weights) + 1e-6)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))

        preds = tf.argmax(logits, axis=-1, output_type=tf.int32)
        correct = tf.cast(tf.equal(preds, labels), tf.float32) * weights
        self.loss_tracker.update_state(loss)
        self.acc_tracker.update_state(tf.reduce_sum(correct) / (tf.reduce_sum(weights) + 1e-6))
        return {"loss": self.loss_tracker.result(), "masked_acc": self.acc_tracker.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.acc_tracker]


def warmup_linear_decay(peak_lr, warmup, total):
    return keras.optimizers.schedules.PolynomialDecay(
        initial_learning_rate=peak_lr, decay_steps=total, end_learning_rate=0.0
    ) if warmup == 0 else WarmupSchedule(peak_lr, warmup, total)


class WarmupSchedule(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, peak_lr, warmup_steps, total_steps):
        self.peak_lr = peak_lr
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warm = self.peak_lr * step / float(self.warmup_steps)
        decay = self.peak_lr * tf.maximum(
            0.0, (self.total_steps - step) / float(self.total_steps - self.warmup_steps))
        return tf.where(step < self.warmup_steps, warm, decay)


if __name__ == "__main__":
    tf.random.set_seed(42)
    corpus = synthetic_corpus(cfg)
    ds = make_dataset(corpus, cfg)

    masked, labels, weights = next(iter(ds))
    print("masked batch:", masked.shape, "labels:", labels.shape,
          "masked fraction: %.3f" % float(tf.reduce_mean(weights)))

    model = MiniBertMLM(cfg)
    model(masked[:2])  # build
    model.summary()

    lr = warmup_linear_decay(5e-4, warmup=3, total=cfg.steps)
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=lr, weight_decay=0.01))
    history = model.fit(ds, steps_per_epoch=cfg.steps, epochs=1, verbose=2)
    print({k: round(float(v[-1]), 4) for k, v in history.history.items()})

    # fill-in-the-blank on one sequence
    logits = model(masked[:1], training=False)
    pred_ids = tf.argmax(logits, axis=-1, output_type=tf.int32)[0]
    positions = tf.where(weights[0] > 0)[:, 0]
    print("masked positions:", positions.numpy()[:8].tolist())
    print("true ids       :", tf.gather(labels[0], positions).numpy()[:8].tolist())
    print("predicted ids  :", tf.gather(pred_ids, positions).numpy()[:8].tolist())
