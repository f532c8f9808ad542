# Weight sharing two ways:
#  (a) a Siamese pair: one encoder instance called on both inputs, trained with a
#      contrastive loss in a GradientTape loop
#  (b) tied embeddings: a token Embedding reused (transposed) as the output
#      projection of a tiny "next token" model, and a second model that reuses
#      the same encoder object so updates to one show up in the other.
import numpy as np
import tensorflow as tf
from tensorflow import keras
from keras import layers, ops

SEQ_LEN = 12
VOCAB = 50
EMB_DIM = 16
N_PAIRS = 320
BATCH = 32
MARGIN = 1.0

keras.utils.set_random_seed(11)
rng = np.random.default_rng(11)


# ---------------------------------------------------------------- data ----
def random_seqs(n):
    return rng.integers(1, VOCAB, size=(n, SEQ_LEN)).astype("int32")


def perturb(seqs, n_swaps=2):
    out = seqs.copy()
    for row in out:
        pos = rng.choice(SEQ_LEN, size=n_swaps, replace=False)
        row[pos] = rng.integers(1, VOCAB, size=n_swaps)
    return out


anchors = random_seqs(N_PAIRS)
half = N_PAIRS // 2
others = np.concatenate([perturb(anchors[:half]), random_seqs(N_PAIRS - half)])
same = np.concatenate([np.ones(half), np.zeros(N_PAIRS - half)]).astype("float32")
perm = rng.permutation(N_PAIRS)
anchors, others, same = anchors[perm], others[perm], same[perm]


# -------------------------------------------------------------- layers ----
class TiedOutput(layers.Layer):
    """Projects hidden states back to vocab logits using an Embedding's matrix."""

    def __init__(self, embedding_layer, **kwargs):
        super().__init__(**kwargs)
        self.embedding_layer = embedding_layer

    def build(self, input_shape):
        self.bias = self.add_weight(shape=(VOCAB,), initializer="zeros", name="out_bias")

    def call(self, h):
        return ops.matmul(h, ops.transpose(self.embedding_layer.embeddings)) + self.bias


class SeqEncoder(keras.Model):
    def __init__(self, embedding, **kwargs):
        super().__init__(**kwargs)
        self.embedding = embedding
        self.conv = layers.Conv1D(32, 3, padding="same", activation="relu")
        self.pool = layers.GlobalMaxPooling1D()
        self.proj = layers.Dense(EMB_DIM)

    def call(self, tokens):
        h = self.embedding(tokens)
        h = self.conv(h)
        return self.proj(self.pool(h))


shared_embedding = layers.Embedding(VOCAB, EMB_DIM, name="shared_tokens")
encoder = SeqEncoder(shared_embedding, name="encoder")

# siamese model: the SAME encoder object on both branches
in_a = keras.Input((SEQ_LEN,), dtype="int32", name="seq_a")
in_b = keras.Input((SEQ_LEN,), dtype="int32", name="seq_b")
emb_a, emb_b = encoder(in_a), encoder(in_b)
distance = layers.Lambda(
    lambda t: ops.sqrt(ops.sum(ops.square(t[0] - t[1]), axis=-1) + 1e-9), name="euclid"
)([emb_a, emb_b])
siamese = keras.Model([in_a, in_b], distance, name="siamese")

# tied LM head: embedding matrix used both for input lookup and output logits
lm_in = keras.Input((SEQ_LEN,), dtype="int32")
hidden = layers.Dense(EMB_DIM, activation="tanh")(shared_embedding(lm_in))
lm_logits = TiedOutput(shared_embedding, name="tied_out")(hidden)
lm = keras.Model(lm_in, lm_logits, name="tied_lm")

n_enc = len(encoder.trainable_weights)
print(f"encoder vars: {n_enc}, siamese vars: {len(siamese.trainable_weights)} (same -> shared)")
print(f"lm vars: {[w.path for w in lm.trainable_weights]}")
assert len(siamese.trainable_weights) == n_enc


# ------------------------------------------------------ training loops ----
def contrastive_loss(y_same, d, margin=MARGIN):
    pos = y_same * tf.square(d)
    neg = (1.0 - y_same) * tf.square(tf.maximum(margin - d, 0.0))
    return tf.reduce_mean(pos + neg)


siam_opt = keras.optimizers.Adam(1e-3)
lm_opt = keras.optimizers.Adam(1e-3)
lm_loss_obj = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


@tf.function
def siamese_step(a, b, y):
    with tf.GradientTape() as tape:
        d = siamese([a, b], training=True)
        loss = contrastive_loss(y, d)
    grads = tape.gradient(loss, siamese.trainable_variables)
    siam_opt.apply_gradients(zip(grads, siamese.trainable_variables))
    return loss, d


@tf.function
def lm_step(tokens):
    # predict token t+1 from token t, shifting via tf.roll and masking the last position
    targets = tf.roll(tokens, shift=-1, axis=1)
    mask = tf.concat([tf.ones((tf.shape(tokens)[0], SEQ_LEN - 1)), tf.zeros((tf.shape(tokens)[0], 1))], axis=1)
    with tf.GradientTape() as tape:
        logits = lm(tokens, training=True)
        loss = lm_loss_obj(targets, logits, sample_weight=mask)
    grads = tape.gradient(loss, lm.trainable_variables)
    lm_opt.apply_gradients(zip(grads, lm.trainable_variables))
    return loss


pair_ds = tf.data.Dataset.from_tensor_slices((anchors, others, same)).shuffle(N_PAIRS).batch(BATCH)
lm_ds = tf.data.Dataset.from_tensor_slices(anchors).batch(BATCH)

emb_snapshot = shared_embedding.embeddings.numpy().copy()
for epoch in range(2):
    s_losses, d_pos, d_neg = [], [], []
    for a, b, y in pair_ds:
        loss, d = siamese_step(a, b, y)
        s_losses.append(float(loss))
        d, y = d.numpy(), y.numpy()
        d_pos.extend(d[y == 1])
        d_neg.extend(d[y == 0])
    l_losses = [float(lm_step(t)) for t in lm_ds]
    print(
        f"epoch {epoch}: contrastive={np.mean(s_losses):.4f} "
        f"dist(same)={np.mean(d_pos):.3f} dist(diff)={np.mean(d_neg):.3f} "
        f"lm_ce={np.mean(l_losses):.4f}"
    )

# both models wrote into the same embedding matrix
drift = np.abs(shared_embedding.embeddings.numpy() - emb_snapshot).mean()
print(f"mean |delta| of shared embedding after both loops: {drift:.5f}")
assert lm.get_layer("tied_out").embedding_layer is encoder.embedding

# a second encoder built from fresh layers has *separate* weights - contrast with sharing
clone_encoder = SeqEncoder(layers.Embedding(VOCAB, EMB_DIM), name="encoder_copy")
ca, cb = keras.Input((SEQ_LEN,), dtype="int32"), keras.Input((SEQ_LEN,), dtype="int32")
clone = keras.Model([ca, cb], siamese.get_layer("euclid")([clone_encoder(ca), clone_encoder(cb)]))
clone.set_weights(siamese.get_weights())
siamese_step(anchors[:BATCH], others[:BATCH], same[:BATCH])
diff = max(np.abs(w1 - w2).max() for w1, w2 in zip(clone.get_weights(), siamese.get_weights()))
print(f"after one more step, clone vs original max weight diff: {diff:.6f} (clone is independent)")
