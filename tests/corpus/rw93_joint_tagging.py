"""Joint intent classification + slot filling (ATIS/SNIPS style) with a shared Transformer encoder.

One encoder, three heads:
  * "slots"  - per-token BIO tags (sequence labelling, masked on padding)
  * "intent" - utterance-level softmax over the [CLS]-like pooled vector
  * "length" - small auxiliary regression on the fraction of real tokens (helps the
               encoder attend to padding correctly; weight kept low)

Padding is handled with mask_zero=True on the embedding so the mask propagates
into attention and into the per-token loss of the slot head.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

CONFIG = {
    "vocab_size": 1000,
    "max_len": 24,
    "num_slots": 9,       # O, B-from, I-from, B-to, I-to, B-date, I-date, B-airline, I-airline
    "num_intents": 6,
    "d_model": 64,
    "num_heads": 4,
    "ff_dim": 128,
    "num_layers": 2,
    "dropout": 0.1,
    "batch_size": 32,
    "n_train": 320,
    "loss_weights": {"slots": 1.0, "intent": 1.0, "length": 0.5},
}


class PositionalEmbedding(layers.Layer):
    def __init__(self, vocab_size, max_len, d_model, **kwargs):
        super().__init__(**kwargs)
        self.tok = layers.Embedding(vocab_size, d_model, mask_zero=True)
        self.pos = layers.Embedding(max_len, d_model)
        self.max_len = max_len

    def call(self, token_ids):
        positions = ops.arange(0, ops.shape(token_ids)[-1], dtype="int32")
        return self.tok(token_ids) + self.pos(positions)[None, :, :]

    def compute_mask(self, token_ids, mask=None):
        return self.tok.compute_mask(token_ids)


class EncoderBlock(layers.Layer):
    def __init__(self, d_model, num_heads, ff_dim, dropout, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.attn = layers.MultiHeadAttention(num_heads, key_dim=d_model // num_heads, dropout=dropout)
        self.ffn = keras.Sequential(
            [layers.Dense(ff_dim, activation="gelu"), layers.Dense(d_model)], name="ffn"
        )
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)
        self.drop = layers.Dropout(dropout)

    def call(self, x, mask=None, training=False):
        attn_mask = None
        if mask is not None:
            # (B, T) -> (B, 1, T): every query may attend to non-pad keys
            attn_mask = ops.expand_dims(ops.cast(mask, "bool"), axis=1)
        h = self.attn(x, x, attention_mask=attn_mask, training=training)
        x = self.norm1(x + self.drop(h, training=training))
        h = self.ffn(x)
        return self.norm2(x + self.drop(h, training=training))


class MaskedMeanPool(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, x, mask=None):
        if mask is None:
            return ops.mean(x, axis=1)
        m = ops.cast(mask, x.dtype)[..., None]
        return ops.sum(x * m, axis=1) / ops.maximum(ops.sum(m, axis=1), 1.0)

    def compute_mask(self, inputs, mask=None):
        return None


def build_joint_model(cfg):
    tokens = keras.Input(shape=(cfg["max_len"],), dtype="int32", name="tokens")
    x = PositionalEmbedding(cfg["vocab_size"], cfg["max_len"], cfg["d_model"], name="embed")(tokens)
    for i in range(cfg["num_layers"]):
        x = EncoderBlock(cfg["d_model"], cfg["num_heads"], cfg["ff_dim"], cfg["dropout"], name=f"encoder_{i}")(x)

    # per-token slot head
    slots = layers.Dense(cfg["num_slots"], activation="softmax", name="slots")(layers.Dropout(cfg["dropout"])(x))

    # utterance-level heads share a pooled vector
    pooled = MaskedMeanPool(name="pool")(x)
    pooled = layers.Dense(cfg["d_model"], activation="tanh", name="pooler")(pooled)
    intent = layers.Dense(cfg["num_intents"], activation="softmax", name="intent")(pooled)
    length = layers.Dense(1, activation="sigmoid", name="length")(pooled)  # fraction of max_len

    return keras.Model(tokens, {"slots": slots, "intent": intent, "length": length}, name="joint_nlu")


def synth_batch(cfg, n, rng):
    """Random utterances of variable length, right-padded with 0."""
    T = cfg["max_len"]
    lengths = rng.integers(4, T + 1, size=n)
    tokens = np.zeros((n, T), dtype="int32")
    slots = np.zeros((n, T), dtype="int32")
    for i, L in enumerate(lengths):
        tokens[i, :L] = rng.integers(1, cfg["vocab_size"], size=L)
        # make slot tags loosely depend on token id so there's something to learn
        slots[i, :L] = tokens[i, :L] % cfg["num_slots"]
    intents = (tokens[:, 0] % cfg["num_intents"]).astype("int32")
    return tokens, slots, intents, (lengths / T).astype("float32")[:, None]


def main(cfg=CONFIG):
    rng = np.random.default_rng(0)
    tokens, slots, intents, lengths = synth_batch(cfg, cfg["n_train"], rng)
    # padding positions get zero weight in the slot loss
    slot_weights = (tokens != 0).astype("float32")

    model = build_joint_model(cfg)
    model.summary(expand_nested=False)

    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=5e-4, weight_decay=1e-4),
        loss={
            "slots": keras.losses.SparseCategoricalCrossentropy(),
            "intent": keras.losses.SparseCategoricalCrossentropy(),
            "length": keras.losses.MeanSquaredError(),
        },
        loss_weights=cfg["loss_weights"],
        metrics={"intent": ["accuracy"], "slots": ["accuracy"]},
    )

    ds = tf.data.Dataset.from_tensor_slices(
        (
            {"tokens": tokens},
            {"slots": slots, "intent": intents, "length": lengths},
            {"slots": slot_weights, "intent": np.ones_like(lengths[:, 0]), "length": np.ones_like(lengths[:, 0])},
        )
    ).shuffle(512).batch(cfg["batch_size"])

    model.fit(ds, epochs=1, verbose=2)

    # decode a couple of examples
    test_tokens, _, _, test_len = synth_batch(cfg, 3, rng)
    out = model.predict({"tokens": test_tokens}, verbose=0)
    slot_ids = np.argmax(out["slots"], axis=-1)
    for i in range(len(test_tokens)):
        L = int(round(test_len[i, 0] * cfg["max_len"]))
        print(
            f"len={L:2d} pred_len={out['length'][i, 0] * cfg['max_len']:5.2f} "
            f"intent={int(np.argmax(out['intent'][i]))} slots={slot_ids[i, :L][:8].tolist()}..."
        )


if __name__ == "__main__":
    main()
