"""Click-through-rate model with hashed ids and hashed feature crosses.

Wide & deep style: the wide part is a linear model on HashedCrossing
one-hots, the deep part embeds Hashing outputs. Trained with a hand-written
tf.function training step instead of model.fit.
"""
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers

N_EVENTS = 800
BATCH = 64
STEPS = 20
LR = 0.01

HASH_BINS = {"user_id": 128, "ad_id": 64, "site": 16}
CROSSES = [("site", "device", 32), ("ad_id", "hour_bucket", 64)]
EMB_DIM = 8

rng = np.random.default_rng(11)
SITES = ["news", "sports", "recipes", "forum", "video", "shop", "travel"]
DEVICES = ["ios", "android", "desktop"]


def simulate_impressions(n):
    users = rng.integers(0, 5000, n)
    ads = rng.integers(0, 300, n)
    site = rng.choice(SITES, n)
    device = rng.choice(DEVICES, n, p=[0.35, 0.45, 0.2])
    hour = rng.integers(0, 24, n)
    # a couple of interaction effects so the crosses have something to learn
    p = 0.05 + 0.25 * ((site == "sports") & (device == "android")) + 0.15 * ((ads % 7 == 0) & (hour >= 18))
    clicked = (rng.random(n) < p).astype("float32")
    return {
        "user_id": np.array([f"u{u}" for u in users]),
        "ad_id": ads.astype("int64"),
        "site": site,
        "device": device,
        "hour_bucket": (hour // 6).astype("int64"),
    }, clicked


events, clicks = simulate_impressions(N_EVENTS)
print(f"{N_EVENTS} impressions, CTR={clicks.mean():.3f}")


class CTRModel(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hashers = {name: layers.Hashing(num_bins=bins, name=f"hash_{name}")
                        for name, bins in HASH_BINS.items()}
        self.device_lookup = layers.StringLookup(vocabulary=DEVICES, output_mode="one_hot")
        self.hour_onehot = layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")
        self.embeddings = {name: layers.Embedding(bins, EMB_DIM, name=f"emb_{name}")
                           for name, bins in HASH_BINS.items()}
        self.crossers = [layers.HashedCrossing(num_bins=dim, output_mode="one_hot", name=f"x_{a}_{b}")
                         for a, b, dim in CROSSES]
        self.cross_names = [(a, b) for a, b, _ in CROSSES]
        self.wide = layers.Dense(1, name="wide_logit")
        self.deep = keras.Sequential([layers.Dense(32, activation="relu"),
                                      layers.Dense(16, activation="relu"),
                                      layers.Dense(1)], name="deep")

    def call(self, feats, training=False):
        wide_in = [tf.cast(c((feats[a], feats[b])), tf.float32)
                   for c, (a, b) in zip(self.crossers, self.cross_names)]
        wide_in.append(tf.cast(self.device_lookup(feats["device"]), tf.float32))
        wide_in.append(self.hour_onehot(feats["hour_bucket"]))
        wide_logit = self.wide(tf.concat(wide_in, axis=-1))

        deep_in = [self.embeddings[n](self.hashers[n](feats[n])) for n in HASH_BINS]
        deep_in.append(tf.cast(self.device_lookup(feats["device"]), tf.float32))
        deep_in.append(self.hour_onehot(feats["hour_bucket"]))
        deep_logit = self.deep(tf.concat(deep_in, axis=-1), training=training)
        return tf.squeeze(wide_logit + deep_logit, -1)


model = CTRModel(name="wide_and_deep")
optimizer = keras.optimizers.Adam(LR)
loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
auc = keras.metrics.AUC(from_logits=True)
mean_loss = keras.metrics.Mean()

dataset = (tf.data.Dataset.from_tensor_slices((events, clicks))
           .shuffle(N_EVENTS, seed=5)
           .repeat()
           .batch(BATCH, drop_remainder=True)
           .prefetch(2))


@tf.function
def train_step(feats, y):
    with tf.GradientTape() as tape:
        logits = model(feats, training=True)
        loss = loss_fn(y, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    mean_loss.update_state(loss)
    auc.update_state(y, logits)
    return loss


t0 = time.time()
for step, (xb, yb) in enumerate(dataset.take(STEPS), start=1):
    train_step(xb, yb)
    if step % 5 == 0:
        print(f"step {step:3d}  loss={mean_loss.result():.4f}  auc={auc.result():.3f}")
        mean_loss.reset_state()
print(f"trained {STEPS} steps in {time.time() - t0:.1f}s")

# look at how the cross buckets collide
site_col = tf.constant([s for s in SITES for _ in DEVICES])
device_col = tf.constant([d for _ in SITES for d in DEVICES])
crosser_idx = layers.HashedCrossing(num_bins=CROSSES[0][2])  # same bins, int output
buckets = crosser_idx((site_col, device_col)).numpy()
print(f"{len(buckets)} site x device combos -> {len(set(buckets.tolist()))} distinct buckets")

probe = {k: v[:5] for k, v in events.items()}
probs = tf.sigmoid(model(probe)).numpy()
for site, dev, p in zip(probe["site"], probe["device"], probs):
    print(f"  {site:8s} {dev:8s} p(click)={p:.3f}")
