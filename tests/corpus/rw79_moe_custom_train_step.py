"""Top-k Mixture-of-Experts layer + Keras 3 model with an overridden train_step.

* `TopKMoE` keeps all expert weights in stacked tensors (E, D, H) and runs
  them densely with einsum, then mixes with a sparse top-k gate. The
  Switch-Transformer style load-balancing loss is registered with add_loss.
* `MoEClassifier` overrides train_step/test_step (TensorFlow backend) to
  report the task loss and the auxiliary loss as separate tracked metrics.
* Both are serializable; the model is saved/loaded as .keras at the end.
"""
import os
import tempfile

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

CONFIG = dict(
    num_features=24,
    num_classes=3,
    d_model=32,
    num_experts=4,
    expert_hidden=48,
    top_k=2,
    aux_weight=1e-2,
    batch_size=32,
    n_train=640,
    n_val=160,
)


@keras.saving.register_keras_serializable(package="rw79_moe")
class TopKMoE(layers.Layer):
    def __init__(self, num_experts, hidden_dim, top_k=2, aux_weight=1e-2,
                 kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        if top_k > num_experts:
            raise ValueError("top_k cannot exceed num_experts")
        self.num_experts = num_experts
        self.hidden_dim = hidden_dim
        self.top_k = top_k
        self.aux_weight = aux_weight
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        d = input_shape[-1]
        e, h = self.num_experts, self.hidden_dim
        self.router = self.add_weight(name="router", shape=(d, e),
                                      initializer=self.kernel_initializer)
        self.w_in = self.add_weight(name="w_in", shape=(e, d, h),
                                    initializer=self.kernel_initializer)
        self.b_in = self.add_weight(name="b_in", shape=(e, h), initializer="zeros")
        self.w_out = self.add_weight(name="w_out", shape=(e, h, d),
                                     initializer=self.kernel_initializer)
        self.b_out = self.add_weight(name="b_out", shape=(e, d), initializer="zeros")
        self.built = True

    def call(self, x):
        # x: (B, D)
        logits = ops.matmul(x, self.router)                       # (B, E)
        probs = ops.softmax(logits, axis=-1)
        top_vals, top_idx = ops.top_k(probs, k=self.top_k)        # (B, k)
        top_vals = top_vals / ops.sum(top_vals, axis=-1, keepdims=True)
        # scatter the renormalised top-k weights back to a dense (B, E) gate
        onehot = ops.one_hot(top_idx, self.num_experts)            # (B, k, E)
        gates = ops.sum(onehot * ops.expand_dims(top_vals, -1), axis=1)

        # load-balancing loss: E * sum_e(fraction routed to e * mean prob of e)
        dispatched = ops.mean(ops.sum(onehot, axis=1), axis=0) / self.top_k
        importance = ops.mean(probs, axis=0)
        aux = self.num_experts * ops.sum(dispatched * importance)
        self.add_loss(self.aux_weight * aux)

        h = ops.einsum("bd,edh->beh", x, self.w_in) + self.b_in    # (B, E, H)
        h = ops.gelu(h)
        y = ops.einsum("beh,ehd->bed", h, self.w_out) + self.b_out  # (B, E, D)
        return ops.einsum("be,bed->bd", gates, y)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({
            "num_experts": self.num_experts,
            "hidden_dim": self.hidden_dim,
            "top_k": self.top_k,
            "aux_weight": self.aux_weight,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        })
        return config


@keras.saving.register_keras_serializable(package="rw79_moe")
class MoEClassifier(keras.Model):
    def __init__(self, num_classes, d_model, num_experts, expert_hidden,
                 top_k=2, aux_weight=1e-2, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.d_model = d_model
        self.num_experts = num_experts
        self.expert_hidden = expert_hidden
        self.top_k = top_k
        self.aux_weight = aux_weight

        self.proj = layers.Dense(d_model, name="proj")
        self.norm1 = layers.LayerNormalization(name="norm1")
        self.moe = TopKMoE(num_experts, expert_hidden, top_k, aux_weight, name="moe")
        self.norm2 = layers.LayerNormalization(name="norm2")
        self.head = layers.Dense(num_classes, name="head")

        self.task_loss_tracker = keras.metrics.Mean(name="task_loss")
        self.aux_loss_tracker = keras.metrics.Mean(name="aux_loss")
        self.acc = keras.metrics.SparseCategoricalAccuracy(name="acc")

    def call(self, x, training=False):
        h = self.proj(x)
        h = h + self.moe(self.norm1(h))   # residual around the expert mixture
        return self.head(self.norm2(h))

    @property
    def metrics(self):
        # listed here so fit() resets them each epoch
        return [self.task_loss_tracker, self.aux_loss_tracker, self.acc]

    def _forward_and_losses(self, x, y, training):
        logits = self(x, training=training)
        task = keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)
        task = ops.mean(task)
        aux = ops.sum(ops.stack(self.losses)) if self.losses else ops.zeros(())
        return logits, task, aux

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            logits, task, aux = self._forward_and_losses(x, y, training=True)
            loss = task + aux
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.task_loss_tracker.update_state(task)
        self.aux_loss_tracker.update_state(aux)
        self.acc.update_state(y, logits)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        logits, task, aux = self._forward_and_losses(x, y, training=False)
        self.task_loss_tracker.update_state(task)
        self.aux_loss_tracker.update_state(aux)
        self.acc.update_state(y, logits)
        return {m.name: m.result() for m in self.metrics}

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "d_model": self.d_model,
            "num_experts": self.num_experts,
            "expert_hidden": self.expert_hidden,
            "top_k": self.top_k,
            "aux_weight": self.aux_weight,
        }


def clustered_data(n, cfg, seed):
    """Each class is a mixture of a few gaussian clusters - experts should specialise."""
    rng = np.random.default_rng(seed)
    centers = np.random.default_rng(123).normal(scale=2.0, size=(cfg["num_classes"] * 3, cfg["num_features"]))
    which = rng.integers(0, len(centers), size=n)
    x = centers[which] + rng.normal(size=(n, cfg["num_features"]))
    y = which % cfg["num_classes"]
    return x.astype("float32"), y.astype("int32")


def expert_usage(model, x):
    """Which experts does the router pick? Uses the layer weights directly."""
    h = model.norm1(model.proj(x))
    probs = ops.softmax(ops.matmul(h, model.moe.router), axis=-1)
    _, idx = ops.top_k(probs, k=model.top_k)
    counts = np.bincount(ops.convert_to_numpy(idx).ravel(), minlength=model.num_experts)
    return counts / counts.sum()


def main(cfg=CONFIG):
    keras.utils.set_random_seed(2024)
    x_tr, y_tr = clustered_data(cfg["n_train"], cfg, seed=0)
    x_va, y_va = clustered_data(cfg["n_val"], cfg, seed=1)

    model = MoEClassifier(
        num_classes=cfg["num_classes"], d_model=cfg["d_model"],
        num_experts=cfg["num_experts"], expert_hidden=cfg["expert_hidden"],
        top_k=cfg["top_k"], aux_weight=cfg["aux_weight"], name="moe_clf",
    )
    model.compile(optimizer=keras.optimizers.Adam(2e-3))
    model(x_tr[:2])  # build
    model.summary()

    hist = model.fit(x_tr, y_tr, validation_data=(x_va, y_va),
                     batch_size=cfg["batch_size"], epochs=2, verbose=2)
    print("final val acc:", round(hist.history["val_acc"][-1], 3))
    print("expert usage:", np.round(expert_usage(model, x_va), 3))

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "moe_clf.keras")
        model.save(path)
        restored = keras.models.load_model(path)

    p1 = ops.convert_to_numpy(model(x_va[:16]))
    p2 = ops.convert_to_numpy(restored(x_va[:16]))
    np.testing.assert_allclose(p1, p2, atol=1e-5)
    print("restored top_k:", restored.moe.top_k, "| experts:", restored.moe.w_in.shape)
    print("restored evaluate:", restored.evaluate(x_va, y_va, verbose=0, return_dict=True))


if __name__ == "__main__":
    main()
