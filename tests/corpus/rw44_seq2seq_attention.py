"""Seq2seq NMT toy: GRU encoder / decoder with Bahdanau (additive) attention.

Trained with teacher forcing in a custom GradientTape loop, then decoded greedily
one token at a time. Data is a synthetic "reverse and shift" translation task so the
script runs offline.
"""
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras

# ---------------------------------------------------------------------------
# Hyper-parameters
# ---------------------------------------------------------------------------
BATCH_SIZE = 32
EMBED_DIM = 32
UNITS = 64
SRC_VOCAB = 40
TGT_VOCAB = 42
MAX_SRC_LEN = 8
MAX_TGT_LEN = 10  # +2 for <start>/<end>
NUM_EXAMPLES = 256
EPOCHS = 1

PAD, START, END = 0, 1, 2


def make_parallel_corpus(n, rng):
    """Fake parallel corpus: target = reversed source tokens shifted by +2."""
    src = np.zeros((n, MAX_SRC_LEN), dtype=np.int32)
    tgt = np.zeros((n, MAX_TGT_LEN), dtype=np.int32)
    for i in range(n):
        length = rng.integers(3, MAX_SRC_LEN + 1)
        toks = rng.integers(3, SRC_VOCAB, size=length)
        src[i, :length] = toks
        out = toks[::-1] + 2
        tgt[i, 0] = START
        tgt[i, 1:length + 1] = out
        tgt[i, length + 1] = END
    return src, tgt


class Encoder(keras.Model):
    def __init__(self, vocab_size, embedding_dim, enc_units):
        super().__init__()
        self.enc_units = enc_units
        self.embedding = keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True)
        self.gru = keras.layers.GRU(enc_units, return_sequences=True, return_state=True,
                                    recurrent_initializer="glorot_uniform")

    def call(self, x):
        x = self.embedding(x)
        output, state = self.gru(x)
        return output, state


class BahdanauAttention(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.W1 = keras.layers.Dense(units)
        self.W2 = keras.layers.Dense(units)
        self.V = keras.layers.Dense(1)

    def call(self, query, values, mask=None):
        # query: (batch, hidden) -> (batch, 1, hidden) for broadcasting over time
        query_with_time_axis = tf.expand_dims(query, 1)
        # score: (batch, src_len, 1)
        score = self.V(tf.nn.tanh(self.W1(query_with_time_axis) + self.W2(values)))
        if mask is not None:
            score += (1.0 - tf.cast(mask[..., tf.newaxis], score.dtype)) * -1e9
        attention_weights = tf.nn.softmax(score, axis=1)
        context_vector = tf.reduce_sum(attention_weights * values, axis=1)
        return context_vector, attention_weights


class Decoder(keras.Model):
    def __init__(self, vocab_size, embedding_dim, dec_units):
        super().__init__()
        self.dec_units = dec_units
        self.embedding = keras.layers.Embedding(vocab_size, embedding_dim)
        # A bare cell is enough since we step the decoder manually
        self.cell = keras.layers.GRUCell(dec_units, recurrent_initializer="glorot_uniform")
        self.fc = keras.layers.Dense(vocab_size)
        self.attention = BahdanauAttention(dec_units)

    def call(self, x, hidden, enc_output, src_mask=None):
        # x: (batch, 1) -- one target step
        context_vector, attention_weights = self.attention(hidden, enc_output, mask=src_mask)
        x = self.embedding(x)                       # (batch, 1, emb)
        x = tf.squeeze(x, axis=1)                   # (batch, emb)
        x = tf.concat([context_vector, x], axis=-1)  # (batch, units + emb)
        output, state = self.cell(x, hidden)
        if isinstance(state, (list, tuple)):
            state = state[0]
        logits = self.fc(output)
        return logits, state, attention_weights


encoder = Encoder(SRC_VOCAB, EMBED_DIM, UNITS)
decoder = Decoder(TGT_VOCAB, EMBED_DIM, UNITS)
optimizer = keras.optimizers.Adam(1e-3)
loss_object = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")


def loss_function(real, pred):
    mask = tf.math.logical_not(tf.math.equal(real, PAD))
    loss_ = loss_object(real, pred)
    mask = tf.cast(mask, dtype=loss_.dtype)
    loss_ *= mask
    return tf.reduce_sum(loss_) / tf.maximum(tf.reduce_sum(mask), 1.0)


@tf.function
def train_step(inp, targ):
    loss = 0.0
    with tf.GradientTape() as tape:
        enc_output, enc_hidden = encoder(inp)
        src_mask = tf.not_equal(inp, PAD)
        dec_hidden = enc_hidden
        dec_input = tf.expand_dims(targ[:, 0], 1)
        # Teacher forcing - feed the ground-truth token as the next input
        for t in range(1, MAX_TGT_LEN):
            predictions, dec_hidden, _ = decoder(dec_input, dec_hidden, enc_output, src_mask)
            loss += loss_function(targ[:, t], predictions)
            dec_input = tf.expand_dims(targ[:, t], 1)
    batch_loss = loss / float(MAX_TGT_LEN - 1)
    variables = encoder.trainable_variables + decoder.trainable_variables
    gradients = tape.gradient(loss, variables)
    gradients, _ = tf.clip_by_global_norm(gradients, 5.0)
    optimizer.apply_gradients(zip(gradients, variables))
    return batch_loss


def greedy_translate(src_ids):
    """Greedy decode a single source sentence (1-D int array)."""
    inputs = tf.convert_to_tensor(src_ids[None, :], dtype=tf.int32)
    enc_out, enc_hidden = encoder(inputs)
    src_mask = tf.not_equal(inputs, PAD)
    dec_hidden = enc_hidden
    dec_input = tf.constant([[START]], dtype=tf.int32)
    result, attention_plot = [], np.zeros((MAX_TGT_LEN, MAX_SRC_LEN))
    for t in range(MAX_TGT_LEN):
        predictions, dec_hidden, attn = decoder(dec_input, dec_hidden, enc_out, src_mask)
        attention_plot[t] = tf.reshape(attn, (-1,)).numpy()
        predicted_id = int(tf.argmax(predictions[0]).numpy())
        if predicted_id == END:
            break
        result.append(predicted_id)
        dec_input = tf.constant([[predicted_id]], dtype=tf.int32)
    return result, attention_plot[: t + 1]


if __name__ == "__main__":
    rng = np.random.default_rng(7)
    src, tgt = make_parallel_corpus(NUM_EXAMPLES, rng)
    dataset = (tf.data.Dataset.from_tensor_slices((src, tgt))
               .shuffle(NUM_EXAMPLES)
               .batch(BATCH_SIZE, drop_remainder=True))
    steps_per_epoch = NUM_EXAMPLES // BATCH_SIZE

    for epoch in range(EPOCHS):
        start = time.time()
        total_loss = 0.0
        for batch, (inp, targ) in enumerate(dataset.take(steps_per_epoch)):
            batch_loss = train_step(inp, targ)
            total_loss += float(batch_loss)
            if batch % 5 == 0:
                print(f"Epoch {epoch + 1} Batch {batch} Loss {float(batch_loss):.4f}")
        print(f"Epoch {epoch + 1} Loss {total_loss / steps_per_epoch:.4f} "
              f"({time.time() - start:.1f}s)")

    sample = src[0]
    pred_ids, attn = greedy_translate(sample)
    print("source   :", sample[sample > 0].tolist())
    print("reference:", tgt[0][1:][tgt[0][1:] > END].tolist())
    print("predicted:", pred_ids)
    print("attention map shape:", attn.shape)
