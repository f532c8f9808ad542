"""Variable-length sequences through tf.data with map(lambda ...) and padded_batch."""
import numpy as np
import tensorflow as tf

VOCAB = 500
EMB = 16
BATCH = 8

lengths = np.random.randint(3, 20, size=16)
sequences = [np.random.randint(1, VOCAB, size=n).astype(np.int32) for n in lengths]
labels = np.random.randint(0, 2, size=16).astype(np.float32)


def gen():
    for s, l in zip(sequences, labels):
        yield s, l


ds = tf.data.Dataset.from_generator(
    gen,
    output_signature=(tf.TensorSpec(shape=(None,), dtype=tf.int32),
                      tf.TensorSpec(shape=(), dtype=tf.float32)))
ds = ds.map(lambda x, y: (x[:15], y))
ds = ds.map(lambda x, y: (x, tf.expand_dims(y, -1)))
ds = ds.shuffle(64).padded_batch(BATCH, padded_shapes=([None], [1]))
ds = ds.prefetch(tf.data.AUTOTUNE)

model = tf.keras.Sequential([
    tf.keras.layers.Input(shape=(None,), dtype="int32"),
    tf.keras.layers.Embedding(VOCAB, EMB, mask_zero=True),
    tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(16, return_sequences=True)),
    tf.keras.layers.LSTM(8),
    tf.keras.layers.Dense(8, activation="relu"),
    tf.keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(loss="binary_crossentropy", optimizer="adam")
# model.fit(ds, epochs=10)

for batch_x, batch_y in ds.take(1):
    out = model(batch_x)

# fixed-size padded batches, functional model on top
ds_fixed = tf.data.Dataset.from_generator(
    gen, output_signature=(tf.TensorSpec(shape=(None,), dtype=tf.int32),
                           tf.TensorSpec(shape=(), dtype=tf.float32)))
ds_fixed = ds_fixed.padded_batch(4, padded_shapes=([24], []), padding_values=(0, 0.0))
tokens = tf.keras.Input(shape=(24,), dtype="int32")
h = tf.keras.layers.Embedding(VOCAB, EMB)(tokens)
h = tf.keras.layers.Conv1D(12, 5, activation="relu")(h)
h = tf.keras.layers.GlobalMaxPooling1D()(h)
score = tf.keras.layers.Dense(1)(h)
cnn = tf.keras.Model(tokens, score)
for bx, by in ds_fixed.take(1):
    cnn_out = cnn(bx)
