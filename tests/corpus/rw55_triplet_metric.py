"""Metric learning with online batch-hard triplet mining + a contrastive siamese baseline.

Part 1: embedding net trained with batch-hard triplet loss (Hermans et al. 2017),
        plus a custom `update_state` metric that tracks the fraction of
        anchors whose hardest positive is closer than their hardest negative.
Part 2: siamese pair model with a margin-based contrastive loss.

Everything is synthetic (gaussian clusters rendered as 16x16 "images").
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras

layers = keras.layers

N_CLASSES = 8
PER_CLASS = 24
IMG = 16
EMB_DIM = 32
MARGIN = 0.3
BATCH_CLASSES = 4     # P in the P*K batch sampling scheme
BATCH_K = 8           # K images per identity
STEPS = 15

rng = np.random.default_rng(2024)


def make_data():
    centers = rng.normal(size=(N_CLASSES, IMG, IMG, 1)).astype("float32")
    x = np.concatenate([c + 0.5 * rng.normal(size=(PER_CLASS, IMG, IMG, 1)) for c in centers])
    y = np.repeat(np.arange(N_CLASSES), PER_CLASS)
    return x.astype("float32"), y.astype("int32")


def pk_batches(x, y, p=BATCH_CLASSES, k=BATCH_K):
    """Infinite generator of P*K batches (P identities, K samples each)."""
    by_class = {c: np.where(y == c)[0] for c in np.unique(y)}
    while True:
        classes = rng.choice(list(by_class), size=p, replace=False)
        idx = np.concatenate([rng.choice(by_class[c], size=k, replace=False) for c in classes])
        yield x[idx], y[idx]


# -----------------------------------------------------------------------------
# distances & losses
# -----------------------------------------------------------------------------
def pairwise_distances(embeddings, squared=False):
    dot = tf.matmul(embeddings, embeddings, transpose_b=True)
    sq_norm = tf.linalg.diag_part(dot)
    # ||a - b||^2 = ||a||^2 - 2<a, b> + ||b||^2
    d = tf.expand_dims(sq_norm, 0) - 2.0 * dot + tf.expand_dims(sq_norm, 1)
    d = tf.maximum(d, 0.0)
    if not squared:
        # gradient of sqrt at 0 is inf -> add eps where d == 0
        zero_mask = tf.cast(tf.equal(d, 0.0), tf.float32)
        d = tf.sqrt(d + zero_mask * 1e-16) * (1.0 - zero_mask)
    return d


def _masks(labels):
    labels = tf.reshape(labels, [-1])
    same = tf.equal(tf.expand_dims(labels, 0), tf.expand_dims(labels, 1))
    not_self = tf.logical_not(tf.cast(tf.eye(tf.shape(labels)[0]), tf.bool))
    pos_mask = tf.logical_and(same, not_self)
    neg_mask = tf.logical_not(same)
    return tf.cast(pos_mask, tf.float32), tf.cast(neg_mask, tf.float32)


def hardest_pairs(labels, embeddings):
    d = pairwise_distances(embeddings)
    pos_mask, neg_mask = _masks(labels)
    hardest_pos = tf.reduce_max(d * pos_mask, axis=1)
    # push positives out of the min by adding the row max
    max_d = tf.reduce_max(d, axis=1, keepdims=True)
    hardest_neg = tf.reduce_min(d + max_d * (1.0 - neg_mask), axis=1)
    return hardest_pos, hardest_neg


def batch_hard_triplet_loss(labels, embeddings, margin=MARGIN):
    hp, hn = hardest_pairs(labels, embeddings)
    return tf.reduce_mean(tf.nn.relu(hp - hn + margin))


class BatchHardTripletLoss(keras.losses.Loss):
    def __init__(self, margin=MARGIN, **kwargs):
        super().__init__(name="batch_hard_triplet", **kwargs)
        self.margin = margin

    def call(self, y_true, y_pred):
        return batch_hard_triplet_loss(y_true, y_pred, self.margin)


class HardTripletAccuracy(keras.metrics.Metric):
    """Fraction of anchors with d(a, hardest_pos) < d(a, hardest_neg)."""

    def __init__(self, name="hard_triplet_acc", **kwargs):
        super().__init__(name=name, **kwargs)
        self.correct = self.add_weight(name="correct", initializer="zeros")
        self.total = self.add_weight(name="total", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        hp, hn = hardest_pairs(y_true, y_pred)
        ok = tf.cast(hp < hn, tf.float32)
        if sample_weight is not None:
            sw = tf.cast(tf.reshape(sample_weight, [-1]), tf.float32)
            ok = ok * sw
            n = tf.reduce_sum(sw)
        else:
            n = tf.cast(tf.size(ok), tf.float32)
        self.correct.assign_add(tf.reduce_sum(ok))
        self.total.assign_add(n)

    def result(self):
        return tf.math.divide_no_nan(self.correct, self.total)

    def reset_state(self):
        self.correct.assign(0.0)
        self.total.assign(0.0)


def contrastive_loss(margin=1.0):
    """y_true = 1 for similar pairs, 0 for dissimilar (Hadsell et al. 2006)."""

    def loss(y_true, y_pred):
        y_true = tf.cast(y_true, y_pred.dtype)
        square_pred = tf.square(y_pred)
        margin_square = tf.square(tf.maximum(margin - y_pred, 0.0))
        return tf.reduce_mean(y_true * square_pred + (1.0 - y_true) * margin_square)

    return loss


# -----------------------------------------------------------------------------
# models
# -----------------------------------------------------------------------------
def embedding_net(name="embedder"):
    inp = keras.Input((IMG, IMG, 1))
    x = layers.Conv2D(16, 3, activation="relu", padding="same")(inp)
    x = layers.MaxPool2D()(x)
    x = layers.Conv2D(32, 3, activation="relu", padding="same")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(EMB_DIM)(x)
    out = layers.UnitNormalization(axis=-1, name="l2norm")(x)
    return keras.Model(inp, out, name=name)


def euclidean_distance(vects):
    a, b = vects
    sum_sq = tf.reduce_sum(tf.square(a - b), axis=1, keepdims=True)
    return tf.sqrt(tf.maximum(sum_sq, keras.backend.epsilon()))


def siamese_model(base):
    in_a = keras.Input((IMG, IMG, 1), name="left")
    in_b = keras.Input((IMG, IMG, 1), name="right")
    dist = layers.Lambda(euclidean_distance, output_shape=(1,), name="distance")([base(in_a), base(in_b)])
    dist = layers.BatchNormalization()(dist)
    out = layers.Dense(1, activation="sigmoid")(dist)
    return keras.Model([in_a, in_b], out, name="siamese")


def make_pairs(x, y, n_pairs=256):
    left, right, same = [], [], []
    for _ in range(n_pairs):
        i = rng.integers(len(x))
        if rng.random() < 0.5:
            j = rng.choice(np.where(y == y[i])[0])
            same.append(1.0)
        else:
            j = rng.choice(np.where(y != y[i])[0])
            same.append(0.0)
        left.append(x[i])
        right.append(x[j])
    return np.stack(left), np.stack(right), np.array(same, dtype="float32")


def main():
    x, y = make_data()
    print("data:", x.shape, "labels:", np.bincount(y))

    # ---- part 1: triplet with custom loop ----
    embedder = embedding_net()
    opt = keras.optimizers.Adam(1e-3)
    acc = HardTripletAccuracy()
    loss_fn = BatchHardTripletLoss()

    @tf.function(reduce_retracing=True)
    def step(xb, yb):
        with tf.GradientTape() as tape:
            emb = embedder(xb, training=True)
            loss = loss_fn(yb, emb)
        grads = tape.gradient(loss, embedder.trainable_variables)
        opt.apply_gradients(zip(grads, embedder.trainable_variables))
        acc.update_state(yb, emb)
        return loss

    batches = pk_batches(x, y)
    for i in range(STEPS):
        xb, yb = next(batches)
        loss = step(tf.constant(xb), tf.constant(yb))
        if (i + 1) % 5 == 0:
            print(f"step {i + 1:3d}  triplet_loss={float(loss):.4f}  {acc.name}={float(acc.result()):.3f}")
            acc.reset_state()

    # quick retrieval check: nearest neighbour (excluding self) label accuracy
    emb = embedder.predict(x, verbose=0)
    d = pairwise_distances(tf.constant(emb)).numpy()
    np.fill_diagonal(d, np.inf)
    nn_acc = float(np.mean(y[d.argmin(axis=1)] == y))
    print(f"1-NN retrieval accuracy: {nn_acc:.3f}")

    # ---- part 2: siamese pairs with contrastive loss, compile/fit ----
    base = embedding_net("siamese_base")
    siamese = siamese_model(base)
    siamese.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=contrastive_loss(margin=1.0),
        metrics=["accuracy"],
    )
    left, right, same = make_pairs(x, y)
    siamese.fit([left, right], same, batch_size=32, epochs=1, validation_split=0.2, verbose=2)
    print("pair scores:", siamese.predict([left[:4], right[:4]], verbose=0).ravel().round(3), "targets:", same[:4])


if __name__ == "__main__":
    main()
