"""
SASRec (Self-Attentive Sequential Recommendation, Kang & McAuley 2018) in Keras 3.

- item histories are right-aligned (left-padded with 0)
- learned positional embeddings
- causal self-attention blocks (MHA + point-wise FFN, pre-LN)
- training: binary CE on (positive next item, one sampled negative) per position
- eval: full ranking over the catalog for the last position, HR@10 / NDCG@10
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

CFG = dict(
    num_items=900,
    maxlen=20,
    hidden=32,
    heads=2,
    blocks=2,
    dropout=0.2,
    batch_size=128,
    lr=1e-3,
    steps_per_epoch=15,
)

rng = np.random.default_rng(42)
num_users = 800

# ----- synthetic user histories -----
user_seqs = []
for u in range(num_users):
    n = rng.integers(5, 40)
    start = rng.integers(1, CFG["num_items"] + 1)
    # items drift slowly so consecutive ids are correlated
    seq = (start + np.cumsum(rng.integers(-3, 6, size=n))) % CFG["num_items"] + 1
    user_seqs.append(seq.astype("int32"))


def sample_batch(batch_size, maxlen):
    users = rng.integers(0, num_users, size=batch_size)
    seq = np.zeros((batch_size, maxlen), dtype="int32")
    pos = np.zeros((batch_size, maxlen), dtype="int32")
    neg = np.zeros((batch_size, maxlen), dtype="int32")
    for b, u in enumerate(users):
        s = user_seqs[u][:-1]          # keep last item for test
        hist, nxt = s[:-1][-maxlen:], s[1:][-maxlen:]
        L = len(hist)
        seq[b, maxlen - L:] = hist
        pos[b, maxlen - L:] = nxt
        seen = set(s.tolist())
        for t in range(maxlen - L, maxlen):
            j = rng.integers(1, CFG["num_items"] + 1)
            while j in seen:
                j = rng.integers(1, CFG["num_items"] + 1)
            neg[b, t] = j
    return seq, pos, neg


class SASBlock(layers.Layer):
    def __init__(self, hidden, heads, dropout, **kwargs):
        super().__init__(**kwargs)
        self.ln1 = layers.LayerNormalization(epsilon=1e-8)
        self.mha = layers.MultiHeadAttention(num_heads=heads, key_dim=hidden // heads, dropout=dropout)
        self.ln2 = layers.LayerNormalization(epsilon=1e-8)
        self.ffn1 = layers.Conv1D(hidden, kernel_size=1, activation="relu")
        self.ffn2 = layers.Conv1D(hidden, kernel_size=1)
        self.drop = layers.Dropout(dropout)

    def call(self, x, pad_mask, training=False):
        q = self.ln1(x)
        attn = self.mha(q, x, x, use_causal_mask=True, training=training)
        x = q + attn
        h = self.ln2(x)
        h = self.ffn2(self.drop(self.ffn1(h), training=training))
        x = h + x
        return x * pad_mask


class SASRec(keras.Model):
    def __init__(self, num_items, maxlen, hidden, heads, blocks, dropout, **kwargs):
        super().__init__(**kwargs)
        self.item_emb = layers.Embedding(num_items + 1, hidden, name="item_emb")
        self.pos_emb = layers.Embedding(maxlen, hidden, name="pos_emb")
        self.emb_drop = layers.Dropout(dropout)
        self.blocks = [SASBlock(hidden, heads, dropout, name=f"block_{i}") for i in range(blocks)]
        self.final_ln = layers.LayerNormalization(epsilon=1e-8)
        self.hidden = hidden

    def encode(self, seq, training=False):
        pad_mask = ops.expand_dims(ops.cast(ops.not_equal(seq, 0), "float32"), -1)  # (B, T, 1)
        x = self.item_emb(seq) * (self.hidden ** 0.5)
        positions = ops.arange(ops.shape(seq)[1])
        x = x + self.pos_emb(positions)[None, :, :]
        x = self.emb_drop(x, training=training) * pad_mask
        for blk in self.blocks:
            x = blk(x, pad_mask, training=training)
        return self.final_ln(x)                    # (B, T, H)

    def call(self, inputs, training=False):
        seq, pos, neg = inputs
        feats = self.encode(seq, training=training)
        pos_logits = ops.sum(feats * self.item_emb(pos), axis=-1)   # (B, T)
        neg_logits = ops.sum(feats * self.item_emb(neg), axis=-1)
        return pos_logits, neg_logits

    def score_all(self, seq):
        feats = self.encode(seq)[:, -1, :]                          # (B, H)
        return ops.matmul(feats, ops.transpose(self.item_emb.embeddings))  # (B, V+1)


model = SASRec(CFG["num_items"], CFG["maxlen"], CFG["hidden"], CFG["heads"], CFG["blocks"], CFG["dropout"])
opt = keras.optimizers.Adam(CFG["lr"], beta_2=0.98)
bce = keras.losses.BinaryCrossentropy(from_logits=True, reduction="none")


@tf.function
def train_step(seq, pos, neg):
    with tf.GradientTape() as tape:
        pos_logits, neg_logits = model((seq, pos, neg), training=True)
        is_target = tf.cast(pos > 0, tf.float32)
        loss = bce(tf.ones_like(pos_logits)[..., None], pos_logits[..., None]) + \
               bce(tf.zeros_like(neg_logits)[..., None], neg_logits[..., None])
        loss = tf.reduce_sum(loss * is_target) / tf.reduce_sum(is_target)
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
    return loss


for epoch in range(1, 3):
    tot = 0.0
    for _ in range(CFG["steps_per_epoch"]):
        s, p, n = sample_batch(CFG["batch_size"], CFG["maxlen"])
        tot += float(train_step(s, p, n))
    print(f"epoch {epoch} loss {tot / CFG['steps_per_epoch']:.4f}")

# ----- full-catalog evaluation on held-out last item -----
test_seq = np.zeros((num_users, CFG["maxlen"]), dtype="int32")
targets = np.zeros(num_users, dtype="int64")
for u, s in enumerate(user_seqs):
    h = s[:-1][-CFG["maxlen"]:]
    test_seq[u, CFG["maxlen"] - len(h):] = h
    targets[u] = s[-1]

scores = model.score_all(test_seq).numpy()
scores[:, 0] = -1e9
for u in range(num_users):                # filter already-seen items
    scores[u, user_seqs[u][:-1]] = -1e9
print("score matrix:", scores.shape)

target_scores = scores[np.arange(num_users), targets][:, None]
rank = (scores > target_scores).sum(axis=1)
hr10 = (rank < 10).mean()
ndcg10 = np.where(rank < 10, 1.0 / np.log2(rank + 2), 0.0).mean()
print(f"HR@10 {hr10:.4f}  NDCG@10 {ndcg10:.4f}")
