# Multi-channel CNN for sentence classification (Kim, 2014) -- Keras 3 port.
# Channel 1: "static" embedding (frozen); channel 2: "non-static" (fine-tuned).
import random
import numpy as np
import tensorflow as tf
import tensorflow.keras as keras
from tensorflow.keras import backend as K

MAX_TOKENS = 500
SEQ_LEN = 40
EMBED_DIM = 32
FILTER_SIZES = [3, 4, 5]
NUM_FILTERS = 16
DROPOUT = 0.5
NUM_CLASSES = 3
BATCH_SIZE = 8

random.seed(0)
np.random.seed(0)

VOCAB_WORDS = ("the movie was great terrible boring fun plot acting film actor "
               "story bad good excellent awful slow fast music scene ending "
               "characters dialogue loved hated watch again never recommend").split()


def make_sentence(min_len=5, max_len=30):
    n = random.randint(min_len, max_len)
    return " ".join(random.choice(VOCAB_WORDS) for _ in range(n))


texts = [make_sentence() for _ in range(48)]
labels = np.random.randint(0, NUM_CLASSES, size=(len(texts),))
print(texts[0])

vectorizer = keras.layers.TextVectorization(
    max_tokens=MAX_TOKENS,
    output_mode="int",
    output_sequence_length=SEQ_LEN,
)
vectorizer.adapt(texts)
vocab = vectorizer.get_vocabulary()
vocab_size = len(vocab)
print("vocab size:", vocab_size, vocab[:6])

X = vectorizer(np.array(texts)).numpy()
y = keras.utils.to_categorical(labels, NUM_CLASSES)
print("X:", X.shape, X.dtype, "y:", y.shape)

# pretend pre-trained vectors (would normally come from word2vec / GloVe)
embedding_matrix = np.random.normal(scale=0.1, size=(vocab_size, EMBED_DIM)).astype("float32")


def conv_pool_branch(embedded, prefix):
    pooled = []
    for fs in FILTER_SIZES:
        c = keras.layers.Conv1D(NUM_FILTERS, kernel_size=fs, activation="relu",
                                padding="valid", name=f"{prefix}_conv{fs}")(embedded)
        p = keras.layers.GlobalMaxPooling1D(name=f"{prefix}_pool{fs}")(c)
        pooled.append(p)
    return keras.layers.concatenate(pooled, name=f"{prefix}_concat")


sequence_input = keras.Input(shape=(SEQ_LEN,), dtype="int64", name="tokens")

static_emb = keras.layers.Embedding(vocab_size, EMBED_DIM, trainable=False,
                                    name="static_embedding")(sequence_input)
nonstatic_emb = keras.layers.Embedding(vocab_size, EMBED_DIM, trainable=True,
                                       name="nonstatic_embedding")(sequence_input)

static_feats = conv_pool_branch(static_emb, "static")
nonstatic_feats = conv_pool_branch(nonstatic_emb, "nonstatic")
print("per-channel features:", K.int_shape(static_feats), K.int_shape(nonstatic_feats))

merged = keras.layers.concatenate([static_feats, nonstatic_feats], axis=-1)
merged = keras.layers.Dropout(DROPOUT)(merged)
merged = keras.layers.Dense(64, activation="relu")(merged)
preds = keras.layers.Dense(NUM_CLASSES, activation="softmax")(merged)

model = keras.Model(sequence_input, preds, name="multichannel_textcnn")

# load the "pretrained" weights into both channels
model.get_layer("static_embedding").set_weights([embedding_matrix])
model.get_layer("nonstatic_embedding").set_weights([embedding_matrix.copy()])

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["acc"])
model.summary()

model.fit(X, y, batch_size=BATCH_SIZE, epochs=1, validation_split=0.2, verbose=2)

# end-to-end model taking raw strings
string_input = keras.Input(shape=(1,), dtype="string")
indices = vectorizer(string_input)
end_to_end = keras.Model(string_input, model(indices))
raw = tf.constant([["the movie was great fun"], ["boring plot and awful acting"]])
probs = end_to_end(raw)
print("end-to-end probs:", probs.shape)

new_seq = vectorizer(["loved the music and the ending"])
print("single encoded:", new_seq.shape)
print("single pred:", model.predict(new_seq, verbose=0).argmax(axis=-1))
