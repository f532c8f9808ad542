"""
Triplet loss with batch-hard mining (Hermans et al. 2017) on toy 28x28 "digits".
Embedding net is a small convnet; loss + mining are written by hand with
tf.gather / pairwise distance tricks instead of tfa.losses.TripletHardLoss.
"""
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, Model

cfg = dict(
    img_size=28,
    n_classes=10,
    samples_per_class=4,   # P x K sampling -> batch = 40
    emb_dim=64,
    margin=0.5,
    lr=1e-3,
    steps=12,
)

rng = np.random.default_rng(42)
# synthetic data: each class has its own mean template + noise
templates = rng.normal(size=(cfg["n_classes"], cfg["img_size"], cfg["img_size"], 1)).astype("float32")
X = np.concatenate([templates[c] + 0.6 * rng.normal(size=(60, 28, 28, 1)).astype("float32")
                    for c in range(cfg["n_classes"])])
y = np.repeat(np.arange(cfg["n_classes"]), 60).astype("int32")
print("data:", X.shape, y.shape)


def pk_batch_generator(X, y, P, K):
    idx_by_class = {c: np.where(y == c)[0] for c in np.unique(y)}
    while True:
        classes = rng.choice(list(idx_by_class.keys()), size=P, replace=False)
        idx = np.concatenate([rng.choice(idx_by_class[c], size=K, replace=False) for c in classes])
        yield X[idx], y[idx]


def build_embedding_net(input_shape, emb_dim):
    inp = layers.Input(shape=input_shape, name="img")
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(inp)
    x = layers.MaxPool2D()(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = layers.MaxPool2D()(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dense(emb_dim, activation=None)(x)
    # L2 normalize embeddings
    x = layers.Lambda(lambda t: tf.math.l2_normalize(t, axis=1), name="l2norm")(x)
    return Model(inp, x, name="embedding_net")


def pairwise_distances(embeddings, squared=False):
    dot = tf.matmul(embeddings, embeddings, transpose_b=True)
    sq_norm = tf.linalg.diag_part(dot)
    dist = tf.expand_dims(sq_norm, 0) - 2.0 * dot + tf.expand_dims(sq_norm, 1)
    dist = tf.maximum(dist, 0.0)
    if not squared:
        mask = tf.cast(tf.equal(dist, 0.0), tf.float32)
        dist = dist + mask * 1e-16
        dist = tf.sqrt(dist)
        dist = dist * (1.0 - mask)
    return dist


def batch_hard_triplet_loss(labels, embeddings, margin):
    d = pairwise_distances(embeddings)
    labels = tf.reshape(labels, [-1, 1])
    same = tf.equal(labels, tf.transpose(labels))
    eye = tf.cast(tf.eye(tf.shape(labels)[0]), tf.bool)
    pos_mask = tf.cast(tf.logical_and(same, tf.logical_not(eye)), tf.float32)
    neg_mask = tf.cast(tf.logical_not(same), tf.float32)

    hardest_pos = tf.reduce_max(d * pos_mask, axis=1, keepdims=True)
    max_d = tf.reduce_max(d, axis=1, keepdims=True)
    hardest_neg = tf.reduce_min(d + max_d * (1.0 - neg_mask), axis=1, keepdims=True)
    loss = tf.maximum(hardest_pos - hardest_neg + margin, 0.0)
    return tf.reduce_mean(loss), hardest_pos, hardest_neg


emb_net = build_embedding_net((cfg["img_size"], cfg["img_size"], 1), cfg["emb_dim"])
emb_net.summary()
opt = tf.keras.optimizers.Adam(cfg["lr"])


@tf.function
def train_step(xb, yb):
    with tf.GradientTape() as tape:
        emb = emb_net(xb, training=True)
        loss, hp, hn = batch_hard_triplet_loss(yb, emb, cfg["margin"])
    grads = tape.gradient(loss, emb_net.trainable_variables)
    opt.apply_gradients(zip(grads, emb_net.trainable_variables))
    frac_active = tf.reduce_mean(tf.cast(hp - hn + cfg["margin"] > 0, tf.float32))
    return loss, frac_active


gen = pk_batch_generator(X, y, P=cfg["n_classes"], K=cfg["samples_per_class"])
ds = tf.data.Dataset.from_generator(
    lambda: gen,
    output_signature=(tf.TensorSpec((None, 28, 28, 1), tf.float32), tf.TensorSpec((None,), tf.int32)),
).prefetch(2)

for step, (xb, yb) in enumerate(ds.take(cfg["steps"])):
    loss, frac = train_step(xb, yb)
    if step % 4 == 0:
        print(f"step {step:3d}  loss={loss.numpy():.4f}  active_triplets={frac.numpy():.2f}")

# ---- build a siamese verification head on top of the frozen embedder ----
emb_net.trainable = False
img_a = layers.Input((28, 28, 1))
img_b = layers.Input((28, 28, 1))
ea, eb = emb_net(img_a), emb_net(img_b)
l1 = layers.Lambda(lambda t: tf.abs(t[0] - t[1]))([ea, eb])
prod = layers.Multiply()([ea, eb])
h = layers.Concatenate()([l1, prod])
h = layers.Dense(32, activation="relu")(h)
same_prob = layers.Dense(1, activation="sigmoid")(h)
siamese = Model([img_a, img_b], same_prob, name="siamese_verifier")
siamese.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])

n_pairs = 256
ia = rng.integers(0, len(X), n_pairs)
ib = np.where(rng.random(n_pairs) < 0.5,
              np.array([rng.choice(np.where(y == y[i])[0]) for i in ia]),
              rng.integers(0, len(X), n_pairs))
pair_lbl = (y[ia] == y[ib]).astype("float32")
siamese.fit([X[ia], X[ib]], pair_lbl, batch_size=32, epochs=1, verbose=2)

# retrieval check: nearest neighbour in embedding space
gallery = emb_net.predict(X[::6], verbose=0)
queries = emb_net.predict(X[3::60], verbose=0)
sims = tf.einsum("qd,gd->qg", queries, gallery)
nn = tf.argmax(sims, axis=1)
pred_lbl = tf.gather(y[::6], nn)
print("gallery", gallery.shape, "queries", queries.shape, "sims", sims.shape)
print("top-1 retrieval acc:", np.mean(pred_lbl.numpy() == y[3::60]))
