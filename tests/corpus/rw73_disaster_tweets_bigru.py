"""NLP with Disaster Tweets - BiGRU + attention pooling + handcrafted meta features.

Old-school (pre-BERT) kernel: own tokenizer, random-init embeddings (GloVe in the
original), 5-fold CV -> here 2 folds on synthetic tweets, OOF threshold tuning for F1.
"""
import re
import string
from collections import Counter

import numpy as np
import tensorflow as tf

keras = tf.keras
L = tf.keras.layers

SEED = 2020
MAX_LEN = 32
MAX_WORDS = 3000
EMB = 48
GRU_UNITS = 32
N_SPLITS = 2
EPOCHS = 2
BATCH = 64

np.random.seed(SEED)
tf.random.set_seed(SEED)

# --------------------------------------------------------------------------------
# fake tweets
# --------------------------------------------------------------------------------
disaster_vocab = ["fire", "flood", "earthquake", "evacuate", "killed", "storm", "wildfire",
                  "collapse", "emergency", "injured", "burning", "explosion", "rescue"]
normal_vocab = ["love", "lol", "game", "music", "pizza", "friday", "movie", "happy", "new",
                "phone", "coffee", "party", "summer", "bored", "song"]
filler = ["the", "a", "is", "in", "my", "on", "at", "this", "so", "just", "to", "and", "omg", "!!"]


def fake_tweet(label, r):
    n = r.randint(6, 25)
    pool = disaster_vocab if label else normal_vocab
    words = []
    for _ in range(n):
        u = r.rand()
        if u < 0.25:
            words.append(r.choice(pool))
        elif u < 0.32:
            words.append(r.choice(disaster_vocab + normal_vocab))  # noise
        else:
            words.append(r.choice(filler))
    if r.rand() < 0.3:
        words.append("#" + r.choice(pool))
    if r.rand() < 0.4:
        words.append("http://t.co/" + "".join(r.choice(list("abcdef123"), 6)))
    if r.rand() < 0.2:
        words.append("@user" + str(r.randint(100)))
    return " ".join(words)


r = np.random.RandomState(SEED)
y_train = (r.rand(1000) < 0.43).astype("int32")
train_text = [fake_tweet(t, r) for t in y_train]
test_text = [fake_tweet(int(r.rand() < 0.43), r) for _ in range(300)]
print(len(train_text), "train tweets; sample:", train_text[0][:80])

# --------------------------------------------------------------------------------
# cleaning + meta features
# --------------------------------------------------------------------------------
URL_RE = re.compile(r"https?://\S+|www\.\S+")
MENTION_RE = re.compile(r"@\w+")
PUNCT_TABLE = str.maketrans("", "", string.punctuation.replace("#", ""))


def meta_features(t):
    words = t.split()
    return [
        len(t),
        len(words),
        len(set(words)) / max(1, len(words)),
        np.mean([len(w) for w in words]) if words else 0.0,
        t.count("#"),
        t.count("@"),
        len(URL_RE.findall(t)),
        sum(c in string.punctuation for c in t),
        sum(c.isupper() for c in t),
    ]


def clean(t):
    t = URL_RE.sub(" url ", t)
    t = MENTION_RE.sub(" user ", t)
    t = t.replace("#", " ")
    t = t.translate(PUNCT_TABLE).lower()
    return re.sub(r"\s+", " ", t).strip()


meta_tr = np.array([meta_features(t) for t in train_text], dtype="float32")
meta_te = np.array([meta_features(t) for t in test_text], dtype="float32")
meta_mu, meta_sd = meta_tr.mean(0), meta_tr.std(0) + 1e-6
meta_tr = (meta_tr - meta_mu) / meta_sd
meta_te = (meta_te - meta_mu) / meta_sd


class SimpleTokenizer:
    """Mimics keras.preprocessing.text.Tokenizer (which is gone in Keras 3)."""

    def __init__(self, num_words, oov_token="<unk>"):
        self.num_words = num_words
        self.oov_token = oov_token
        self.word_index = {}

    def fit_on_texts(self, texts):
        cnt = Counter(w for t in texts for w in t.split())
        vocab = [w for w, _ in cnt.most_common(self.num_words - 2)]
        self.word_index = {self.oov_token: 1}
        self.word_index.update({w: i + 2 for i, w in enumerate(vocab)})
        return self

    def texts_to_sequences(self, texts):
        return [[self.word_index.get(w, 1) for w in t.split()] for t in texts]


def pad_sequences(seqs, maxlen, padding="pre", truncating="pre"):
    out = np.zeros((len(seqs), maxlen), dtype="int32")
    for i, s in enumerate(seqs):
        s = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        if padding == "pre":
            out[i, maxlen - len(s):] = s
        else:
            out[i, :len(s)] = s
    return out


clean_tr = [clean(t) for t in train_text]
clean_te = [clean(t) for t in test_text]
tok = SimpleTokenizer(MAX_WORDS).fit_on_texts(clean_tr + clean_te)
X_tr = pad_sequences(tok.texts_to_sequences(clean_tr), MAX_LEN, padding="post", truncating="post")
X_te = pad_sequences(tok.texts_to_sequences(clean_te), MAX_LEN, padding="post", truncating="post")
VOCAB = min(MAX_WORDS, len(tok.word_index) + 1)
print("vocab", VOCAB, "X_tr", X_tr.shape, "meta", meta_tr.shape)

# random "pretrained" matrix; in the kernel this came from glove.840B.300d
embedding_matrix = np.random.normal(0, 0.1, size=(VOCAB, EMB)).astype("float32")
embedding_matrix[0] = 0.0


# --------------------------------------------------------------------------------
# model
# --------------------------------------------------------------------------------
class AttentionPooling(L.Layer):
    """Additive attention over time steps with padding mask (Raffel & Ellis style)."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.supports_masking = True

    def build(self, input_shape):
        d = int(input_shape[-1])
        self.W = self.add_weight(name="att_W", shape=(d, self.units), initializer="glorot_uniform")
        self.b = self.add_weight(name="att_b", shape=(self.units,), initializer="zeros")
        self.u = self.add_weight(name="att_u", shape=(self.units, 1), initializer="glorot_uniform")
        super().build(input_shape)

    def call(self, x, mask=None):
        # x: (B, T, D)
        e = tf.tanh(tf.tensordot(x, self.W, axes=1) + self.b)       # (B, T, U)
        scores = tf.squeeze(tf.tensordot(e, self.u, axes=1), -1)    # (B, T)
        if mask is not None:
            scores += (1.0 - tf.cast(mask, scores.dtype)) * -1e9
        alpha = tf.nn.softmax(scores, axis=-1)
        return tf.reduce_sum(x * alpha[..., None], axis=1)          # (B, D)

    def compute_mask(self, inputs, mask=None):
        return None


class TweetNet(keras.Model):
    def __init__(self, vocab, emb_matrix, n_meta, gru_units=GRU_UNITS, **kw):
        super().__init__(**kw)
        self.emb = L.Embedding(vocab, emb_matrix.shape[1], mask_zero=True,
                               embeddings_initializer=keras.initializers.Constant(emb_matrix),
                               trainable=False)
        self.sdrop = L.SpatialDropout1D(0.2)
        self.bigru = L.Bidirectional(L.GRU(gru_units, return_sequences=True))
        self.att = AttentionPooling(32)
        self.maxpool = L.GlobalMaxPooling1D()
        self.meta_dense = L.Dense(16, activation="relu")
        self.fc = L.Dense(32, activation="relu")
        self.drop = L.Dropout(0.3)
        self.out = L.Dense(1, activation="sigmoid")

    def call(self, inputs, training=False):
        tokens, meta = inputs["tokens"], inputs["meta"]
        mask = tf.not_equal(tokens, 0)
        x = self.emb(tokens)
        x = self.sdrop(x, training=training)
        h = self.bigru(x, mask=mask, training=training)                # (B, T, 2U)
        att = self.att(h, mask=mask)
        # masked max: push padded positions to -inf before pooling
        h_masked = tf.where(mask[..., None], h, tf.fill(tf.shape(h), -1e9))
        mx = self.maxpool(h_masked)
        m = self.meta_dense(meta)
        z = tf.concat([att, mx, m], axis=-1)
        z = self.drop(self.fc(z), training=training)
        return self.out(z)


def f1_at(y, p, thr):
    pred = (p >= thr).astype(int)
    tp = np.sum((pred == 1) & (y == 1))
    fp = np.sum((pred == 1) & (y == 0))
    fn = np.sum((pred == 0) & (y == 1))
    return 2 * tp / max(1, 2 * tp + fp + fn)


def stratified_kfold(y, k, seed):
    rs = np.random.RandomState(seed)
    folds = np.empty(len(y), int)
    for c in (0, 1):
        ids = np.flatnonzero(y == c)
        rs.shuffle(ids)
        folds[ids] = np.arange(len(ids)) % k
    for f in range(k):
        yield np.flatnonzero(folds != f), np.flatnonzero(folds == f)


# --------------------------------------------------------------------------------
# CV
# --------------------------------------------------------------------------------
oof = np.zeros(len(y_train), "float32")
pred_test = np.zeros(len(X_te), "float32")

for fold, (tr, va) in enumerate(stratified_kfold(y_train, N_SPLITS, SEED)):
    keras.backend.clear_session()
    model = TweetNet(VOCAB, embedding_matrix, meta_tr.shape[1])
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="binary_crossentropy",
                  metrics=[keras.metrics.Precision(name="prec"), keras.metrics.Recall(name="rec")])
    # unfreeze embeddings after first epoch - classic two-stage trick
    for stage, trainable in enumerate([False, True][:EPOCHS]):
        model.emb.trainable = trainable
        if stage > 0:
            model.compile(optimizer=keras.optimizers.Adam(5e-4), loss="binary_crossentropy",
                          metrics=[keras.metrics.Precision(name="prec"), keras.metrics.Recall(name="rec")])
        h = model.fit({"tokens": X_tr[tr], "meta": meta_tr[tr]}, y_train[tr],
                      validation_data=({"tokens": X_tr[va], "meta": meta_tr[va]}, y_train[va]),
                      batch_size=BATCH, epochs=1, verbose=0)
        print(f"fold {fold} stage {stage} (emb trainable={trainable}): "
              f"val_loss={h.history['val_loss'][-1]:.4f} val_prec={h.history['val_prec'][-1]:.3f} "
              f"val_rec={h.history['val_rec'][-1]:.3f}")

    if fold == 0:
        model.summary()
    oof[va] = model.predict({"tokens": X_tr[va], "meta": meta_tr[va]}, batch_size=256, verbose=0)[:, 0]
    pred_test += model.predict({"tokens": X_te, "meta": meta_te}, batch_size=256, verbose=0)[:, 0] / N_SPLITS

# threshold search
thrs = np.arange(0.2, 0.8, 0.02)
f1s = [f1_at(y_train, oof, t) for t in thrs]
best_thr = float(thrs[int(np.argmax(f1s))])
print(f"OOF F1 @0.5 = {f1_at(y_train, oof, 0.5):.4f} | best thr {best_thr:.2f} -> F1 {max(f1s):.4f}")
target = (pred_test >= best_thr).astype(int)
print("test positives: %d / %d" % (target.sum(), len(target)))
