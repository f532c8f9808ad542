"""Neural machine translation with Bahdanau attention (GRU encoder/decoder).

Follows the structure of the classic TF "NMT with attention" tutorial:
an Encoder model, a BahdanauAttention layer and a Decoder model that runs
one step at a time, trained with teacher forcing in a custom GradientTape
loop. The "languages" are synthetic: the target sentence is the source
sentence reversed with every word mapped through a fixed dictionary, so
attention has to learn an anti-diagonal alignment.
"""
import time
from dataclasses import dataclass

import numpy as np
import tensorflow as tf


@dataclass
class Config:
    src_vocab: int = 60
    tgt_vocab: int = 64
    max_src_len: int = 7
    max_tgt_len: int = 9    # +2 for <start>/<end>
    embedding_dim: int = 32
    units: int = 64
    batch_size: int = 32
    num_examples: int = 512
    epochs: int = 1
    steps_per_epoch: int = 8


cfg = Config()
PAD, START, END = 0, 1, 2
tf.random.set_seed(1234)
rng = np.random.default_rng(1234)

# fixed "word translation" table: source id -> target id
WORD_MAP = rng.permutation(np.arange(3, cfg.tgt_vocab))[: cfg.src_vocab - 3]
WORD_MAP = np.concatenate([[PAD, START, END], WORD_MAP])


def create_parallel_corpus(n):
    src = np.zeros((n, cfg.max_src_len), dtype=np.int32)
    tgt = np.zeros((n, cfg.max_tgt_len), dtype=np.int32)
    for i in range(n):
        length = rng.integers(3, cfg.max_src_len + 1)
        words = rng.integers(3, cfg.src_vocab, size=length)
        src[i, :length] = words
        translated = WORD_MAP[words[::-1]]
        tgt[i, 0] = START
        tgt[i, 1:length + 1] = translated
        tgt[i, length + 1] = END
    return src, tgt


src_tensor, tgt_tensor = create_parallel_corpus(cfg.num_examples)
dataset = (tf.data.Dataset.from_tensor_slices((src_tensor, tgt_tensor))
           .shuffle(cfg.num_examples)
           .batch(cfg.batch_size, drop_remainder=True))
example_src, example_tgt = next(iter(dataset))
print("source batch:", example_src.shape, "target batch:", example_tgt.shape)


class Encoder(tf.keras.Model):
    def __init__(self, vocab_size, embedding_dim, enc_units):
        super().__init__()
        self.enc_units = enc_units
        self.embedding = tf.keras.layers.Embedding(vocab_size, embedding_dim)
        self.gru = tf.keras.layers.GRU(enc_units, return_sequences=True, return_state=True,
                                       recurrent_initializer="glorot_uniform")

    def call(self, x, hidden):
        x = self.embedding(x)
        output, state = self.gru(x, initial_state=hidden)
        return output, state

    def initialize_hidden_state(self, batch_size):
        return tf.zeros((batch_size, self.enc_units))


class BahdanauAttention(tf.keras.layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.W1 = tf.keras.layers.Dense(units)
        self.W2 = tf.keras.layers.Dense(units)
        self.V = tf.keras.layers.Dense(1)

    def call(self, query, values, value_mask=None):
        # query: (batch, hidden) -> (batch, 1, hidden) to broadcast over time
        query_with_time_axis = tf.expand_dims(query, 1)
        # score: (batch, src_len, 1)
        score = self.V(tf.nn.tanh(self.W1(query_with_time_axis) + self.W2(values)))
        if value_mask is not None:
            score += (1.0 - tf.cast(value_mask[:, :, tf.newaxis], score.dtype)) * -1e9
        attention_weights = tf.nn.softmax(score, axis=1)
        context_vector = tf.reduce_sum(attention_weights * values, axis=1)
        return context_vector, attention_weights


class Decoder(tf.keras.Model):
    def __init__(self, vocab_size, embedding_dim, dec_units):
        super().__init__()
        self.embedding = tf.keras.layers.Embedding(vocab_size, embedding_dim)
        self.gru = tf.keras.layers.GRU(dec_units, return_sequences=True, return_state=True,
                                       recurrent_initializer="glorot_uniform")
        self.fc = tf.keras.layers.Dense(vocab_size)
        self.attention = BahdanauAttention(dec_units)

    def call(self, x, hidden, enc_output, src_mask=None):
        context_vector, attention_weights = self.attention(hidden, enc_output, value_mask=src_mask)
        x = self.embedding(x)  # (batch, 1, emb)
        x = tf.concat([tf.expand_dims(context_vector, 1), x], axis=-1)
        output, state = self.gru(x, initial_state=hidden)
        output = tf.reshape(output, (-1, output.shape[2]))
        return self.fc(output), state, attention_weights


encoder = Encoder(cfg.src_vocab, cfg.embedding_dim, cfg.units)
decoder = Decoder(cfg.tgt_vocab, cfg.embedding_dim, cfg.units)

sample_hidden = encoder.initialize_hidden_state(cfg.batch_size)
sample_output, sample_hidden = encoder(example_src, sample_hidden)
print("encoder output:", sample_output.shape, "encoder hidden:", sample_hidden.shape)
sample_dec_out, _, sample_attn = decoder(tf.random.uniform((cfg.batch_size, 1), maxval=5, dtype=tf.int32),
                                         sample_hidden, sample_output)
print("decoder logits:", sample_dec_out.shape, "attention:", sample_attn.shape)

optimizer = tf.keras.optimizers.Adam(1e-2)
loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")


def loss_function(real, pred):
    mask = tf.math.logical_not(tf.math.equal(real, PAD))
    loss_ = loss_object(real, pred)
    mask = tf.cast(mask, dtype=loss_.dtype)
    return tf.reduce_mean(loss_ * mask)


@tf.function
def train_step(inp, targ, enc_hidden):
    loss = 0.0
    src_mask = tf.not_equal(inp, PAD)
    with tf.GradientTape() as tape:
        enc_output, enc_hidden = encoder(inp, enc_hidden)
        dec_hidden = enc_hidden
        dec_input = tf.expand_dims(targ[:, 0], 1)
        # teacher forcing: the loop bound is a static Python int, so it unrolls
        for t in range(1, cfg.max_tgt_len):
            predictions, dec_hidden, _ = decoder(dec_input, dec_hidden, enc_output, src_mask)
            loss += loss_function(targ[:, t], predictions)
            dec_input = tf.expand_dims(targ[:, t], 1)
    batch_loss = loss / float(cfg.max_tgt_len - 1)
    variables = encoder.trainable_variables + decoder.trainable_variables
    gradients = tape.gradient(loss, variables)
    optimizer.apply_gradients(zip(gradients, variables))
    return batch_loss


for epoch in range(cfg.epochs):
    start = time.time()
    enc_hidden = encoder.initialize_hidden_state(cfg.batch_size)
    total_loss = 0.0
    for batch, (inp, targ) in enumerate(dataset.take(cfg.steps_per_epoch)):
        batch_loss = train_step(inp, targ, enc_hidden)
        total_loss += float(batch_loss)
        if batch % 4 == 0:
            print(f"Epoch {epoch + 1} Batch {batch} Loss {float(batch_loss):.4f}")
    print(f"Epoch {epoch + 1} Loss {total_loss / cfg.steps_per_epoch:.4f} ({time.time() - start:.1f}s)")


def translate(src_ids):
    """Greedy decoding for a single sentence; returns tokens and the attention matrix."""
    inputs = tf.constant([src_ids], dtype=tf.int32)
    src_mask = tf.not_equal(inputs, PAD)
    attention_plot = np.zeros((cfg.max_tgt_len, cfg.max_src_len))
    hidden = encoder.initialize_hidden_state(1)
    enc_out, enc_hidden = encoder(inputs, hidden)
    dec_hidden = enc_hidden
    dec_input = tf.constant([[START]])
    result = []
    for t in range(cfg.max_tgt_len):
        predictions, dec_hidden, attention_weights = decoder(dec_input, dec_hidden, enc_out, src_mask)
        attention_plot[t] = tf.reshape(attention_weights, (-1,)).numpy()
        predicted_id = int(tf.argmax(predictions[0]).numpy())
        if predicted_id == END:  # eager Python check, outside tf.function
            break
        result.append(predicted_id)
        dec_input = tf.constant([[predicted_id]])
    return result, attention_plot[: len(result) + 1]


src_sentence = src_tensor[0]
pred_tokens, attn = translate(src_sentence)
gold = tgt_tensor[0][tgt_tensor[0] > END]
print("source     :", src_sentence[src_sentence != PAD].tolist())
print("reference  :", gold.tolist())
print("prediction :", pred_tokens)
print("attention matrix shape:", attn.shape)
