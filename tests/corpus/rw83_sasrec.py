"""SASRec: self-attentive sequential recommendation (Kang & McAuley, 2018).

Item histories are left-padded with 0, fed through learned positional
embeddings + causal transformer blocks, and every position is trained to
score its next item against one sampled negative (BCE). Inference takes the
last hidden state and scores it against the full item embedding table.
Mostly keras.ops so it stays backend-agnostic.
"""
import numpy as np
import keras
from keras import layers, ops

CFG = {
    "num_items": 800,     # ids 1..num_items, 0 is padding
    "max_len": 30,
    "hidden": 48,
    "heads": 2,
    "blocks": 2,
    "dropout": 0.2,
    "num_users": 800,
    "batch_size": 128,
    "epochs": 2,
    "lr": 1e-3,
}


# --------------------------------------------------------------------------- data
def simulate_sequences(num_users, num_items, max_len, seed=3):
    """Markov-ish sessions: next item is usually 'near' the current one."""
    rng = np.random.default_rng(seed)
    seqs = []
    for _ in range(num_users):
        length = rng.integers(5, max_len + 2)
        cur = rng.integers(1, num_items + 1)
        s = [cur]
        for _ in range(length - 1):
            if rng.random() < 0.75:
                cur = (cur + rng.integers(1, 4) - 1) % num_items + 1
            else:
                cur = rng.integers(1, num_items + 1)
            s.append(int(cur))
        seqs.append(s)
    return seqs


def to_training_arrays(seqs, max_len, num_items, seed=4):
    """Input = seq[:-1], positive = seq[1:], negative = random item not in seq."""
    rng = np.random.default_rng(seed)
    n = len(seqs)
    inp = np.zeros((n, max_len), dtype="int32")
    pos = np.zeros((n, max_len), dtype="int32")
    neg = np.zeros((n, max_len), dtype="int32")
    for r, s in enumerate(seqs):
        train_part = s[:-1]   # last item is held out for eval
        x, y = train_part[:-1][-max_len:], train_part[1:][-max_len:]
        seen = set(s)
        inp[r, max_len - len(x):] = x
        pos[r, max_len - len(y):] = y
        for c in range(max_len - len(y), max_len):
            j = rng.integers(1, num_items + 1)
            while j in seen:
                j = rng.integers(1, num_items + 1)
            neg[r, c] = j
    return inp, pos, neg


# --------------------------------------------------------------------------- model
class PointWiseFeedForward(layers.Layer):
    def __init__(self, hidden, dropout, **kw):
        super().__init__(**kw)
        # original implementation uses Conv1D(kernel=1); same thing as Dense here
        self.conv1 = layers.Conv1D(hidden, 1, activation="relu")
        self.conv2 = layers.Conv1D(hidden, 1)
        self.drop = layers.Dropout(dropout)

    def call(self, x, training=None):
        h = self.drop(self.conv1(x), training=training)
        h = self.drop(self.conv2(h), training=training)
        return h + x


class SASRecBlock(layers.Layer):
    def __init__(self, hidden, heads, dropout, **kw):
        super().__init__(**kw)
        self.ln_att = layers.LayerNormalization(epsilon=1e-8)
        self.attn = layers.MultiHeadAttention(heads, key_dim=hidden // heads, dropout=dropout)
        self.ln_ffn = layers.LayerNormalization(epsilon=1e-8)
        self.ffn = PointWiseFeedForward(hidden, dropout)

    def call(self, x, attention_mask, timeline_mask, training=None):
        q = self.ln_att(x)
        a = self.attn(q, x, attention_mask=attention_mask, training=training)
        x = q + a
        x = self.ffn(self.ln_ffn(x), training=training)
        return x * timeline_mask


class SASRec(keras.Model):
    def __init__(self, num_items, max_len, hidden, heads, blocks, dropout, **kw):
        super().__init__(**kw)
        self.num_items = num_items
        self.max_len = max_len
        self.item_emb = layers.Embedding(num_items + 1, hidden, name="item_emb")
        self.pos_emb = layers.Embedding(max_len, hidden, name="pos_emb")
        self.emb_drop = layers.Dropout(dropout)
        self.blocks = [SASRecBlock(hidden, heads, dropout, name=f"block_{i}") for i in range(blocks)]
        self.final_ln = layers.LayerNormalization(epsilon=1e-8)
        self.scale = float(hidden) ** 0.5

    def encode(self, seq, training=None):
        # seq: (B, L) int, 0 = pad
        timeline_mask = ops.expand_dims(ops.cast(ops.not_equal(seq, 0), "float32"), -1)  # (B,L,1)
        positions = ops.arange(self.max_len)[None, :]
        x = self.item_emb(seq) * self.scale + self.pos_emb(positions)
        x = self.emb_drop(x, training=training) * timeline_mask

        L = ops.shape(seq)[1]
        causal = ops.tril(ops.ones((L, L), dtype="bool"))              # (L, L)
        key_valid = ops.not_equal(seq, 0)[:, None, :]                  # (B, 1, L)
        attn_mask = ops.logical_and(causal[None, :, :], key_valid)     # (B, L, L)
        # a fully padded query row would get an all-False mask; let it attend to itself
        attn_mask = ops.logical_or(attn_mask, ops.eye(L, dtype="bool")[None])

        for blk in self.blocks:
            x = blk(x, attention_mask=attn_mask, timeline_mask=timeline_mask, training=training)
        return self.final_ln(x)                                        # (B, L, H)

    def call(self, inputs, training=None):
        seq, pos, neg = inputs["seq"], inputs["pos"], inputs["neg"]
        h = self.encode(seq, training=training)
        pos_logits = ops.sum(h * self.item_emb(pos), axis=-1)         # (B, L)
        neg_logits = ops.sum(h * self.item_emb(neg), axis=-1)
        return ops.stack([pos_logits, neg_logits], axis=-1)          # (B, L, 2)

    def score_all(self, seq):
        """Next-item scores over the full catalogue, from the last position."""
        h = self.encode(seq, training=False)[:, -1, :]                # (B, H)
        table = self.item_emb.embeddings[1:]                           # drop pad row
        return ops.matmul(h, ops.transpose(table))                     # (B, num_items)


def sasrec_bce(y_true, y_pred):
    """y_true carries the padding mask (1 where a real target exists)."""
    mask = ops.cast(y_true, "float32")
    pos_l, neg_l = y_pred[..., 0], y_pred[..., 1]
    loss = -(ops.log_sigmoid(pos_l) + ops.log_sigmoid(-neg_l)) * mask
    return ops.sum(loss) / ops.maximum(ops.sum(mask), 1.0)


def evaluate(model, seqs, max_len, ks=(10, 20)):
    # feed the full training prefix, predict the held-out last item
    hist = np.zeros((len(seqs), max_len), dtype="int32")
    target = np.zeros(len(seqs), dtype="int32")
    for r, s in enumerate(seqs):
        prefix = s[:-1][-max_len:]
        hist[r, max_len - len(prefix):] = prefix
        target[r] = s[-1]
    scores = model.score_all(hist)                                     # (B, N)
    true_score = ops.take_along_axis(scores, (target - 1)[:, None], axis=1)
    rank = ops.convert_to_numpy(ops.sum(ops.cast(scores > true_score, "int32"), axis=1))
    out = {}
    for k in ks:
        out[f"HR@{k}"] = float(np.mean(rank < k))
        out[f"NDCG@{k}"] = float(np.mean(np.where(rank < k, 1 / np.log2(rank + 2), 0)))
    return out


if __name__ == "__main__":
    keras.utils.set_random_seed(11)
    seqs = simulate_sequences(CFG["num_users"], CFG["num_items"], CFG["max_len"])
    seq, pos, neg = to_training_arrays(seqs, CFG["max_len"], CFG["num_items"])
    mask = (pos > 0).astype("float32")
    print("train arrays:", seq.shape, pos.shape, neg.shape, "non-pad targets:", int(mask.sum()))

    model = SASRec(CFG["num_items"], CFG["max_len"], CFG["hidden"], CFG["heads"],
                   CFG["blocks"], CFG["dropout"])
    model.compile(optimizer=keras.optimizers.Adam(CFG["lr"], beta_2=0.98), loss=sasrec_bce)

    x = {"seq": seq, "pos": pos, "neg": neg}
    out = model(  # build
        {k: v[:2] for k, v in x.items()})
    print("logits shape:", out.shape)
    model.summary()

    print("before:", evaluate(model, seqs, CFG["max_len"]))
    model.fit(x, mask, batch_size=CFG["batch_size"], epochs=CFG["epochs"], verbose=2)
    print("after: ", evaluate(model, seqs, CFG["max_len"]))
