# tiny GPT-ish char LM, everything hand rolled (no keras MultiHeadAttention)
# written against TF 2.4-ish API, still runs on newer versions
import numpy as np
import tensorflow as tf

text = ("the quick brown fox jumps over the lazy dog. " * 40 +
        "pack my box with five dozen liquor jugs. " * 40)
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
itos = {i: c for c, i in stoi.items()}
data = np.array([stoi[c] for c in text], dtype=np.int32)

hparams = {
    "vocab": len(chars),
    "ctx": 32,
    "d_model": 64,
    "n_head": 4,
    "n_layer": 2,
    "ffn_mult": 4,
    "dropout": 0.1,
    "warmup": 20,
}
print("vocab size", hparams["vocab"], "corpus len", len(data))


def get_dataset(seq, ctx, batch_size):
    ds = tf.data.Dataset.from_tensor_slices(seq)
    ds = ds.batch(ctx + 1, drop_remainder=True)
    ds = ds.map(lambda chunk: (chunk[:-1], chunk[1:]))
    return ds.shuffle(200).batch(batch_size, drop_remainder=True).repeat()


def causal_mask(n):
    # 1 where attention is allowed
    return tf.linalg.band_part(tf.ones((n, n)), -1, 0)


class SelfAttention(tf.keras.layers.Layer):
    def __init__(self, d_model, n_head, dropout, **kwargs):
        super(SelfAttention, self).__init__(**kwargs)
        assert d_model % n_head == 0
        self.n_head = n_head
        self.d_head = d_model // n_head
        self.c_attn = tf.keras.layers.Dense(3 * d_model, name="c_attn")
        self.c_proj = tf.keras.layers.Dense(d_model, name="c_proj")
        self.attn_drop = tf.keras.layers.Dropout(dropout)

    def split_heads(self, x):
        B, T = tf.shape(x)[0], tf.shape(x)[1]
        x = tf.reshape(x, [B, T, self.n_head, self.d_head])
        return tf.transpose(x, [0, 2, 1, 3])  # B, H, T, Dh

    def call(self, x, training=None):
        T = tf.shape(x)[1]
        qkv = self.c_attn(x)
        q, k, v = tf.split(qkv, 3, axis=-1)
        q, k, v = map(self.split_heads, (q, k, v))
        w = tf.einsum("bhqd,bhkd->bhqk", q, k)
        w = w * tf.math.rsqrt(tf.cast(self.d_head, w.dtype))
        m = causal_mask(T)
        w = w * m - 1e10 * (1 - m)
        w = tf.nn.softmax(w, axis=-1)
        w = self.attn_drop(w, training=training)
        a = tf.einsum("bhqk,bhkd->bhqd", w, v)
        a = tf.transpose(a, [0, 2, 1, 3])
        a = tf.reshape(a, [tf.shape(a)[0], T, self.n_head * self.d_head])
        return self.c_proj(a)


class Block(tf.keras.layers.Layer):
    def __init__(self, hp, **kwargs):
        super().__init__(**kwargs)
        self.ln_1 = tf.keras.layers.LayerNormalization(epsilon=1e-5)
        self.attn = SelfAttention(hp["d_model"], hp["n_head"], hp["dropout"])
        self.ln_2 = tf.keras.layers.LayerNormalization(epsilon=1e-5)
        self.mlp = tf.keras.Sequential([
            tf.keras.layers.Dense(hp["ffn_mult"] * hp["d_model"], activation="gelu"),
            tf.keras.layers.Dense(hp["d_model"]),
            tf.keras.layers.Dropout(hp["dropout"]),
        ])

    def call(self, x, training=None):
        x = x + self.attn(self.ln_1(x), training=training)
        x = x + self.mlp(self.ln_2(x), training=training)
        return x


class CharGPT(tf.keras.Model):
    def __init__(self, hp):
        super(CharGPT, self).__init__()
        self.hp = hp
        self.wte = tf.keras.layers.Embedding(hp["vocab"], hp["d_model"])
        self.blocks = [Block(hp, name="h%d" % i) for i in range(hp["n_layer"])]
        self.ln_f = tf.keras.layers.LayerNormalization(epsilon=1e-5)
        self.drop = tf.keras.layers.Dropout(hp["dropout"])

    def build(self, input_shape):
        self.wpe = self.add_weight(name="wpe", shape=(self.hp["ctx"], self.hp["d_model"]),
                                   initializer=tf.keras.initializers.RandomNormal(stddev=0.01))
        super().build(input_shape)

    def call(self, idx, training=False):
        T = tf.shape(idx)[1]
        pos = tf.gather(self.wpe, tf.range(T))
        h = self.drop(self.wte(idx) + pos[tf.newaxis], training=training)
        for blk in self.blocks:
            h = blk(h, training=training)
        h = self.ln_f(h)
        # weight tying with the token embedding
        logits = tf.matmul(h, self.wte.embeddings, transpose_b=True)
        return logits


class WarmupInvSqrt(tf.keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, d_model, warmup_steps):
        self.d_model = tf.cast(d_model, tf.float32)
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        step = tf.cast(step, tf.float32) + 1.0
        return tf.math.rsqrt(self.d_model) * tf.minimum(tf.math.rsqrt(step), step * self.warmup_steps ** -1.5)


model = CharGPT(hparams)
_ = model(tf.zeros((1, hparams["ctx"]), tf.int32))
print("params:", model.count_params())

optimizer = tf.keras.optimizers.Adam(WarmupInvSqrt(hparams["d_model"], hparams["warmup"]),
                                     beta_1=0.9, beta_2=0.98, epsilon=1e-9)
global_step = tf.Variable(0, trainable=False, dtype=tf.int64)
ce = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = ce(y, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    grads, gnorm = tf.clip_by_global_norm(grads, 1.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    global_step.assign_add(1)
    return loss, gnorm


ds = get_dataset(data, hparams["ctx"], batch_size=16)
for x, y in ds.take(40):
    loss, gnorm = train_step(x, y)
    if int(global_step) % 10 == 0:
        print("step %d loss %.3f gnorm %.2f" % (int(global_step), loss, gnorm))

# sanity check: a context longer than the positional table should fail
try:
    model(tf.zeros((1, hparams["ctx"] + 8), tf.int32))
except (tf.errors.InvalidArgumentError, ValueError) as e:
    print("expected failure for too-long context:", type(e).__name__)


def sample(prompt, n_new=40, temperature=0.8):
    idx = tf.constant([[stoi[c] for c in prompt]], dtype=tf.int32)
    for _ in range(n_new):
        idx_cond = idx[:, -hparams["ctx"]:]
        logits = model(idx_cond, training=False)[:, -1, :] / temperature
        nxt = tf.random.categorical(logits, 1, dtype=tf.int32)
        idx = tf.concat([idx, nxt], axis=1)
    return "".join(itos[i] for i in idx[0].numpy())


print(repr(sample("the quick ")))
