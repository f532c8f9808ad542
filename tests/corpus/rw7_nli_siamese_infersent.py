"""Sentence-pair NLI classifier (InferSent-style) with a frozen embedding matrix.

premise / hypothesis -> shared BiLSTM + max-pool encoder -> features
[u, v, |u - v|, u * v] -> MLP -> {entailment, neutral, contradiction}.

The embedding matrix is built in numpy from a fake "pretrained" vector
table (stand-in for GloVe), loaded via Constant initializer, trainable=False.
"""
import re
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops
from keras.initializers import Constant

np.random.seed(0)
keras.utils.set_random_seed(0)

EMBEDDING_DIM = 50
MAX_SEQ = 10
HIDDEN_UNITS = 32
LABELS = ["entailment", "neutral", "contradiction"]

data = [
    ("a man is playing a guitar", "a man plays an instrument", "entailment"),
    ("a man is playing a guitar", "a woman is singing", "neutral"),
    ("a man is playing a guitar", "nobody is playing music", "contradiction"),
    ("two dogs run in the park", "animals are outside", "entailment"),
    ("two dogs run in the park", "the dogs are sleeping", "contradiction"),
    ("two dogs run in the park", "the dogs chase a ball", "neutral"),
    ("a child eats an apple", "a kid is eating fruit", "entailment"),
    ("a child eats an apple", "the child is hungry", "neutral"),
    ("a child eats an apple", "the child is asleep", "contradiction"),
    ("the woman reads a book", "someone is reading", "entailment"),
    ("the woman reads a book", "the woman is at the beach", "neutral"),
    ("the woman reads a book", "the woman is running", "contradiction"),
]


def tokenize(s):
    return re.findall(r"[a-z']+", s.lower())


# --- word index ---
word_index = {}
for p, h, _ in data:
    for tok in tokenize(p) + tokenize(h):
        if tok not in word_index:
            word_index[tok] = len(word_index) + 1  # 0 = padding
num_words = len(word_index) + 1
print("Found %s unique tokens." % len(word_index))

# --- pretend pretrained vectors (GloVe-like dict); some words are "missing" ---
fake_glove = {}
for w in word_index:
    if sum(map(ord, w)) % 5 != 0:  # ~80% coverage, deterministic
        fake_glove[w] = np.random.uniform(-0.5, 0.5, EMBEDDING_DIM).astype("float32")

embedding_matrix = np.zeros((num_words, EMBEDDING_DIM), dtype="float32")
hits, misses = 0, 0
for word, i in word_index.items():
    vec = fake_glove.get(word)
    if vec is not None:
        embedding_matrix[i] = vec
        hits += 1
    else:
        embedding_matrix[i] = np.random.normal(0, 0.1, EMBEDDING_DIM)
        misses += 1
print(f"Converted {hits} words ({misses} misses)")


def to_ids(sentences):
    seqs = [[word_index.get(t, 0) for t in tokenize(s)] for s in sentences]
    return keras.utils.pad_sequences(seqs, maxlen=MAX_SEQ, padding="post", truncating="post")


X_p = to_ids([d[0] for d in data])
X_h = to_ids([d[1] for d in data])
y = np.array([LABELS.index(d[2]) for d in data])
y_onehot = keras.utils.to_categorical(y, num_classes=len(LABELS))


def build_encoder():
    inp = keras.Input(shape=(MAX_SEQ,), dtype="int32")
    x = layers.Embedding(
        num_words,
        EMBEDDING_DIM,
        embeddings_initializer=Constant(embedding_matrix),
        trainable=False,
        mask_zero=True,
        name="glove_embedding",
    )(inp)
    x = layers.Bidirectional(layers.LSTM(HIDDEN_UNITS, return_sequences=True), name="bilstm")(x)
    x = layers.GlobalMaxPooling1D(name="max_pool")(x)
    return keras.Model(inp, x, name="sentence_encoder")


encoder = build_encoder()
encoder.summary()

premise = keras.Input(shape=(MAX_SEQ,), dtype="int32", name="premise")
hypothesis = keras.Input(shape=(MAX_SEQ,), dtype="int32", name="hypothesis")
u = encoder(premise)
v = encoder(hypothesis)

diff = layers.Subtract(name="u_minus_v")([u, v])
abs_diff = layers.Lambda(lambda t: ops.abs(t), name="abs_diff")(diff)
prod = layers.Multiply(name="u_times_v")([u, v])
features = layers.Concatenate(name="pair_features")([u, v, abs_diff, prod])

h = layers.Dense(64, activation="relu")(features)
h = layers.Dropout(0.2)(h)
h = layers.Dense(32, activation="relu")(h)
output = layers.Dense(len(LABELS), activation="softmax", name="nli_label")(h)

nli_model = keras.Model(inputs=[premise, hypothesis], outputs=output, name="infersent_nli")
nli_model.compile(
    loss="categorical_crossentropy",
    optimizer=keras.optimizers.Adam(learning_rate=2e-3),
    metrics=["accuracy"],
)
nli_model.summary(expand_nested=True)

train_ds = (
    tf.data.Dataset.from_tensor_slices(({"premise": X_p, "hypothesis": X_h}, y_onehot))
    .shuffle(len(data))
    .batch(4)
)
nli_model.fit(train_ds, epochs=1, verbose=2)

# sanity: frozen embeddings should not move
emb_after = encoder.get_layer("glove_embedding").get_weights()[0]
print("embedding unchanged:", np.allclose(emb_after, embedding_matrix))

tests = [("a man is playing a guitar", "someone plays music"),
         ("two dogs run in the park", "the dogs are sleeping")]
probs = nli_model.predict({"premise": to_ids([t[0] for t in tests]),
                           "hypothesis": to_ids([t[1] for t in tests])}, verbose=0)
for (p, hyp), pr in zip(tests, probs):
    print(f"P: {p}\nH: {hyp}\n -> {LABELS[int(pr.argmax())]} {np.round(pr, 3)}")

# cosine similarity between sentence embeddings, just for fun
emb = encoder.predict(to_ids([tests[0][0], tests[0][1]]), verbose=0)
cos = float(np.dot(emb[0], emb[1]) / (np.linalg.norm(emb[0]) * np.linalg.norm(emb[1]) + 1e-9))
print(f"cosine(premise, hypothesis) = {cos:.3f}")
