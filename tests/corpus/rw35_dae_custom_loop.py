# Porto-Seguro-style denoising autoencoder with swap noise, trained with a custom loop,
# then the bottleneck activations are used as features for a small supervised head.
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

tf.random.set_seed(11)
rng = np.random.default_rng(11)

cfg = dict(
    n_rows=1600,
    n_num=14,
    cat_cards=[3, 8, 5, 11, 2, 4],
    emb_dim=4,
    hidden=[192, 192, 192],
    swap_prob=0.15,
    batch_size=128,
    dae_epochs=2,
    lr=1e-3,
)

num = rng.normal(size=(cfg["n_rows"], cfg["n_num"])).astype("float32")
cats = np.stack([rng.integers(0, c, cfg["n_rows"]) for c in cfg["cat_cards"]], axis=1).astype("int32")
target = ((num[:, 0] * num[:, 1] > 0) ^ (cats[:, 3] > 5)).astype("float32")

# rank-gauss-ish transform for the numeric block
order = num.argsort(0).argsort(0)
num = ((order + 0.5) / cfg["n_rows"] * 2 - 1).astype("float32")
num = np.arctanh(np.clip(num, -0.999, 0.999)).astype("float32")


def swap_noise(x, p):
    """replace each cell with the value from a random other row with probability p"""
    n = tf.shape(x)[0]
    shuffled = tf.gather(x, tf.random.shuffle(tf.range(n)))
    mask = tf.random.uniform(tf.shape(x)) < p
    return tf.where(mask, shuffled, x)


class DAE(keras.Model):
    def __init__(self, n_num, cat_cards, emb_dim, hidden):
        super().__init__()
        self.cat_cards = cat_cards
        self.embs = [layers.Embedding(c, emb_dim) for c in cat_cards]
        self.encoder = [layers.Dense(h, activation="relu") for h in hidden]
        self.num_out = layers.Dense(n_num, name="recon_num")
        self.cat_outs = [layers.Dense(c, name=f"recon_cat{i}") for i, c in enumerate(cat_cards)]

    def encode(self, x_num, x_cat):
        parts = [x_num] + [emb(x_cat[:, i]) for i, emb in enumerate(self.embs)]
        h = tf.concat(parts, axis=-1)
        acts = []
        for layer in self.encoder:
            h = layer(h)
            acts.append(h)
        return h, tf.concat(acts, axis=-1)     # "deep stack" features

    def call(self, inputs):
        x_num, x_cat = inputs
        h, _ = self.encode(x_num, x_cat)
        return self.num_out(h), [head(h) for head in self.cat_outs]


dae = DAE(cfg["n_num"], cfg["cat_cards"], cfg["emb_dim"], cfg["hidden"])
opt = keras.optimizers.Adam(cfg["lr"])
mse = keras.losses.MeanSquaredError()
sce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


@tf.function
def train_step(x_num, x_cat):
    noisy_num = swap_noise(x_num, cfg["swap_prob"])
    noisy_cat = swap_noise(x_cat, cfg["swap_prob"])
    with tf.GradientTape() as tape:
        rec_num, rec_cats = dae((noisy_num, noisy_cat))
        loss = mse(x_num, rec_num)
        for i, logits in enumerate(rec_cats):
            loss += sce(x_cat[:, i], logits) / len(rec_cats)
    grads = tape.gradient(loss, dae.trainable_variables)
    opt.apply_gradients(zip(grads, dae.trainable_variables))
    return loss


ds = (tf.data.Dataset.from_tensor_slices((num, cats))
      .shuffle(cfg["n_rows"], seed=0)
      .batch(cfg["batch_size"], drop_remainder=True))

for epoch in range(cfg["dae_epochs"]):
    losses = [float(train_step(xn, xc)) for xn, xc in ds]
    print(f"DAE epoch {epoch + 1}: recon loss {np.mean(losses):.4f} over {len(losses)} steps")

# extract features (no noise at inference)
_, feats = dae.encode(tf.constant(num), tf.constant(cats))
feats = feats.numpy()
print("DAE features:", feats.shape)

# a shape mistake people hit all the time: passing 1-D categoricals instead of (N, n_cat)
try:
    dae.encode(tf.constant(num[:4]), tf.constant(cats[:4, 0]))
except Exception as e:  # noqa
    print("expected failure ->", type(e).__name__)

head = keras.Sequential([
    layers.Input((feats.shape[1],)),
    layers.Dropout(0.3),
    layers.Dense(64, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
head.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy", metrics=["AUC"])
split = int(0.8 * len(feats))
head.fit(feats[:split], target[:split], validation_data=(feats[split:], target[split:]),
         epochs=2, batch_size=128, verbose=2)
p = head.predict(feats[split:], verbose=0)
print("head preds:", p.shape, "mean", p.mean().round(3))
