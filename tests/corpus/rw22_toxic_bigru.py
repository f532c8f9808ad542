"""Toxic Comment Classification - BiGRU with max+avg pooling concat.

Multi-label: six independent sigmoid outputs. Raw strings go straight into
the model thanks to a TextVectorization layer, so the exported model can be
served on text. Comments here are generated from a tiny vocabulary.
"""
import re
import string

import numpy as np
import tensorflow as tf
import keras
from keras import layers

LABELS = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
MAX_FEATURES = 2000
MAXLEN = 40
EMBED_SIZE = 32
GRU_UNITS = 24
BATCH_SIZE = 32

rng = np.random.default_rng(7)
tf.random.set_seed(7)

NEUTRAL = ("the article edit page source talk thanks please wikipedia citation reference "
           "image section removed added link user discussion fact").split()
BAD = {
    "toxic": ["stupid", "idiot", "garbage"],
    "obscene": ["f***", "s***", "crap"],
    "threat": ["kill", "hurt", "destroy"],
    "insult": ["loser", "moron", "pathetic"],
    "identity_hate": ["slur1", "slur2"],
}


def fake_comment():
    n = int(rng.integers(5, 35))
    words = list(rng.choice(NEUTRAL, size=n))
    y = np.zeros(len(LABELS), dtype="float32")
    for label, vocab in BAD.items():
        if rng.random() < 0.15:
            for _ in range(int(rng.integers(1, 3))):
                words.insert(int(rng.integers(0, len(words))), str(rng.choice(vocab)))
            y[LABELS.index(label)] = 1.0
    if y[0] and rng.random() < 0.3:
        y[1] = 1.0
        words = [w.upper() for w in words]
    text = " ".join(words)
    if rng.random() < 0.3:
        text += "!!! " + "http://example.com/page"
    return text, y


def make_split(n):
    rows = [fake_comment() for _ in range(n)]
    texts = np.array([r[0] for r in rows])
    y = np.stack([r[1] for r in rows])
    return texts, y


@keras.saving.register_keras_serializable()
def custom_standardization(text):
    text = tf.strings.lower(text)
    text = tf.strings.regex_replace(text, r"https?://\S+", " url ")
    text = tf.strings.regex_replace(text, "[%s]" % re.escape(string.punctuation.replace("*", "")), " ")
    return tf.strings.regex_replace(text, r"\s+", " ")


train_text, y_train = make_split(320)
test_text, y_test = make_split(64)
print("label prevalence:", dict(zip(LABELS, np.round(y_train.mean(axis=0), 3))))

vectorizer = layers.TextVectorization(
    max_tokens=MAX_FEATURES,
    standardize=custom_standardization,
    output_mode="int",
    output_sequence_length=MAXLEN,
)
vectorizer.adapt(tf.data.Dataset.from_tensor_slices(train_text).batch(64))
print("vocab size:", vectorizer.vocabulary_size(), "first tokens:", vectorizer.get_vocabulary()[:8])


def build_model(vectorize_layer):
    inp = keras.Input(shape=(1,), dtype=tf.string, name="comment_text")
    x = vectorize_layer(inp)
    x = layers.Embedding(vectorize_layer.vocabulary_size(), EMBED_SIZE, name="embedding")(x)
    x = layers.SpatialDropout1D(0.2)(x)
    x = layers.Bidirectional(layers.GRU(GRU_UNITS, return_sequences=True), name="bigru")(x)
    avg_pool = layers.GlobalAveragePooling1D()(x)
    max_pool = layers.GlobalMaxPooling1D()(x)
    conc = layers.concatenate([avg_pool, max_pool])
    conc = layers.Dropout(0.1)(conc)
    out = layers.Dense(len(LABELS), activation="sigmoid", name="labels")(conc)

    model = keras.Model(inputs=inp, outputs=out)
    model.compile(
        loss="binary_crossentropy",
        optimizer=keras.optimizers.Adam(1e-3, clipnorm=1.0),
        metrics=[keras.metrics.AUC(multi_label=True, num_labels=len(LABELS), name="auc")],
    )
    return model


class RocAucEvaluation(keras.callbacks.Callback):
    """Mean column-wise ROC AUC on a held-out set, computed at epoch end."""

    def __init__(self, validation_data, interval=1):
        super().__init__()
        self.interval = interval
        self.X_val, self.y_val = validation_data

    @staticmethod
    def _auc(y, s):
        if y.min() == y.max():
            return np.nan
        ranks = np.argsort(np.argsort(s)) + 1
        pos = y == 1
        return (ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum())

    def on_epoch_end(self, epoch, logs=None):
        if epoch % self.interval:
            return
        y_pred = self.model.predict(self.X_val, verbose=0)
        scores = [self._auc(self.y_val[:, j], y_pred[:, j]) for j in range(len(LABELS))]
        print(f"\n ROC-AUC - epoch: {epoch + 1} - score: {np.nanmean(scores):.6f}")


model = build_model(vectorizer)
model.summary()

def as_text_tensor(arr):
    # numpy unicode arrays are not accepted by fit/predict; go through tf.string
    return tf.constant(arr.reshape(-1, 1).tolist())


n_val = 48
X_tra, X_val = as_text_tensor(train_text[n_val:]), as_text_tensor(train_text[:n_val])
y_tra, y_val = y_train[n_val:], y_train[:n_val]

train_ds = tf.data.Dataset.from_tensor_slices((X_tra, y_tra)).shuffle(512, seed=7).batch(BATCH_SIZE)
val_ds = tf.data.Dataset.from_tensor_slices((X_val, y_val)).batch(BATCH_SIZE)

hist = model.fit(
    train_ds,
    epochs=1,
    validation_data=val_ds,
    callbacks=[RocAucEvaluation(validation_data=(X_val, y_val))],
    verbose=2,
)

y_pred = model.predict(as_text_tensor(test_text), batch_size=BATCH_SIZE, verbose=0)
print("submission head:")
print("id," + ",".join(LABELS))
for i in range(5):
    print(f"{i}," + ",".join(f"{p:.4f}" for p in y_pred[i]))

samples = tf.constant([["thanks for the citation on the article"], ["you stupid MORON i will kill you"]])
for text, probs in zip(samples.numpy()[:, 0], model(samples, training=False).numpy()):
    top = LABELS[int(np.argmax(probs))]
    print(f"{text.decode()!r:45s} -> max {top} ({probs.max():.3f})")
