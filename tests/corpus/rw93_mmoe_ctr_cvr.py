"""MMoE (Multi-gate Mixture-of-Experts) for CTR / CVR prediction on tabular data.

Reference: Ma et al., "Modeling Task Relationships in Multi-task Learning with
Multi-gate Mixture-of-Experts", KDD 2018.

The model is a subclassed keras.Model whose call() returns a dict
{"ctr": ..., "ctcvr": ...}; predict_all() additionally exposes "cvr". CTCVR follows the ESMM trick
(p(click & convert) = p(click) * p(convert | click)), which lets the CVR tower be
trained on the full impression space. Losses are given per key; CVR itself gets no
direct loss.
"""
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


@dataclass
class MMoEConfig:
    num_experts: int = 4
    expert_units: int = 32
    tower_units: tuple = (32, 16)
    embed_dim: int = 8
    tasks: tuple = ("ctr", "cvr")
    cat_vocab: dict = field(
        default_factory=lambda: {"user_id": 500, "item_id": 800, "category": 30, "device": 4}
    )
    num_dense: int = 6
    batch_size: int = 128
    n_samples: int = 2048
    lr: float = 2e-3


class MMoELayer(layers.Layer):
    """Experts are stacked in a single kernel of shape (in_dim, units, num_experts)."""

    def __init__(self, units, num_experts, num_tasks, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.num_experts = num_experts
        self.num_tasks = num_tasks

    def build(self, input_shape):
        in_dim = input_shape[-1]
        self.expert_kernel = self.add_weight(
            name="expert_kernel",
            shape=(in_dim, self.units, self.num_experts),
            initializer="glorot_uniform",
        )
        self.expert_bias = self.add_weight(
            name="expert_bias", shape=(self.units, self.num_experts), initializer="zeros"
        )
        self.gate_kernels = [
            self.add_weight(
                name=f"gate_kernel_{t}",
                shape=(in_dim, self.num_experts),
                initializer="glorot_uniform",
            )
            for t in range(self.num_tasks)
        ]
        self.gate_biases = [
            self.add_weight(name=f"gate_bias_{t}", shape=(self.num_experts,), initializer="zeros")
            for t in range(self.num_tasks)
        ]

    def call(self, x):
        # (batch, in) x (in, units, E) -> (batch, units, E)
        experts = ops.einsum("bi,iue->bue", x, self.expert_kernel) + self.expert_bias
        experts = ops.relu(experts)

        outputs = []
        for kernel, bias in zip(self.gate_kernels, self.gate_biases):
            gate = ops.softmax(ops.matmul(x, kernel) + bias, axis=-1)  # (batch, E)
            gate = ops.expand_dims(gate, axis=1)  # (batch, 1, E)
            outputs.append(ops.sum(experts * gate, axis=-1))  # (batch, units)
        return outputs

    def compute_output_shape(self, input_shape):
        return [(input_shape[0], self.units)] * self.num_tasks

    def get_config(self):
        cfg = super().get_config()
        cfg.update(units=self.units, num_experts=self.num_experts, num_tasks=self.num_tasks)
        return cfg


class Tower(layers.Layer):
    def __init__(self, hidden, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.blocks = [layers.Dense(u, activation="relu") for u in hidden]
        self.dropout = layers.Dropout(0.1)
        self.logit = layers.Dense(1)

    def call(self, x, training=False):
        for dense in self.blocks:
            x = dense(x)
        x = self.dropout(x, training=training)
        return self.logit(x)


class MMoEModel(keras.Model):
    def __init__(self, cfg: MMoEConfig, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.embeddings = {
            name: layers.Embedding(vocab, cfg.embed_dim, name=f"emb_{name}")
            for name, vocab in cfg.cat_vocab.items()
        }
        self.dense_bn = layers.BatchNormalization(name="dense_bn")
        self.mmoe = MMoELayer(cfg.expert_units, cfg.num_experts, len(cfg.tasks), name="mmoe")
        self.towers = {t: Tower(cfg.tower_units, name=f"{t}_tower") for t in cfg.tasks}

    def _forward(self, inputs, training=False):
        embs = [
            self.embeddings[name](inputs[name]) for name in self.cfg.cat_vocab
        ]  # each (batch, embed_dim)
        dense = self.dense_bn(inputs["dense"], training=training)
        x = ops.concatenate(embs + [dense], axis=-1)

        task_feats = self.mmoe(x)
        logits = {t: self.towers[t](f, training=training) for t, f in zip(self.cfg.tasks, task_feats)}
        p_ctr = ops.sigmoid(logits["ctr"])
        p_cvr = ops.sigmoid(logits["cvr"])
        return p_ctr, p_cvr

    def call(self, inputs, training=False):
        # Only the supervised heads go through fit(); Keras 3 expects a label for
        # every output key when metrics are given as a dict.
        p_ctr, p_cvr = self._forward(inputs, training=training)
        return {"ctr": p_ctr, "ctcvr": p_ctr * p_cvr}

    def predict_all(self, inputs):
        """Serving helper that also exposes the (unsupervised) CVR tower."""
        p_ctr, p_cvr = self._forward(inputs, training=False)
        return {"ctr": p_ctr, "cvr": p_cvr, "ctcvr": p_ctr * p_cvr}


def synth_impressions(cfg: MMoEConfig, seed=7):
    rs = np.random.default_rng(seed)
    n = cfg.n_samples
    feats = {name: rs.integers(0, vocab, size=(n,)) for name, vocab in cfg.cat_vocab.items()}
    feats["dense"] = rs.normal(size=(n, cfg.num_dense)).astype("float32")

    # hidden propensity driven by a couple of features
    score = 0.8 * feats["dense"][:, 0] - 0.5 * feats["dense"][:, 1] + (feats["category"] % 3 == 0)
    click = (rs.random(n) < 1 / (1 + np.exp(-(score - 1.0)))).astype("float32")
    conv_given_click = (rs.random(n) < 1 / (1 + np.exp(-(feats["dense"][:, 2] - 0.5)))).astype("float32")
    conversion = click * conv_given_click  # can only convert after a click
    labels = {"ctr": click[:, None], "ctcvr": conversion[:, None]}
    return feats, labels


def main():
    cfg = MMoEConfig()
    feats, labels = synth_impressions(cfg)
    print(f"CTR={labels['ctr'].mean():.3f}  CTCVR={labels['ctcvr'].mean():.3f}")

    ds = (
        tf.data.Dataset.from_tensor_slices((feats, labels))
        .shuffle(cfg.n_samples, reshuffle_each_iteration=True)
        .batch(cfg.batch_size, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )
    train_ds = ds.take(12)
    val_ds = ds.skip(12)

    model = MMoEModel(cfg, name="mmoe_esmm")
    model.compile(
        optimizer=keras.optimizers.Adam(cfg.lr),
        loss={
            "ctr": keras.losses.BinaryCrossentropy(),
            "ctcvr": keras.losses.BinaryCrossentropy(),
        },
        loss_weights={"ctr": 1.0, "ctcvr": 1.0},
        metrics={
            "ctr": [keras.metrics.AUC(name="auc")],
            "ctcvr": [keras.metrics.AUC(name="auc")],
        },
    )
    model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)
    model.summary()

    batch_x, _ = next(iter(val_ds))
    preds = model.predict_all(batch_x)
    for k, v in preds.items():
        print(f"{k:>6s}: shape={tuple(v.shape)} mean={float(ops.mean(v)):.4f}")


if __name__ == "__main__":
    main()
