"""BERT-style pre-training (MLM + NSP) with a hand-written GradientTape loop.

Mirrors the data layout of google-research/bert `create_pretraining_data.py`:
each example carries input_ids / input_mask / segment_ids plus a fixed-size set of
masked_lm_positions / masked_lm_ids / masked_lm_weights, and the MLM head gathers
only those positions from the sequence output. The [CLS] vector goes through a
tanh pooler and feeds the next-sentence-prediction head.
"""
import math
import random

import numpy as np
import tensorflow as tf

config = {
    "vocab": ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
    "max_seq_length": 40,
    "max_predictions_per_seq": 6,
    "masked_lm_prob": 0.15,
    "hidden_size": 64,
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "intermediate_size": 128,
    "type_vocab_size": 2,
    "hidden_dropout_prob": 0.1,
    "initializer_range": 0.02,
    "learning_rate": 1e-3,
    "warmup_steps": 10,
    "num_train_steps": 40,
    "train_batch_size": 16,
    "log_every": 10,
}

random.seed(3)
np.random.seed(3)
tf.random.set_seed(3)

# --------------------------------------------------------------------------- corpus
# "Documents" are sequences of sentences drawn from a tiny topic grammar, so the NSP
# signal (is B the actual next sentence of A?) is learnable from topic consistency.
TOPICS = {
    "cooking": ["chef", "oven", "salt", "bake", "recipe", "soup", "pan", "stir", "taste"],
    "space": ["rocket", "orbit", "planet", "launch", "star", "moon", "crew", "engine", "mars"],
    "sports": ["ball", "goal", "coach", "team", "score", "match", "kick", "referee", "win"],
}
GLUE = ["the", "a", "then", "and", "was", "very", "with", "after", "of"]


def make_document(topic, n_sentences=6):
    words = TOPICS[topic]
    doc = []
    for _ in range(n_sentences):
        n = random.randint(4, 8)
        doc.append([random.choice(words) if random.random() < 0.6 else random.choice(GLUE)
                    for _ in range(n)])
    return doc


documents = [make_document(t) for t in TOPICS for _ in range(30)]
all_words = sorted({w for d in documents for s in d for w in s})
vocab = config["vocab"] + all_words
tok2id = {t: i for i, t in enumerate(vocab)}
VOCAB_SIZE = len(vocab)
print(f"{len(documents)} documents, vocab size {VOCAB_SIZE}")


def truncate_seq_pair(tokens_a, tokens_b, max_num_tokens):
    """Truncates a pair of sequences to a maximum sequence length (longest first)."""
    while len(tokens_a) + len(tokens_b) > max_num_tokens:
        trunc = tokens_a if len(tokens_a) > len(tokens_b) else tokens_b
        # randomly drop from front or back to avoid biases
        if random.random() < 0.5:
            del trunc[0]
        else:
            trunc.pop()


def create_masked_lm_predictions(tokens, cfg):
    cand_indexes = [i for i, t in enumerate(tokens) if t not in ("[CLS]", "[SEP]")]
    random.shuffle(cand_indexes)
    num_to_predict = min(cfg["max_predictions_per_seq"],
                         max(1, int(round(len(tokens) * cfg["masked_lm_prob"]))))
    output = list(tokens)
    masked = []
    for index in sorted(cand_indexes[:num_to_predict]):
        r = random.random()
        if r < 0.8:
            replacement = "[MASK]"
        elif r < 0.9:
            replacement = tokens[index]
        else:
            replacement = random.choice(all_words)
        output[index] = replacement
        masked.append((index, tokens[index]))
    return output, masked


def create_instance(doc_idx, cfg):
    doc = documents[doc_idx]
    max_num_tokens = cfg["max_seq_length"] - 3
    a_idx = random.randint(0, len(doc) - 2)
    tokens_a = list(doc[a_idx])
    if random.random() < 0.5:
        is_random_next = 1
        other = random.choice([i for i in range(len(documents)) if i != doc_idx])
        tokens_b = list(random.choice(documents[other]))
    else:
        is_random_next = 0
        tokens_b = list(doc[a_idx + 1])
    truncate_seq_pair(tokens_a, tokens_b, max_num_tokens)

    tokens = ["[CLS]"] + tokens_a + ["[SEP]"] + tokens_b + ["[SEP]"]
    segment_ids = [0] * (len(tokens_a) + 2) + [1] * (len(tokens_b) + 1)
    tokens, masked = create_masked_lm_predictions(tokens, cfg)

    input_ids = [tok2id[t] for t in tokens]
    input_mask = [1] * len(input_ids)
    pad = cfg["max_seq_length"] - len(input_ids)
    input_ids += [0] * pad
    input_mask += [0] * pad
    segment_ids += [0] * pad

    positions = [p for p, _ in masked]
    label_ids = [tok2id[t] for _, t in masked]
    weights = [1.0] * len(positions)
    mp = cfg["max_predictions_per_seq"] - len(positions)
    positions += [0] * mp
    label_ids += [0] * mp
    weights += [0.0] * mp

    return {
        "input_ids": input_ids, "input_mask": input_mask, "segment_ids": segment_ids,
        "masked_lm_positions": positions, "masked_lm_ids": label_ids,
        "masked_lm_weights": weights, "next_sentence_labels": is_random_next,
    }


def build_dataset(cfg, n_instances=1200):
    instances = [create_instance(random.randrange(len(documents)), cfg) for _ in range(n_instances)]
    features = {k: np.array([inst[k] for inst in instances]) for k in instances[0]}
    features["masked_lm_weights"] = features["masked_lm_weights"].astype(np.float32)
    for k in ("input_ids", "input_mask", "segment_ids", "masked_lm_positions", "masked_lm_ids",
              "next_sentence_labels"):
        features[k] = features[k].astype(np.int32)
    ds = tf.data.Dataset.from_tensor_slices(features)
    return ds.shuffle(n_instances).repeat().batch(cfg["train_batch_size"], drop_remainder=True)


# --------------------------------------------------------------------------- model
def get_initializer(cfg):
    return tf.keras.initializers.TruncatedNormal(stddev=cfg["initializer_range"])


class BertEmbeddings(tf.keras.layers.Layer):
    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.ln = tf.keras.layers.LayerNormalization(epsilon=1e-12)
        self.dropout = tf.keras.layers.Dropout(cfg["hidden_dropout_prob"])

    def build(self, input_shape):
        init = get_initializer(self.cfg)
        h = self.cfg["hidden_size"]
        self.word_embeddings = self.add_weight(name="word_embeddings", shape=(VOCAB_SIZE, h),
                                               initializer=init)
        self.token_type_embeddings = self.add_weight(
            name="token_type_embeddings", shape=(self.cfg["type_vocab_size"], h), initializer=init)
        self.position_embeddings = self.add_weight(
            name="position_embeddings", shape=(self.cfg["max_seq_length"], h), initializer=init)
        super().build(input_shape)

    def call(self, input_ids, segment_ids, training=False):
        seq_len = tf.shape(input_ids)[1]
        x = tf.gather(self.word_embeddings, input_ids)
        x += tf.gather(self.token_type_embeddings, segment_ids)
        x += tf.expand_dims(self.position_embeddings[:seq_len], 0)
        return self.dropout(self.ln(x), training=training)


class SelfAttention(tf.keras.layers.Layer):
    """Multi-head self-attention written out by hand (split/merge heads)."""

    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = cfg["num_attention_heads"]
        self.hidden = cfg["hidden_size"]
        self.head_dim = self.hidden // self.num_heads
        init = get_initializer(cfg)
        self.qkv = tf.keras.layers.Dense(3 * self.hidden, kernel_initializer=init, name="qkv")
        self.out = tf.keras.layers.Dense(self.hidden, kernel_initializer=init, name="output")
        self.dropout = tf.keras.layers.Dropout(cfg["hidden_dropout_prob"])

    def split_heads(self, x, batch, seq):
        x = tf.reshape(x, [batch, seq, self.num_heads, self.head_dim])
        return tf.transpose(x, [0, 2, 1, 3])  # (B, H, T, Dh)

    def call(self, x, attention_bias, training=False):
        batch, seq = tf.shape(x)[0], tf.shape(x)[1]
        q, k, v = tf.split(self.qkv(x), 3, axis=-1)
        q, k, v = (self.split_heads(t, batch, seq) for t in (q, k, v))
        scores = tf.matmul(q, k, transpose_b=True) / math.sqrt(self.head_dim)
        scores += attention_bias  # (B, 1, 1, T) broadcast over heads and queries
        probs = self.dropout(tf.nn.softmax(scores, axis=-1), training=training)
        ctx = tf.matmul(probs, v)                                # (B, H, T, Dh)
        ctx = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [batch, seq, self.hidden])
        return self.out(ctx)


class TransformerLayer(tf.keras.layers.Layer):
    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        init = get_initializer(cfg)
        self.attn = SelfAttention(cfg)
        self.ln1 = tf.keras.layers.LayerNormalization(epsilon=1e-12)
        self.ln2 = tf.keras.layers.LayerNormalization(epsilon=1e-12)
        self.intermediate = tf.keras.layers.Dense(cfg["intermediate_size"], activation="gelu",
                                                  kernel_initializer=init)
        self.output_dense = tf.keras.layers.Dense(cfg["hidden_size"], kernel_initializer=init)
        self.dropout = tf.keras.layers.Dropout(cfg["hidden_dropout_prob"])

    def call(self, x, attention_bias, training=False):
        a = self.attn(x, attention_bias, training=training)
        x = self.ln1(x + self.dropout(a, training=training))
        f = self.output_dense(self.intermediate(x))
        return self.ln2(x + self.dropout(f, training=training))


class BertPretrainer(tf.keras.Model):
    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        init = get_initializer(cfg)
        self.embeddings = BertEmbeddings(cfg, name="embeddings")
        self.encoder_layers = [TransformerLayer(cfg, name=f"layer_{i}")
                               for i in range(cfg["num_hidden_layers"])]
        self.pooler = tf.keras.layers.Dense(cfg["hidden_size"], activation="tanh",
                                            kernel_initializer=init, name="pooler")
        self.mlm_dense = tf.keras.layers.Dense(cfg["hidden_size"], activation="gelu",
                                               kernel_initializer=init, name="mlm_transform")
        self.mlm_ln = tf.keras.layers.LayerNormalization(epsilon=1e-12)
        self.nsp_dense = tf.keras.layers.Dense(2, kernel_initializer=init, name="nsp")

    def build(self, input_shape):
        self.mlm_output_bias = self.add_weight(name="mlm_output_bias", shape=(VOCAB_SIZE,),
                                               initializer="zeros")
        super().build(input_shape)

    def call(self, features, training=False):
        input_mask = tf.cast(features["input_mask"], tf.float32)
        # additive attention bias: 0 for real tokens, -10000 for padding
        attention_bias = (1.0 - input_mask[:, tf.newaxis, tf.newaxis, :]) * -10000.0

        x = self.embeddings(features["input_ids"], features["segment_ids"], training=training)
        for layer in self.encoder_layers:
            x = layer(x, attention_bias, training=training)
        sequence_output = x

        pooled_output = self.pooler(sequence_output[:, 0, :])  # [CLS]
        nsp_logits = self.nsp_dense(pooled_output)

        # gather only the masked positions: (B, P, H)
        masked_states = tf.gather(sequence_output, features["masked_lm_positions"], batch_dims=1)
        masked_states = self.mlm_ln(self.mlm_dense(masked_states))
        mlm_logits = tf.einsum("bph,vh->bpv", masked_states, self.embeddings.word_embeddings)
        mlm_logits += self.mlm_output_bias
        return mlm_logits, nsp_logits


class WarmupLinearDecay(tf.keras.optimizers.schedules.LearningRateSchedule):
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

    def get_config(self):
        return {"peak_lr": self.peak_lr, "warmup_steps": self.warmup_steps,
                "total_steps": self.total_steps}


# --------------------------------------------------------------------------- training
model = BertPretrainer(config)
schedule = WarmupLinearDecay(config["learning_rate"], config["warmup_steps"],
                             config["num_train_steps"])
optimizer = tf.keras.optimizers.AdamW(learning_rate=schedule, weight_decay=0.01,
                                      epsilon=1e-6, global_clipnorm=1.0)
optimizer.exclude_from_weight_decay(var_names=["layer_normalization", "bias"])

train_ds = build_dataset(config)
sample = next(iter(train_ds))
for k, v in sample.items():
    print(f"  {k:22s} {str(v.shape):12s} {v.dtype.name}")

mlm_logits, nsp_logits = model(sample)
print("mlm logits:", mlm_logits.shape, "nsp logits:", nsp_logits.shape)
print("trainable variables:", len(model.trainable_variables),
      "params:", sum(int(np.prod(v.shape)) for v in model.trainable_variables))

mlm_loss_tracker = tf.keras.metrics.Mean(name="mlm_loss")
nsp_loss_tracker = tf.keras.metrics.Mean(name="nsp_loss")
mlm_acc = tf.keras.metrics.SparseCategoricalAccuracy(name="mlm_acc")
nsp_acc = tf.keras.metrics.SparseCategoricalAccuracy(name="nsp_acc")


def compute_losses(features, mlm_logits, nsp_logits):
    log_probs = tf.nn.log_softmax(mlm_logits, axis=-1)
    one_hot = tf.one_hot(features["masked_lm_ids"], depth=VOCAB_SIZE, dtype=log_probs.dtype)
    per_example = -tf.reduce_sum(log_probs * one_hot, axis=-1)           # (B, P)
    weights = features["masked_lm_weights"]
    mlm_loss = tf.reduce_sum(per_example * weights) / (tf.reduce_sum(weights) + 1e-5)

    nsp_loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(
        features["next_sentence_labels"], nsp_logits, from_logits=True))
    return mlm_loss, nsp_loss


@tf.function
def train_step(features):
    with tf.GradientTape() as tape:
        mlm_logits, nsp_logits = model(features, training=True)
        mlm_loss, nsp_loss = compute_losses(features, mlm_logits, nsp_logits)
        total_loss = mlm_loss + nsp_loss
    grads = tape.gradient(total_loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))

    mlm_loss_tracker.update_state(mlm_loss)
    nsp_loss_tracker.update_state(nsp_loss)
    mlm_acc.update_state(features["masked_lm_ids"], mlm_logits,
                         sample_weight=features["masked_lm_weights"])
    nsp_acc.update_state(features["next_sentence_labels"], nsp_logits)
    return total_loss


for step, features in enumerate(train_ds.take(config["num_train_steps"]), start=1):
    loss = train_step(features)
    if step % config["log_every"] == 0:
        lr = float(schedule(optimizer.iterations))
        print(f"step {step:3d} | loss {float(loss):.4f} | mlm {mlm_loss_tracker.result():.4f} "
              f"acc {mlm_acc.result():.3f} | nsp {nsp_loss_tracker.result():.4f} "
              f"acc {nsp_acc.result():.3f} | lr {lr:.2e}")
        for m in (mlm_loss_tracker, nsp_loss_tracker, mlm_acc, nsp_acc):
            m.reset_state()

# quick look at what the MLM head predicts for one masked slot
feats = next(iter(train_ds))
mlm_logits, _ = model(feats, training=False)
pred_ids = tf.argmax(mlm_logits[0], axis=-1).numpy()
w = feats["masked_lm_weights"][0].numpy()
gold = feats["masked_lm_ids"][0].numpy()
print("gold     :", [vocab[i] for i, wt in zip(gold, w) if wt > 0])
print("predicted:", [vocab[i] for i, wt in zip(pred_ids, w) if wt > 0])
