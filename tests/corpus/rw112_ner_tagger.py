"""Toy NER tagger: BiLSTM over word embeddings with per-token softmax.

Sentences are generated from templates with slots for PERSON / CITY / ORG,
then tagged with a BIO scheme. Padding is masked via mask_zero=True so the
loss and accuracy ignore pad positions.
"""
import random

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
random.seed(SEED)
np.random.seed(SEED)
tf.random.set_seed(SEED)

MAX_LEN = 16
EMBED_DIM = 32
LSTM_UNITS = 32
BATCH_SIZE = 32
EPOCHS = 2
N_SENTENCES = 400

PERSONS = ["john smith", "maria garcia", "li wei", "anna", "peter parker", "olga"]
CITIES = ["paris", "new york", "berlin", "tokyo", "san francisco", "oslo"]
ORGS = ["acme corp", "globex", "initech", "umbrella labs", "stark industries"]

TEMPLATES = [
    "{PER} flew to {LOC} last week",
    "{PER} works at {ORG} in {LOC}",
    "the office of {ORG} is located in {LOC}",
    "yesterday {PER} met {PER} near {LOC}",
    "{ORG} hired {PER} as a consultant",
    "we visited {LOC} with {PER}",
    "{PER} left {ORG} after two years",
]

SLOT_POOLS = {"PER": PERSONS, "LOC": CITIES, "ORG": ORGS}
TAGS = ["<pad>", "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
TAG2ID = {t: i for i, t in enumerate(TAGS)}


def fill_template(template):
    """Return (tokens, tags) for one randomly filled template."""
    tokens, tags = [], []
    for piece in template.split():
        if piece.startswith("{") and piece.endswith("}"):
            slot = piece[1:-1]
            entity = random.choice(SLOT_POOLS[slot]).split()
            tokens.extend(entity)
            tags.extend([f"B-{slot}"] + [f"I-{slot}"] * (len(entity) - 1))
        else:
            tokens.append(piece)
            tags.append("O")
    return tokens, tags


def build_vocab(sentences):
    words = sorted({w for sent in sentences for w in sent})
    vocab = {"<pad>": 0, "<unk>": 1}
    for w in words:
        vocab[w] = len(vocab)
    return vocab


def encode(sentences, tag_seqs, vocab):
    x = np.zeros((len(sentences), MAX_LEN), dtype="int32")
    y = np.zeros((len(sentences), MAX_LEN), dtype="int32")
    for i, (toks, tags) in enumerate(zip(sentences, tag_seqs)):
        toks, tags = toks[:MAX_LEN], tags[:MAX_LEN]
        x[i, : len(toks)] = [vocab.get(t, 1) for t in toks]
        y[i, : len(tags)] = [TAG2ID[t] for t in tags]
    return x, y


def build_model(vocab_size, num_tags):
    inp = keras.Input(shape=(MAX_LEN,), dtype="int32", name="tokens")
    x = layers.Embedding(vocab_size, EMBED_DIM, mask_zero=True, name="emb")(inp)
    x = layers.Bidirectional(layers.LSTM(LSTM_UNITS, return_sequences=True), name="bilstm")(x)
    x = layers.Dropout(0.2)(x)
    x = layers.TimeDistributed(layers.Dense(32, activation="relu"))(x)
    out = layers.Dense(num_tags, activation="softmax", name="tag_probs")(x)
    return keras.Model(inp, out, name="bilstm_ner")


def decode_predictions(model, x_batch, inv_vocab):
    probs = model.predict(x_batch, verbose=0)
    pred_ids = probs.argmax(axis=-1)
    results = []
    for row_x, row_p in zip(x_batch, pred_ids):
        pairs = [(inv_vocab[int(t)], TAGS[int(p)]) for t, p in zip(row_x, row_p) if t != 0]
        results.append(pairs)
    return results


def main():
    data = [fill_template(random.choice(TEMPLATES)) for _ in range(N_SENTENCES)]
    sentences = [d[0] for d in data]
    tag_seqs = [d[1] for d in data]

    vocab = build_vocab(sentences)
    inv_vocab = {i: w for w, i in vocab.items()}
    x, y = encode(sentences, tag_seqs, vocab)
    print(f"vocab size={len(vocab)}  x={x.shape}  y={y.shape}")

    split = int(0.85 * len(x))
    train_ds = (
        tf.data.Dataset.from_tensor_slices((x[:split], y[:split]))
        .shuffle(512, seed=SEED)
        .batch(BATCH_SIZE)
        .prefetch(tf.data.AUTOTUNE)
    )
    val_ds = tf.data.Dataset.from_tensor_slices((x[split:], y[split:])).batch(BATCH_SIZE)

    model = build_model(len(vocab), len(TAGS))
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    model.summary()
    model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2)

    # token-level accuracy computed by hand, ignoring pads
    preds = model.predict(x[split:], verbose=0).argmax(-1)
    mask = x[split:] != 0
    tok_acc = (preds[mask] == y[split:][mask]).mean()
    print(f"manual masked token accuracy: {tok_acc:.3f}")

    for pairs in decode_predictions(model, x[split:split + 3], inv_vocab):
        print(" ".join(f"{w}/{t}" for w, t in pairs))


if __name__ == "__main__":
    main()
