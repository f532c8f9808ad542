"""Character-level LSTM encoder-decoder on one-hot sequences, with separate inference models."""

import keras
import numpy as np

input_texts = ["go.", "hi.", "run!", "wait!", "hello.", "i see."] * 4
target_texts = ["\tva !\n", "\tsalut !\n", "\tcours !\n", "\tattends !\n", "\tbonjour.\n", "\tje vois.\n"] * 4

input_chars = sorted(set("".join(input_texts)))
target_chars = sorted(set("".join(target_texts)))
num_encoder_tokens = len(input_chars)
num_decoder_tokens = len(target_chars)
max_encoder_seq_length = max(len(t) for t in input_texts)
max_decoder_seq_length = max(len(t) for t in target_texts)

input_index = {c: i for i, c in enumerate(input_chars)}
target_index = {c: i for i, c in enumerate(target_chars)}

encoder_input_data = np.zeros((len(input_texts), max_encoder_seq_length, num_encoder_tokens), dtype="float32")
decoder_input_data = np.zeros((len(input_texts), max_decoder_seq_length, num_decoder_tokens), dtype="float32")
decoder_target_data = np.zeros(
    (len(input_texts), max_decoder_seq_length, num_decoder_tokens), dtype="float32"
)
for i, (input_text, target_text) in enumerate(zip(input_texts, target_texts)):
    for t, char in enumerate(input_text):
        encoder_input_data[i, t, input_index[char]] = 1.0
    for t, char in enumerate(target_text):
        decoder_input_data[i, t, target_index[char]] = 1.0
        if t > 0:
            decoder_target_data[i, t - 1, target_index[char]] = 1.0

latent_dim = 64

encoder_inputs = keras.Input(shape=(None, num_encoder_tokens))
encoder = keras.layers.LSTM(latent_dim, return_state=True)
encoder_outputs, state_h, state_c = encoder(encoder_inputs)
encoder_states = [state_h, state_c]

decoder_inputs = keras.Input(shape=(None, num_decoder_tokens))
decoder_lstm = keras.layers.LSTM(latent_dim, return_sequences=True, return_state=True)
decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
decoder_dense = keras.layers.Dense(num_decoder_tokens, activation="softmax")
decoder_outputs = decoder_dense(decoder_outputs)

model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)
model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(
    [encoder_input_data, decoder_input_data],
    decoder_target_data,
    batch_size=8,
    epochs=1,
    validation_split=0.25,
    verbose=0,
)

encoder_model = keras.Model(encoder_inputs, encoder_states)
decoder_state_input_h = keras.Input(shape=(latent_dim,))
decoder_state_input_c = keras.Input(shape=(latent_dim,))
decoder_states_inputs = [decoder_state_input_h, decoder_state_input_c]
dec_out, dec_h, dec_c = decoder_lstm(decoder_inputs, initial_state=decoder_states_inputs)
dec_out = decoder_dense(dec_out)
decoder_model = keras.Model([decoder_inputs, *decoder_states_inputs], [dec_out, dec_h, dec_c])

states_value = encoder_model.predict(encoder_input_data[:1], verbose=0)
target_seq = np.zeros((1, 1, num_decoder_tokens))
target_seq[0, 0, target_index["\t"]] = 1.0
output_tokens, h, c = decoder_model.predict([target_seq, *states_value], verbose=0)
sampled_token_index = np.argmax(output_tokens[0, -1, :])
