"""Multi-task ticket triage: one shared Transformer encoder, two heads.

  * `intent`   - which queue a support ticket goes to (softmax, 6 classes)
  * `urgent`   - whether it should be escalated (sigmoid)

Losses are given per output name and combined with loss_weights.
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import ops

VOCAB_SIZE = 3000
MAX_LEN = 40
D_MODEL = 64
NUM_HEADS = 4
FF_DIM = 128
NUM_BLOCKS = 2
INTENTS = ["billing", "login", "shipping", "refund", "bug_report", "other"]

HPARAMS = dict(batch_size=32, lr=3e-4, warmup_steps=20, steps=4,
               loss_weights={"intent": 1.0, "urgent": 0.5})


class TokenAndPositionEmbedding(keras.layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_emb = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True)
        self.pos_emb = keras.layers.Embedding(maxlen, embed_dim)
        self.scale = math.sqrt(embed_dim)

    def call(self, x):
        positions = ops.arange(0, ops.shape(x)[-1], 1)
        return self.token_emb(x) * self.scale + self.pos_emb(positions)

    def compute_mask(self, x, mask=None):
        return self.token_emb.compute_mask(x)


class EncoderBlock(keras.layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.att = keras.layers.MultiHeadAttention(num_heads=num_heads,
                                                   key_dim=embed_dim // num_heads)
        self.ffn = keras.Sequential([keras.layers.Dense(ff_dim, activation="gelu"),
                                     keras.layers.Dense(embed_dim)])
        self.ln1 = keras.layers.LayerNormalization(epsilon=1e-6)
        self.ln2 = keras.layers.LayerNormalization(epsilon=1e-6)
        self.drop1 = keras.layers.Dropout(rate)
        self.drop2 = keras.layers.Dropout(rate)
        self.supports_masking = True

    def call(self, inputs, mask=None, training=None):
        attn_mask = None
        if mask is not None:
            m = ops.cast(mask, "int32")
            attn_mask = ops.expand_dims(m, 1) * ops.expand_dims(m, 2)  # (B, T, T)
        h = self.ln1(inputs)
        h = self.att(h, h, attention_mask=attn_mask, training=training)
        x = inputs + self.drop1(h, training=training)
        h = self.ffn(self.ln2(x))
        return x + self.drop2(h, training=training)


class SharedEncoder(keras.Model):
    """Backbone shared by both task heads; returns a pooled sentence vector."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.embed = TokenAndPositionEmbedding(MAX_LEN, VOCAB_SIZE, D_MODEL)
        self.blocks = [EncoderBlock(D_MODEL, NUM_HEADS, FF_DIM, name=f"block_{i}")
                       for i in range(NUM_BLOCKS)]
        self.final_ln = keras.layers.LayerNormalization(epsilon=1e-6)

    def call(self, token_ids, training=None):
        mask = ops.not_equal(token_ids, 0)
        x = self.embed(token_ids)
        for block in self.blocks:
            x = block(x, mask=mask, training=training)
        x = self.final_ln(x)
        # masked mean pooling
        w = ops.expand_dims(ops.cast(mask, x.dtype), -1)
        return ops.sum(x * w, axis=1) / ops.maximum(ops.sum(w, axis=1), 1.0)


def build_multitask_model():
    tokens = keras.Input(shape=(MAX_LEN,), dtype="int32", name="tokens")
    encoder = SharedEncoder(name="shared_encoder")
    pooled = encoder(tokens)

    intent_h = keras.layers.Dense(64, activation="relu")(pooled)
    intent_h = keras.layers.Dropout(0.2)(intent_h)
    intent_out = keras.layers.Dense(len(INTENTS), activation="softmax", name="intent")(intent_h)

    urgent_h = keras.layers.Dense(16, activation="relu")(pooled)
    urgent_out = keras.layers.Dense(1, activation="sigmoid", name="urgent")(urgent_h)

    return keras.Model(tokens, {"intent": intent_out, "urgent": urgent_out},
                       name="ticket_triage")


class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, peak_lr, warmup_steps, total_steps):
        self.peak_lr, self.warmup, self.total = peak_lr, warmup_steps, total_steps

    def __call__(self, step):
        step = ops.cast(step, "float32")
        warm = self.peak_lr * step / self.warmup
        progress = (step - self.warmup) / max(1, self.total - self.warmup)
        cos = 0.5 * self.peak_lr * (1.0 + ops.cos(math.pi * ops.minimum(progress, 1.0)))
        return ops.where(step < self.warmup, warm, cos)


def fake_tickets(n, rng):
    lengths = rng.integers(6, MAX_LEN + 1, size=n)
    intent = rng.integers(0, len(INTENTS), size=n)
    tokens = np.zeros((n, MAX_LEN), dtype="int32")
    for i, L in enumerate(lengths):
        # each intent prefers a slice of the vocabulary, so the task is learnable
        lo = 2 + intent[i] * 400
        tokens[i, :L] = rng.integers(lo, lo + 600, size=L)
    urgent = ((intent == 1) | (rng.random(n) < 0.15)).astype("float32")
    return tokens, intent, urgent


def to_dataset(tokens, intent, urgent, batch_size):
    ds = tf.data.Dataset.from_tensor_slices(
        (tokens, {"intent": intent, "urgent": urgent[:, None]}))
    return ds.shuffle(1024, seed=0).batch(batch_size, drop_remainder=True).repeat()


if __name__ == "__main__":
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    X, y_intent, y_urgent = fake_tickets(512, rng)
    train_ds = to_dataset(X, y_intent, y_urgent, HPARAMS["batch_size"])

    model = build_multitask_model()
    schedule = WarmupCosine(HPARAMS["lr"], HPARAMS["warmup_steps"], 200)
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=schedule, weight_decay=1e-2),
        loss={"intent": keras.losses.SparseCategoricalCrossentropy(),
              "urgent": keras.losses.BinaryCrossentropy(label_smoothing=0.05)},
        loss_weights=HPARAMS["loss_weights"],
        metrics={"intent": ["sparse_categorical_accuracy"],
                 "urgent": [keras.metrics.AUC(name="auc"), "binary_accuracy"]},
    )
    model.summary(expand_nested=True)
    model.fit(train_ds, epochs=1, steps_per_epoch=HPARAMS["steps"], verbose=2)

    preds = model.predict(X[:8], batch_size=8, verbose=0)
    print({k: v.shape for k, v in preds.items()})
    for ids, p_int, p_urg in zip(X[:4], preds["intent"], preds["urgent"]):
        n_tok = int((ids != 0).sum())
        print(f"{n_tok:2d} tokens -> {INTENTS[int(p_int.argmax())]:<10s} "
              f"urgent={float(p_urg[0]):.2f}")

    # Reuse the trained backbone as a frozen sentence encoder.
    encoder = model.get_layer("shared_encoder")
    encoder.trainable = False
    emb = encoder(ops.convert_to_tensor(X[:16]), training=False)
    sims = ops.matmul(emb, ops.transpose(emb)) / (
        ops.norm(emb, axis=-1, keepdims=True) * ops.transpose(ops.norm(emb, axis=-1, keepdims=True)))
    print("embedding:", tuple(emb.shape), "mean cos-sim:", float(ops.mean(sims)))
