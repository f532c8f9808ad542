"""Neural machine translation with Bahdanau attention (toy parallel corpus).

Encoder/decoder are subclassed ``tf.keras.Model``s in the style of the
TensorFlow NMT-with-attention tutorial. Sentences come from a tiny in-script
"English -> pseudo-Spanish" list so no dataset download is required.
Training uses teacher forcing inside a ``@tf.function`` step, and inference
runs a greedy decoding loop.
"""
import numpy as np
import tensorflow as tf

PAIRS = [
    ("i am cold", "tengo frio"),
    ("she is happy", "ella esta feliz"),
    ("we are here", "estamos aqui"),
    ("he runs fast", "el corre rapido"),
    ("they eat bread", "ellos comen pan"),
    ("the cat sleeps", "el gato duerme"),
    ("i like tea", "me gusta el te"),
    ("you are tall", "tu eres alto"),
    ("the dog barks", "el perro ladra"),
    ("we drink water", "bebemos agua"),
    ("she reads books", "ella lee libros"),
    ("he is tired", "el esta cansado"),
]

BATCH_SIZE = 4
EMBEDDING_DIM = 32
UNITS = 48
EPOCHS = 2


def preprocess_sentence(s):
    s = s.lower().strip()
    return "<start> " + s + " <end>"


def tokenize(lang):
    tokenizer = {"<pad>": 0}
    for sentence in lang:
        for w in sentence.split(" "):
            if w not in tokenizer:
                tokenizer[w] = len(tokenizer)
    max_len = max(len(s.split(" ")) for s in lang)
    tensor = np.zeros((len(lang), max_len), dtype="int32")
    for i, sentence in enumerate(lang):
        ids = [tokenizer[w] for w in sentence.split(" ")]
        tensor[i, :len(ids)] = ids
    return tensor, tokenizer


class Encoder(tf.keras.Model):
    def __init__(self, vocab_size, embedding_dim, enc_units, batch_sz):
        super().__init__()
        self.batch_sz = batch_sz
        self.enc_units = enc_units
        self.embedding = tf.keras.layers.Embedding(vocab_size, embedding_dim)
        self.gru = tf.keras.layers.GRU(self.enc_units,
                                       return_sequences=True,
                                       return_state=True,
                                       recurrent_initializer="glorot_uniform")

    def call(self, x, hidden):
        x = self.embedding(x)
        output, state = self.gru(x, initial_state=hidden)
        return output, state

    def initialize_hidden_state(self):
        return tf.zeros((self.batch_sz, self.enc_units))


class BahdanauAttention(tf.keras.layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.W1 = tf.keras.layers.Dense(units)
        self.W2 = tf.keras.layers.Dense(units)
        self.V = tf.keras.layers.Dense(1)

    def call(self, query, values):
        # query hidden state shape == (batch_size, hidden size)
        # query_with_time_axis shape == (batch_size, 1, hidden size)
        query_with_time_axis = tf.expand_dims(query, 1)

        # score shape == (batch_size, max_length, 1)
        score = self.V(tf.nn.tanh(self.W1(query_with_time_axis) + self.W2(values)))

        attention_weights = tf.nn.softmax(score, axis=1)
        context_vector = attention_weights * values
        context_vector = tf.reduce_sum(context_vector, axis=1)
        return context_vector, attention_weights


class Decoder(tf.keras.Model):
    def __init__(self, vocab_size, embedding_dim, dec_units, batch_sz):
        super().__init__()
        self.batch_sz = batch_sz
        self.dec_units = dec_units
        self.embedding = tf.keras.layers.Embedding(vocab_size, embedding_dim)
        self.gru = tf.keras.layers.GRU(self.dec_units,
                                       return_sequences=True,
                                       return_state=True,
                                       recurrent_initializer="glorot_uniform")
        self.fc = tf.keras.layers.Dense(vocab_size)
        self.attention = BahdanauAttention(self.dec_units)

    def call(self, x, hidden, enc_output):
        context_vector, attention_weights = self.attention(hidden, enc_output)
        x = self.embedding(x)
        x = tf.concat([tf.expand_dims(context_vector, 1), x], axis=-1)
        output, state = self.gru(x)
        output = tf.reshape(output, (-1, output.shape[2]))
        x = self.fc(output)
        return x, state, attention_weights


loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")


def loss_function(real, pred):
    mask = tf.math.logical_not(tf.math.equal(real, 0))
    loss_ = loss_object(real, pred)
    mask = tf.cast(mask, dtype=loss_.dtype)
    loss_ *= mask
    return tf.reduce_mean(loss_)


inp_lang = [preprocess_sentence(en) for en, _ in PAIRS]
targ_lang = [preprocess_sentence(es) for _, es in PAIRS]
input_tensor, inp_tokenizer = tokenize(inp_lang)
target_tensor, targ_tokenizer = tokenize(targ_lang)
targ_index_word = {v: k for k, v in targ_tokenizer.items()}
max_length_targ = target_tensor.shape[1]
max_length_inp = input_tensor.shape[1]

vocab_inp_size = len(inp_tokenizer)
vocab_tar_size = len(targ_tokenizer)
steps_per_epoch = len(input_tensor) // BATCH_SIZE

dataset = tf.data.Dataset.from_tensor_slices((input_tensor, target_tensor)).shuffle(len(PAIRS))
dataset = dataset.batch(BATCH_SIZE, drop_remainder=True)

encoder = Encoder(vocab_inp_size, EMBEDDING_DIM, UNITS, BATCH_SIZE)
decoder = Decoder(vocab_tar_size, EMBEDDING_DIM, UNITS, BATCH_SIZE)
optimizer = tf.keras.optimizers.Adam()


@tf.function
def train_step(inp, targ, enc_hidden):
    loss = 0.0
    with tf.GradientTape() as tape:
        enc_output, enc_hidden = encoder(inp, enc_hidden)
        dec_hidden = enc_hidden
        dec_input = tf.expand_dims([targ_tokenizer["<start>"]] * BATCH_SIZE, 1)

        # Teacher forcing - feeding the target as the next input
        for t in range(1, targ.shape[1]):
            predictions, dec_hidden, _ = decoder(dec_input, dec_hidden, enc_output)
            loss += loss_function(targ[:, t], predictions)
            dec_input = tf.expand_dims(targ[:, t], 1)

    batch_loss = loss / int(targ.shape[1])
    variables = encoder.trainable_variables + decoder.trainable_variables
    gradients = tape.gradient(loss, variables)
    optimizer.apply_gradients(zip(gradients, variables))
    return batch_loss


def evaluate(sentence):
    sentence = preprocess_sentence(sentence)
    ids = [inp_tokenizer.get(w, 0) for w in sentence.split(" ")]
    ids = ids + [0] * (max_length_inp - len(ids))
    inputs = tf.convert_to_tensor([ids])

    attention_plot = np.zeros((max_length_targ, max_length_inp))
    result = []
    hidden = [tf.zeros((1, UNITS))]
    enc_out, enc_hidden = encoder(inputs, hidden)
    dec_hidden = enc_hidden
    dec_input = tf.expand_dims([targ_tokenizer["<start>"]], 0)

    for t in range(max_length_targ):
        predictions, dec_hidden, attention_weights = decoder(dec_input, dec_hidden, enc_out)
        attention_plot[t] = tf.reshape(attention_weights, (-1,)).numpy()
        predicted_id = int(tf.argmax(predictions[0]).numpy())
        word = targ_index_word[predicted_id]
        if word == "<end>":
            break
        result.append(word)
        dec_input = tf.expand_dims([predicted_id], 0)
    return " ".join(result), attention_plot


if __name__ == "__main__":
    for epoch in range(EPOCHS):
        enc_hidden = encoder.initialize_hidden_state()
        total_loss = 0.0
        for batch, (inp, targ) in enumerate(dataset.take(steps_per_epoch)):
            batch_loss = train_step(inp, targ, enc_hidden)
            total_loss += float(batch_loss)
        print(f"Epoch {epoch + 1} Loss {total_loss / steps_per_epoch:.4f}")

    for src in ["i am cold", "the cat sleeps"]:
        translation, attn = evaluate(src)
        print(f"Input: {src!r} -> Predicted: {translation!r} (attn sum {attn.sum():.2f})")
