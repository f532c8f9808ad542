"""
Text generation with a miniature GPT.

Small decoder-only Transformer trained on random token ids (stand-in for
a tokenized IMDB corpus). Based on the usual keras.io layout: a
TokenAndPositionEmbedding layer, a causal TransformerBlock and a Dense head
that returns logits over the vocabulary.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

# ---------------------------------------------------------------------------
# Hyperparameters
# ---------------------------------------------------------------------------
vocab_size = 2000  # Only consider the top 2k words
maxlen = 40  # Max sequence size
embed_dim = 64  # Embedding size for each token
num_heads = 2  # Number of attention heads
feed_forward_dim = 64  # Hidden layer size in feed forward network inside transformer
num_transformer_blocks = 2
batch_size = 8
num_samples = 32


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(num_heads, embed_dim)
        self.ffn = keras.Sequential(
            [
                layers.Dense(ff_dim, activation="relu"),
                layers.Dense(embed_dim),
            ]
        )
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs):
        attention_output = self.att(inputs, inputs, use_causal_mask=True)
        attention_output = self.dropout1(attention_output)
        out1 = self.layernorm1(inputs + attention_output)
        ffn_output = self.ffn(out1)
        ffn_output = self.dropout2(ffn_output)
        return self.layernorm2(out1 + ffn_output)


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        maxlen = ops.shape(x)[-1]
        positions = ops.arange(0, maxlen, 1)
        positions = self.pos_emb(positions)
        x = self.token_emb(x)
        return x + positions


def create_model():
    inputs = layers.Input(shape=(maxlen,), dtype="int32")
    embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
    x = embedding_layer(inputs)
    for i in range(num_transformer_blocks):
        x = TransformerBlock(embed_dim, num_heads, feed_forward_dim, name=f"block_{i}")(x)
    outputs = layers.Dense(vocab_size)(x)
    model = keras.Model(inputs=inputs, outputs=[outputs, x])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(
        "adam",
        loss=[loss_fn, None],
    )  # No loss and optimization based on word embeddings from transformer block
    return model


# ---------------------------------------------------------------------------
# Fake "tokenized corpus": shift by one to build (input, target) pairs
# ---------------------------------------------------------------------------
rng = np.random.default_rng(42)
tokenized = rng.integers(1, vocab_size, size=(num_samples, maxlen + 1)).astype("int32")


def prepare_lm_inputs_labels(text):
    """Shift word sequences by 1 position so that the target for position (i)
    is word at position (i+1). The model will use all words up till position
    (i) to predict the next word."""
    x = text[:, :-1]
    y = text[:, 1:]
    return x, y


x_train, y_train = prepare_lm_inputs_labels(tokenized)
text_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train))
text_ds = text_ds.shuffle(buffer_size=64).batch(batch_size)

model = create_model()
model.summary()

model.fit(text_ds, verbose=2, epochs=1)


# ---------------------------------------------------------------------------
# Simple greedy/top-k sampling on the trained model
# ---------------------------------------------------------------------------
def sample_from(logits, k=10):
    logits, indices = ops.top_k(logits, k=k, sorted=True)
    indices = np.asarray(indices).astype("int32")
    preds = keras.activations.softmax(ops.expand_dims(logits, 0))[0]
    preds = np.asarray(preds).astype("float32")
    preds = preds / preds.sum()
    return np.random.choice(indices, p=preds)


start_tokens = [int(t) for t in tokenized[0, :5]]
num_tokens_generated = 0
tokens_generated = []
max_tokens = 5
while num_tokens_generated <= max_tokens:
    pad_len = maxlen - len(start_tokens)
    sample_index = len(start_tokens) - 1
    if pad_len < 0:
        x = start_tokens[:maxlen]
        sample_index = maxlen - 1
    elif pad_len > 0:
        x = start_tokens + [0] * pad_len
    else:
        x = start_tokens
    x = np.array([x])
    y, _ = model.predict(x, verbose=0)
    print("logits shape:", y.shape)
    sample_token = sample_from(y[0][sample_index])
    tokens_generated.append(sample_token)
    start_tokens.append(sample_token)
    num_tokens_generated = len(tokens_generated)

print("generated tokens:", tokens_generated)
