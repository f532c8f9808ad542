"""Siamese sentence-pair similarity (SBERT / InferSent style) with a shared encoder.

Both sentences go through the *same* encoder (embedding -> BiGRU -> masked mean pool).
The pair head uses [u, v, |u - v|, u * v] features to predict "paraphrase or not".
Afterwards the standalone encoder is reused for cosine-similarity retrieval.
Pairs are synthetic: positives are noisy copies (token dropout + swaps) of the anchor.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras

VOCAB_SIZE = 3000
MAX_LEN = 20
EMB_DIM = 64
ENC_UNITS = 48
BATCH = 64
N_PAIRS = 1024
rng = np.random.default_rng(2024)


# --------------------------------------------------------------------------- data
def random_sentence():
    n = rng.integers(6, MAX_LEN + 1)
    return rng.integers(1, VOCAB_SIZE, size=n)


def perturb(sent, p_drop=0.15, n_swaps=1):
    keep = rng.random(len(sent)) > p_drop
    out = sent[keep] if keep.sum() >= 3 else sent.copy()
    for _ in range(n_swaps):
        i, j = rng.integers(0, len(out), size=2)
        out[i], out[j] = out[j], out[i]
    return out


def pad(seqs):
    return keras.utils.pad_sequences(seqs, maxlen=MAX_LEN, padding="post", truncating="post")


def make_pairs(n):
    left, right, labels = [], [], []
    for _ in range(n):
        a = random_sentence()
        if rng.random() < 0.5:
            b, y = perturb(a), 1
        else:
            b, y = random_sentence(), 0
        left.append(a)
        right.append(b)
        labels.append(y)
    return pad(left), pad(right), np.asarray(labels, dtype="float32")


# --------------------------------------------------------------------------- model
class MaskedMeanPooling(keras.layers.Layer):
    """Mean over time that ignores padded steps (uses the propagated Keras mask)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return tf.reduce_mean(inputs, axis=1)
        mask = tf.cast(mask, inputs.dtype)[:, :, tf.newaxis]        # (B, T, 1)
        summed = tf.reduce_sum(inputs * mask, axis=1)                # (B, D)
        counts = tf.maximum(tf.reduce_sum(mask, axis=1), 1.0)        # (B, 1)
        return summed / counts

    def compute_mask(self, inputs, mask=None):
        return None  # pooled output has no time axis


def build_encoder():
    tokens = keras.Input(shape=(MAX_LEN,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(VOCAB_SIZE, EMB_DIM, mask_zero=True)(tokens)
    x = keras.layers.Bidirectional(keras.layers.GRU(ENC_UNITS, return_sequences=True))(x)
    x = MaskedMeanPooling()(x)
    x = keras.layers.Dense(EMB_DIM, activation="tanh", name="projection")(x)
    return keras.Model(tokens, x, name="sentence_encoder")


def build_siamese(encoder):
    left = keras.Input(shape=(MAX_LEN,), dtype="int32", name="left")
    right = keras.Input(shape=(MAX_LEN,), dtype="int32", name="right")
    u, v = encoder(left), encoder(right)  # shared weights

    abs_diff = keras.layers.Lambda(lambda t: tf.abs(t[0] - t[1]), name="abs_diff")([u, v])
    prod = keras.layers.Multiply(name="elementwise_prod")([u, v])
    features = keras.layers.Concatenate(name="pair_features")([u, v, abs_diff, prod])

    cosine = keras.layers.Dot(axes=-1, normalize=True, name="cosine")([u, v])

    h = keras.layers.Dense(64, activation="relu")(features)
    h = keras.layers.Dropout(0.2)(h)
    prob = keras.layers.Dense(1, activation="sigmoid", name="is_paraphrase")(h)
    return keras.Model([left, right], {"is_paraphrase": prob, "cosine": cosine},
                       name="siamese_similarity")


def cosine_matrix(a, b):
    a = tf.math.l2_normalize(a, axis=-1)
    b = tf.math.l2_normalize(b, axis=-1)
    return tf.matmul(a, b, transpose_b=True)


if __name__ == "__main__":
    tf.random.set_seed(0)
    L, R, y = make_pairs(N_PAIRS)
    Lv, Rv, yv = make_pairs(256)
    print("pairs:", L.shape, R.shape, "positive rate:", y.mean())

    train_ds = (tf.data.Dataset.from_tensor_slices(({"left": L, "right": R},
                                                    {"is_paraphrase": y, "cosine": y}))
                .shuffle(N_PAIRS).batch(BATCH).prefetch(2))
    val_ds = tf.data.Dataset.from_tensor_slices(
        ({"left": Lv, "right": Rv}, {"is_paraphrase": yv, "cosine": yv})).batch(BATCH)

    encoder = build_encoder()
    model = build_siamese(encoder)
    model.summary()

    # cosine output regressed towards {0,1} as an auxiliary (CoSENT-lite) signal
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss={"is_paraphrase": "binary_crossentropy", "cosine": "mse"},
                  loss_weights={"is_paraphrase": 1.0, "cosine": 0.5},
                  metrics={"is_paraphrase": [keras.metrics.BinaryAccuracy(name="acc"),
                                             keras.metrics.AUC(name="auc")]})
    model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

    # ---- retrieval with the standalone encoder
    queries = Lv[:8]
    corpus = np.concatenate([pad([perturb(np.trim_zeros(q, "b")) for q in queries]), Rv[8:40]])
    q_emb = encoder.predict(queries, verbose=0)
    c_emb = encoder.predict(corpus, verbose=0)
    sims = cosine_matrix(q_emb, c_emb)                 # (8, 40)
    top1 = tf.argmax(sims, axis=-1).numpy()
    print("similarity matrix:", sims.shape)
    print("top-1 retrieved idx:", top1.tolist(), "(ideal: 0..7)")
    print("recall@1: %.2f" % np.mean(top1 == np.arange(len(queries))))
