# Duplicate-question detector (Quora-pairs style), Keras 2 kernel ported to tf.keras.
# Shared embedding + BiLSTM encoder, attention pooling written with K ops in Lambda,
# then |a-b|, a*b, and a handcrafted-feature branch concatenated into an MLP.
import os
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow.keras import backend as K
from tensorflow.keras import layers, models, optimizers, callbacks
from tensorflow.keras.utils import to_categorical

MAX_WORDS = 1500
MAX_SEQ = 24
EMB_DIM = 32
LSTM_UNITS = 24
N_PAIRS = 400
N_HAND_FEATS = 4
WORK_DIR = tempfile.mkdtemp(prefix="rw142_qpairs_")

np.random.seed(3)
tf.random.set_seed(3)


# ----------------------------------------------------------------- data ---
def random_question(length):
    return np.random.randint(1, MAX_WORDS, size=length)


def perturb(q, n_swaps=2):
    q = q.copy()
    for _ in range(n_swaps):
        q[np.random.randint(len(q))] = np.random.randint(1, MAX_WORDS)
    return q


def pad(seq):
    out = np.zeros(MAX_SEQ, dtype="int32")
    seq = seq[:MAX_SEQ]
    out[-len(seq):] = seq
    return out


def handcrafted(a, b):
    sa, sb = set(a.tolist()), set(b.tolist())
    shared = len(sa & sb)
    return [
        shared / max(len(sa | sb), 1),
        abs(len(a) - len(b)) / MAX_SEQ,
        float(a[0] == b[0]),
        shared / max(min(len(sa), len(sb)), 1),
    ]


q1, q2, feats, labels = [], [], [], []
for i in range(N_PAIRS):
    a = random_question(np.random.randint(6, MAX_SEQ))
    is_dup = np.random.rand() < 0.3
    b = perturb(a) if is_dup else random_question(np.random.randint(6, MAX_SEQ))
    q1.append(pad(a))
    q2.append(pad(b))
    feats.append(handcrafted(a, b))
    labels.append(int(is_dup))

q1 = np.array(q1)
q2 = np.array(q2)
feats = np.array(feats, dtype="float32")
labels = np.array(labels)
y = to_categorical(labels, 2)
print("pairs:", q1.shape, "dup rate: %.2f" % labels.mean())

n_neg, n_pos = np.bincount(labels)
class_weight = {0: 1.0, 1: float(n_neg) / float(n_pos)}
print("class_weight:", class_weight)


# ---------------------------------------------------------------- model ---
def attention_pool(h):
    # h: (batch, time, feat) -> simple dot-product self attention against mean vector
    query = K.mean(h, axis=1, keepdims=True)                      # (b, 1, f)
    scores = K.sum(h * query, axis=-1)                            # (b, t)
    weights = K.softmax(scores)                                   # (b, t)
    return K.sum(h * K.expand_dims(weights, -1), axis=1)          # (b, f)


embedding = layers.Embedding(MAX_WORDS, EMB_DIM, name="shared_emb")
encoder = layers.Bidirectional(layers.LSTM(LSTM_UNITS, return_sequences=True), name="bilstm")
pooler = layers.Lambda(attention_pool, name="attn_pool")

in_q1 = layers.Input(shape=(MAX_SEQ,), name="q1")
in_q2 = layers.Input(shape=(MAX_SEQ,), name="q2")
in_feat = layers.Input(shape=(N_HAND_FEATS,), name="hand_feats")

vec1 = pooler(encoder(embedding(in_q1)))
vec2 = pooler(encoder(embedding(in_q2)))

abs_diff = layers.Lambda(lambda t: K.abs(t[0] - t[1]), name="abs_diff")([vec1, vec2])
prod = layers.Lambda(lambda t: t[0] * t[1], name="elem_prod")([vec1, vec2])
cos = layers.Lambda(
    lambda t: K.sum(K.l2_normalize(t[0], -1) * K.l2_normalize(t[1], -1), axis=-1, keepdims=True),
    name="cosine")([vec1, vec2])

f = layers.Dense(16, activation="relu")(in_feat)
f = layers.BatchNormalization()(f)

merged = layers.Concatenate()([vec1, vec2, abs_diff, prod, cos, f])
merged = layers.Dropout(0.3)(merged)
merged = layers.Dense(64, activation="relu")(merged)
merged = layers.BatchNormalization()(merged)
merged = layers.Dropout(0.3)(merged)
preds = layers.Dense(2, activation="softmax")(merged)

model = models.Model(inputs=[in_q1, in_q2, in_feat], outputs=preds)
model.compile(loss="categorical_crossentropy",
              optimizer=optimizers.Nadam(learning_rate=2e-3),
              metrics=["acc"])

ckpt_path = os.path.join(WORK_DIR, "best.weights.h5")   # Keras 3 wants this suffix
cbs = [
    callbacks.ModelCheckpoint(ckpt_path, monitor="val_loss", save_best_only=True,
                              save_weights_only=True),
    callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=1e-5),
    callbacks.CSVLogger(os.path.join(WORK_DIR, "log.csv")),
]

hist = model.fit([q1, q2, feats], y,
                 validation_split=0.1,
                 epochs=2,
                 batch_size=32,
                 shuffle=True,
                 class_weight=class_weight,
                 callbacks=cbs,
                 verbose=2)

model.load_weights(ckpt_path)
p = model.predict([q1[:8], q2[:8], feats[:8]], batch_size=8, verbose=0)[:, 1]
print("dup prob:", np.round(p, 3))
print("labels  :", labels[:8])
with open(os.path.join(WORK_DIR, "log.csv")) as fh:
    print(fh.read().strip())
print("artifacts in", WORK_DIR, sorted(os.listdir(WORK_DIR)))
