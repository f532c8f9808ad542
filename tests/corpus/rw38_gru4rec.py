# GRU4Rec-style session-based recommendation.
# Sessions are left-padded with 0 (item ids start at 1), model predicts the next click
# at every position; eval = Recall@20 / MRR@20 on last position.
import numpy as np
import tensorflow as tf
import keras
from keras import layers

N_ITEMS = 1200          # real items are 1..N_ITEMS, 0 = padding
MAX_LEN = 15
EMB = 48
HIDDEN = 64
BATCH_SIZE = 64

np.random.seed(0)


def make_sessions(n_sessions=1500):
    """Markov-ish synthetic sessions so there's something to learn."""
    trans = np.random.randint(1, N_ITEMS + 1, size=(N_ITEMS + 1, 3))
    sessions = []
    for _ in range(n_sessions):
        length = np.random.randint(3, MAX_LEN + 2)
        s = [np.random.randint(1, N_ITEMS + 1)]
        for _ in range(length - 1):
            if np.random.rand() < 0.7:
                s.append(int(trans[s[-1], np.random.randint(3)]))
            else:
                s.append(np.random.randint(1, N_ITEMS + 1))
        sessions.append(s)
    return sessions


sessions = make_sessions()
print("sessions:", len(sessions), "avg len:", np.mean([len(s) for s in sessions]))

# inputs = s[:-1], targets = s[1:], both left-padded to MAX_LEN
X = keras.utils.pad_sequences([s[:-1] for s in sessions], maxlen=MAX_LEN, padding="pre", truncating="pre")
Y = keras.utils.pad_sequences([s[1:] for s in sessions], maxlen=MAX_LEN, padding="pre", truncating="pre")
print(X.shape, Y.shape)

n_train = int(len(X) * 0.85)
X_train, Y_train = X[:n_train], Y[:n_train]
X_test, Y_test = X[n_train:], Y[n_train:]


def masked_sparse_ce(y_true, y_pred):
    # y_true: (B, T) ints; y_pred: (B, T, N_ITEMS+1) logits
    y_true = tf.cast(y_true, tf.int32)
    mask = tf.cast(tf.not_equal(y_true, 0), tf.float32)
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y_true, logits=y_pred)
    return tf.reduce_sum(ce * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)


model = keras.Sequential([
    layers.Input(shape=(MAX_LEN,), dtype="int32"),
    layers.Embedding(N_ITEMS + 1, EMB, mask_zero=True),
    layers.Dropout(0.25),
    layers.GRU(HIDDEN, return_sequences=True),
    layers.Dense(N_ITEMS + 1),   # logits over the whole catalog
], name="gru4rec")

model.compile(optimizer=keras.optimizers.Adam(2e-3), loss=masked_sparse_ce)
model.summary()

model.fit(X_train, Y_train, batch_size=BATCH_SIZE, epochs=2, validation_split=0.1, verbose=2)


def evaluate_last_position(model, X, Y, k=20):
    logits = model.predict(X, batch_size=256, verbose=0)  # (n, T, V)
    last_logits = logits[:, -1, :]
    last_logits[:, 0] = -np.inf                           # never recommend padding
    target = Y[:, -1]
    topk = np.argsort(-last_logits, axis=1)[:, :k]        # (n, k)
    hit = topk == target[:, None]
    recall = hit.any(axis=1).mean()
    ranks = np.where(hit.any(axis=1), hit.argmax(axis=1) + 1, 0)
    mrr = np.mean(np.where(ranks > 0, 1.0 / np.maximum(ranks, 1), 0.0))
    return recall, mrr, topk


recall, mrr, topk = evaluate_last_position(model, X_test, Y_test)
print(f"Recall@20={recall:.4f}  MRR@20={mrr:.4f}  topk shape={topk.shape}")

# --- stateful-ish inference: feed a session one click at a time through the GRU cell ---
emb_layer = model.layers[0]
gru_layer = model.layers[2]
out_layer = model.layers[3]
cell = gru_layer.cell

session = sessions[n_train]
state = [tf.zeros((1, HIDDEN))]
for item in session[:-1]:
    e = emb_layer(tf.constant([item]))          # (1, EMB)
    h, state = cell(e, state)
    state = state if isinstance(state, (list, tuple)) else [state]
scores = out_layer(h)                           # (1, V)
top5 = tf.math.top_k(scores[:, 1:], k=5).indices + 1
print("step-by-step hidden:", h.shape, "next-item top5:", top5.numpy()[0], "truth:", session[-1])
