"""Character-level seq2seq translation model: GRU encoder state initialises a GRU decoder."""

import keras
import numpy as np
from keras import layers

num_encoder_tokens = 71
num_decoder_tokens = 93
latent_dim = 64
embed_dim = 32
enc_len, dec_len = 16, 20

encoder_inputs = keras.Input(shape=(None,), name="encoder_tokens")
enc_emb = layers.Embedding(num_encoder_tokens, embed_dim)(encoder_inputs)
encoder_outputs, state_h = layers.GRU(latent_dim, return_state=True)(enc_emb)

decoder_inputs = keras.Input(shape=(None,), name="decoder_tokens")
dec_emb_layer = layers.Embedding(num_decoder_tokens, embed_dim)
dec_emb = dec_emb_layer(decoder_inputs)
decoder_gru = layers.GRU(latent_dim, return_sequences=True, return_state=True)
decoder_outputs, _ = decoder_gru(dec_emb, initial_state=state_h)
decoder_dense = layers.Dense(num_decoder_tokens, activation="softmax")
decoder_outputs = decoder_dense(decoder_outputs)

model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")

enc_data = np.random.randint(0, num_encoder_tokens, size=(32, enc_len))
dec_data = np.random.randint(0, num_decoder_tokens, size=(32, dec_len))
dec_target = np.roll(dec_data, -1, axis=1)
model.fit([enc_data, dec_data], dec_target, batch_size=16, epochs=1, verbose=0)

# Inference models reuse the trained layers.
encoder_model = keras.Model(encoder_inputs, state_h)
state_input = keras.Input(shape=(latent_dim,))
step_out, step_state = decoder_gru(dec_emb, initial_state=state_input)
step_probs = decoder_dense(step_out)
decoder_model = keras.Model([decoder_inputs, state_input], [step_probs, step_state])

h0 = encoder_model.predict(enc_data[:1], verbose=0)
first_token = np.zeros((1, 1), dtype="int32")
probs, h1 = decoder_model.predict([first_token, h0], verbose=0)
