"""Mixed precision (float16) custom training loop with manual loss scaling.

Small transformer-encoder text classifier trained with the `mixed_float16`
policy. Compute happens in fp16, variables stay fp32, the final softmax is
forced back to fp32 for numerical stability, and the loss is scaled /
unscaled through `LossScaleOptimizer` in a hand-written GradientTape loop.

On CPU fp16 is slow-ish and gives no speedup -- this is about the plumbing.
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
import keras
from keras import layers, mixed_precision


@dataclass
class Config:
    vocab_size: int = 2000
    seq_len: int = 32
    embed_dim: int = 64
    num_heads: int = 4
    ff_dim: int = 128
    num_classes: int = 3
    batch_size: int = 32
    train_steps: int = 20
    lr: float = 1e-3
    policy: str = "mixed_float16"


cfg = Config()
mixed_precision.set_global_policy(cfg.policy)
print("compute dtype:", mixed_precision.global_policy().compute_dtype,
      "| variable dtype:", mixed_precision.global_policy().variable_dtype)


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_emb = layers.Embedding(vocab_size, embed_dim)
        self.pos_emb = layers.Embedding(maxlen, embed_dim)

    def call(self, x):
        maxlen = tf.shape(x)[-1]
        positions = tf.range(start=0, limit=maxlen, delta=1)
        positions = self.pos_emb(positions)          # (T, D)
        return self.token_emb(x) + positions         # broadcast over batch


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(num_heads=num_heads,
                                             key_dim=embed_dim // num_heads)
        self.ffn = keras.Sequential([
            layers.Dense(ff_dim, activation="gelu"),
            layers.Dense(embed_dim),
        ])
        self.ln1 = layers.LayerNormalization(epsilon=1e-6)
        self.ln2 = layers.LayerNormalization(epsilon=1e-6)
        self.drop1 = layers.Dropout(rate)
        self.drop2 = layers.Dropout(rate)

    def call(self, inputs, training=False, mask=None):
        attn_out = self.att(inputs, inputs, attention_mask=mask, training=training)
        x = self.ln1(inputs + self.drop1(attn_out, training=training))
        ffn_out = self.ffn(x)
        return self.ln2(x + self.drop2(ffn_out, training=training))


def build_classifier(cfg):
    tokens = keras.Input(shape=(cfg.seq_len,), dtype="int32", name="tokens")
    # padding mask (token id 0 == pad) -> (B, 1, T) so it broadcasts over queries
    pad_mask = layers.Lambda(
        lambda t: tf.cast(tf.not_equal(t, 0), tf.bool)[:, tf.newaxis, :],
        name="pad_mask")(tokens)
    x = TokenAndPositionEmbedding(cfg.seq_len, cfg.vocab_size, cfg.embed_dim)(tokens)
    x = TransformerBlock(cfg.embed_dim, cfg.num_heads, cfg.ff_dim)(x, mask=pad_mask)
    x = TransformerBlock(cfg.embed_dim, cfg.num_heads, cfg.ff_dim)(x, mask=pad_mask)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dense(32, activation="relu")(x)
    x = layers.Dense(cfg.num_classes, name="logits")(x)
    # keep the softmax in float32 -- fp16 softmax can under/overflow
    outputs = layers.Activation("softmax", dtype="float32", name="probs")(x)
    return keras.Model(tokens, outputs, name="mp_transformer")


def synthetic_text(cfg, n):
    rng = np.random.default_rng(0)
    x = rng.integers(1, cfg.vocab_size, size=(n, cfg.seq_len)).astype("int32")
    # random right padding
    lengths = rng.integers(cfg.seq_len // 2, cfg.seq_len + 1, size=n)
    for i, L in enumerate(lengths):
        x[i, L:] = 0
    # label depends on how many "low" token ids show up
    low_frac = ((x > 0) & (x < cfg.vocab_size // 3)).sum(1) / lengths
    y = np.digitize(low_frac, [0.30, 0.36]).astype("int32")
    return x, y


x_train, y_train = synthetic_text(cfg, cfg.batch_size * cfg.train_steps)
train_ds = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
            .shuffle(1024).batch(cfg.batch_size).repeat())

model = build_classifier(cfg)
model.summary()

for layer in model.layers[:4]:
    print(f"{layer.name:28s} compute={layer.compute_dtype} vars={layer.variable_dtype}")

# Keras 3: LossScaleOptimizer does dynamic loss scaling for us
base_opt = keras.optimizers.AdamW(learning_rate=cfg.lr, weight_decay=1e-4)
optimizer = mixed_precision.LossScaleOptimizer(base_opt)
loss_fn = keras.losses.SparseCategoricalCrossentropy()
train_acc = keras.metrics.SparseCategoricalAccuracy()


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        probs = model(x, training=True)
        loss = loss_fn(y, probs)
        scaled_loss = optimizer.scale_loss(loss)
    scaled_grads = tape.gradient(scaled_loss, model.trainable_variables)
    # LossScaleOptimizer unscales + skips the step if grads are non-finite
    optimizer.apply_gradients(zip(scaled_grads, model.trainable_variables))
    train_acc.update_state(y, probs)
    return loss


for step, (xb, yb) in enumerate(train_ds.take(cfg.train_steps)):
    loss = train_step(xb, yb)
    if step % 10 == 0 or step == cfg.train_steps - 1:
        print(f"step {step:3d}  loss={float(loss):.4f}  "
              f"acc={float(train_acc.result()):.3f}  "
              f"loss_scale={float(optimizer.dynamic_scale.numpy()):.0f}")

# sanity: weights are still float32, activations are float16
probe = model.get_layer("logits")(tf.zeros((1, 32), dtype=tf.float16))
print("logits dtype:", probe.dtype, "| kernel dtype:",
      model.get_layer("logits").kernel.dtype)
print("probs dtype:", model(x_train[:2]).dtype)

mixed_precision.set_global_policy("float32")
