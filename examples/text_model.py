"""Text classification: TextVectorization -> Embedding -> bidirectional LSTM."""

import tensorflow as tf
from tensorflow.keras import layers, Model, Input

max_tokens = 5000
seq_len = 40
embed_dim = 32

vectorize = layers.TextVectorization(
    max_tokens=max_tokens, output_mode="int", output_sequence_length=seq_len
)
vectorize.adapt(tf.constant(["a tiny corpus", "of a few sentences", "to adapt on"]))

text = Input(shape=(1,), dtype="string")
tokens = vectorize(text)
emb = layers.Embedding(max_tokens, embed_dim)(tokens)
seq = layers.Bidirectional(layers.LSTM(24, return_sequences=True))(emb)
pooled = layers.GlobalMaxPooling1D()(seq)
out = layers.Dense(1, activation="sigmoid")(pooled)
model = Model(text, out)
model.compile(optimizer="adam", loss="binary_crossentropy")
