"""Sparse mixture-of-experts block written only with keras.ops.

Tokens are routed to the top-k experts; the expert outputs are gathered and
combined with renormalised gate weights. The model is trained for a couple of
epochs on a toy sequence-regression task, saved as .keras and reloaded.
"""
import os

import numpy as np
import keras
from keras import layers, ops

SEQ_LEN = 12
D_MODEL = 32
NUM_EXPERTS = 4
TOP_K = 2
N_SAMPLES = 384
BATCH = 32
SAVE_PATH = "/tmp/rw119_moe_router_model.keras"

keras.utils.set_random_seed(7)


@keras.saving.register_keras_serializable(package="rw119_moe")
class TopKMoE(layers.Layer):
    def __init__(self, num_experts=4, top_k=2, hidden_dim=64, aux_weight=0.01, **kwargs):
        super().__init__(**kwargs)
        self.num_experts = num_experts
        self.top_k = top_k
        self.hidden_dim = hidden_dim
        self.aux_weight = aux_weight

    def build(self, input_shape):
        d = input_shape[-1]
        self.router = self.add_weight(name="router", shape=(d, self.num_experts),
                                      initializer="glorot_uniform")
        self.w_in = self.add_weight(name="w_in", shape=(self.num_experts, d, self.hidden_dim),
                                    initializer="he_normal")
        self.b_in = self.add_weight(name="b_in", shape=(self.num_experts, self.hidden_dim),
                                    initializer="zeros")
        self.w_out = self.add_weight(name="w_out", shape=(self.num_experts, self.hidden_dim, d),
                                     initializer="glorot_uniform")

    def call(self, x):
        # x: (batch, seq, d)
        logits = ops.matmul(x, self.router)                      # (b, s, E)
        probs = ops.softmax(logits, axis=-1)
        top_vals, top_idx = ops.top_k(probs, k=self.top_k)      # (b, s, k)
        gates = top_vals / (ops.sum(top_vals, axis=-1, keepdims=True) + 1e-9)

        # run every expert densely (cheap at this size), then pick the chosen ones
        h = ops.einsum("bsd,edh->bseh", x, self.w_in) + self.b_in
        h = ops.gelu(h)
        expert_out = ops.einsum("bseh,ehd->bsed", h, self.w_out)  # (b, s, E, d)

        idx = ops.expand_dims(top_idx, axis=-1)                   # (b, s, k, 1)
        picked = ops.take_along_axis(expert_out, idx, axis=2)     # (b, s, k, d)
        out = ops.sum(picked * ops.expand_dims(gates, -1), axis=2)

        # load balancing auxiliary loss (fraction routed * mean prob)
        one_hot = ops.one_hot(top_idx[..., 0], self.num_experts)
        frac = ops.mean(ops.reshape(one_hot, (-1, self.num_experts)), axis=0)
        mean_p = ops.mean(ops.reshape(probs, (-1, self.num_experts)), axis=0)
        self.add_loss(self.aux_weight * self.num_experts * ops.sum(frac * mean_p))
        return out

    def get_config(self):
        cfg = super().get_config()
        cfg.update(num_experts=self.num_experts, top_k=self.top_k,
                   hidden_dim=self.hidden_dim, aux_weight=self.aux_weight)
        return cfg


def make_data(n):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, SEQ_LEN, 8)).astype("float32")
    # target depends on a regime chosen by the sign of the first feature
    regime = (x[..., :1] > 0).astype("float32")
    y = regime * np.sin(x[..., 1:2]) + (1 - regime) * x[..., 2:3] ** 2
    y = y.mean(axis=1)  # (n, 1)
    return x, y.astype("float32")


def build_model():
    inp = keras.Input(shape=(SEQ_LEN, 8))
    h = layers.Dense(D_MODEL)(inp)
    for i in range(2):
        moe = TopKMoE(NUM_EXPERTS, TOP_K, hidden_dim=2 * D_MODEL, name=f"moe_{i}")(
            layers.LayerNormalization()(h))
        h = layers.Add()([h, moe])
    h = layers.GlobalAveragePooling1D()(h)
    out = layers.Dense(1)(h)
    return keras.Model(inp, out, name="moe_regressor")


if __name__ == "__main__":
    x, y = make_data(N_SAMPLES)
    split = int(0.8 * N_SAMPLES)
    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse", metrics=["mae"])
    model.summary()
    hist = model.fit(x[:split], y[:split], validation_data=(x[split:], y[split:]),
                     epochs=2, batch_size=BATCH, verbose=2)
    print("final val mae:", round(hist.history["val_mae"][-1], 4))

    model.save(SAVE_PATH)
    restored = keras.models.load_model(SAVE_PATH)
    a = model.predict(x[split:], verbose=0)
    b = restored.predict(x[split:], verbose=0)
    print("max abs diff after reload:", float(np.max(np.abs(a - b))))
    assert np.allclose(a, b, atol=1e-5)

    # config round trip on the bare layer
    layer = model.get_layer("moe_0")
    clone = TopKMoE.from_config(layer.get_config())
    print("cloned layer config:", {k: clone.get_config()[k] for k in ("num_experts", "top_k", "hidden_dim")})
    os.remove(SAVE_PATH)
