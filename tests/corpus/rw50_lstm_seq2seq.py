"""Character-level sequence-to-sequence with LSTMs (reverse-and-uppercase toy task).

Follows the classic Keras seq2seq recipe: the encoder LSTM returns its final
`state_h` / `state_c`, those are used as `initial_state` for the decoder LSTM,
and the decoder is trained with teacher forcing. For inference the trained
layers are re-wired into separate encoder / decoder models and decoded greedily
one character at a time.
"""
import numpy as np
import keras
from keras import layers

# -- config ------------------------------------------------------------------
NUM_SAMPLES = 600
LATENT_DIM = 64
BATCH_SIZE = 64
EPOCHS = 10
START, END = "\t", "\n"
ALPHABET = "abcdefgh"

rng = np.random.default_rng(0)

# -- data ---------------------------------------------------------------------
input_texts, target_texts = [], []
for _ in range(NUM_SAMPLES):
    n = rng.integers(3, 9)
    src = "".join(rng.choice(list(ALPHABET), size=n))
    tgt = START + src[::-1].upper() + END
    input_texts.append(src)
    target_texts.append(tgt)

input_characters = sorted(set("".join(input_texts)))
target_characters = sorted(set("".join(target_texts)))
num_encoder_tokens = len(input_characters)
num_decoder_tokens = len(target_characters)
max_encoder_seq_length = max(len(t) for t in input_texts)
max_decoder_seq_length = max(len(t) for t in target_texts)

print("Number of samples:", len(input_texts))
print("Number of unique input tokens:", num_encoder_tokens)
print("Number of unique output tokens:", num_decoder_tokens)
print("Max sequence length for inputs:", max_encoder_seq_length)
print("Max sequence length for outputs:", max_decoder_seq_length)

input_token_index = {c: i for i, c in enumerate(input_characters)}
target_token_index = {c: i for i, c in enumerate(target_characters)}
reverse_target_char_index = {i: c for c, i in target_token_index.items()}

encoder_input_data = np.zeros((len(input_texts), max_encoder_seq_length, num_encoder_tokens), dtype="float32")
decoder_input_data = np.zeros((len(input_texts), max_decoder_seq_length, num_decoder_tokens), dtype="float32")
decoder_target_data = np.zeros((len(input_texts), max_decoder_seq_length, num_decoder_tokens), dtype="float32")

for i, (input_text, target_text) in enumerate(zip(input_texts, target_texts)):
    for t, char in enumerate(input_text):
        encoder_input_data[i, t, input_token_index[char]] = 1.0
    for t, char in enumerate(target_text):
        decoder_input_data[i, t, target_token_index[char]] = 1.0
        if t > 0:
            # decoder_target_data is ahead of decoder_input_data by one timestep
            decoder_target_data[i, t - 1, target_token_index[char]] = 1.0
    # pad decoder side with END so the model learns to keep emitting it
    decoder_input_data[i, len(target_text):, target_token_index[END]] = 1.0
    decoder_target_data[i, len(target_text) - 1:, target_token_index[END]] = 1.0

# -- training model -----------------------------------------------------------
encoder_inputs = keras.Input(shape=(None, num_encoder_tokens), name="encoder_inputs")
encoder_masking = layers.Masking(mask_value=0.0)
encoder = layers.LSTM(LATENT_DIM, return_state=True, name="encoder_lstm")
encoder_outputs, state_h, state_c = encoder(encoder_masking(encoder_inputs))
# we discard `encoder_outputs` and only keep the states
encoder_states = [state_h, state_c]

decoder_inputs = keras.Input(shape=(None, num_decoder_tokens), name="decoder_inputs")
decoder_lstm = layers.LSTM(LATENT_DIM, return_sequences=True, return_state=True, name="decoder_lstm")
decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
decoder_dense = layers.Dense(num_decoder_tokens, activation="softmax", name="decoder_dense")
decoder_outputs = decoder_dense(decoder_outputs)

model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs, name="seq2seq_train")
model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
model.summary()

history = model.fit(
    [encoder_input_data, decoder_input_data],
    decoder_target_data,
    batch_size=BATCH_SIZE,
    epochs=EPOCHS,
    validation_split=0.2,
    verbose=0,
)
print("final train loss: %.4f" % history.history["loss"][-1])

# -- inference models ---------------------------------------------------------
encoder_model = keras.Model(encoder_inputs, encoder_states, name="seq2seq_encoder")

decoder_state_input_h = keras.Input(shape=(LATENT_DIM,), name="dec_h_in")
decoder_state_input_c = keras.Input(shape=(LATENT_DIM,), name="dec_c_in")
decoder_states_inputs = [decoder_state_input_h, decoder_state_input_c]
dec_out, dec_h, dec_c = decoder_lstm(decoder_inputs, initial_state=decoder_states_inputs)
dec_out = decoder_dense(dec_out)
decoder_model = keras.Model(
    [decoder_inputs] + decoder_states_inputs, [dec_out, dec_h, dec_c], name="seq2seq_decoder"
)


def decode_sequence(input_seq):
    # Encode the input as state vectors.
    states_value = encoder_model.predict(input_seq, verbose=0)
    batch = input_seq.shape[0]

    # Generate target sequences of length 1 holding only the start character.
    target_seq = np.zeros((batch, 1, num_decoder_tokens), dtype="float32")
    target_seq[:, 0, target_token_index[START]] = 1.0

    decoded = [""] * batch
    finished = np.zeros(batch, dtype=bool)
    for _ in range(max_decoder_seq_length):
        output_tokens, h, c = decoder_model.predict([target_seq] + states_value, verbose=0)
        sampled = np.argmax(output_tokens[:, -1, :], axis=-1)
        for b, idx in enumerate(sampled):
            ch = reverse_target_char_index[int(idx)]
            if ch == END:
                finished[b] = True
            elif not finished[b]:
                decoded[b] += ch
        if finished.all():
            break
        # feed the prediction back as the next input
        target_seq = np.zeros((batch, 1, num_decoder_tokens), dtype="float32")
        target_seq[np.arange(batch), 0, sampled] = 1.0
        states_value = [h, c]
    return decoded


idx = np.arange(5)
predictions = decode_sequence(encoder_input_data[idx])
for i, pred in zip(idx, predictions):
    print(f"{input_texts[i]!r:>12} -> {pred!r:<12} (target {target_texts[i].strip()!r})")
