"""FT-Transformer (Gorishniy et al., 2021) for tabular regression, trained with a
hand-written GradientTape loop.

Every feature -- numeric or categorical -- becomes one token:
  numeric x_j     -> x_j * W_j + b_j          (per-feature linear tokenizer)
  categorical c_j -> E_j[c_j] + b_j           (per-feature embedding table)
A learned [CLS] token is prepended and its final state feeds the regression head.
"""
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


@dataclass
class FTConfig:
    n_numeric: int = 6
    cat_cardinalities: list = field(default_factory=lambda: [5, 12, 3, 7])
    d_token: int = 32
    n_blocks: int = 2
    n_heads: int = 4
    ffn_factor: float = 4 / 3
    attention_dropout: float = 0.1
    ffn_dropout: float = 0.05
    residual_dropout: float = 0.0
    batch_size: int = 64
    n_train: int = 1024
    n_val: int = 256
    epochs: int = 1
    lr: float = 1e-3
    weight_decay: float = 1e-5
    seed: int = 7


class FeatureTokenizer(layers.Layer):
    """Turns (x_num, x_cat) into a (batch, n_tokens, d_token) tensor."""

    def __init__(self, n_numeric, cat_cardinalities, d_token, **kwargs):
        super().__init__(**kwargs)
        self.n_numeric = n_numeric
        self.cat_cardinalities = list(cat_cardinalities)
        self.d_token = d_token
        # all categorical vocabularies share one big table with per-feature offsets,
        # which is how the reference implementation does it
        offsets = np.concatenate([[0], np.cumsum(self.cat_cardinalities)[:-1]])
        self.category_offsets = ops.convert_to_tensor(offsets, dtype="int32")
        self.cat_embeddings = layers.Embedding(
            input_dim=int(sum(self.cat_cardinalities)),
            output_dim=d_token,
            embeddings_initializer=keras.initializers.RandomUniform(
                -d_token ** -0.5, d_token ** -0.5),
            name="cat_embeddings",
        )

    def build(self, input_shape):
        init = keras.initializers.RandomUniform(-self.d_token ** -0.5, self.d_token ** -0.5)
        self.num_weight = self.add_weight(
            name="num_weight", shape=(self.n_numeric, self.d_token), initializer=init)
        n_tokens = self.n_numeric + len(self.cat_cardinalities)
        self.bias = self.add_weight(
            name="bias", shape=(n_tokens, self.d_token), initializer=init)
        self.cat_embeddings.build((None, len(self.cat_cardinalities)))

    @property
    def n_tokens(self):
        return self.n_numeric + len(self.cat_cardinalities)

    def call(self, inputs):
        x_num, x_cat = inputs
        # (B, n_num, 1) * (n_num, d) -> (B, n_num, d)
        num_tokens = ops.expand_dims(x_num, -1) * self.num_weight
        cat_tokens = self.cat_embeddings(x_cat + self.category_offsets)
        tokens = ops.concatenate([num_tokens, cat_tokens], axis=1)
        return tokens + self.bias


class CLSToken(layers.Layer):
    def __init__(self, d_token, **kwargs):
        super().__init__(**kwargs)
        self.d_token = d_token

    def build(self, input_shape):
        self.weight = self.add_weight(
            name="cls", shape=(self.d_token,),
            initializer=keras.initializers.RandomUniform(-self.d_token ** -0.5, self.d_token ** -0.5))

    def call(self, tokens):
        batch = ops.shape(tokens)[0]
        cls = ops.broadcast_to(self.weight[None, None, :], (batch, 1, self.d_token))
        return ops.concatenate([cls, tokens], axis=1)


class ReGLU(layers.Layer):
    def call(self, x):
        a, b = ops.split(x, 2, axis=-1)
        return a * ops.relu(b)


class FTBlock(layers.Layer):
    """Pre-norm transformer block. The first block skips the attention LayerNorm."""

    def __init__(self, cfg: FTConfig, prenormalize_attention=True, last=False, **kwargs):
        super().__init__(**kwargs)
        d_hidden = int(cfg.d_token * cfg.ffn_factor)
        self.last = last
        self.attn_norm = layers.LayerNormalization() if prenormalize_attention else None
        self.attn = layers.MultiHeadAttention(
            num_heads=cfg.n_heads, key_dim=cfg.d_token // cfg.n_heads,
            dropout=cfg.attention_dropout)
        self.ffn_norm = layers.LayerNormalization()
        self.ffn_in = layers.Dense(d_hidden * 2)
        self.reglu = ReGLU()
        self.ffn_drop = layers.Dropout(cfg.ffn_dropout)
        self.ffn_out = layers.Dense(cfg.d_token)
        self.res_drop = layers.Dropout(cfg.residual_dropout)

    def call(self, x, training=False):
        x_norm = self.attn_norm(x) if self.attn_norm is not None else x
        if self.last:
            # only the CLS token is needed after the last block -> query = x[:, :1]
            query = x_norm[:, :1]
            x = x[:, :1]
        else:
            query = x_norm
        h = self.attn(query, x_norm, training=training)
        x = x + self.res_drop(h, training=training)

        h = self.ffn_norm(x)
        h = self.ffn_in(h)
        h = self.reglu(h)
        h = self.ffn_drop(h, training=training)
        h = self.ffn_out(h)
        return x + self.res_drop(h, training=training)


class FTTransformer(keras.Model):
    def __init__(self, cfg: FTConfig, d_out=1, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.tokenizer = FeatureTokenizer(cfg.n_numeric, cfg.cat_cardinalities, cfg.d_token)
        self.cls = CLSToken(cfg.d_token)
        self.blocks = [
            FTBlock(cfg, prenormalize_attention=(i > 0), last=(i == cfg.n_blocks - 1),
                    name=f"block_{i}")
            for i in range(cfg.n_blocks)
        ]
        self.head_norm = layers.LayerNormalization()
        self.head = layers.Dense(d_out)

    def call(self, inputs, training=False):
        x = self.tokenizer(inputs)
        x = self.cls(x)
        for block in self.blocks:
            x = block(x, training=training)
        x = x[:, 0]  # (B, d_token) -- CLS
        x = ops.relu(self.head_norm(x))
        return self.head(x)


def make_data(cfg: FTConfig, n, rng):
    x_num = rng.normal(size=(n, cfg.n_numeric)).astype("float32")
    x_cat = np.stack([rng.integers(0, c, size=n) for c in cfg.cat_cardinalities], axis=1)
    x_cat = x_cat.astype("int32")
    # nonlinear target with interactions between numeric and categorical columns
    cat_effect = np.sin(x_cat[:, 0]) + 0.3 * (x_cat[:, 1] % 3)
    y = x_num[:, 0] * x_num[:, 1] + np.tanh(x_num[:, 2]) + cat_effect
    y += 0.1 * rng.normal(size=n)
    return x_num, x_cat, y.astype("float32")[:, None]


def build_dataset(x_num, x_cat, y, cfg, training):
    ds = tf.data.Dataset.from_tensor_slices(((x_num, x_cat), y))
    if training:
        ds = ds.shuffle(len(y), seed=cfg.seed, reshuffle_each_iteration=True)
    return ds.batch(cfg.batch_size, drop_remainder=training).prefetch(tf.data.AUTOTUNE)


def main(cfg: FTConfig):
    keras.utils.set_random_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)

    train = make_data(cfg, cfg.n_train, rng)
    val = make_data(cfg, cfg.n_val, rng)

    # standardise numerics + target using train statistics only
    num_mean, num_std = train[0].mean(0), train[0].std(0) + 1e-6
    y_mean, y_std = train[2].mean(), train[2].std()
    norm = lambda d: ((d[0] - num_mean) / num_std, d[1], (d[2] - y_mean) / y_std)
    train_ds = build_dataset(*norm(train), cfg, training=True)
    val_ds = build_dataset(*norm(val), cfg, training=False)

    model = FTTransformer(cfg, name="ft_transformer")
    model((ops.zeros((2, cfg.n_numeric)), ops.zeros((2, len(cfg.cat_cardinalities)), "int32")))
    model.summary()

    # no weight decay on tokenizer, norms and biases (as in the paper)
    optimizer = keras.optimizers.AdamW(learning_rate=cfg.lr, weight_decay=cfg.weight_decay)
    optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta", "cls", "num_weight"])
    loss_fn = keras.losses.MeanSquaredError()
    train_loss = keras.metrics.Mean(name="train_loss")
    val_rmse = keras.metrics.RootMeanSquaredError(name="val_rmse")

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            pred = model(x, training=True)
            loss = loss_fn(y, pred)
        grads = tape.gradient(loss, model.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 1.0)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        train_loss.update_state(loss)
        return loss

    @tf.function
    def eval_step(x, y):
        pred = model(x, training=False)
        val_rmse.update_state(y, pred)

    for epoch in range(cfg.epochs):
        train_loss.reset_state()
        val_rmse.reset_state()
        for step, (x, y) in enumerate(train_ds):
            loss = train_step(x, y)
            if step % 5 == 0:
                print(f"epoch {epoch} step {step:3d} loss {float(loss):.4f}")
        for x, y in val_ds:
            eval_step(x, y)
        print(f"epoch {epoch}: train_loss={train_loss.result():.4f} "
              f"val_rmse(std units)={val_rmse.result():.4f} "
              f"val_rmse(raw)={val_rmse.result() * y_std:.4f}")

    # attention-free feature importance proxy: norm of each token's bias
    token_names = [f"num_{i}" for i in range(cfg.n_numeric)] + \
                  [f"cat_{i}" for i in range(len(cfg.cat_cardinalities))]
    bias_norms = ops.convert_to_numpy(ops.norm(model.tokenizer.bias, axis=-1))
    for name, v in sorted(zip(token_names, bias_norms), key=lambda t: -t[1])[:5]:
        print(f"{name:>8s}: {v:.3f}")


if __name__ == "__main__":
    main(FTConfig())
