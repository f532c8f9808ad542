"""One-class (Deep SVDD style) anomaly scoring for machine telemetry.

1. pretrain a bias-free dense autoencoder on normal data
2. take its encoder, fix the hypersphere center c = mean embedding
3. fine-tune the encoder to pull normal embeddings towards c
4. score = ||phi(x) - c||^2 ; radius R = quantile of training distances
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from tensorflow import keras


@dataclass
class Cfg:
    n_features: int = 12
    rep_dim: int = 8
    hidden: tuple = (32, 16)
    nu: float = 0.05  # expected fraction of outliers -> radius quantile
    batch: int = 64
    ae_epochs: int = 1
    svdd_epochs: int = 2
    weight_decay: float = 1e-5
    seed: int = 3


cfg = Cfg()
keras.utils.set_random_seed(cfg.seed)
gen = np.random.default_rng(cfg.seed)


def telemetry(n, regime="normal"):
    load = gen.uniform(0.2, 1.0, size=(n, 1))
    base = np.hstack([
        load * 100,                       # power
        load * 40 + 20,                   # temperature
        np.sqrt(load) * 3000,             # rpm
        load ** 2 * 5,                    # vibration
    ])
    extra = np.tile(base[:, :2], 4)[:, : cfg.n_features - base.shape[1]] * gen.uniform(0.9, 1.1, (n, 1))
    x = np.hstack([base, extra])
    x += gen.normal(0, 0.02, x.shape) * x
    if regime == "fault":
        # overheating: temperature decoupled from load, vibration spike
        x[:, 1] += gen.uniform(25, 50, n)
        x[:, 3] *= gen.uniform(3, 6, n)
    return x.astype("float32")


def dense_stack(units, name):
    # bias-free layers avoid the trivial "collapse to constant" solution of Deep SVDD
    return keras.Sequential(
        [keras.layers.Dense(u, use_bias=False, activation="leaky_relu" if i < len(units) - 1 else None,
                            kernel_regularizer=keras.regularizers.l2(cfg.weight_decay))
         for i, u in enumerate(units)],
        name=name,
    )


class DeepSVDD(keras.Model):
    def __init__(self, encoder, center, **kw):
        super().__init__(**kw)
        self.encoder = encoder
        self.center = tf.Variable(center, trainable=False, name="center")
        self.dist_tracker = keras.metrics.Mean(name="mean_dist")

    @property
    def metrics(self):
        return [self.dist_tracker]

    def call(self, x, training=False):
        z = self.encoder(x, training=training)
        return tf.reduce_sum(tf.square(z - self.center), axis=-1)

    def train_step(self, x):
        with tf.GradientTape() as tape:
            dist = self(x, training=True)
            loss = tf.reduce_mean(dist) + tf.add_n(self.encoder.losses or [tf.constant(0.0)])
        grads = tape.gradient(loss, self.encoder.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.encoder.trainable_variables))
        self.dist_tracker.update_state(dist)
        return {"loss": loss, "mean_dist": self.dist_tracker.result()}


# ---------------------------------------------------------------- data
x_train = telemetry(500)
x_test = np.vstack([telemetry(100), telemetry(20, "fault")])
y_test = np.r_[np.zeros(100, int), np.ones(20, int)]

lo, hi = x_train.min(0), x_train.max(0)
scale = lambda a: (a - lo) / (hi - lo + 1e-8)
x_train, x_test = scale(x_train), scale(x_test)

train_ds = tf.data.Dataset.from_tensor_slices(x_train).shuffle(500).batch(cfg.batch)

# ---------------------------------------------------------------- 1) AE pretraining
encoder = dense_stack(list(cfg.hidden) + [cfg.rep_dim], "encoder")
decoder = dense_stack(list(reversed(cfg.hidden)) + [cfg.n_features], "decoder")
ae_in = keras.Input((cfg.n_features,))
ae = keras.Model(ae_in, decoder(encoder(ae_in)), name="pretrain_ae")
ae.compile(keras.optimizers.Adam(1e-3), loss="mse")
ae.fit(train_ds.map(lambda x: (x, x)), epochs=cfg.ae_epochs, verbose=2)

# ---------------------------------------------------------------- 2) center
emb = encoder.predict(x_train, verbose=0)
c = emb.mean(axis=0)
eps = 0.1
c = np.where(np.abs(c) < eps, np.sign(c + 1e-12) * eps, c).astype("float32")
print("center:", np.round(c, 3))

# ---------------------------------------------------------------- 3) one-class training
svdd = DeepSVDD(encoder, c)
svdd.compile(optimizer=keras.optimizers.Adam(5e-4))
svdd.fit(train_ds, epochs=cfg.svdd_epochs, verbose=2)

# ---------------------------------------------------------------- 4) scoring
train_d = svdd.predict(x_train, verbose=0)
radius_sq = np.quantile(train_d, 1 - cfg.nu)
test_d = svdd.predict(x_test, verbose=0)
pred = (test_d > radius_sq).astype(int)

print(f"R^2 = {radius_sq:.5f} (quantile {1 - cfg.nu:.2f})")
for label, name in [(0, "normal"), (1, "fault")]:
    d = test_d[y_test == label]
    print(f"{name:>6}: mean dist={d.mean():.5f}  flagged={pred[y_test == label].sum()}/{len(d)}")

# ranking quality without a threshold (AUC via Mann-Whitney U)
ranks = np.argsort(np.argsort(test_d)) + 1
n_pos, n_neg = y_test.sum(), len(y_test) - y_test.sum()
auc = (ranks[y_test == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
print(f"AUROC = {auc:.3f}")
