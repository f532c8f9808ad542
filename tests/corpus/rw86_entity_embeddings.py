"""Entity embeddings for categorical variables (Guo & Berkhahn, 2016).

Rossmann-style daily sales regression on a synthetic numpy table. Every
categorical column gets its own Embedding; a subclassed Model concatenates them
with the continuous columns. Trained with a hand-written GradientTape loop,
then the learned store embeddings are inspected with cosine similarity.
"""
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf


@dataclass
class Config:
    n_rows: int = 4000
    n_stores: int = 60
    batch_size: int = 128
    steps: int = 40
    lr: float = 2e-3
    hidden: tuple = (128, 64)
    dropout: float = 0.1
    # column name -> cardinality; filled in at runtime for "store"
    cardinalities: dict = field(default_factory=lambda: {
        "day_of_week": 7,
        "month": 12,
        "promo": 2,
        "state_holiday": 4,
        "store_type": 4,
    })
    n_continuous: int = 3  # competition_distance, customers_lag, temperature


def embedding_size(cardinality):
    # fast.ai heuristic
    return int(min(50, round(1.6 * cardinality ** 0.56)))


def make_table(cfg: Config, seed: int = 0):
    """Returns (X_cat int32 [N, C], X_cont float32 [N, K], y float32 [N]) plus column order."""
    rng = np.random.default_rng(seed)
    cards = {"store": cfg.n_stores, **cfg.cardinalities}
    cat_cols = list(cards)
    X_cat = np.stack([rng.integers(0, c, cfg.n_rows) for c in cards.values()], axis=1).astype("int32")

    store_effect = rng.normal(0, 0.5, cfg.n_stores)
    dow_effect = np.array([0.1, 0.0, -0.05, 0.0, 0.15, 0.3, -0.8])
    X_cont = np.column_stack([
        np.log1p(rng.exponential(2000, cfg.n_rows)),
        rng.normal(0, 1, cfg.n_rows),
        rng.normal(15, 8, cfg.n_rows) / 10.0,
    ]).astype("float32")

    log_sales = (
        8.5
        + store_effect[X_cat[:, 0]]
        + dow_effect[X_cat[:, cat_cols.index("day_of_week")]]
        + 0.4 * X_cat[:, cat_cols.index("promo")]
        - 0.05 * X_cont[:, 0]
        + 0.2 * X_cont[:, 1]
        + rng.normal(0, 0.1, cfg.n_rows)
    )
    return X_cat, X_cont, log_sales.astype("float32"), cards


class EntityEmbeddingNet(tf.keras.Model):
    def __init__(self, cardinalities, hidden=(128, 64), dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.col_names = list(cardinalities)
        self.embeddings = [
            tf.keras.layers.Embedding(card, embedding_size(card), name=f"emb_{name}")
            for name, card in cardinalities.items()
        ]
        self.emb_dropout = tf.keras.layers.Dropout(dropout)
        self.cont_bn = tf.keras.layers.BatchNormalization()
        self.blocks = []
        for units in hidden:
            self.blocks.append(tf.keras.layers.Dense(units, activation="relu"))
            self.blocks.append(tf.keras.layers.Dropout(dropout))
        self.head = tf.keras.layers.Dense(1)

    def call(self, inputs, training=False):
        x_cat, x_cont = inputs
        # x_cat[:, i] -> (batch,) -> embedding -> (batch, emb_dim)
        embedded = [emb(x_cat[:, i]) for i, emb in enumerate(self.embeddings)]
        x = tf.concat(embedded, axis=-1)
        x = self.emb_dropout(x, training=training)
        x = tf.concat([x, self.cont_bn(x_cont, training=training)], axis=-1)
        for layer in self.blocks:
            x = layer(x, training=training)
        return tf.squeeze(self.head(x), axis=-1)


def rmspe(y_true_log, y_pred_log):
    """Root mean squared percentage error on the original sales scale."""
    y_true = tf.exp(y_true_log)
    y_pred = tf.exp(y_pred_log)
    return tf.sqrt(tf.reduce_mean(tf.square((y_true - y_pred) / y_true)))


def train(cfg: Config):
    X_cat, X_cont, y, cards = make_table(cfg)
    n_val = cfg.n_rows // 5
    y_mean = float(y[n_val:].mean())

    train_ds = (
        tf.data.Dataset.from_tensor_slices(((X_cat[n_val:], X_cont[n_val:]), y[n_val:]))
        .shuffle(2048, seed=1)
        .repeat()
        .batch(cfg.batch_size, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )
    val_inputs = (tf.constant(X_cat[:n_val]), tf.constant(X_cont[:n_val]))
    val_y = tf.constant(y[:n_val])

    model = EntityEmbeddingNet(cards, hidden=cfg.hidden, dropout=cfg.dropout)
    optimizer = tf.keras.optimizers.Adam(cfg.lr)
    loss_fn = tf.keras.losses.MeanSquaredError()
    train_loss = tf.keras.metrics.Mean(name="train_loss")

    # Initialise the output bias at the mean target so early steps are sane.
    model((val_inputs[0][:2], val_inputs[1][:2]))
    model.head.bias.assign([y_mean])
    print("embedding dims:", {n: e.output_dim for n, e in zip(model.col_names, model.embeddings)})
    model.summary()

    @tf.function
    def train_step(inputs, targets):
        with tf.GradientTape() as tape:
            preds = model(inputs, training=True)
            loss = loss_fn(targets, preds)
        grads = tape.gradient(loss, model.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 5.0)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        train_loss.update_state(loss)
        return loss

    @tf.function
    def eval_step(inputs, targets):
        preds = model(inputs, training=False)
        return loss_fn(targets, preds), rmspe(targets, preds)

    for step, (xb, yb) in enumerate(train_ds.take(cfg.steps), start=1):
        train_step(xb, yb)
        if step % 10 == 0:
            val_mse, val_rmspe = eval_step(val_inputs, val_y)
            print(
                f"step {step:3d}  train_mse={train_loss.result():.4f}  "
                f"val_mse={float(val_mse):.4f}  val_rmspe={float(val_rmspe):.3f}"
            )
            train_loss.reset_state()
    return model


def nearest_stores(model, store_id, k=3):
    table = model.embeddings[0].embeddings  # (n_stores, dim)
    normed = tf.math.l2_normalize(table, axis=1)
    sims = tf.linalg.matvec(normed, normed[store_id])
    _, idx = tf.math.top_k(sims, k=k + 1)
    return idx.numpy()[1:].tolist()


if __name__ == "__main__":
    tf.random.set_seed(0)
    cfg = Config()
    model = train(cfg)
    print("stores most similar to store 0:", nearest_stores(model, 0))
