"""Learning to sort digit sequences with an attentional LSTM seq2seq.

- config lives in a dataclass
- variable-length examples come from a Python generator -> tf.data,
  are turned into (src, tgt_in) / tgt_out triples with <sos>/<eos> in
  Dataset.map and padded with padded_batch
- custom `LuongAttention` layer ("general" score, h_t^T W h_s) written with
  keras.ops, with source padding mask
- subclassed `AttnSeq2Seq` model with its own `train_step` (masked loss +
  masked token accuracy) so we can use plain `model.fit`
- batched greedy decoding compiled with tf.function (loop is unrolled over
  the fixed max target length; finished rows are masked with tf.where)
"""
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


@dataclass
class Seq2SeqConfig:
    num_digits: int = 10
    min_len: int = 3
    max_len: int = 8
    embed_dim: int = 32
    hidden_dim: int = 64
    attn_score: str = "general"        # "dot" | "general"
    batch_size: int = 64
    train_examples: int = 1536
    epochs: int = 2
    learning_rate: float = 3e-3
    special_tokens: dict = field(default_factory=lambda: {"<pad>": 0, "<sos>": 1, "<eos>": 2})

    @property
    def vocab_size(self):
        return self.num_digits + len(self.special_tokens)

    @property
    def offset(self):
        return len(self.special_tokens)

    @property
    def max_tgt_len(self):
        return self.max_len + 1


CFG = Seq2SeqConfig()
PAD_ID = CFG.special_tokens["<pad>"]
SOS_ID = CFG.special_tokens["<sos>"]
EOS_ID = CFG.special_tokens["<eos>"]

keras.utils.set_random_seed(0)


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------
def example_generator(cfg, n, seed):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        length = rng.integers(cfg.min_len, cfg.max_len + 1)
        src = rng.integers(0, cfg.num_digits, size=length) + cfg.offset
        yield src.astype(np.int32), np.sort(src).astype(np.int32)


def add_special_tokens(src, tgt):
    sos = tf.constant([SOS_ID], dtype=tf.int32)
    eos = tf.constant([EOS_ID], dtype=tf.int32)
    tgt_in = tf.concat([sos, tgt], axis=0)
    tgt_out = tf.concat([tgt, eos], axis=0)
    return (src, tgt_in), tgt_out


def make_dataset(cfg, n, seed, shuffle=True):
    ds = tf.data.Dataset.from_generator(
        lambda: example_generator(cfg, n, seed),
        output_signature=(
            tf.TensorSpec(shape=(None,), dtype=tf.int32),
            tf.TensorSpec(shape=(None,), dtype=tf.int32),
        ),
    )
    ds = ds.map(add_special_tokens, num_parallel_calls=tf.data.AUTOTUNE)
    if shuffle:
        ds = ds.shuffle(512, seed=seed)
    ds = ds.padded_batch(
        cfg.batch_size,
        padded_shapes=(([cfg.max_len], [cfg.max_tgt_len]), [cfg.max_tgt_len]),
        padding_values=((PAD_ID, PAD_ID), PAD_ID),
        drop_remainder=True,
    )
    return ds.prefetch(tf.data.AUTOTUNE)


train_ds = make_dataset(CFG, CFG.train_examples, seed=1)
val_ds = make_dataset(CFG, 256, seed=2, shuffle=False)

(src_b, tgt_in_b), tgt_out_b = next(iter(train_ds))
print("src", src_b.shape, "tgt_in", tgt_in_b.shape, "tgt_out", tgt_out_b.shape)
print("example src    :", src_b[0].numpy())
print("example tgt_in :", tgt_in_b[0].numpy())
print("example tgt_out:", tgt_out_b[0].numpy())


# ---------------------------------------------------------------------------
# model
# ---------------------------------------------------------------------------
class LuongAttention(layers.Layer):
    """Multiplicative attention (Luong et al., 2015)."""

    def __init__(self, score="general", **kwargs):
        super().__init__(**kwargs)
        if score not in ("dot", "general"):
            raise ValueError(f"Unknown score function: {score}")
        self.score = score

    def build(self, query_shape, values_shape=None):
        hidden = query_shape[-1]
        if self.score == "general":
            self.W_a = self.add_weight(
                name="W_a", shape=(hidden, hidden), initializer="glorot_uniform")
        super().build(query_shape)

    def call(self, query, values, values_mask=None):
        # query: (B, Tq, H), values: (B, Tv, H)
        keys = values
        if self.score == "general":
            keys = ops.matmul(values, self.W_a)
        scores = ops.matmul(query, ops.transpose(keys, (0, 2, 1)))   # (B, Tq, Tv)
        if values_mask is not None:
            mask = ops.cast(ops.expand_dims(values_mask, 1), scores.dtype)
            scores = scores + (1.0 - mask) * -1e9
        weights = ops.softmax(scores, axis=-1)
        context = ops.matmul(weights, values)                          # (B, Tq, H)
        return context, weights


class AttnSeq2Seq(keras.Model):
    def __init__(self, cfg: Seq2SeqConfig, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.src_embed = layers.Embedding(cfg.vocab_size, cfg.embed_dim, name="src_embed")
        self.tgt_embed = layers.Embedding(cfg.vocab_size, cfg.embed_dim, name="tgt_embed")
        self.encoder = layers.LSTM(cfg.hidden_dim, return_sequences=True, return_state=True, name="encoder")
        self.decoder = layers.LSTM(cfg.hidden_dim, return_sequences=True, return_state=True, name="decoder")
        self.attention = LuongAttention(cfg.attn_score, name="luong")
        self.w_c = layers.Dense(cfg.hidden_dim, activation="tanh", name="W_c")
        self.proj = layers.Dense(cfg.vocab_size, name="vocab_proj")

        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.acc_tracker = keras.metrics.Mean(name="token_acc")

    # -- pieces reused by training and decoding ----------------------------
    def encode(self, src, training=False):
        src_mask = ops.not_equal(src, PAD_ID)
        x = self.src_embed(src)
        enc_out, h, c = self.encoder(x, mask=src_mask, training=training)
        return enc_out, [h, c], src_mask

    def decode(self, tgt_in, enc_out, state, src_mask, training=False):
        y = self.tgt_embed(tgt_in)
        dec_out, h, c = self.decoder(y, initial_state=state, training=training)
        context, attn = self.attention(dec_out, enc_out, values_mask=src_mask)
        h_tilde = self.w_c(ops.concatenate([context, dec_out], axis=-1))
        return self.proj(h_tilde), [h, c], attn

    def call(self, inputs, training=False):
        src, tgt_in = inputs
        enc_out, state, src_mask = self.encode(src, training=training)
        logits, _, _ = self.decode(tgt_in, enc_out, state, src_mask, training=training)
        return logits

    # -- training ------------------------------------------------------------
    @property
    def metrics(self):
        return [self.loss_tracker, self.acc_tracker]

    @staticmethod
    def masked_loss(y_true, logits):
        per_tok = keras.losses.sparse_categorical_crossentropy(y_true, logits, from_logits=True)
        mask = ops.cast(ops.not_equal(y_true, PAD_ID), per_tok.dtype)
        return ops.sum(per_tok * mask) / ops.maximum(ops.sum(mask), 1.0)

    @staticmethod
    def masked_accuracy(y_true, logits):
        pred = ops.cast(ops.argmax(logits, axis=-1), y_true.dtype)
        mask = ops.cast(ops.not_equal(y_true, PAD_ID), "float32")
        hits = ops.cast(ops.equal(pred, y_true), "float32") * mask
        return ops.sum(hits) / ops.maximum(ops.sum(mask), 1.0)

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            logits = self(x, training=True)
            loss = self.masked_loss(y, logits)
        grads = tape.gradient(loss, self.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 5.0)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.acc_tracker.update_state(self.masked_accuracy(y, logits))
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        logits = self(x, training=False)
        self.loss_tracker.update_state(self.masked_loss(y, logits))
        self.acc_tracker.update_state(self.masked_accuracy(y, logits))
        return {m.name: m.result() for m in self.metrics}

    # -- inference -------------------------------------------------------------
    @tf.function
    def greedy_decode(self, src):
        batch = tf.shape(src)[0]
        enc_out, state, src_mask = self.encode(src)
        token = tf.fill([batch, 1], SOS_ID)
        finished = tf.zeros([batch], dtype=tf.bool)
        outputs, attn_steps = [], []
        for _ in range(self.cfg.max_tgt_len):
            logits, state, attn = self.decode(token, enc_out, state, src_mask)
            next_tok = tf.argmax(logits[:, -1, :], axis=-1, output_type=tf.int32)
            # rows that already produced <eos> keep emitting <pad>
            next_tok = tf.where(finished, tf.fill([batch], PAD_ID), next_tok)
            finished = tf.logical_or(finished, tf.equal(next_tok, EOS_ID))
            outputs.append(next_tok)
            attn_steps.append(attn[:, 0, :])
            token = next_tok[:, tf.newaxis]
        return tf.stack(outputs, axis=1), tf.stack(attn_steps, axis=1)


model = AttnSeq2Seq(CFG)
model.compile(optimizer=keras.optimizers.Adam(CFG.learning_rate))
_ = model((src_b, tgt_in_b))  # build
model.summary()

history = model.fit(train_ds, validation_data=val_ds, epochs=CFG.epochs, verbose=2)
print({k: [round(float(v), 3) for v in vals] for k, vals in history.history.items()})


# ---------------------------------------------------------------------------
# decode a few validation batches
# ---------------------------------------------------------------------------
def ids_to_digits(ids):
    out = []
    for i in ids:
        if i == EOS_ID:
            break
        if i >= CFG.offset:
            out.append(int(i) - CFG.offset)
    return out


(src_v, _), tgt_v = next(iter(val_ds))
pred_ids, attn = model.greedy_decode(src_v)
print("decoded:", pred_ids.shape, "attention:", attn.shape)

exact = 0
for row in range(src_v.shape[0]):
    pred = ids_to_digits(pred_ids[row].numpy())
    gold = ids_to_digits(tgt_v[row].numpy())
    exact += int(pred == gold)
    if row < 4:
        print(f"src={ids_to_digits(src_v[row].numpy())} gold={gold} pred={pred}")
print(f"sequence accuracy on one batch: {exact / src_v.shape[0]:.3f}")
