"""Sentence-pair classification (NLI-style: entailment / neutral / contradiction).

A siamese BiGRU encoder is shared between premise and hypothesis; the pair
representation is the classic InferSent feature [u, v, |u - v|, u * v].
Raw strings go through a TextVectorization layer that lives inside the model,
so the exported model takes plain text.
"""
import random

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CONFIG = {
    "vocab_size": 3000,
    "seq_len": 20,
    "embed_dim": 48,
    "rnn_units": 32,
    "dense_units": 64,
    "dropout": 0.2,
    "batch_size": 32,
    "epochs": 1,
    "n_train": 384,
    "n_val": 96,
    "labels": ["entailment", "neutral", "contradiction"],
}

random.seed(0)
np.random.seed(0)
tf.random.set_seed(0)

SUBJECTS = ["a man", "a woman", "two kids", "the dog", "an old lady", "a chef", "the team"]
VERBS = ["is playing", "is cooking", "is running", "is sleeping", "is reading", "is painting"]
PLACES = ["in the park", "at home", "on the beach", "in a kitchen", "near the river", "outside"]
NEGATIONS = ["is not", "never is", "is nowhere"]


def synth_pair():
    """Generate a toy premise/hypothesis pair with a weak but learnable signal."""
    s, v, p = random.choice(SUBJECTS), random.choice(VERBS), random.choice(PLACES)
    premise = f"{s} {v} {p}"
    label = random.randrange(3)
    if label == 0:          # entailment: drop the location
        hypothesis = f"{s} {v}"
    elif label == 1:        # neutral: different place, same subject
        hypothesis = f"{s} {v} {random.choice(PLACES)} today"
    else:                   # contradiction: negate the verb
        hypothesis = f"{s} {random.choice(NEGATIONS)} {v.split()[-1]}"
    return premise, hypothesis, label


def make_split(n):
    rows = [synth_pair() for _ in range(n)]
    prem, hyp, y = zip(*rows)
    return np.array(prem), np.array(hyp), np.array(y, dtype="int32")


train_p, train_h, train_y = make_split(CONFIG["n_train"])
val_p, val_h, val_y = make_split(CONFIG["n_val"])

# ---------------------------------------------------------------------------
# Vectorizer: adapt on both sides of the pair
# ---------------------------------------------------------------------------
vectorizer = layers.TextVectorization(
    max_tokens=CONFIG["vocab_size"],
    output_mode="int",
    output_sequence_length=CONFIG["seq_len"],
    standardize="lower_and_strip_punctuation",
    name="vectorizer",
)
vectorizer.adapt(tf.data.Dataset.from_tensor_slices(np.concatenate([train_p, train_h])).batch(64))
vocab = vectorizer.get_vocabulary()
print("vocab size:", len(vocab), "first tokens:", vocab[:8])


def make_ds(prem, hyp, y, shuffle=False):
    ds = tf.data.Dataset.from_tensor_slices(({"premise": prem, "hypothesis": hyp}, y))
    if shuffle:
        ds = ds.shuffle(len(y), seed=0)
    return ds.batch(CONFIG["batch_size"]).prefetch(tf.data.AUTOTUNE)


train_ds = make_ds(train_p, train_h, train_y, shuffle=True)
val_ds = make_ds(val_p, val_h, val_y)


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
def build_sentence_encoder(cfg):
    tokens = keras.Input(shape=(cfg["seq_len"],), dtype="int64", name="tokens")
    x = layers.Embedding(cfg["vocab_size"], cfg["embed_dim"], mask_zero=True)(tokens)
    x = layers.Bidirectional(layers.GRU(cfg["rnn_units"], return_sequences=True))(x)
    # max + mean pooling over time, both respect the padding mask
    max_pool = layers.GlobalMaxPooling1D()(x)
    mean_pool = layers.GlobalAveragePooling1D()(x)
    sent = layers.Concatenate()([max_pool, mean_pool])
    return keras.Model(tokens, sent, name="sentence_encoder")


def build_pair_classifier(cfg, vectorizer):
    premise = keras.Input(shape=(), dtype="string", name="premise")
    hypothesis = keras.Input(shape=(), dtype="string", name="hypothesis")

    encoder = build_sentence_encoder(cfg)
    u = encoder(vectorizer(premise))
    v = encoder(vectorizer(hypothesis))

    diff = layers.Subtract()([u, v])
    abs_diff = layers.Lambda(lambda t: keras.ops.abs(t), name="abs_diff")(diff)
    prod = layers.Multiply()([u, v])
    features = layers.Concatenate(name="pair_features")([u, v, abs_diff, prod])

    x = layers.Dropout(cfg["dropout"])(features)
    x = layers.Dense(cfg["dense_units"], activation="relu")(x)
    x = layers.Dropout(cfg["dropout"])(x)
    out = layers.Dense(len(cfg["labels"]), activation="softmax", name="label")(x)
    return keras.Model([premise, hypothesis], out, name="nli_classifier")


model = build_pair_classifier(CONFIG, vectorizer)
model.compile(
    optimizer=keras.optimizers.Adam(2e-3),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.summary(line_length=100)

history = model.fit(train_ds, validation_data=val_ds, epochs=CONFIG["epochs"], verbose=2)
print({k: round(v[-1], 4) for k, v in history.history.items()})

# Inference on raw strings
examples = {
    "premise": tf.constant(["a chef is cooking in a kitchen", "the dog is running on the beach"]),
    "hypothesis": tf.constant(["a chef is cooking", "the dog is not running"]),
}
probs = model.predict(examples, verbose=0)
for p, h, row in zip(examples["premise"].numpy(), examples["hypothesis"].numpy(), probs):
    print(f"{p.decode():40s} | {h.decode():28s} -> {CONFIG['labels'][int(np.argmax(row))]}")
