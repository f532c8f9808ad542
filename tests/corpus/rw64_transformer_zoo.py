"""transformer_zoo/models.py -- text encoders of several sizes behind one factory.

Mirrors the layout of BERT-style model zoos: named presets (``tiny``, ``mini``,
``small``) map to hyper-parameter dicts, ``create_encoder(preset)`` builds a
subclassed ``keras.Model`` and the training script uses a hand-written
GradientTape loop.
"""
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

PRESETS = {
    "tiny":  {"vocab_size": 500, "max_len": 32, "d_model": 32, "num_heads": 2, "ff_dim": 64,  "num_layers": 1},
    "mini":  {"vocab_size": 500, "max_len": 32, "d_model": 48, "num_heads": 4, "ff_dim": 96,  "num_layers": 2},
    "small": {"vocab_size": 500, "max_len": 32, "d_model": 64, "num_heads": 4, "ff_dim": 128, "num_layers": 2},
}

# pooling strategies are also pluggable
POOLERS = {}


def register_pooler(name):
    def deco(cls):
        POOLERS[name] = cls
        return cls
    return deco


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, vocab_size, max_len, d_model, **kwargs):
        super().__init__(**kwargs)
        self.tok = layers.Embedding(vocab_size, d_model, mask_zero=False)
        self.max_len = max_len
        self.d_model = d_model

    def build(self, input_shape):
        self.pos = self.add_weight(
            name="pos_embedding",
            shape=(self.max_len, self.d_model),
            initializer=keras.initializers.RandomNormal(stddev=0.02),
        )
        super().build(input_shape)

    def call(self, token_ids):
        seq_len = ops.shape(token_ids)[1]
        x = self.tok(token_ids) * ops.sqrt(ops.cast(self.d_model, "float32"))
        return x + self.pos[None, :seq_len, :]


class EncoderBlock(layers.Layer):
    """Pre-LN transformer block."""

    def __init__(self, d_model, num_heads, ff_dim, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.attn = layers.MultiHeadAttention(num_heads, key_dim=d_model // num_heads, dropout=dropout)
        self.ln1 = layers.LayerNormalization(epsilon=1e-6)
        self.ln2 = layers.LayerNormalization(epsilon=1e-6)
        self.ff = keras.Sequential([
            layers.Dense(ff_dim, activation="gelu"),
            layers.Dropout(dropout),
            layers.Dense(d_model),
        ])
        self.drop = layers.Dropout(dropout)

    def call(self, x, padding_mask=None, training=False):
        attn_mask = None
        if padding_mask is not None:
            # (B, T) -> (B, 1, T): every query may attend to non-pad keys
            attn_mask = ops.expand_dims(padding_mask, axis=1)
        h = self.ln1(x)
        h = self.attn(h, h, attention_mask=attn_mask, training=training)
        x = x + self.drop(h, training=training)
        h = self.ff(self.ln2(x), training=training)
        return x + self.drop(h, training=training)


@register_pooler("cls")
class ClsPooler(layers.Layer):
    def call(self, x, token_mask=None):
        return x[:, 0, :]


@register_pooler("mean")
class MeanPooler(layers.Layer):
    def call(self, x, token_mask=None):
        if token_mask is None:
            return ops.mean(x, axis=1)
        m = ops.cast(ops.expand_dims(token_mask, -1), x.dtype)
        return ops.sum(x * m, axis=1) / ops.maximum(ops.sum(m, axis=1), 1.0)


@register_pooler("attention")
class AttentionPooler(layers.Layer):
    def build(self, input_shape):
        self.score = layers.Dense(1, use_bias=False)
        self.score.build(input_shape)
        super().build(input_shape)

    def call(self, x, token_mask=None):
        logits = ops.squeeze(self.score(x), -1)            # (B, T)
        if token_mask is not None:
            logits = ops.where(ops.cast(token_mask, "bool"), logits, -1e9)
        weights = ops.softmax(logits, axis=-1)               # (B, T)
        return ops.einsum("bt,btd->bd", weights, x)


class TextEncoderClassifier(keras.Model):
    def __init__(self, vocab_size, max_len, d_model, num_heads, ff_dim, num_layers,
                 num_classes=2, pooling="mean", **kwargs):
        super().__init__(**kwargs)
        self.embed = TokenAndPositionEmbedding(vocab_size, max_len, d_model)
        self.blocks = [EncoderBlock(d_model, num_heads, ff_dim, name=f"block_{i}")
                       for i in range(num_layers)]
        self.final_ln = layers.LayerNormalization(epsilon=1e-6)
        self.pool = POOLERS[pooling]()
        self.head = layers.Dense(num_classes)

    def call(self, token_ids, training=False):
        mask = ops.cast(ops.not_equal(token_ids, 0), "float32")
        x = self.embed(token_ids)
        for block in self.blocks:
            x = block(x, padding_mask=mask, training=training)
        x = self.final_ln(x)
        return self.head(self.pool(x, token_mask=mask))


def create_encoder(preset, **overrides):
    try:
        cfg = dict(PRESETS[preset])
    except KeyError:
        raise ValueError(f"no preset '{preset}', choose from {list(PRESETS)}")
    cfg.update(overrides)
    return TextEncoderClassifier(name=f"encoder_{preset}", **cfg), cfg


def make_toy_dataset(n, vocab_size, max_len, batch_size, seed=0):
    """Label = whether token 7 appears in the (variable length) sequence."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(4, max_len + 1, size=n)
    seqs = np.zeros((n, max_len), dtype="int32")
    for i, L in enumerate(lengths):
        seqs[i, :L] = rng.integers(1, vocab_size, size=L)
    labels = (seqs == 7).any(axis=1).astype("int32")
    ds = tf.data.Dataset.from_tensor_slices((seqs, labels))
    return ds.shuffle(n, seed=seed).batch(batch_size, drop_remainder=True)


def train(model, ds, steps_per_epoch, lr=3e-4, epochs=1):
    optimizer = keras.optimizers.AdamW(learning_rate=lr, weight_decay=1e-2)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    loss_tracker = keras.metrics.Mean()
    acc = keras.metrics.SparseCategoricalAccuracy()

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 1.0)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        loss_tracker.update_state(loss)
        acc.update_state(y, logits)
        return loss

    for epoch in range(epochs):
        loss_tracker.reset_state()
        acc.reset_state()
        for step, (x, y) in enumerate(ds.take(steps_per_epoch)):
            train_step(x, y)
        print(f"  epoch {epoch}: loss={loss_tracker.result():.4f} acc={acc.result():.3f}")
    return float(loss_tracker.result())


if __name__ == "__main__":
    tf.random.set_seed(0)
    runs = [("tiny", "cls"), ("mini", "mean"), ("small", "attention")]
    for preset, pooling in runs:
        model, cfg = create_encoder(preset, pooling=pooling)
        ds = make_toy_dataset(128, cfg["vocab_size"], cfg["max_len"], batch_size=16)
        # build by calling once on a dummy batch
        dummy = tf.zeros((1, cfg["max_len"]), dtype=tf.int32)
        _ = model(dummy)
        print(f"[{preset}/{pooling}] params={model.count_params():,}")
        t0 = time.time()
        train(model, ds, steps_per_epoch=4)
        print(f"  took {time.time() - t0:.1f}s")
        logits = model(tf.constant([[5, 7, 9, 0, 0] + [0] * (cfg["max_len"] - 5)], dtype=tf.int32))
        print("  probs:", tf.nn.softmax(logits).numpy().round(3))
