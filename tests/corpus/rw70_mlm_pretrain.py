"""Tiny BERT-style masked language model pretraining from scratch.

Builds a small Transformer encoder (token + learned position embeddings,
post-LN blocks), applies the usual 80/10/10 BERT masking recipe on the fly
inside a tf.data pipeline and trains with a hand-written GradientTape loop.
Synthetic token ids stand in for a real tokenized corpus.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# ---------------------------------------------------------------------------
# Hyper-parameters
# ---------------------------------------------------------------------------
VOCAB_SIZE = 2000
MAX_LEN = 32
EMBED_DIM = 64
NUM_HEADS = 4
FF_DIM = 128
NUM_LAYERS = 2
BATCH_SIZE = 16
NUM_SAMPLES = 256
MASK_RATE = 0.15
LR = 5e-4
STEPS = 12

# special token ids (like [PAD], [UNK], [CLS], [SEP], [MASK] in WordPiece vocabs)
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = 0, 1, 2, 3, 4
FIRST_REAL_ID = 5

tf.random.set_seed(42)
np.random.seed(42)


def make_fake_corpus(n, max_len):
    """Random sentences of variable length, wrapped in [CLS] ... [SEP] and padded."""
    data = np.full((n, max_len), PAD_ID, dtype=np.int32)
    for i in range(n):
        length = np.random.randint(8, max_len - 1)
        toks = np.random.randint(FIRST_REAL_ID, VOCAB_SIZE, size=length - 2)
        data[i, 0] = CLS_ID
        data[i, 1:length - 1] = toks
        data[i, length - 1] = SEP_ID
    return data


def bert_mask(token_ids):
    """Apply BERT masking to a batch of token ids.

    Returns (masked_inputs, labels, sample_weights) where sample_weights is 1
    only at positions selected for prediction.
    """
    shape = tf.shape(token_ids)
    is_special = (token_ids == PAD_ID) | (token_ids == CLS_ID) | (token_ids == SEP_ID)

    probs = tf.random.uniform(shape)
    selected = (probs < MASK_RATE) & ~is_special

    # Of the selected tokens: 80% -> [MASK], 10% -> random token, 10% -> unchanged
    action = tf.random.uniform(shape)
    to_mask = selected & (action < 0.8)
    to_random = selected & (action >= 0.8) & (action < 0.9)

    random_tokens = tf.random.uniform(shape, FIRST_REAL_ID, VOCAB_SIZE, dtype=tf.int32)
    inputs = tf.where(to_mask, tf.fill(shape, MASK_ID), token_ids)
    inputs = tf.where(to_random, random_tokens, inputs)

    weights = tf.cast(selected, tf.float32)
    return inputs, token_ids, weights


class PositionalEmbedding(layers.Layer):
    def __init__(self, vocab_size, max_len, dim, **kwargs):
        super().__init__(**kwargs)
        self.token_emb = layers.Embedding(vocab_size, dim, name="token_embeddings")
        self.max_len = max_len
        self.dim = dim

    def build(self, input_shape):
        self.pos_emb = self.add_weight(
            name="position_embeddings",
            shape=(self.max_len, self.dim),
            initializer=keras.initializers.TruncatedNormal(stddev=0.02),
        )
        super().build(input_shape)

    def call(self, x):
        seq_len = tf.shape(x)[-1]
        positions = self.pos_emb[:seq_len]  # (T, D)
        return self.token_emb(x) + positions[tf.newaxis, :, :]


class EncoderBlock(layers.Layer):
    def __init__(self, dim, heads, ff_dim, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.attn = layers.MultiHeadAttention(num_heads=heads, key_dim=dim // heads, dropout=dropout)
        self.ffn = keras.Sequential([
            layers.Dense(ff_dim, activation="gelu"),
            layers.Dense(dim),
        ])
        self.ln1 = layers.LayerNormalization(epsilon=1e-12)
        self.ln2 = layers.LayerNormalization(epsilon=1e-12)
        self.drop1 = layers.Dropout(dropout)
        self.drop2 = layers.Dropout(dropout)

    def call(self, x, padding_mask=None, training=False):
        attn_mask = None
        if padding_mask is not None:
            # (B, T) -> (B, 1, T): every query may attend to every non-pad key
            attn_mask = padding_mask[:, tf.newaxis, :]
        h = self.attn(x, x, attention_mask=attn_mask, training=training)
        x = self.ln1(x + self.drop1(h, training=training))
        h = self.ffn(x)
        return self.ln2(x + self.drop2(h, training=training))


class MiniBert(keras.Model):
    """Encoder + tied-weight MLM head."""

    def __init__(self, cfg_layers=NUM_LAYERS, **kwargs):
        super().__init__(**kwargs)
        self.embed = PositionalEmbedding(VOCAB_SIZE, MAX_LEN, EMBED_DIM)
        self.emb_norm = layers.LayerNormalization(epsilon=1e-12)
        self.blocks = [EncoderBlock(EMBED_DIM, NUM_HEADS, FF_DIM, name=f"block_{i}")
                       for i in range(cfg_layers)]
        self.mlm_transform = layers.Dense(EMBED_DIM, activation="gelu")
        self.mlm_norm = layers.LayerNormalization(epsilon=1e-12)

    def build(self, input_shape):
        self.mlm_bias = self.add_weight(name="mlm_bias", shape=(VOCAB_SIZE,), initializer="zeros")
        super().build(input_shape)

    def encode(self, token_ids, training=False):
        # keras.ops so this also works on symbolic inputs when exporting
        padding_mask = keras.ops.not_equal(token_ids, PAD_ID)
        x = self.emb_norm(self.embed(token_ids))
        for block in self.blocks:
            x = block(x, padding_mask=padding_mask, training=training)
        return x

    def call(self, token_ids, training=False):
        h = self.encode(token_ids, training=training)
        h = self.mlm_norm(self.mlm_transform(h))
        # tie output projection to the input embedding matrix
        emb_matrix = self.embed.token_emb.embeddings  # (V, D)
        logits = tf.einsum("btd,vd->btv", h, emb_matrix) + self.mlm_bias
        return logits


def build_dataset():
    corpus = make_fake_corpus(NUM_SAMPLES, MAX_LEN)
    ds = tf.data.Dataset.from_tensor_slices(corpus)
    ds = ds.shuffle(NUM_SAMPLES).batch(BATCH_SIZE, drop_remainder=True)
    ds = ds.map(bert_mask, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.repeat().prefetch(tf.data.AUTOTUNE)


model = MiniBert(name="mini_bert")
# run a dummy batch through so every sub-layer creates its weights
_ = model(tf.zeros((1, MAX_LEN), dtype=tf.int32))

lr_schedule = keras.optimizers.schedules.PolynomialDecay(LR, decay_steps=STEPS, end_learning_rate=0.0)
optimizer = keras.optimizers.AdamW(learning_rate=lr_schedule, weight_decay=0.01)
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")
loss_tracker = keras.metrics.Mean(name="mlm_loss")
acc_tracker = keras.metrics.SparseCategoricalAccuracy(name="mlm_acc")


@tf.function
def train_step(inputs, labels, weights):
    with tf.GradientTape() as tape:
        logits = model(inputs, training=True)
        per_token = loss_fn(labels, logits)  # (B, T)
        loss = tf.reduce_sum(per_token * weights) / tf.maximum(tf.reduce_sum(weights), 1.0)
    grads = tape.gradient(loss, model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 1.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    loss_tracker.update_state(loss)
    acc_tracker.update_state(labels, logits, sample_weight=weights)
    return loss


print("params:", model.count_params())
for step, (inputs, labels, weights) in enumerate(build_dataset().take(STEPS)):
    loss = train_step(inputs, labels, weights)
    if step % 4 == 0:
        print(f"step {step:3d}  loss={loss_tracker.result():.4f}  acc={acc_tracker.result():.4f}")

# Quick fill-in-the-blank sanity check on one sentence
sample = make_fake_corpus(1, MAX_LEN)
masked = sample.copy()
masked[0, 3] = MASK_ID
logits = model(tf.constant(masked), training=False)
pred = tf.argmax(logits[0, 3], axis=-1).numpy()
print("true id:", sample[0, 3], "predicted id:", pred)

# Export the encoder part (without the MLM head) as a functional model for fine-tuning
enc_in = keras.Input(shape=(MAX_LEN,), dtype="int32", name="input_ids")
enc_out = model.encode(enc_in)
cls_vector = enc_out[:, 0, :]
encoder = keras.Model(enc_in, [enc_out, cls_vector], name="pretrained_encoder")
seq, cls = encoder(tf.constant(sample))
print("sequence output:", seq.shape, "pooled:", cls.shape)
