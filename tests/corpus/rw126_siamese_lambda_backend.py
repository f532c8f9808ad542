"""Siamese pair-similarity net in the old 'K.' style: small backend helper
functions wrapped in Lambda layers, contrastive loss, save/load of the .keras
file (Lambda needs safe_mode=False)."""
import os

import numpy as np
import tensorflow as tf
import keras
from keras import layers
from keras import backend as K   # only epsilon()/floatx() survive in Keras 3

N_PROTOTYPES = 10
DIM = 24
PAIRS = 600
MARGIN = 1.0
MODEL_FILE = "/tmp/rw126_siamese.keras"

np.random.seed(3)
tf.random.set_seed(3)


# ---- backend-ish helpers (what used to be K.sum, K.sqrt, K.maximum ...) ----
def k_sum(x, axis=None, keepdims=False):
    return tf.reduce_sum(x, axis=axis, keepdims=keepdims)


def k_sqrt_safe(x):
    return tf.sqrt(tf.maximum(x, K.epsilon()))


def k_l2_normalize(x, axis=-1):
    return tf.math.l2_normalize(x, axis=axis)


def unit_norm(t):
    return k_l2_normalize(t, axis=-1)


def euclidean_distance(vects):
    a, b = vects
    return k_sqrt_safe(k_sum(tf.square(a - b), axis=1, keepdims=True))


def cosine_similarity(vects):
    a, b = vects
    return k_sum(k_l2_normalize(a) * k_l2_normalize(b), axis=1, keepdims=True)


def contrastive_loss(margin=MARGIN):
    def loss(y_true, y_pred):
        y_true = tf.cast(y_true, y_pred.dtype)
        pos = y_true * tf.square(y_pred)
        neg = (1.0 - y_true) * tf.square(tf.maximum(margin - y_pred, 0.0))
        return tf.reduce_mean(pos + neg)
    loss.__name__ = "contrastive_loss"
    return loss


def distance_accuracy(y_true, y_pred):
    pred_same = tf.cast(y_pred < 0.5 * MARGIN, K.floatx())
    return tf.reduce_mean(tf.cast(tf.equal(tf.cast(y_true, K.floatx()), pred_same), K.floatx()))


# ---- synthetic pairs -------------------------------------------------------
prototypes = np.random.randn(N_PROTOTYPES, DIM).astype("float32")


def noisy(cls, n):
    return prototypes[cls] + 0.6 * np.random.randn(n, DIM).astype("float32")


def make_pairs(n):
    left, right, same = [], [], []
    for i in range(n):
        c1 = np.random.randint(N_PROTOTYPES)
        is_same = i % 2 == 0
        c2 = c1 if is_same else (c1 + np.random.randint(1, N_PROTOTYPES)) % N_PROTOTYPES
        left.append(noisy(c1, 1)[0])
        right.append(noisy(c2, 1)[0])
        same.append(float(is_same))
    return np.stack(left), np.stack(right), np.array(same, dtype="float32")[:, None]


# ---- model -----------------------------------------------------------------
def encoder(dim, widths=(64, 32), emb=16):
    inp = keras.Input((dim,))
    x = inp
    for w in widths:
        x = layers.Dense(w, activation="relu")(x)
        x = layers.Dropout(0.1)(x)
    x = layers.Dense(emb)(x)
    x = layers.Lambda(unit_norm, output_shape=(emb,), name="unit_norm")(x)
    return keras.Model(inp, x, name="encoder")


def siamese(dim):
    enc = encoder(dim)
    a_in = keras.Input((dim,), name="left")
    b_in = keras.Input((dim,), name="right")
    ea, eb = enc(a_in), enc(b_in)
    dist = layers.Lambda(euclidean_distance, output_shape=(1,), name="distance")([ea, eb])
    return keras.Model([a_in, b_in], dist, name="siamese"), enc


xa, xb, y = make_pairs(PAIRS)
split = int(0.85 * PAIRS)
model, enc = siamese(DIM)
model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
              loss=contrastive_loss(), metrics=[distance_accuracy])
model.summary()
model.fit([xa[:split], xb[:split]], y[:split],
          validation_data=([xa[split:], xb[split:]], y[split:]),
          batch_size=32, epochs=2, verbose=2)

d = model.predict([xa[split:], xb[split:]], verbose=0).ravel()
yv = y[split:].ravel()
print(f"mean dist same={d[yv == 1].mean():.3f}  diff={d[yv == 0].mean():.3f}")

# cosine similarity of embeddings using the helper directly
emb_a, emb_b = enc(xa[split:split + 8]), enc(xb[split:split + 8])
cos = cosine_similarity([emb_a, emb_b]).numpy().ravel()
print("cos sims:", np.round(cos, 2), "labels:", yv[:8].astype(int))

# ---- round trip ------------------------------------------------------------
model.save(MODEL_FILE)
print("saved", MODEL_FILE, f"{os.path.getsize(MODEL_FILE) / 1024:.1f} KiB")
keras.config.enable_unsafe_deserialization()
reloaded = keras.models.load_model(
    MODEL_FILE,
    custom_objects={"contrastive_loss": contrastive_loss(),
                    "distance_accuracy": distance_accuracy,
                    "euclidean_distance": euclidean_distance,
                    "unit_norm": unit_norm},
    safe_mode=False,
)
d2 = reloaded.predict([xa[split:], xb[split:]], verbose=0).ravel()
print("reloaded max diff:", float(np.abs(d - d2).max()))
assert np.allclose(d, d2, atol=1e-5)
