"""Word2Vec skip-gram with negative sampling on a toy corpus.

Loosely follows the TF word2vec tutorial: build (target, context) pairs with
keras' skipgrams helper style logic written by hand, sample negatives, and
train a model that scores target/context pairs with a dot product.
"""
import random
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 42
random.seed(SEED)
np.random.seed(SEED)
tf.random.set_seed(SEED)

WINDOW = 2
NUM_NS = 4          # negatives per positive
EMB_DIM = 32
BATCH = 64

corpus = [
    "the quick brown fox jumps over the lazy dog",
    "a lazy dog sleeps in the sun all day",
    "the fox is quick and the dog is lazy",
    "cats and dogs are common pets",
    "the sun rises in the east every day",
    "brown bears eat fish in the river",
    "the river flows past the old mill",
    "a quick brown cat chases the fox",
]

# ---- vocab --------------------------------------------------------------
def build_vocab(sentences):
    counts = {}
    for s in sentences:
        for w in s.lower().split():
            counts[w] = counts.get(w, 0) + 1
    words = sorted(counts, key=lambda w: (-counts[w], w))
    w2i = {"<pad>": 0}
    for w in words:
        w2i[w] = len(w2i)
    return w2i, counts

word2idx, freqs = build_vocab(corpus)
idx2word = {i: w for w, i in word2idx.items()}
vocab_size = len(word2idx)
print("vocab size:", vocab_size)

sequences = [[word2idx[w] for w in s.split()] for s in corpus]


def make_pairs(seqs, window=WINDOW, num_ns=NUM_NS):
    targets, contexts, labels = [], [], []
    for seq in seqs:
        for i, t in enumerate(seq):
            lo, hi = max(0, i - window), min(len(seq), i + window + 1)
            for j in range(lo, hi):
                if j == i:
                    continue
                pos = seq[j]
                # uniform negative sampling (skip pad + the true context)
                negs = []
                while len(negs) < num_ns:
                    c = random.randint(1, vocab_size - 1)
                    if c != pos and c != t:
                        negs.append(c)
                targets.append(t)
                contexts.append([pos] + negs)
                labels.append([1] + [0] * num_ns)
    return (np.array(targets, dtype="int32"),
            np.array(contexts, dtype="int32"),
            np.array(labels, dtype="float32"))


targets, contexts, labels = make_pairs(sequences)
print("pairs:", targets.shape, contexts.shape, labels.shape)

ds = tf.data.Dataset.from_tensor_slices(((targets, contexts), labels))
ds = ds.shuffle(1024, seed=SEED).batch(BATCH, drop_remainder=False).prefetch(tf.data.AUTOTUNE)


class Word2Vec(keras.Model):
    def __init__(self, vocab_size, embedding_dim, **kwargs):
        super().__init__(**kwargs)
        self.target_embedding = layers.Embedding(vocab_size, embedding_dim, name="w2v_embedding")
        self.context_embedding = layers.Embedding(vocab_size, embedding_dim, name="ctx_embedding")

    def call(self, pair):
        target, context = pair
        # target: (B,)  context: (B, 1+num_ns)
        if len(target.shape) == 2:
            target = tf.squeeze(target, axis=1)
        w = self.target_embedding(target)          # (B, D)
        c = self.context_embedding(context)        # (B, C, D)
        dots = tf.einsum("be,bce->bc", w, c)       # (B, C)
        return dots


w2v = Word2Vec(vocab_size, EMB_DIM, name="word2vec")
w2v.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.01),
    loss=keras.losses.CategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
hist = w2v.fit(ds, epochs=1, verbose=2)
w2v.summary()

# ---- also a functional variant using the Dot layer -----------------------
tgt_in = keras.Input(shape=(1,), dtype="int32", name="target")
ctx_in = keras.Input(shape=(1,), dtype="int32", name="context")
shared = layers.Embedding(vocab_size, EMB_DIM, name="shared_emb")
t_vec = layers.Flatten()(shared(tgt_in))
c_vec = layers.Flatten()(layers.Embedding(vocab_size, EMB_DIM, name="ctx_emb2")(ctx_in))
score = layers.Dot(axes=1, normalize=False)([t_vec, c_vec])
prob = layers.Activation("sigmoid")(score)
sgns = keras.Model([tgt_in, ctx_in], prob, name="sgns_binary")
sgns.compile("adam", "binary_crossentropy")

# flatten the (target, [pos, negs...]) into binary pairs
flat_t = np.repeat(targets, NUM_NS + 1)[:, None]
flat_c = contexts.reshape(-1, 1)
flat_y = labels.reshape(-1, 1)
sgns.fit([flat_t, flat_c], flat_y, batch_size=128, epochs=1, verbose=0)
sgns.summary()

# ---- nearest neighbours ------------------------------------------------
weights = w2v.get_layer("w2v_embedding").get_weights()[0]
norm = weights / (np.linalg.norm(weights, axis=1, keepdims=True) + 1e-8)


def nearest(word, k=3):
    v = norm[word2idx[word]]
    sims = norm @ v
    best = np.argsort(-sims)[1:k + 1]
    return [(idx2word[i], round(float(sims[i]), 3)) for i in best]


for q in ["fox", "dog", "sun"]:
    print(f"{q:>5} ->", nearest(q))
