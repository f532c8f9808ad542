"""Joint intent classification + slot filling with a tiny Transformer.

Two outputs trained together through model.fit:
  * "intent": one label per utterance (pooled [CLS]-style token)
  * "slots":  one BIO tag per token, with padding masked out of the loss
Written against Keras 3 using keras.ops so it stays backend agnostic.
Includes a custom build()/call() positional embedding layer and a custom
keras.metrics.Metric that computes token accuracy ignoring padding.
"""
import numpy as np
import keras
from keras import layers, ops

MAX_LEN = 20
VOCAB = 300
N_INTENTS = 5
N_SLOTS = 7  # 0 == PAD tag
D_MODEL = 64
N_HEADS = 4
FF_DIM = 128
N_LAYERS = 2
PAD_ID = 0


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, vocab_size, max_len, dim, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.max_len, self.dim = vocab_size, max_len, dim
        self.tok = layers.Embedding(vocab_size, dim)

    def build(self, input_shape):
        self.tok.build(input_shape)
        self.pos = self.add_weight(
            name="pos_table", shape=(self.max_len, self.dim), initializer="glorot_uniform"
        )
        super().build(input_shape)

    def call(self, token_ids):
        seq_len = ops.shape(token_ids)[-1]
        x = self.tok(token_ids) * ops.sqrt(ops.cast(self.dim, "float32"))
        return x + self.pos[None, :seq_len, :]

    def compute_mask(self, token_ids, mask=None):
        return ops.not_equal(token_ids, PAD_ID)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(vocab_size=self.vocab_size, max_len=self.max_len, dim=self.dim)
        return cfg


class EncoderBlock(layers.Layer):
    def __init__(self, dim, heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.attn = layers.MultiHeadAttention(num_heads=heads, key_dim=dim // heads, dropout=rate)
        self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="gelu"), layers.Dense(dim)])
        self.ln1 = layers.LayerNormalization(epsilon=1e-6)
        self.ln2 = layers.LayerNormalization(epsilon=1e-6)
        self.drop = layers.Dropout(rate)

    def call(self, x, mask=None, training=False):
        attn_mask = None
        if mask is not None:
            # (B, T) -> (B, 1, T) broadcast over query positions
            attn_mask = ops.expand_dims(ops.cast(mask, "bool"), axis=1)
        h = self.attn(x, x, attention_mask=attn_mask, training=training)
        x = self.ln1(x + self.drop(h, training=training))
        h = self.ffn(x)
        return self.ln2(x + self.drop(h, training=training))


class MaskedTokenAccuracy(keras.metrics.Metric):
    """Accuracy over non-pad positions only (y_true == 0 is padding)."""

    def __init__(self, name="tok_acc", **kwargs):
        super().__init__(name=name, **kwargs)
        self.correct = self.add_variable(shape=(), initializer="zeros", name="correct")
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "int32")
        pred_ids = ops.cast(ops.argmax(y_pred, axis=-1), "int32")
        valid = ops.cast(ops.not_equal(y_true, 0), "float32")
        hits = ops.cast(ops.equal(pred_ids, y_true), "float32") * valid
        self.correct.assign_add(ops.sum(hits))
        self.total.assign_add(ops.sum(valid))

    def result(self):
        return ops.divide_no_nan(self.correct, self.total)

    def reset_state(self):
        self.correct.assign(0.0)
        self.total.assign(0.0)


def masked_slot_loss(y_true, y_pred):
    # NOTE: keep the (B, T) shape -- Keras also turns the propagated
    # padding mask of the "slots" output into a (B, T) sample weight.
    y_true = ops.cast(y_true, "int32")
    per_tok = keras.losses.sparse_categorical_crossentropy(y_true, y_pred)  # (B, T)
    mask = ops.cast(ops.not_equal(y_true, 0), per_tok.dtype)
    return per_tok * mask


def build_joint_model():
    token_ids = keras.Input(shape=(MAX_LEN,), dtype="int32", name="token_ids")
    x = TokenAndPositionEmbedding(VOCAB, MAX_LEN, D_MODEL, name="embed")(token_ids)
    for i in range(N_LAYERS):
        x = EncoderBlock(D_MODEL, N_HEADS, FF_DIM, name=f"encoder_{i}")(x)

    cls_vec = x[:, 0, :]                          # first token acts as [CLS]
    mean_vec = layers.GlobalAveragePooling1D()(x)  # respects the padding mask
    pooled = layers.Concatenate()([cls_vec, mean_vec])
    intent = layers.Dense(N_INTENTS, activation="softmax", name="intent")(
        layers.Dropout(0.1)(pooled)
    )
    slots = layers.Dense(N_SLOTS, activation="softmax", name="slots")(x)
    return keras.Model({"token_ids": token_ids}, {"intent": intent, "slots": slots}, name="joint_nlu")


def synth_batch(n, rng):
    lengths = rng.integers(5, MAX_LEN + 1, size=n)
    ids = np.zeros((n, MAX_LEN), dtype="int32")
    tags = np.zeros((n, MAX_LEN), dtype="int32")
    intents = rng.integers(0, N_INTENTS, size=n).astype("int32")
    for i, L in enumerate(lengths):
        ids[i, 0] = 1  # [CLS]
        ids[i, 1:L] = rng.integers(2, VOCAB, size=L - 1)
        ids[i, 1] = 10 + intents[i]          # intent trigger word
        tags[i, :L] = 1                       # "O"
        tags[i, 1:L] = np.where(ids[i, 1:L] % 6 == 0, 2 + (ids[i, 1:L] % 5), 1)
    return ids, {"intent": intents, "slots": tags}


if __name__ == "__main__":
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    x_train, y_train = synth_batch(384, rng)
    x_val, y_val = synth_batch(96, rng)

    model = build_joint_model()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=5e-4, clipnorm=1.0),
        loss={"intent": "sparse_categorical_crossentropy", "slots": masked_slot_loss},
        loss_weights={"intent": 1.0, "slots": 2.0},
        metrics={"intent": ["sparse_categorical_accuracy"], "slots": [MaskedTokenAccuracy()]},
    )
    model.summary()
    model.fit(
        {"token_ids": x_train},
        y_train,
        batch_size=32,
        epochs=2,
        validation_data=({"token_ids": x_val}, y_val),
        verbose=2,
    )

    preds = model.predict({"token_ids": x_val[:4]}, verbose=0)
    slot_ids = np.argmax(preds["slots"], axis=-1)
    for row in range(2):
        L = int((x_val[row] != PAD_ID).sum())
        print(f"intent pred={preds['intent'][row].argmax()} true={y_val['intent'][row]} | "
              f"slots pred={slot_ids[row, :L].tolist()}")
