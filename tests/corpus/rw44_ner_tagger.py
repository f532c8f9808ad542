"""BiLSTM-CNN named entity tagger (Lample et al. / Ma & Hovy style) in Keras.

Word embeddings + a character-level CNN applied per token with TimeDistributed,
a BiLSTM over the sentence, and two TimeDistributed softmax heads: BIO entity tags
and an auxiliary POS-tag head (multi-task). Synthetic sentences keep it offline.
"""
import numpy as np
import keras
from keras import layers, ops

# --- config -----------------------------------------------------------------
MAX_SENT_LEN = 16
MAX_WORD_LEN = 10
WORD_VOCAB = 2000
CHAR_VOCAB = 60
WORD_DIM = 50
CHAR_DIM = 16
CHAR_FILTERS = 32
LSTM_UNITS = 64
BATCH = 32
N_TRAIN, N_VAL = 320, 64

ENTITY_TYPES = ["PER", "ORG", "LOC", "MISC"]
TAGS = ["PAD", "O"] + [f"{p}-{t}" for t in ENTITY_TYPES for p in ("B", "I")]
TAG2IDX = {t: i for i, t in enumerate(TAGS)}
POS_TAGS = ["PAD", "NOUN", "VERB", "ADJ", "DET", "PROPN", "PUNCT", "ADP"]


def synth_sentence(rng):
    """Random sentence: token ids, per-token char ids, BIO tags and POS tags."""
    n = rng.integers(4, MAX_SENT_LEN + 1)
    words = rng.integers(1, WORD_VOCAB, size=n)
    chars = np.zeros((n, MAX_WORD_LEN), dtype=np.int32)
    for j in range(n):
        wl = rng.integers(1, MAX_WORD_LEN + 1)
        chars[j, :wl] = rng.integers(1, CHAR_VOCAB, size=wl)
    tags = np.full(n, TAG2IDX["O"], dtype=np.int32)
    pos = rng.integers(1, len(POS_TAGS), size=n).astype(np.int32)
    # sprinkle some entity spans
    i = 0
    while i < n:
        if rng.random() < 0.15:
            ent = ENTITY_TYPES[rng.integers(len(ENTITY_TYPES))]
            span = min(rng.integers(1, 4), n - i)
            tags[i] = TAG2IDX[f"B-{ent}"]
            tags[i + 1:i + span] = TAG2IDX[f"I-{ent}"]
            pos[i:i + span] = POS_TAGS.index("PROPN")
            # make entity tokens slightly recognisable: capitalised-ish char ids
            chars[i:i + span, 0] = CHAR_VOCAB - 1
            i += span
        else:
            i += 1
    return words, chars, tags, pos


def build_arrays(n, rng):
    W = np.zeros((n, MAX_SENT_LEN), dtype=np.int32)
    C = np.zeros((n, MAX_SENT_LEN, MAX_WORD_LEN), dtype=np.int32)
    T = np.zeros((n, MAX_SENT_LEN), dtype=np.int32)
    P = np.zeros((n, MAX_SENT_LEN), dtype=np.int32)
    for k in range(n):
        w, c, t, p = synth_sentence(rng)
        L = len(w)
        W[k, :L], C[k, :L], T[k, :L], P[k, :L] = w, c, t, p
    return W, C, T, P


def build_tagger():
    word_in = keras.Input(shape=(MAX_SENT_LEN,), dtype="int32", name="words")
    char_in = keras.Input(shape=(MAX_SENT_LEN, MAX_WORD_LEN), dtype="int32", name="chars")

    word_emb = layers.Embedding(WORD_VOCAB, WORD_DIM, name="word_emb")(word_in)

    # character CNN: (batch, sent, word_len) -> (batch, sent, word_len, char_dim)
    # (Embedding broadcasts over any leading dims, no TimeDistributed wrapper needed)
    char_emb = layers.Embedding(CHAR_VOCAB, CHAR_DIM, name="char_emb")(char_in)
    char_conv = layers.TimeDistributed(
        layers.Conv1D(CHAR_FILTERS, 3, padding="same", activation="relu"),
        name="char_conv")(char_emb)
    char_feat = layers.TimeDistributed(layers.GlobalMaxPooling1D(), name="char_pool")(char_conv)

    x = layers.Concatenate(name="word_repr")([word_emb, char_feat])
    x = layers.Dropout(0.3)(x)
    x = layers.Bidirectional(layers.LSTM(LSTM_UNITS, return_sequences=True,
                                         recurrent_dropout=0.0), name="bilstm")(x)
    x = layers.Dropout(0.3)(x)

    ner = layers.TimeDistributed(layers.Dense(LSTM_UNITS, activation="relu"),
                                 name="ner_hidden")(x)
    ner = layers.TimeDistributed(layers.Dense(len(TAGS), activation="softmax"), name="ner")(ner)
    pos = layers.TimeDistributed(layers.Dense(len(POS_TAGS), activation="softmax"),
                                 name="pos")(x)
    return keras.Model([word_in, char_in], {"ner": ner, "pos": pos}, name="bilstm_cnn_tagger")


def bio_to_spans(tag_ids):
    """Convert a sequence of tag ids into a set of (type, start, end) spans."""
    spans, start, ent = set(), None, None
    for i, tid in enumerate(list(tag_ids) + [TAG2IDX["O"]]):
        tag = TAGS[int(tid)]
        if tag.startswith("B-") or tag in ("O", "PAD") or (
                tag.startswith("I-") and tag[2:] != ent):
            if ent is not None:
                spans.add((ent, start, i))
                ent = None
            if tag.startswith("B-") or tag.startswith("I-"):
                ent, start = tag[2:], i
    return spans


def span_f1(y_true, y_pred, lengths):
    tp = fp = fn = 0
    for t, p, L in zip(y_true, y_pred, lengths):
        gold, pred = bio_to_spans(t[:L]), bio_to_spans(p[:L])
        tp += len(gold & pred)
        fp += len(pred - gold)
        fn += len(gold - pred)
    prec = tp / max(tp + fp, 1)
    rec = tp / max(tp + fn, 1)
    return 2 * prec * rec / max(prec + rec, 1e-8)


if __name__ == "__main__":
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    Wtr, Ctr, Ttr, Ptr = build_arrays(N_TRAIN, rng)
    Wva, Cva, Tva, Pva = build_arrays(N_VAL, rng)
    print("words", Wtr.shape, "chars", Ctr.shape, "tags", Ttr.shape)

    model = build_tagger()
    model.summary(line_length=110)

    # padding positions get zero weight in the loss
    train_mask = (Wtr > 0).astype("float32")
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3, clipnorm=5.0),
        loss={"ner": "sparse_categorical_crossentropy",
              "pos": "sparse_categorical_crossentropy"},
        loss_weights={"ner": 1.0, "pos": 0.3},
        weighted_metrics={"ner": ["accuracy"]},
    )
    model.fit(
        {"words": Wtr, "chars": Ctr}, {"ner": Ttr, "pos": Ptr},
        sample_weight={"ner": train_mask, "pos": train_mask},
        batch_size=BATCH, epochs=1, verbose=2,
    )

    outputs = model.predict({"words": Wva, "chars": Cva}, batch_size=BATCH, verbose=0)
    ner_probs, pos_probs = outputs["ner"], outputs["pos"]
    ner_pred = ops.convert_to_numpy(ops.argmax(ner_probs, axis=-1))
    lengths = (Wva > 0).sum(axis=1)
    print("pred tags shape:", ner_pred.shape, "pos probs shape:", pos_probs.shape)
    print("val entity F1: %.3f" % span_f1(Tva, ner_pred, lengths))
    print("example gold :", [TAGS[t] for t in Tva[0, :lengths[0]]][:10])
    print("example pred :", [TAGS[t] for t in ner_pred[0, :lengths[0]]][:10])
