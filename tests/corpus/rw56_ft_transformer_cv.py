"""
FT-Transformer / TabTransformer hybrid for a multiclass tabular competition
(think Forest Cover Type / TPS Dec 2021), trained with a custom tf.function
loop in stratified K-fold.

Tokenisation
  - categorical columns: one shared embedding table, each column offset into
    its own slice of it, plus a learned "column id" embedding
  - numerical columns: FT-Transformer feature tokenizer  x_j * W_j + b_j
  - a [CLS] token is prepended; its final state feeds the classifier
"""
import math
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# ----------------------------------------------------------------------------- config
CONFIG = dict(
    seed=0,
    n_rows=900,
    n_test=200,
    n_classes=4,
    cat_cards=[3, 5, 10, 40],
    n_num=6,
    d_token=32,
    n_heads=4,
    n_blocks=2,
    ffn_mult=2,
    dropout=0.1,
    n_folds=3,
    epochs=2,
    batch_size=128,
    lr=1e-3,
)
tf.random.set_seed(CONFIG["seed"])
np.random.seed(CONFIG["seed"])


# ----------------------------------------------------------------------------- layers
class CategoricalTokenizer(layers.Layer):
    def __init__(self, cardinalities, d_token, **kwargs):
        super().__init__(**kwargs)
        self.cardinalities = list(cardinalities)
        self.d_token = d_token
        offsets = np.cumsum([0] + self.cardinalities[:-1]).astype("int32")
        self.offsets = tf.constant(offsets[None, :])  # (1, n_cat)

    def build(self, input_shape):
        n_cat = len(self.cardinalities)
        self.table = self.add_weight(
            name="table", shape=(sum(self.cardinalities), self.d_token),
            initializer=keras.initializers.RandomNormal(stddev=0.02),
        )
        self.column_embedding = self.add_weight(
            name="column_embedding", shape=(n_cat, self.d_token), initializer="zeros",
        )

    def call(self, x_cat):
        ids = tf.cast(x_cat, tf.int32) + self.offsets         # (B, n_cat)
        tok = tf.gather(self.table, ids)                      # (B, n_cat, d)
        return tok + self.column_embedding[None, :, :]

    def get_config(self):
        cfg = super().get_config()
        cfg.update(cardinalities=self.cardinalities, d_token=self.d_token)
        return cfg


class NumericalTokenizer(layers.Layer):
    """FT-Transformer numeric tokens: every scalar feature becomes a d-dim vector."""

    def __init__(self, d_token, **kwargs):
        super().__init__(**kwargs)
        self.d_token = d_token

    def build(self, input_shape):
        n_num = input_shape[-1]
        bound = 1.0 / math.sqrt(self.d_token)
        init = keras.initializers.RandomUniform(-bound, bound)
        self.weight = self.add_weight(name="weight", shape=(n_num, self.d_token), initializer=init)
        self.bias = self.add_weight(name="bias", shape=(n_num, self.d_token), initializer=init)

    def call(self, x_num):
        return x_num[:, :, None] * self.weight[None] + self.bias[None]   # (B, n_num, d)


class CLSToken(layers.Layer):
    def build(self, input_shape):
        self.cls = self.add_weight(name="cls", shape=(1, 1, input_shape[-1]),
                                   initializer="glorot_uniform")

    def call(self, tokens):
        batch = tf.shape(tokens)[0]
        cls = tf.tile(self.cls, [batch, 1, 1])
        return tf.concat([cls, tokens], axis=1)


class TransformerBlock(layers.Layer):
    def __init__(self, d_model, n_heads, ffn_mult, dropout, **kwargs):
        super().__init__(**kwargs)
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.attn = layers.MultiHeadAttention(n_heads, key_dim=d_model // n_heads, dropout=dropout)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)
        self.ffn = keras.Sequential([
            layers.Dense(d_model * ffn_mult, activation="gelu"),
            layers.Dropout(dropout),
            layers.Dense(d_model),
        ])
        self.drop = layers.Dropout(dropout)

    def call(self, x, training=False):
        h = self.norm1(x)                                   # pre-norm
        h = self.attn(h, h, training=training)
        x = x + self.drop(h, training=training)
        h = self.ffn(self.norm2(x), training=training)
        return x + self.drop(h, training=training)


class FTTransformer(keras.Model):
    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        d = cfg["d_token"]
        self.cat_tok = CategoricalTokenizer(cfg["cat_cards"], d)
        self.num_tok = NumericalTokenizer(d)
        self.cls = CLSToken()
        self.blocks = [
            TransformerBlock(d, cfg["n_heads"], cfg["ffn_mult"], cfg["dropout"], name=f"block_{i}")
            for i in range(cfg["n_blocks"])
        ]
        self.final_norm = layers.LayerNormalization()
        self.head = layers.Dense(cfg["n_classes"])

    def call(self, inputs, training=False):
        x_cat, x_num = inputs["cat"], inputs["num"]
        tokens = tf.concat([self.cat_tok(x_cat), self.num_tok(x_num)], axis=1)
        x = self.cls(tokens)                                # (B, 1 + n_cat + n_num, d)
        for block in self.blocks:
            x = block(x, training=training)
        return self.head(tf.nn.relu(self.final_norm(x[:, 0])))


# ----------------------------------------------------------------------------- data
def synth_data(n, with_label=True):
    cat = np.stack([np.random.randint(0, c, n) for c in CONFIG["cat_cards"]], axis=1)
    num = np.random.randn(n, CONFIG["n_num"]).astype("float32")
    data = {"cat": cat.astype("int32"), "num": num}
    if with_label:
        score = num[:, 0] + 0.5 * num[:, 1] ** 2 + (cat[:, 2] % 4) * 0.3
        label = np.digitize(score, np.quantile(score, [0.25, 0.5, 0.75]))
        return data, label.astype("int32")
    return data


def stratified_kfold(y, n_splits, seed):
    rng = np.random.RandomState(seed)
    fold_of = np.empty_like(y)
    for cls in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == cls))
        fold_of[members] = np.arange(len(members)) % n_splits
    return [(np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)) for k in range(n_splits)]


def subset(d, idx):
    return {k: v[idx] for k, v in d.items()}


def make_ds(features, labels=None, shuffle=False, drop_remainder=False):
    if labels is None:
        ds = tf.data.Dataset.from_tensor_slices(features)
    else:
        ds = tf.data.Dataset.from_tensor_slices((features, labels))
    if shuffle:
        ds = ds.shuffle(2048, seed=CONFIG["seed"], reshuffle_each_iteration=True)
    # fixed batch shape for training keeps train_step from retracing on the last batch
    return ds.batch(CONFIG["batch_size"], drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)


# ----------------------------------------------------------------------------- train one fold
def train_fold(train_feats, train_y, valid_feats, valid_y):
    model = FTTransformer(CONFIG)
    steps_per_epoch = len(train_y) // CONFIG["batch_size"]
    schedule = keras.optimizers.schedules.CosineDecay(
        CONFIG["lr"], decay_steps=steps_per_epoch * CONFIG["epochs"], alpha=0.05
    )
    optimizer = keras.optimizers.AdamW(schedule, weight_decay=1e-5)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc = keras.metrics.SparseCategoricalAccuracy()
    val_loss = keras.metrics.Mean()

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        train_acc.update_state(y, logits)
        return loss

    @tf.function(reduce_retracing=True)
    def predict_step(x):
        return tf.nn.softmax(model(x, training=False), axis=-1)

    train_ds = make_ds(train_feats, train_y, shuffle=True, drop_remainder=True)
    valid_ds = make_ds(valid_feats, valid_y)
    best, best_weights = np.inf, None
    for epoch in range(CONFIG["epochs"]):
        train_acc.reset_state()
        val_loss.reset_state()
        for x, y in train_ds:
            loss = train_step(x, y)
        for x, y in valid_ds:
            p = predict_step(x)
            val_loss.update_state(keras.losses.sparse_categorical_crossentropy(y, p))
        print(f"    epoch {epoch}: train_loss={float(loss):.4f} "
              f"train_acc={float(train_acc.result()):.3f} val_loss={float(val_loss.result()):.4f}")
        if val_loss.result() < best:
            best = float(val_loss.result())
            best_weights = [w.numpy() for w in model.weights]
    for w, v in zip(model.weights, best_weights):
        w.assign(v)

    def predict(feats):
        return np.concatenate([predict_step(x).numpy() for x in make_ds(feats)], axis=0)

    return model, predict


# ----------------------------------------------------------------------------- main
train_X, train_y = synth_data(CONFIG["n_rows"])
test_X = synth_data(CONFIG["n_test"], with_label=False)

oof = np.zeros((CONFIG["n_rows"], CONFIG["n_classes"]), dtype="float32")
test_proba = np.zeros((CONFIG["n_test"], CONFIG["n_classes"]), dtype="float32")

t0 = time.time()
for fold, (tr, va) in enumerate(stratified_kfold(train_y, CONFIG["n_folds"], CONFIG["seed"])):
    print(f"[fold {fold}] train={len(tr)} valid={len(va)}")
    model, predict = train_fold(subset(train_X, tr), train_y[tr], subset(train_X, va), train_y[va])
    if fold == 0:
        print(f"    FTTransformer params: {model.count_params():,}")
    oof[va] = predict(subset(train_X, va))
    test_proba += predict(test_X) / CONFIG["n_folds"]
    print(f"    fold acc: {(oof[va].argmax(1) == train_y[va]).mean():.4f}")

print(f"CV accuracy: {(oof.argmax(1) == train_y).mean():.4f}  ({time.time() - t0:.1f}s)")
print("predicted class distribution:", np.bincount(test_proba.argmax(1), minlength=CONFIG["n_classes"]))
