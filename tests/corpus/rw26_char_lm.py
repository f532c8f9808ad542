"""Character-level language model over a windowed tf.data text pipeline.

Follows the usual recipe: split text into unicode chars, map to ids with
StringLookup, cut the id stream into overlapping windows with
Dataset.window / flat_map, and train a GRU to predict the next character.
"""
import os
import shutil
import tempfile
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEQ_LENGTH = 64
WINDOW_SHIFT = 16
BATCH_SIZE = 32
BUFFER_SIZE = 1000
EMBEDDING_DIM = 64
RNN_UNITS = 128
STEPS_PER_EPOCH = 15

# A stand-in for shakespeare.txt; written to a temp file and read back like a real corpus.
LINES = [
    "First Citizen: Before we proceed any further, hear me speak.",
    "All: Speak, speak.",
    "First Citizen: You are all resolved rather to die than to famish?",
    "All: Resolved. resolved.",
    "First Citizen: First, you know Caius Marcius is chief enemy to the people.",
    "All: We know't, we know't.",
    "First Citizen: Let us kill him, and we'll have corn at our own price.",
    "Second Citizen: One word, good citizens.",
]
rng = np.random.default_rng(0)
tmp_dir = tempfile.mkdtemp()
path_to_file = os.path.join(tmp_dir, "corpus.txt")
with open(path_to_file, "w", encoding="utf-8") as f:
    f.write("\n\n".join(rng.choice(LINES, size=400)))

text = open(path_to_file, "rb").read().decode(encoding="utf-8")
vocab = sorted(set(text))
print(f"Length of text: {len(text)} characters, {len(vocab)} unique")

ids_from_chars = layers.StringLookup(vocabulary=list(vocab), mask_token=None)
chars_from_ids = layers.StringLookup(
    vocabulary=ids_from_chars.get_vocabulary(), invert=True, mask_token=None
)


def text_from_ids(ids):
    return tf.strings.reduce_join(chars_from_ids(ids), axis=-1)


all_ids = ids_from_chars(tf.strings.unicode_split(text, "UTF-8"))
ids_dataset = tf.data.Dataset.from_tensor_slices(all_ids)


def split_input_target(sequence):
    return sequence[:-1], sequence[1:]


def make_windows(ds, seq_length, shift):
    ds = ds.window(seq_length + 1, shift=shift, drop_remainder=True)
    ds = ds.flat_map(lambda w: w.batch(seq_length + 1, drop_remainder=True))
    return ds.map(split_input_target, num_parallel_calls=tf.data.AUTOTUNE)


dataset = (
    make_windows(ids_dataset, SEQ_LENGTH, WINDOW_SHIFT)
    .shuffle(BUFFER_SIZE)
    .batch(BATCH_SIZE, drop_remainder=True)
    .repeat()
    .prefetch(tf.data.experimental.AUTOTUNE)
)

for input_example, target_example in dataset.take(1):
    print("Input :", text_from_ids(input_example[0]).numpy()[:40])
    print("Target:", text_from_ids(target_example[0]).numpy()[:40])


class CharModel(keras.Model):
    def __init__(self, vocab_size, embedding_dim, rnn_units):
        super().__init__()
        self.embedding = layers.Embedding(vocab_size, embedding_dim)
        self.gru = layers.GRU(rnn_units, return_sequences=True, return_state=True)
        self.dense = layers.Dense(vocab_size)

    def call(self, inputs, states=None, return_state=False, training=False):
        x = self.embedding(inputs, training=training)
        if states is None:
            x, states = self.gru(x, training=training)
        else:
            x, states = self.gru(x, initial_state=states, training=training)
        x = self.dense(x, training=training)
        if return_state:
            return x, states
        return x


model = CharModel(
    vocab_size=ids_from_chars.vocabulary_size(),
    embedding_dim=EMBEDDING_DIM,
    rnn_units=RNN_UNITS,
)

for input_example_batch, target_example_batch in dataset.take(1):
    example_batch_predictions = model(input_example_batch)
    print(example_batch_predictions.shape, "# (batch_size, sequence_length, vocab_size)")

loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
example_loss = loss(target_example_batch, example_batch_predictions)
print("Mean loss (untrained):", float(example_loss),
      "~ log(vocab) =", float(np.log(ids_from_chars.vocabulary_size())))

model.compile(optimizer="adam", loss=loss)
model.summary()

checkpoint_prefix = os.path.join(tmp_dir, "ckpt_{epoch}.weights.h5")
checkpoint_callback = keras.callbacks.ModelCheckpoint(
    filepath=checkpoint_prefix, save_weights_only=True
)
history = model.fit(dataset, epochs=2, steps_per_epoch=STEPS_PER_EPOCH,
                    callbacks=[checkpoint_callback], verbose=2)


class OneStep(tf.Module):
    def __init__(self, model, chars_from_ids, ids_from_chars, temperature=1.0):
        self.temperature = temperature
        self.model = model
        self.chars_from_ids = chars_from_ids
        self.ids_from_chars = ids_from_chars

        # Prevent "[UNK]" from being generated.
        skip_ids = self.ids_from_chars(["[UNK]"])[:, None]
        sparse_mask = tf.SparseTensor(
            values=[-float("inf")] * len(skip_ids),
            indices=skip_ids,
            dense_shape=[ids_from_chars.vocabulary_size()],
        )
        self.prediction_mask = tf.sparse.to_dense(sparse_mask)

    @tf.function
    def generate_one_step(self, inputs, states=None):
        input_chars = tf.strings.unicode_split(inputs, "UTF-8")
        input_ids = self.ids_from_chars(input_chars).to_tensor()
        predicted_logits, states = self.model(
            inputs=input_ids, states=states, return_state=True
        )
        predicted_logits = predicted_logits[:, -1, :] / self.temperature
        predicted_logits = predicted_logits + self.prediction_mask
        predicted_ids = tf.random.categorical(predicted_logits, num_samples=1)
        predicted_ids = tf.squeeze(predicted_ids, axis=-1)
        predicted_chars = self.chars_from_ids(predicted_ids)
        return predicted_chars, states


one_step_model = OneStep(model, chars_from_ids, ids_from_chars, temperature=0.8)

start = time.time()
states = None
next_char = tf.constant(["First Citizen:", "All:"])
result = [next_char]
for n in range(60):
    next_char, states = one_step_model.generate_one_step(next_char, states=states)
    result.append(next_char)

result = tf.strings.join(result)
end = time.time()
for line in result.numpy():
    print(line.decode("utf-8"))
print("\nRun time:", round(end - start, 2), "s; checkpoints:", sorted(os.listdir(tmp_dir)))
shutil.rmtree(tmp_dir, ignore_errors=True)
