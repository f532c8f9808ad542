"""Char-level text generation with a GRU (TF "Text generation with an RNN" style).

Pipeline:
  raw text -> tf.strings.unicode_split -> StringLookup ids
  -> Dataset.batch(seq_length + 1) -> split_input_target -> shuffled batches
A subclassed `MyModel` returns logits (+ optional GRU state) and a `OneStep`
module samples one character at a time with temperature and a mask that
prevents the "[UNK]" token from being generated.

The corpus is generated on the fly from a few template sentences so the
script works without downloading shakespeare.txt.
"""
import os
import time

import numpy as np
import tensorflow as tf

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# --- corpus -----------------------------------------------------------------
_subjects = ["the king", "my lord", "the queen", "a fool", "thy brother", "the duke"]
_verbs = ["doth speak", "shall go", "hath seen", "will fight", "must weep", "doth love"]
_objects = ["the sea", "his crown", "her ghost", "the night", "this land", "my heart"]

rng = np.random.default_rng(1)
lines = []
for _ in range(400):
    s, v, o = rng.choice(_subjects), rng.choice(_verbs), rng.choice(_objects)
    lines.append(f"{s.capitalize()} {v} {o}.")
text = "\n".join(lines)
print(f"Length of text: {len(text)} characters")

vocab = sorted(set(text))
print(f"{len(vocab)} unique characters")

# --- vectorisation ------------------------------------------------------------
ids_from_chars = tf.keras.layers.StringLookup(vocabulary=list(vocab), mask_token=None)
chars_from_ids = tf.keras.layers.StringLookup(
    vocabulary=ids_from_chars.get_vocabulary(), invert=True, mask_token=None)


def text_from_ids(ids):
    return tf.strings.reduce_join(chars_from_ids(ids), axis=-1)


all_ids = ids_from_chars(tf.strings.unicode_split(text, "UTF-8"))
ids_dataset = tf.data.Dataset.from_tensor_slices(all_ids)

seq_length = 50
sequences = ids_dataset.batch(seq_length + 1, drop_remainder=True)

for seq in sequences.take(1):
    print("first sequence:", text_from_ids(seq).numpy()[:40], "...")


def split_input_target(sequence):
    input_text = sequence[:-1]
    target_text = sequence[1:]
    return input_text, target_text


dataset = sequences.map(split_input_target)

BATCH_SIZE = 32
BUFFER_SIZE = 1000

dataset = (
    dataset
    .shuffle(BUFFER_SIZE)
    .batch(BATCH_SIZE, drop_remainder=True)
    .prefetch(tf.data.experimental.AUTOTUNE)
)

# --- model --------------------------------------------------------------------
vocab_size = len(ids_from_chars.get_vocabulary())
embedding_dim = 64
rnn_units = 128


class MyModel(tf.keras.Model):
    def __init__(self, vocab_size, embedding_dim, rnn_units):
        super().__init__()
        self.embedding = tf.keras.layers.Embedding(vocab_size, embedding_dim)
        self.gru = tf.keras.layers.GRU(rnn_units,
                                       return_sequences=True,
                                       return_state=True)
        self.dense = tf.keras.layers.Dense(vocab_size)

    def call(self, inputs, states=None, return_state=False, training=False):
        x = inputs
        x = self.embedding(x, training=training)
        if states is None:
            states = self.gru.get_initial_state(tf.shape(x)[0])
        x, states = self.gru(x, initial_state=states, training=training)
        x = self.dense(x, training=training)

        if return_state:
            return x, states
        else:
            return x


model = MyModel(vocab_size=vocab_size, embedding_dim=embedding_dim, rnn_units=rnn_units)

for input_example_batch, target_example_batch in dataset.take(1):
    example_batch_predictions = model(input_example_batch)
    print(example_batch_predictions.shape, "# (batch_size, sequence_length, vocab_size)")

model.summary()

sampled_indices = tf.random.categorical(example_batch_predictions[0], num_samples=1)
sampled_indices = tf.squeeze(sampled_indices, axis=-1).numpy()
print("Untrained next-char predictions:", text_from_ids(sampled_indices[:30]).numpy())

loss = tf.losses.SparseCategoricalCrossentropy(from_logits=True)
example_batch_mean_loss = loss(target_example_batch, example_batch_predictions)
print("Mean loss:        ", float(example_batch_mean_loss))
print("exp(mean loss) ~ vocab size:", float(tf.exp(example_batch_mean_loss)), vocab_size)

model.compile(optimizer="adam", loss=loss)

EPOCHS = 2
history = model.fit(dataset, epochs=EPOCHS, verbose=2)


# --- generation ---------------------------------------------------------------
class OneStep(tf.keras.Model):
    def __init__(self, model, chars_from_ids, ids_from_chars, temperature=1.0):
        super().__init__()
        self.temperature = temperature
        self.model = model
        self.chars_from_ids = chars_from_ids
        self.ids_from_chars = ids_from_chars

        # Create a mask to prevent "[UNK]" from being generated.
        skip_ids = self.ids_from_chars(["[UNK]"])[:, None]
        sparse_mask = tf.SparseTensor(
            # Put a -inf at each bad index.
            values=[-float("inf")] * len(skip_ids),
            indices=skip_ids,
            # Match the shape to the vocabulary
            dense_shape=[len(ids_from_chars.get_vocabulary())])
        self.prediction_mask = tf.sparse.to_dense(sparse_mask)

    @tf.function
    def generate_one_step(self, inputs, states=None):
        # Convert strings to token IDs.
        input_chars = tf.strings.unicode_split(inputs, "UTF-8")
        input_ids = self.ids_from_chars(input_chars).to_tensor()

        # Run the model.
        # predicted_logits.shape is [batch, char, next_char_logits]
        predicted_logits, states = self.model(inputs=input_ids, states=states,
                                              return_state=True)
        # Only use the last prediction.
        predicted_logits = predicted_logits[:, -1, :]
        predicted_logits = predicted_logits / self.temperature
        # Apply the prediction mask: prevent "[UNK]" from being generated.
        predicted_logits = predicted_logits + self.prediction_mask

        # Sample the output logits to generate token IDs.
        predicted_ids = tf.random.categorical(predicted_logits, num_samples=1)
        predicted_ids = tf.squeeze(predicted_ids, axis=-1)

        # Convert from token ids to characters
        predicted_chars = self.chars_from_ids(predicted_ids)

        # Return the characters and model state.
        return predicted_chars, states


one_step_model = OneStep(model, chars_from_ids, ids_from_chars, temperature=0.8)

start = time.time()
states = None
next_char = tf.constant(["The king:", "My lord"])
result = [next_char]

for n in range(60):
    next_char, states = one_step_model.generate_one_step(next_char, states=states)
    result.append(next_char)

result = tf.strings.join(result)
end = time.time()
for r in result.numpy():
    print(r.decode("utf-8").replace("\n", " | "))
print("\nRun time:", round(end - start, 2))
