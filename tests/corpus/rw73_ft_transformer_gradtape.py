"""
FT-Transformer for a multiclass tabular comp, trained with a hand-written GradientTape loop.

- numerical features -> per-feature linear tokenizer (w_j * x_j + b_j)
- categorical features -> embedding tokens
- [CLS] token + a couple of pre-norm transformer blocks
- mixup on the *token* level, EMA weights for eval, fold loop + test averaging
Synthetic data; real one had ~200 cols.
"""
import time
import numpy as np
import tensorflow as tf
from tensorflow import keras

CONFIG = {
    "seed": 13,
    "n_rows": 900,
    "n_test": 300,
    "n_num": 10,
    "cat_cards": [5, 9, 3],
    "n_classes": 4,
    "d_token": 32,
    "n_heads": 4,
    "n_blocks": 2,
    "ffn_mult": 2,
    "attn_dropout": 0.1,
    "ffn_dropout": 0.1,
    "lr": 1e-3,
    "wd": 1e-5,
    "batch_size": 64,
    "epochs": 2,
    "folds": 2,
    "mixup_alpha": 0.2,
    "ema_decay": 0.9,   # 0.999 for the full run
}

tf.random.set_seed(CONFIG["seed"])
np.random.seed(CONFIG["seed"])

# -------------------------------------------------------------------------
# data
# -------------------------------------------------------------------------
def synth(n, cfg, seed):
    r = np.random.RandomState(seed)
    num = r.randn(n, cfg["n_num"]).astype(np.float32)
    cat = np.stack([r.randint(0, c, n) for c in cfg["cat_cards"]], 1).astype(np.int32)
    score = num[:, 0] + 0.5 * num[:, 1] * num[:, 2] + 0.7 * (cat[:, 0] == 2) - 0.4 * cat[:, 2]
    y = np.digitize(score, np.quantile(score, [0.25, 0.5, 0.75])).astype(np.int32)
    return num, cat, y


Xn, Xc, y = synth(CONFIG["n_rows"], CONFIG, 1)
Tn, Tc, _ = synth(CONFIG["n_test"], CONFIG, 2)

# quantile-ish clipping + standardization (numpy only)
lo, hi = np.percentile(Xn, 1, axis=0), np.percentile(Xn, 99, axis=0)
Xn = np.clip(Xn, lo, hi)
Tn = np.clip(Tn, lo, hi)
m, s = Xn.mean(0), Xn.std(0) + 1e-7
Xn, Tn = (Xn - m) / s, (Tn - m) / s
print("num", Xn.shape, "cat", Xc.shape, "classes", np.bincount(y))


# -------------------------------------------------------------------------
# layers
# -------------------------------------------------------------------------
class NumericalTokenizer(keras.layers.Layer):
    def __init__(self, d_token, **kw):
        super().__init__(**kw)
        self.d_token = d_token

    def build(self, input_shape):
        n = input_shape[-1]
        self.w = self.add_weight(shape=(n, self.d_token), initializer="glorot_uniform", name="w")
        self.b = self.add_weight(shape=(n, self.d_token), initializer="zeros", name="b")

    def call(self, x):
        # (B, n) -> (B, n, d)
        return x[:, :, None] * self.w[None] + self.b[None]


class CategoricalTokenizer(keras.layers.Layer):
    def __init__(self, cards, d_token, **kw):
        super().__init__(**kw)
        self.cards = list(cards)
        self.d_token = d_token
        # one big table with offsets, the way the rtdl reference impl does it
        self.offsets = tf.constant(np.cumsum([0] + self.cards[:-1]), dtype=tf.int32)
        self.emb = keras.layers.Embedding(sum(self.cards), d_token)

    def call(self, x):
        return self.emb(x + self.offsets[None, :])   # (B, n_cat, d)


class CLSToken(keras.layers.Layer):
    def build(self, input_shape):
        self.cls = self.add_weight(shape=(1, 1, input_shape[-1]), initializer="random_normal", name="cls")

    def call(self, tokens):
        b = tf.shape(tokens)[0]
        cls = tf.tile(self.cls, [b, 1, 1])
        return tf.concat([cls, tokens], axis=1)


class TransformerBlock(keras.layers.Layer):
    def __init__(self, d, heads, ffn_mult, attn_drop, ffn_drop, **kw):
        super().__init__(**kw)
        self.ln1 = keras.layers.LayerNormalization(epsilon=1e-6)
        self.ln2 = keras.layers.LayerNormalization(epsilon=1e-6)
        self.attn = keras.layers.MultiHeadAttention(heads, d // heads, dropout=attn_drop)
        # ReGLU feed-forward: project to 2*h, split, relu-gate
        self.ff_in = keras.layers.Dense(2 * d * ffn_mult)
        self.ff_out = keras.layers.Dense(d)
        self.drop = keras.layers.Dropout(ffn_drop)

    def call(self, x, training=False):
        h = self.ln1(x)
        x = x + self.attn(h, h, training=training)
        h = self.ln2(x)
        a, g = tf.split(self.ff_in(h), 2, axis=-1)
        h = a * tf.nn.relu(g)
        x = x + self.drop(self.ff_out(h), training=training)
        return x


class FTTransformer(keras.Model):
    def __init__(self, cfg, **kw):
        super().__init__(**kw)
        d = cfg["d_token"]
        self.num_tok = NumericalTokenizer(d)
        self.cat_tok = CategoricalTokenizer(cfg["cat_cards"], d)
        self.cls = CLSToken()
        self.blocks = [TransformerBlock(d, cfg["n_heads"], cfg["ffn_mult"], cfg["attn_dropout"],
                                        cfg["ffn_dropout"], name=f"block_{i}")
                       for i in range(cfg["n_blocks"])]
        self.head_ln = keras.layers.LayerNormalization()
        self.head = keras.layers.Dense(cfg["n_classes"])

    def tokenize(self, num, cat):
        return tf.concat([self.num_tok(num), self.cat_tok(cat)], axis=1)   # (B, n_num+n_cat, d)

    def encode(self, tokens, training=False):
        x = self.cls(tokens)
        for blk in self.blocks:
            x = blk(x, training=training)
        return self.head_ln(x[:, 0])                                        # CLS output

    def call(self, inputs, training=False):
        num, cat = inputs
        return self.head(self.encode(self.tokenize(num, cat), training=training))


# -------------------------------------------------------------------------
# training helpers
# -------------------------------------------------------------------------
def sample_beta(alpha, n):
    g1 = tf.random.gamma([n], alpha)
    g2 = tf.random.gamma([n], alpha)
    return g1 / (g1 + g2)


class EMA:
    """Shadow copy of trainable weights (like timm's ModelEmaV2)."""

    def __init__(self, model, decay):
        self.decay = decay
        self.shadow = [tf.Variable(v, trainable=False) for v in model.trainable_variables]

    def update(self, model):
        for s, v in zip(self.shadow, model.trainable_variables):
            s.assign(self.decay * s + (1.0 - self.decay) * v)

    def swap(self, model):
        for s, v in zip(self.shadow, model.trainable_variables):
            tmp = tf.identity(v)
            v.assign(s)
            s.assign(tmp)


def make_ds(num, cat, labels=None, shuffle=False, bs=CONFIG["batch_size"]):
    items = (num, cat) if labels is None else (num, cat, labels)
    ds = tf.data.Dataset.from_tensor_slices(items)
    if shuffle:
        ds = ds.shuffle(len(num), seed=CONFIG["seed"])
    # drop the ragged last batch when training -> one trace of train_step instead of two
    return ds.batch(bs, drop_remainder=shuffle).prefetch(tf.data.AUTOTUNE)


def run_fold(fold, tr_idx, va_idx, cfg):
    model = FTTransformer(cfg, name=f"ftt_f{fold}")
    model((tf.zeros((2, cfg["n_num"])), tf.zeros((2, len(cfg["cat_cards"])), tf.int32)))  # build
    if fold == 0:
        model.summary()

    steps = int(np.ceil(len(tr_idx) / cfg["batch_size"])) * cfg["epochs"]
    sched = keras.optimizers.schedules.CosineDecay(cfg["lr"], decay_steps=steps, warmup_target=None)
    opt = keras.optimizers.AdamW(learning_rate=sched, weight_decay=cfg["wd"], clipnorm=1.0)
    ce = keras.losses.CategoricalCrossentropy(from_logits=True)
    ema = EMA(model, cfg["ema_decay"])
    n_cls = cfg["n_classes"]

    @tf.function
    def train_step(num, cat, yb):
        y1 = tf.one_hot(yb, n_cls)
        with tf.GradientTape() as tape:
            tokens = model.tokenize(num, cat)
            # token-level mixup
            bsz = tf.shape(tokens)[0]
            lam = sample_beta(cfg["mixup_alpha"], bsz)
            lam = tf.maximum(lam, 1.0 - lam)
            perm = tf.random.shuffle(tf.range(bsz))
            tokens = lam[:, None, None] * tokens + (1.0 - lam[:, None, None]) * tf.gather(tokens, perm)
            ymix = lam[:, None] * y1 + (1.0 - lam[:, None]) * tf.gather(y1, perm)
            logits = model.head(model.encode(tokens, training=True))
            loss = ce(ymix, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        ema.update(model)  # traced into the graph, much faster than doing it eagerly
        return loss

    @tf.function
    def predict_step(num, cat):
        return tf.nn.softmax(model((num, cat), training=False), axis=-1)

    def predict(num, cat):
        return np.concatenate([predict_step(a, b).numpy() for a, b in make_ds(num, cat, bs=256)])

    tr_ds = make_ds(Xn[tr_idx], Xc[tr_idx], y[tr_idx], shuffle=True)
    for epoch in range(cfg["epochs"]):
        t0 = time.time()
        loss_avg = keras.metrics.Mean()
        for num, cat, yb in tr_ds:
            loss_avg.update_state(train_step(num, cat, yb))
        p_va = predict(Xn[va_idx], Xc[va_idx])
        acc = (p_va.argmax(1) == y[va_idx]).mean()
        print(f"  fold {fold} ep {epoch}: loss={loss_avg.result():.4f} val_acc={acc:.4f} "
              f"lr={float(opt.learning_rate):.2e} ({time.time() - t0:.1f}s)")

    # evaluate with EMA weights
    ema.swap(model)
    p_va = predict(Xn[va_idx], Xc[va_idx])
    p_te = predict(Tn, Tc)
    ema.swap(model)
    return p_va, p_te


# -------------------------------------------------------------------------
# CV
# -------------------------------------------------------------------------
idx = np.random.permutation(CONFIG["n_rows"])
fold_of = np.empty(CONFIG["n_rows"], int)
fold_of[idx] = np.arange(CONFIG["n_rows"]) % CONFIG["folds"]

oof = np.zeros((CONFIG["n_rows"], CONFIG["n_classes"]), np.float32)
test_probs = np.zeros((CONFIG["n_test"], CONFIG["n_classes"]), np.float32)
for f in range(CONFIG["folds"]):
    tr_idx, va_idx = np.where(fold_of != f)[0], np.where(fold_of == f)[0]
    p_va, p_te = run_fold(f, tr_idx, va_idx, CONFIG)
    oof[va_idx] = p_va
    test_probs += p_te / CONFIG["folds"]
    logloss = -np.mean(np.log(np.clip(p_va[np.arange(len(va_idx)), y[va_idx]], 1e-15, 1)))
    print(f"fold {f}: EMA acc={(p_va.argmax(1) == y[va_idx]).mean():.4f} logloss={logloss:.4f}")

print("OOF acc: %.4f" % (oof.argmax(1) == y).mean())
print("test probs shape:", test_probs.shape, "row sums ~1:", np.allclose(test_probs.sum(1), 1, atol=1e-4))
