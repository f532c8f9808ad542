'''Character-level sequence to sequence (Keras blog "ten-minute introduction" style).'''
import numpy as np
from keras.models import Model
from keras.layers import Input, LSTM, Dense

batch_size = 32
epochs = 1
latent_dim = 32
num_samples = 32

num_encoder_tokens = 30
num_decoder_tokens = 40
max_encoder_seq_length = 12
max_decoder_seq_length = 15

encoder_input_data = np.zeros(
    (num_samples, max_encoder_seq_length, num_encoder_tokens), dtype='float32')
decoder_input_data = np.zeros(
    (num_samples, max_decoder_seq_length, num_decoder_tokens), dtype='float32')
decoder_target_data = np.zeros(
    (num_samples, max_decoder_seq_length, num_decoder_tokens), dtype='float32')
for i in range(num_samples):
    for t in range(max_encoder_seq_length):
        encoder_input_data[i, t, np.random.randint(num_encoder_tokens)] = 1.
    for t in range(max_decoder_seq_length):
        decoder_input_data[i, t, np.random.randint(num_decoder_tokens)] = 1.
        if t > 0:
            decoder_target_data[i, t - 1] = decoder_input_data[i, t]

# Define an input sequence and process it.
encoder_inputs = Input(shape=(None, num_encoder_tokens))
encoder = LSTM(latent_dim, return_state=True)
encoder_outputs, state_h, state_c = encoder(encoder_inputs)
# We discard `encoder_outputs` and only keep the states.
encoder_states = [state_h, state_c]

decoder_inputs = Input(shape=(None, num_decoder_tokens))
decoder_lstm = LSTM(latent_dim, return_sequences=True, return_state=True)
decoder_outputs, _, _ = decoder_lstm(decoder_inputs,
                                     initial_state=encoder_states)
decoder_dense = Dense(num_decoder_tokens, activation='softmax')
decoder_outputs = decoder_dense(decoder_outputs)

model = Model([encoder_inputs, decoder_inputs], decoder_outputs)
model.compile(optimizer='rmsprop', loss='categorical_crossentropy')
model.fit([encoder_input_data, decoder_input_data], decoder_target_data,
          batch_size=batch_size,
          epochs=epochs,
          verbose=0)

# Inference models
encoder_model = Model(encoder_inputs, encoder_states)

decoder_state_input_h = Input(shape=(latent_dim,))
decoder_state_input_c = Input(shape=(latent_dim,))
decoder_states_inputs = [decoder_state_input_h, decoder_state_input_c]
decoder_outputs, state_h, state_c = decoder_lstm(
    decoder_inputs, initial_state=decoder_states_inputs)
decoder_states = [state_h, state_c]
decoder_outputs = decoder_dense(decoder_outputs)
decoder_model = Model(
    [decoder_inputs] + decoder_states_inputs,
    [decoder_outputs] + decoder_states)


def decode_sequence(input_seq):
    states_value = encoder_model.predict(input_seq, verbose=0)
    target_seq = np.zeros((1, 1, num_decoder_tokens))
    target_seq[0, 0, 0] = 1.
    decoded = []
    for _ in range(3):
        output_tokens, h, c = decoder_model.predict(
            [target_seq] + states_value, verbose=0)
        sampled_token_index = np.argmax(output_tokens[0, -1, :])
        decoded.append(sampled_token_index)
        target_seq = np.zeros((1, 1, num_decoder_tokens))
        target_seq[0, 0, sampled_token_index] = 1.
        states_value = [h, c]
    return decoded


decoded_sentence = decode_sequence(encoder_input_data[0:1])
