"""
Show-attend-and-tell style captioner on a toy dataset.

encoder : small CNN -> (batch, H*W, D) grid of region features
decoder : GRU + additive (Bahdanau) attention over regions
training: teacher forcing inside a tf.function custom training loop
"""
import time
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMG = 32
N_IMAGES = 256
BATCH = 32
UNITS = 96
EMB = 48
FEAT_DIM = 64
MAX_LEN = 9
EPOCHS = 2
STEPS_PER_EPOCH = 20

COLORS = ["red", "green", "blue"]
SHAPES = ["square", "bar"]
POSITIONS = ["top", "bottom"]
SPECIAL = ["<pad>", "<start>", "<end>", "<unk>"]
WORDS = SPECIAL + ["a", "on", "the"] + COLORS + SHAPES + POSITIONS
word2id = {w: i for i, w in enumerate(WORDS)}
id2word = {i: w for w, i in word2id.items()}
VOCAB = len(WORDS)

rs = np.random.RandomState(42)
tf.random.set_seed(42)


def render(color, shape, pos):
    img = rs.uniform(0, 0.1, (IMG, IMG, 3)).astype("float32")
    ch = COLORS.index(color)
    r0 = 2 if pos == "top" else IMG // 2 + 2
    c0 = rs.randint(2, IMG - 14)
    if shape == "square":
        img[r0:r0 + 10, c0:c0 + 10, ch] = 1.0
    else:
        img[r0 + 3:r0 + 6, c0:c0 + 12, ch] = 1.0
    return img


def tokenize(sentence):
    toks = ["<start>"] + sentence.split() + ["<end>"]
    ids = [word2id.get(t, word2id["<unk>"]) for t in toks]
    return ids + [0] * (MAX_LEN + 1 - len(ids))


samples = [
    (rs.choice(COLORS), rs.choice(SHAPES), rs.choice(POSITIONS)) for _ in range(N_IMAGES)
]
X = np.stack([render(*s) for s in samples])
captions = [f"a {c} {s} on the {p}" for c, s, p in samples]
Y = np.array([tokenize(c) for c in captions], dtype="int32")
print("images", X.shape, "tokens", Y.shape, "| e.g.", captions[0], Y[0])

dataset = (
    tf.data.Dataset.from_tensor_slices((X, Y))
    .shuffle(N_IMAGES)
    .batch(BATCH, drop_remainder=True)
    .repeat()
    .prefetch(2)
)


class CNNEncoder(keras.Model):
    def __init__(self, feat_dim):
        super().__init__()
        self.convs = [layers.Conv2D(f, 3, padding="same", activation="relu") for f in (16, 32, feat_dim)]
        self.pools = [layers.MaxPooling2D() for _ in range(2)]
        self.proj = layers.Dense(feat_dim, activation="relu")

    def call(self, x):
        for i, conv in enumerate(self.convs):
            x = conv(x)
            if i < len(self.pools):
                x = self.pools[i](x)
        b = tf.shape(x)[0]
        x = tf.reshape(x, [b, -1, x.shape[-1]])  # (b, 64, feat_dim)
        return self.proj(x)


class BahdanauAttention(layers.Layer):
    def __init__(self, units, **kw):
        super().__init__(**kw)
        self.W_feat = layers.Dense(units)
        self.W_hid = layers.Dense(units)
        self.v = layers.Dense(1)

    def call(self, features, hidden):
        # features (b, L, D), hidden (b, U)
        score = self.v(tf.nn.tanh(self.W_feat(features) + self.W_hid(hidden)[:, None, :]))
        weights = tf.nn.softmax(score, axis=1)  # (b, L, 1)
        context = tf.reduce_sum(weights * features, axis=1)
        return context, tf.squeeze(weights, -1)


class AttnDecoder(keras.Model):
    def __init__(self, vocab, emb, units):
        super().__init__()
        self.units = units
        self.embed = layers.Embedding(vocab, emb)
        self.attn = BahdanauAttention(units)
        self.gru = layers.GRUCell(units)
        self.fc1 = layers.Dense(units, activation="relu")
        self.out = layers.Dense(vocab)
        self.init_h = layers.Dense(units, activation="tanh")

    def initial_state(self, features):
        return self.init_h(tf.reduce_mean(features, axis=1))

    def call(self, token, features, hidden):
        context, weights = self.attn(features, hidden)
        x = tf.concat([self.embed(token), context], axis=-1)
        h, _ = self.gru(x, [hidden])
        logits = self.out(self.fc1(tf.concat([h, context], -1)))
        return logits, h, weights


encoder = CNNEncoder(FEAT_DIM)
decoder = AttnDecoder(VOCAB, EMB, UNITS)
optimizer = keras.optimizers.Adam(3e-3)
xent = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")


def masked_loss(y_true, logits):
    mask = tf.cast(tf.not_equal(y_true, 0), tf.float32)
    return tf.reduce_sum(xent(y_true, logits) * mask), tf.reduce_sum(mask)


@tf.function
def train_step(images, tokens):
    total, count = 0.0, 0.0
    doubly_stochastic = 0.0
    with tf.GradientTape() as tape:
        feats = encoder(images)
        hidden = decoder.initial_state(feats)
        attn_sum = tf.zeros(tf.shape(feats)[:2])
        # teacher forcing: feed ground-truth token t, predict token t+1
        for t in range(MAX_LEN):  # static Python range, unrolled at trace time
            logits, hidden, w = decoder(tokens[:, t], feats, hidden)
            l, n = masked_loss(tokens[:, t + 1], logits)
            total += l
            count += n
            attn_sum += w
        # encourage attention to cover every region over the full caption
        doubly_stochastic = tf.reduce_mean(tf.square(1.0 - attn_sum))
        loss = total / tf.maximum(count, 1.0) + 0.01 * doubly_stochastic
    variables = encoder.trainable_variables + decoder.trainable_variables
    grads = tape.gradient(loss, variables)
    grads, _ = tf.clip_by_global_norm(grads, 5.0)
    optimizer.apply_gradients(zip(grads, variables))
    return loss


def greedy_caption(image):
    feats = encoder(image[None])
    hidden = decoder.initial_state(feats)
    token = tf.constant([word2id["<start>"]])
    words, attn_maps = [], []
    for _ in range(MAX_LEN):
        logits, hidden, w = decoder(token, feats, hidden)
        token = tf.argmax(logits, -1, output_type=tf.int32)
        word = id2word[int(token[0])]
        if word == "<end>":
            break
        words.append(word)
        attn_maps.append(w.numpy().reshape(8, 8))
    return " ".join(words), attn_maps


it = iter(dataset)
for epoch in range(EPOCHS):
    t0 = time.time()
    losses = [float(train_step(*next(it))) for _ in range(STEPS_PER_EPOCH)]
    print(f"epoch {epoch + 1}/{EPOCHS} loss={np.mean(losses):.4f} ({time.time() - t0:.1f}s)")

for i in range(4):
    pred, maps = greedy_caption(tf.constant(X[i]))
    peak = [tuple(int(v) for v in np.unravel_index(m.argmax(), m.shape)) for m in maps]
    print(f"GT  : {captions[i]}\nPRED: {pred}\n  attention peaks: {peak[:4]}")
