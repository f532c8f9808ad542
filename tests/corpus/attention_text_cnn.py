"""Query/value attention between two token sequences (keras.layers.Attention) plus pooling."""

import numpy as np
from tensorflow import keras

query_input = keras.Input(shape=(None,), dtype="int32")
value_input = keras.Input(shape=(None,), dtype="int32")

token_embedding = keras.layers.Embedding(input_dim=1000, output_dim=64)
query_embeddings = token_embedding(query_input)
value_embeddings = token_embedding(value_input)

cnn_layer = keras.layers.Conv1D(filters=100, kernel_size=4, padding="same")
query_seq_encoding = cnn_layer(query_embeddings)
value_seq_encoding = cnn_layer(value_embeddings)

query_value_attention_seq = keras.layers.Attention()([query_seq_encoding, value_seq_encoding])
additive_seq = keras.layers.AdditiveAttention()([query_seq_encoding, value_seq_encoding])

query_encoding = keras.layers.GlobalAveragePooling1D()(query_seq_encoding)
query_value_attention = keras.layers.GlobalAveragePooling1D()(query_value_attention_seq)
additive = keras.layers.GlobalMaxPooling1D()(additive_seq)

input_layer = keras.layers.Concatenate()([query_encoding, query_value_attention, additive])
logits = keras.layers.Dense(2)(input_layer)

model = keras.Model(inputs=[query_input, value_input], outputs=logits)
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
q = np.random.randint(0, 1000, size=(32, 12))
v = np.random.randint(0, 1000, size=(32, 18))
model.fit([q, v], np.random.randint(0, 2, size=(32,)), batch_size=16, epochs=1, verbose=0)
