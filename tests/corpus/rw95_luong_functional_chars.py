"""Character-level seq2seq (English -> "pig latin") with Luong dot attention.

Based on the Keras `lstm_seq2seq` example, extended with a Luong-style
(multiplicative) attention layer on top of the decoder LSTM outputs.
Training uses teacher forcing via one-hot `decoder_input_data` shifted one
step ahead of `decoder_target_data`. For inference the trained layers are
re-wired into a separate encoder model and a single-step decoder model and
run in a greedy sampling loop.
"""
import numpy as np
import keras
from keras import layers

batch_size = 32
epochs = 4
latent_dim = 64
num_samples = 256

# ---------------------------------------------------------------------------
# Synthetic "parallel corpus": words -> pig latin
# ---------------------------------------------------------------------------
rng = np.random.default_rng(7)
letters = list("abcdefghijklmnoprstuvwy")
vowels = set("aeiou")


def to_pig_latin(word):
    if word[0] in vowels:
        return word + "way"
    for i, ch in enumerate(word):
        if ch in vowels:
            return word[i:] + word[:i] + "ay"
    return word + "ay"


input_texts, target_texts = [], []
input_characters, target_characters = set(), set()
for _ in range(num_samples):
    word = "".join(rng.choice(letters, size=rng.integers(3, 7)))
    input_text = word
    # We use "\t" as the "start sequence" character and "\n" as "end sequence".
    target_text = "\t" + to_pig_latin(word) + "\n"
    input_texts.append(input_text)
    target_texts.append(target_text)
    input_characters.update(input_text)
    target_characters.update(target_text)

input_characters = sorted(input_characters)
target_characters = sorted(target_characters)
num_encoder_tokens = len(input_characters)
num_decoder_tokens = len(target_characters)
max_encoder_seq_length = max(len(txt) for txt in input_texts)
max_decoder_seq_length = max(len(txt) for txt in target_texts)

print("Number of samples:", len(input_texts))
print("Number of unique input tokens:", num_encoder_tokens)
print("Number of unique output tokens:", num_decoder_tokens)
print("Max sequence length for inputs:", max_encoder_seq_length)
print("Max sequence length for outputs:", max_decoder_seq_length)

input_token_index = {char: i for i, char in enumerate(input_characters)}
target_token_index = {char: i for i, char in enumerate(target_characters)}

encoder_input_data = np.zeros(
    (len(input_texts), max_encoder_seq_length, num_encoder_tokens), dtype="float32")
decoder_input_data = np.zeros(
    (len(input_texts), max_decoder_seq_length, num_decoder_tokens), dtype="float32")
decoder_target_data = np.zeros(
    (len(input_texts), max_decoder_seq_length, num_decoder_tokens), dtype="float32")

for i, (input_text, target_text) in enumerate(zip(input_texts, target_texts)):
    for t, char in enumerate(input_text):
        encoder_input_data[i, t, input_token_index[char]] = 1.0
    # note: padding is left as all-zeros vectors for the encoder
    for t, char in enumerate(target_text):
        # decoder_target_data is ahead of decoder_input_data by one timestep
        decoder_input_data[i, t, target_token_index[char]] = 1.0
        if t > 0:
            decoder_target_data[i, t - 1, target_token_index[char]] = 1.0
    decoder_input_data[i, t + 1:, target_token_index["\n"]] = 1.0
    decoder_target_data[i, t:, target_token_index["\n"]] = 1.0

# ---------------------------------------------------------------------------
# Training model
# ---------------------------------------------------------------------------
encoder_inputs = keras.Input(shape=(None, num_encoder_tokens), name="encoder_inputs")
encoder_lstm = layers.LSTM(latent_dim, return_sequences=True, return_state=True, name="encoder_lstm")
encoder_outputs, state_h, state_c = encoder_lstm(encoder_inputs)
encoder_states = [state_h, state_c]

decoder_inputs = keras.Input(shape=(None, num_decoder_tokens), name="decoder_inputs")
decoder_lstm = layers.LSTM(latent_dim, return_sequences=True, return_state=True, name="decoder_lstm")
decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)

# Luong "dot" attention: score = h_t . h_s
attn_dot = layers.Dot(axes=[2, 2], name="attn_scores")       # (B, Td, Te)
attn_softmax = layers.Activation("softmax", name="attn_weights")
context_dot = layers.Dot(axes=[2, 1], name="context")         # (B, Td, latent)
attn_concat = layers.Concatenate(axis=-1, name="concat_ctx")
attn_tanh = layers.Dense(latent_dim, activation="tanh", name="attentional_hidden")
decoder_dense = layers.Dense(num_decoder_tokens, activation="softmax", name="output_probs")


def luong_head(dec_seq, enc_seq):
    scores = attn_dot([dec_seq, enc_seq])
    weights = attn_softmax(scores)
    context = context_dot([weights, enc_seq])
    h_tilde = attn_tanh(attn_concat([context, dec_seq]))
    return decoder_dense(h_tilde), weights


decoder_probs, _ = luong_head(decoder_outputs, encoder_outputs)

model = keras.Model([encoder_inputs, decoder_inputs], decoder_probs, name="seq2seq_luong")
model.summary()
model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(
    [encoder_input_data, decoder_input_data],
    decoder_target_data,
    batch_size=batch_size,
    epochs=epochs,
    validation_split=0.2,
    verbose=2,
)

# ---------------------------------------------------------------------------
# Inference models
# ---------------------------------------------------------------------------
encoder_model = keras.Model(encoder_inputs, [encoder_outputs] + encoder_states, name="encoder_inf")

enc_seq_input = keras.Input(shape=(None, latent_dim), name="enc_seq")
decoder_state_input_h = keras.Input(shape=(latent_dim,), name="dec_h")
decoder_state_input_c = keras.Input(shape=(latent_dim,), name="dec_c")
decoder_states_inputs = [decoder_state_input_h, decoder_state_input_c]
dec_out, state_h_dec, state_c_dec = decoder_lstm(decoder_inputs, initial_state=decoder_states_inputs)
dec_probs_inf, dec_attn_inf = luong_head(dec_out, enc_seq_input)
decoder_model = keras.Model(
    [decoder_inputs, enc_seq_input] + decoder_states_inputs,
    [dec_probs_inf, dec_attn_inf, state_h_dec, state_c_dec],
    name="decoder_inf",
)

reverse_target_char_index = {i: char for char, i in target_token_index.items()}


def decode_sequence(input_seq):
    # Encode the input as state vectors.
    enc_outs, h, c = encoder_model.predict(input_seq, verbose=0)

    # Generate empty target sequence of length 1 populated with the start character.
    target_seq = np.zeros((1, 1, num_decoder_tokens))
    target_seq[0, 0, target_token_index["\t"]] = 1.0

    decoded_sentence = ""
    attn_rows = []
    while True:
        output_tokens, attn, h, c = decoder_model.predict([target_seq, enc_outs, h, c], verbose=0)
        attn_rows.append(attn[0, -1])

        sampled_token_index = int(np.argmax(output_tokens[0, -1, :]))
        sampled_char = reverse_target_char_index[sampled_token_index]
        decoded_sentence += sampled_char

        # Exit condition: either hit max length or find stop character.
        if sampled_char == "\n" or len(decoded_sentence) > max_decoder_seq_length:
            break

        target_seq = np.zeros((1, 1, num_decoder_tokens))
        target_seq[0, 0, sampled_token_index] = 1.0

    return decoded_sentence, np.stack(attn_rows)


for seq_index in range(3):
    input_seq = encoder_input_data[seq_index: seq_index + 1]
    decoded_sentence, attn_matrix = decode_sequence(input_seq)
    print("-")
    print("Input sentence:", input_texts[seq_index])
    print("Decoded sentence:", repr(decoded_sentence.strip()), "attn:", attn_matrix.shape)
