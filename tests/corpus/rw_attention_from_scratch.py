"""Scaled dot-product / multi-head attention written by hand (tutorial style)."""
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers


def scaled_dot_product_attention(q, k, v, mask=None):
    matmul_qk = tf.matmul(q, k, transpose_b=True)  # (..., seq_len_q, seq_len_k)
    dk = tf.cast(tf.shape(k)[-1], tf.float32)
    scaled_attention_logits = matmul_qk / tf.math.sqrt(dk)
    if mask is not None:
        scaled_attention_logits += (mask * -1e9)
    attention_weights = tf.nn.softmax(scaled_attention_logits, axis=-1)
    output = tf.matmul(attention_weights, v)  # (..., seq_len_q, depth_v)
    return output, attention_weights


class MultiHeadSelfAttention(layers.Layer):
    def __init__(self, d_model, num_heads):
        super(MultiHeadSelfAttention, self).__init__()
        self.num_heads = num_heads
        self.d_model = d_model
        assert d_model % self.num_heads == 0
        self.depth = d_model // self.num_heads
        self.wq = layers.Dense(d_model)
        self.wk = layers.Dense(d_model)
        self.wv = layers.Dense(d_model)
        self.dense = layers.Dense(d_model)

    def split_heads(self, x, batch_size):
        x = tf.reshape(x, (batch_size, -1, self.num_heads, self.depth))
        return tf.transpose(x, perm=[0, 2, 1, 3])

    def call(self, x):
        batch_size = tf.shape(x)[0]
        q = self.wq(x)
        k = self.wk(x)
        v = self.wv(x)
        q = self.split_heads(q, batch_size)
        k = self.split_heads(k, batch_size)
        v = self.split_heads(v, batch_size)
        scaled_attention, attention_weights = scaled_dot_product_attention(q, k, v)
        scaled_attention = tf.transpose(scaled_attention, perm=[0, 2, 1, 3])
        concat_attention = tf.reshape(scaled_attention, (batch_size, -1, self.d_model))
        output = self.dense(concat_attention)
        return output


class SimpleAttention(layers.Layer):
    """Bahdanau-style additive attention pooling over time."""

    def __init__(self, units):
        super().__init__()
        self.W1 = layers.Dense(units)
        self.W2 = layers.Dense(units)
        self.V = layers.Dense(1)

    def call(self, features, hidden):
        hidden_with_time_axis = tf.expand_dims(hidden, 1)
        score = tf.nn.tanh(self.W1(features) + self.W2(hidden_with_time_axis))
        attention_weights = tf.nn.softmax(self.V(score), axis=1)
        context_vector = attention_weights * features
        context_vector = tf.reduce_sum(context_vector, axis=1)
        return context_vector, attention_weights


seq_len, d_model = 10, 32
inputs = tf.keras.Input(shape=(seq_len, d_model))
mhsa = MultiHeadSelfAttention(d_model, num_heads=4)
x = mhsa(inputs)
x = layers.LayerNormalization()(x + inputs)
rnn_seq, rnn_state = layers.GRU(24, return_sequences=True, return_state=True)(x)
context, weights = SimpleAttention(16)(rnn_seq, rnn_state)
logits = layers.Dense(3)(context)
model = tf.keras.Model(inputs, logits)

sample = tf.random.uniform((2, seq_len, d_model))
out = model(sample)
q = tf.random.normal((2, 4, 6, 8))
attn_out, attn_w = scaled_dot_product_attention(q, q, q)
