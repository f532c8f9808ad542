"""Neural machine translation with Bahdanau (additive) attention.

A stripped-down version of the classic TF "NMT with attention" tutorial:
GRU encoder, GRU decoder with BahdanauAttention, teacher forcing in a
custom GradientTape loop and a greedy decoding loop at inference time.

The parallel corpus here is synthetic (a toy "language" where the target is
the reversed source with a token offset) so the script runs offline.
"""
import time

import numpy as np
import tensorflow as tf

# ---------------------------------------------------------------------------
# Hyper-parameters
# ---------------------------------------------------------------------------
NUM_EXAMPLES = 512
BATCH_SIZE = 32
EMBEDDING_DIM = 32
UNITS = 64
MAX_LEN_INP = 7
MAX_LEN_TARG = 9          # +2 for <start>/<end>
SRC_VOCAB = 30
TGT_VOCAB = 34
EPOCHS = 1
STEPS_PER_EPOCH = 4

PAD, START, END = 0, 1, 2

tf.random.set_seed(42)
rng = np.random.default_rng(42)


def make_toy_corpus(n):
    """Source: random token ids. Target: <start> reversed(src)+3 <end>."""
    inp = np.zeros((n, MAX_LEN_INP), dtype=np.int32)
    targ = np.zeros((n, MAX_LEN_TARG), dtype=np.int32)
    for i in range(n):
        length = rng.integers(4, MAX_LEN_INP + 1)
        src = rng.integers(3, SRC_VOCAB, size=length)
        tgt = (src[::-1] + 3) % TGT_VOCAB
        tgt = np.where(tgt < 3, tgt + 3, tgt)
        inp[i, :length] = src
        targ[i, 0] = START
        targ[i, 1:length + 1] = tgt
        targ[i, length + 1] = END
    return inp, targ


input_tensor, target_tensor = make_toy_corpus(NUM_EXAMPLES)
print("input_tensor:", input_tensor.shape, "target_tensor:", target_tensor.shape)

dataset = tf.data.Dataset.from_tensor_slices((input_tensor, target_tensor))
dataset = dataset.shuffle(NUM_EXAMPLES).batch(BATCH_SIZE, drop_remainder=True)


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
class Encoder(tf.keras.Model):
    def __init__(self, vocab_size, embedding_dim, enc_units, batch_sz):
        super().__init__()
        self.batch_sz = batch_sz
        self.enc_units = enc_units
        self.embedding = tf.keras.layers.Embedding(vocab_size, embedding_dim)
        self.gru = tf.keras.layers.GRU(self.enc_units,
                                       return_sequences=True,
                                       return_state=True,
                                       recurrent_initializer="glorot_uniform")

    def call(self, x, hidden):
        x = self.embedding(x)
        output, state = self.gru(x, initial_state=hidden)
        return output, state

    def initialize_hidden_state(self):
        return tf.zeros((self.batch_sz, self.enc_units))


class BahdanauAttention(tf.keras.layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.W1 = tf.keras.layers.Dense(units)
        self.W2 = tf.keras.layers.Dense(units)
        self.V = tf.keras.layers.Dense(1)

    def call(self, query, values):
        # query hidden state shape == (batch_size, hidden size)
        # query_with_time_axis shape == (batch_size, 1, hidden size)
        # values shape == (batch_size, max_len, hidden size)
        query_with_time_axis = tf.expand_dims(query, 1)

        # score shape == (batch_size, max_length, 1)
        score = self.V(tf.nn.tanh(
            self.W1(query_with_time_axis) + self.W2(values)))

        # attention_weights shape == (batch_size, max_length, 1)
        attention_weights = tf.nn.softmax(score, axis=1)

        # context_vector shape after sum == (batch_size, hidden_size)
        context_vector = attention_weights * values
        context_vector = tf.reduce_sum(context_vector, axis=1)

        return context_vector, attention_weights


class Decoder(tf.keras.Model):
    def __init__(self, vocab_size, embedding_dim, dec_units, batch_sz):
        super().__init__()
        self.batch_sz = batch_sz
        self.dec_units = dec_units
        self.embedding = tf.keras.layers.Embedding(vocab_size, embedding_dim)
        self.gru = tf.keras.layers.GRU(self.dec_units,
                                       return_sequences=True,
                                       return_state=True,
                                       recurrent_initializer="glorot_uniform")
        self.fc = tf.keras.layers.Dense(vocab_size)
        self.attention = BahdanauAttention(self.dec_units)

    def call(self, x, hidden, enc_output):
        # enc_output shape == (batch_size, max_length, hidden_size)
        context_vector, attention_weights = self.attention(hidden, enc_output)

        # x shape after passing through embedding == (batch_size, 1, embedding_dim)
        x = self.embedding(x)

        # x shape after concatenation == (batch_size, 1, embedding_dim + hidden_size)
        x = tf.concat([tf.expand_dims(context_vector, 1), x], axis=-1)

        output, state = self.gru(x)

        # output shape == (batch_size * 1, hidden_size)
        output = tf.reshape(output, (-1, output.shape[2]))

        # output shape == (batch_size, vocab)
        x = self.fc(output)

        return x, state, attention_weights


encoder = Encoder(SRC_VOCAB, EMBEDDING_DIM, UNITS, BATCH_SIZE)
decoder = Decoder(TGT_VOCAB, EMBEDDING_DIM, UNITS, BATCH_SIZE)

# quick shape sanity check, as in the tutorial
example_input_batch, example_target_batch = next(iter(dataset))
sample_hidden = encoder.initialize_hidden_state()
sample_output, sample_hidden = encoder(example_input_batch, sample_hidden)
print("Encoder output shape: (batch size, sequence length, units)", sample_output.shape)
print("Encoder Hidden state shape: (batch size, units)", sample_hidden.shape)

sample_decoder_output, _, _ = decoder(tf.random.uniform((BATCH_SIZE, 1), maxval=TGT_VOCAB, dtype=tf.int32),
                                      sample_hidden, sample_output)
print("Decoder output shape: (batch_size, vocab size)", sample_decoder_output.shape)

# ---------------------------------------------------------------------------
# Optimizer & loss
# ---------------------------------------------------------------------------
optimizer = tf.keras.optimizers.Adam()
loss_object = tf.keras.losses.SparseCategoricalCrossentropy(
    from_logits=True, reduction="none")


def loss_function(real, pred):
    mask = tf.math.logical_not(tf.math.equal(real, PAD))
    loss_ = loss_object(real, pred)
    mask = tf.cast(mask, dtype=loss_.dtype)
    loss_ *= mask
    return tf.reduce_mean(loss_)


@tf.function
def train_step(inp, targ, enc_hidden):
    loss = 0.0

    with tf.GradientTape() as tape:
        enc_output, enc_hidden = encoder(inp, enc_hidden)
        dec_hidden = enc_hidden
        dec_input = tf.expand_dims([START] * BATCH_SIZE, 1)

        # Teacher forcing - feeding the target as the next input
        for t in range(1, targ.shape[1]):
            predictions, dec_hidden, _ = decoder(dec_input, dec_hidden, enc_output)
            loss += loss_function(targ[:, t], predictions)
            dec_input = tf.expand_dims(targ[:, t], 1)

    batch_loss = loss / int(targ.shape[1])
    variables = encoder.trainable_variables + decoder.trainable_variables
    gradients = tape.gradient(loss, variables)
    optimizer.apply_gradients(zip(gradients, variables))
    return batch_loss


for epoch in range(EPOCHS):
    start = time.time()
    enc_hidden = encoder.initialize_hidden_state()
    total_loss = 0.0

    for (batch, (inp, targ)) in enumerate(dataset.take(STEPS_PER_EPOCH)):
        batch_loss = train_step(inp, targ, enc_hidden)
        total_loss += batch_loss

        if batch % 2 == 0:
            print(f"Epoch {epoch + 1} Batch {batch} Loss {batch_loss.numpy():.4f}")

    print(f"Epoch {epoch + 1} Loss {total_loss / STEPS_PER_EPOCH:.4f}")
    print(f"Time taken for 1 epoch {time.time() - start:.2f} sec\n")


# ---------------------------------------------------------------------------
# Greedy decoding
# ---------------------------------------------------------------------------
def evaluate(sentence_ids):
    attention_plot = np.zeros((MAX_LEN_TARG, MAX_LEN_INP))
    inputs = tf.convert_to_tensor([sentence_ids], dtype=tf.int32)

    result = []
    hidden = [tf.zeros((1, UNITS))]
    enc_out, enc_hidden = encoder(inputs, hidden)

    dec_hidden = enc_hidden
    dec_input = tf.expand_dims([START], 0)

    for t in range(MAX_LEN_TARG):
        predictions, dec_hidden, attention_weights = decoder(dec_input, dec_hidden, enc_out)

        # storing the attention weights to plot later on
        attention_weights = tf.reshape(attention_weights, (-1,))
        attention_plot[t] = attention_weights.numpy()

        predicted_id = int(tf.argmax(predictions[0]).numpy())
        if predicted_id == END:
            return result, attention_plot[:t + 1]
        result.append(predicted_id)

        # the predicted ID is fed back into the model
        dec_input = tf.expand_dims([predicted_id], 0)

    return result, attention_plot


for i in range(3):
    src = input_tensor[i]
    pred, attn = evaluate(src)
    print("src :", [int(t) for t in src if t != PAD])
    print("pred:", pred, "| attention plot:", attn.shape)
