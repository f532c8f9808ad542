# Word-level GRU language model + temperature sampling.
# Corpus: little "nursery rhyme" style lines stitched together from parts.
import random
import time

import numpy as np
import tensorflow as tf
import keras

random.seed(3)
keras.utils.set_random_seed(3)

SEQ_LEN = 12
BATCH_SIZE = 16
EMBED_DIM = 64
RNN_UNITS = 128
EPOCHS = 2
N_LINES = 350
GEN_WORDS = 25
TEMPERATURES = [0.3, 0.8, 1.4]

parts = {
    "who": ["the little fox", "an old sailor", "the sleepy moon", "a tiny mouse", "the baker"],
    "did": ["danced", "sang softly", "ran away", "looked around", "fell asleep", "went home"],
    "where": ["under the tree", "by the river", "on the hill", "in the kitchen", "across the sea"],
    "when": ["at dawn", "all night long", "before the rain", "when the bells rang", "one cold day"],
}
line_patterns = [
    ("who", "did", "where"),
    ("when", "who", "did"),
    ("who", "did", "where", "when"),
]


def make_line():
    pattern = random.choice(line_patterns)
    return " ".join(random.choice(parts[p]) for p in pattern) + " ."


corpus_lines = [make_line() for _ in range(N_LINES)]
tokens = " ".join(corpus_lines).split()
vocab = ["[UNK]"] + sorted(set(tokens))
stoi = {w: i for i, w in enumerate(vocab)}
ids = np.array([stoi[w] for w in tokens], dtype=np.int64)
print(f"tokens in corpus: {len(ids)}, vocab: {len(vocab)}")
print("sample line:", corpus_lines[0])


def split_input_target(chunk):
    return chunk[:-1], chunk[1:]


dataset = (
    tf.data.Dataset.from_tensor_slices(ids)
    .batch(SEQ_LEN + 1, drop_remainder=True)
    .map(split_input_target)
    .shuffle(1000)
    .batch(BATCH_SIZE, drop_remainder=True)
    .prefetch(tf.data.AUTOTUNE)
)


class GRULanguageModel(keras.Model):
    def __init__(self, vocab_size, embed_dim, units):
        super().__init__()
        self.embedding = keras.layers.Embedding(vocab_size, embed_dim)
        self.gru = keras.layers.GRU(units, return_sequences=True, return_state=True)
        self.dropout = keras.layers.Dropout(0.1)
        self.head = keras.layers.Dense(vocab_size)

    def call(self, inputs, states=None, return_state=False, training=False):
        x = self.embedding(inputs, training=training)
        if states is None:
            x, states = self.gru(x, training=training)
        else:
            x, states = self.gru(x, initial_state=states, training=training)
        x = self.dropout(x, training=training)
        logits = self.head(x, training=training)
        return (logits, states) if return_state else logits


model = GRULanguageModel(len(vocab), EMBED_DIM, RNN_UNITS)
model.compile(
    optimizer=keras.optimizers.Adam(3e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
t0 = time.time()
history = model.fit(dataset, epochs=EPOCHS, verbose=2)
print(f"training took {time.time() - t0:.1f}s; final loss {history.history['loss'][-1]:.3f}, "
      f"perplexity ~ {np.exp(history.history['loss'][-1]):.1f}")


class Sampler(tf.Module):
    """Runs the model one step at a time and samples the next word."""

    def __init__(self, model, vocab, temperature=1.0):
        super().__init__()
        self.model = model
        self.temperature = temperature
        # never sample [UNK]: add -inf to its logit
        self.banned = tf.constant(
            [-float("inf") if w == "[UNK]" else 0.0 for w in vocab], dtype=tf.float32
        )

    @tf.function
    def step(self, input_ids, states):
        logits, states = self.model(input_ids, states=states, return_state=True)
        last = logits[:, -1, :] / self.temperature + self.banned
        next_id = tf.random.categorical(last, num_samples=1)
        return next_id, states


def generate(sampler, prompt, n_words=GEN_WORDS):
    prompt_ids = tf.constant([[stoi.get(w, 0) for w in prompt.split()]], dtype=tf.int64)
    # warm up the state on the whole prompt, then feed one token at a time
    states = tf.zeros((1, RNN_UNITS))
    next_id, states = sampler.step(prompt_ids, states)
    out = prompt.split()
    for _ in range(n_words):
        out.append(vocab[int(next_id[0, 0])])
        next_id, states = sampler.step(next_id, states)
    return " ".join(out)


for temp in TEMPERATURES:
    print(f"\n--- temperature {temp} ---")
    sampler = Sampler(model, vocab, temperature=temp)
    for prompt in ["the little fox", "one cold day"]:
        print(generate(sampler, prompt))


# sanity: entropy of the next-word distribution shrinks as temperature drops
probe = tf.constant([[stoi["the"]]], dtype=tf.int64)
base_logits = model(probe)[0, -1].numpy()
for temp in TEMPERATURES:
    p = tf.nn.softmax(base_logits / temp).numpy()
    entropy = -np.sum(p * np.log(p + 1e-12))
    print(f"T={temp}: entropy after 'the' = {entropy:.3f} nats")
