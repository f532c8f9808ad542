"""Deep Interest Network (Zhou et al., KDD'18) for CTR with user behaviour sequences.

Key pieces:
  * local activation unit: attention of the candidate ad over each item in the
    user's click history, using [h, t, h - t, h * t] as the MLP input;
  * no softmax over attention weights (paper keeps raw intensity), masked on padding;
  * Dice activation (data-adaptive PReLU);
  * shared item/category embeddings between history and candidate.
Training uses a manual loop with tf.function and a tf.data pipeline.
"""
from types import SimpleNamespace

import numpy as np
import tensorflow as tf
from tensorflow import keras

hp = SimpleNamespace(
    n_users=400, n_items=1500, n_cates=40,
    hist_len=25, emb_dim=12,
    att_hidden=(36, 16), mlp_hidden=(80, 40),
    batch=200, n_samples=5000, epochs=2, lr=2e-3,
)


class Dice(keras.layers.Layer):
    """p(s) = sigmoid(BN(s)); f(s) = p*s + (1-p)*alpha*s."""

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        self.bn = keras.layers.BatchNormalization(axis=-1, epsilon=self.epsilon,
                                                  center=False, scale=False)
        self.bn.build(input_shape)
        self.alpha = self.add_weight(name="alpha", shape=(input_shape[-1],),
                                     initializer="zeros")

    def call(self, x, training=None):
        p = tf.sigmoid(self.bn(x, training=training))
        return p * x + (1.0 - p) * self.alpha * x


class LocalActivationUnit(keras.layers.Layer):
    """Computes a weighted-sum pooling of the behaviour sequence keyed by the target."""

    def __init__(self, hidden_units=(36, 16), **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = hidden_units
        self.supports_masking = True

    def build(self, input_shape):
        self.mlp = []
        for i, u in enumerate(self.hidden_units):
            self.mlp.append(keras.layers.Dense(u, name=f"att_fc{i}"))
            self.mlp.append(Dice(name=f"att_dice{i}"))
        self.out = keras.layers.Dense(1, name="att_score")

    def call(self, query, keys, key_mask, training=None):
        # query: (B, D), keys: (B, T, D), key_mask: (B, T) bool
        T = tf.shape(keys)[1]
        q = tf.tile(tf.expand_dims(query, 1), [1, T, 1])            # (B, T, D)
        att_in = tf.concat([q, keys, q - keys, q * keys], axis=-1)   # (B, T, 4D)
        h = att_in
        for layer in self.mlp:
            h = layer(h, training=training) if isinstance(layer, Dice) else layer(h)
        scores = tf.squeeze(self.out(h), -1)                         # (B, T)
        scores = scores * tf.cast(key_mask, scores.dtype)            # zero out padding
        pooled = tf.einsum("bt,btd->bd", scores, keys)               # (B, D)
        return pooled, scores


class DIN(keras.Model):
    def __init__(self, hp, **kwargs):
        super().__init__(**kwargs)
        d = hp.emb_dim
        self.user_emb = keras.layers.Embedding(hp.n_users, d, name="user_emb")
        # item/cate id 0 is reserved for padding
        self.item_emb = keras.layers.Embedding(hp.n_items + 1, d, name="item_emb")
        self.cate_emb = keras.layers.Embedding(hp.n_cates + 1, d, name="cate_emb")
        self.attention = LocalActivationUnit(hp.att_hidden, name="local_activation")
        self.bn_in = keras.layers.BatchNormalization(name="bn_input")
        self.fcs = []
        for i, u in enumerate(hp.mlp_hidden):
            self.fcs.append((keras.layers.Dense(u, name=f"fc{i}"), Dice(name=f"dice{i}")))
        self.logit = keras.layers.Dense(1, name="logit")

    def embed_item(self, item_ids, cate_ids):
        return tf.concat([self.item_emb(item_ids), self.cate_emb(cate_ids)], axis=-1)

    def call(self, feats, training=None):
        hist = self.embed_item(feats["hist_items"], feats["hist_cates"])   # (B, T, 2d)
        target = self.embed_item(feats["item"], feats["cate"])             # (B, 2d)
        mask = tf.not_equal(feats["hist_items"], 0)

        interest, att = self.attention(target, hist, mask, training=training)
        # sum-pooling baseline feature alongside the attentive one
        hist_sum = tf.reduce_sum(hist * tf.cast(mask, hist.dtype)[..., None], axis=1)

        x = tf.concat([self.user_emb(feats["user"]), target, interest, hist_sum,
                       target * interest], axis=-1)
        x = self.bn_in(x, training=training)
        for fc, act in self.fcs:
            x = act(fc(x), training=training)
        return tf.squeeze(self.logit(x), -1), att


def synth_behaviour_logs(hp, seed=0):
    rng = np.random.default_rng(seed)
    item_cate = rng.integers(1, hp.n_cates + 1, size=hp.n_items + 1)
    item_cate[0] = 0
    user_taste = rng.integers(1, hp.n_cates + 1, size=(hp.n_users, 2))

    n = hp.n_samples
    users = rng.integers(0, hp.n_users, size=n)
    lengths = rng.integers(3, hp.hist_len + 1, size=n)
    hist = np.zeros((n, hp.hist_len), dtype=np.int32)
    for r in range(n):
        taste = user_taste[users[r]]
        liked = np.flatnonzero(np.isin(item_cate, taste))
        k = lengths[r]
        picks = np.where(rng.random(k) < 0.7, rng.choice(liked, k), rng.integers(1, hp.n_items + 1, k))
        hist[r, :k] = picks   # right-padded
    target = rng.integers(1, hp.n_items + 1, size=n).astype(np.int32)

    # click if target category shows up a lot in the history
    overlap = (item_cate[hist] == item_cate[target][:, None]).sum(1) / lengths
    p = 1 / (1 + np.exp(-(6 * overlap - 2.0)))
    label = (rng.random(n) < p).astype(np.float32)

    feats = {
        "user": users.astype(np.int32),
        "item": target,
        "cate": item_cate[target].astype(np.int32),
        "hist_items": hist,
        "hist_cates": item_cate[hist].astype(np.int32),
    }
    return feats, label


def gauc(users, labels, preds):
    """User-weighted AUC as reported in the DIN paper."""
    total, weight = 0.0, 0.0
    for u in np.unique(users):
        idx = users == u
        y = labels[idx]
        if y.min() == y.max():
            continue
        auc = keras.metrics.AUC()
        auc.update_state(y, preds[idx])
        total += float(auc.result()) * idx.sum()
        weight += idx.sum()
    return total / max(weight, 1.0)


def main():
    tf.random.set_seed(0)
    feats, label = synth_behaviour_logs(hp)
    split = int(0.8 * hp.n_samples)
    tr = {k: v[:split] for k, v in feats.items()}
    te = {k: v[split:] for k, v in feats.items()}

    train_ds = (tf.data.Dataset.from_tensor_slices((tr, label[:split]))
                .shuffle(split).batch(hp.batch).prefetch(tf.data.AUTOTUNE))
    test_ds = tf.data.Dataset.from_tensor_slices((te, label[split:])).batch(512)

    model = DIN(hp, name="din")
    opt = keras.optimizers.Adam(hp.lr)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    train_auc = keras.metrics.AUC(name="train_auc")

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits, _ = model(x, training=True)
            loss = bce(y, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        train_auc.update_state(y, tf.sigmoid(logits))
        return loss

    @tf.function
    def predict_step(x):
        logits, att = model(x, training=False)
        return tf.sigmoid(logits), att

    for epoch in range(hp.epochs):
        train_auc.reset_state()
        for step, (x, y) in enumerate(train_ds):
            loss = train_step(x, y)
            if step % 8 == 0:
                print(f"epoch {epoch} step {step:3d} loss {float(loss):.4f}")
        print(f"epoch {epoch} train AUC {float(train_auc.result()):.4f}")

    preds, atts = [], []
    for x, _ in test_ds:
        p, a = predict_step(x)
        preds.append(p.numpy()); atts.append(a.numpy())
    preds = np.concatenate(preds)
    atts = np.concatenate(atts)
    print("attention weights:", atts.shape,
          "mean on padding:", float(np.abs(atts[te["hist_items"] == 0]).mean()))

    test_auc = keras.metrics.AUC()
    test_auc.update_state(label[split:], preds)
    print(f"test AUC {float(test_auc.result()):.4f}  "
          f"GAUC {gauc(te['user'], label[split:], preds):.4f}")
    model.summary()


if __name__ == "__main__":
    main()
