"""Sparse Mixture-of-Experts dense layer (top-k gating) for Keras 3.

Experts are stored as stacked weight tensors created with `add_weight`
and evaluated with einsum, so the layer is a handful of keras.ops calls.
An auxiliary load-balancing loss (Switch Transformer style) is registered
with `self.add_loss`. Demo: tabular regression on synthetic piecewise data.
"""
import numpy as np
import keras
from keras import ops

NUM_FEATURES = 12
NUM_EXPERTS = 6
TOP_K = 2
EXPERT_UNITS = 32
AUX_LOSS_WEIGHT = 1e-2


class TopKMoE(keras.layers.Layer):
    def __init__(self, units, num_experts=4, top_k=2, aux_weight=1e-2,
                 gate_noise=1.0, activation="relu", seed=None, **kwargs):
        super().__init__(**kwargs)
        if top_k > num_experts:
            raise ValueError(f"top_k={top_k} > num_experts={num_experts}")
        self.units = units
        self.num_experts = num_experts
        self.top_k = top_k
        self.aux_weight = aux_weight
        self.gate_noise = gate_noise
        self.activation = keras.activations.get(activation)
        self.seed_gen = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        in_dim = input_shape[-1]
        self.gate_kernel = self.add_weight(
            name="gate_kernel", shape=(in_dim, self.num_experts),
            initializer="zeros")  # uniform routing at init
        self.expert_kernel = self.add_weight(
            name="expert_kernel", shape=(self.num_experts, in_dim, self.units),
            initializer=keras.initializers.VarianceScaling(2.0, "fan_in"))
        self.expert_bias = self.add_weight(
            name="expert_bias", shape=(self.num_experts, self.units),
            initializer="zeros")

    def _route(self, x, training):
        logits = ops.matmul(x, self.gate_kernel)                      # (B, E)
        if training and self.gate_noise > 0:
            logits = logits + self.gate_noise * keras.random.normal(
                ops.shape(logits), seed=self.seed_gen) / self.num_experts
        top_vals, top_idx = ops.top_k(logits, k=self.top_k)           # (B, K)
        top_w = ops.softmax(top_vals, axis=-1)
        # scatter the k weights back into a dense (B, E) combine matrix
        onehots = ops.one_hot(top_idx, self.num_experts)              # (B, K, E)
        combine = ops.sum(onehots * ops.expand_dims(top_w, -1), axis=1)
        return logits, combine, onehots

    def call(self, x, training=None):
        logits, combine, onehots = self._route(x, training)
        # every expert on every row is wasteful but fine for small E on CPU
        h = ops.einsum("bd,edu->beu", x, self.expert_kernel) + self.expert_bias
        h = self.activation(h)                                        # (B, E, U)
        out = ops.einsum("be,beu->bu", combine, h)

        # load balancing: fraction routed * mean gate prob, per expert
        probs = ops.softmax(logits, axis=-1)
        frac_routed = ops.mean(ops.max(onehots, axis=1), axis=0) / self.top_k
        mean_prob = ops.mean(probs, axis=0)
        aux = self.num_experts * ops.sum(frac_routed * mean_prob)
        self.add_loss(self.aux_weight * aux)
        return out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(units=self.units, num_experts=self.num_experts, top_k=self.top_k,
                   aux_weight=self.aux_weight, gate_noise=self.gate_noise,
                   activation=keras.activations.serialize(self.activation))
        return cfg


def make_regression_data(n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, NUM_FEATURES)).astype("float32")
    # different regimes depending on the sign pattern of two features
    regime = (X[:, 0] > 0).astype(int) * 2 + (X[:, 1] > 0).astype(int)
    W = rng.normal(size=(4, NUM_FEATURES)).astype("float32")
    y = np.einsum("nd,nd->n", X, W[regime]) + 0.1 * rng.normal(size=n)
    return X, y.astype("float32")[:, None], regime


def build_model():
    inp = keras.Input((NUM_FEATURES,), name="features")
    x = keras.layers.BatchNormalization()(inp)
    x = TopKMoE(EXPERT_UNITS, NUM_EXPERTS, TOP_K, AUX_LOSS_WEIGHT, seed=11,
                name="moe_1")(x)
    x = keras.layers.Dropout(0.1)(x)
    x = TopKMoE(EXPERT_UNITS // 2, NUM_EXPERTS, TOP_K, AUX_LOSS_WEIGHT, seed=12,
                activation="gelu", name="moe_2")(x)
    out = keras.layers.Dense(1, name="y")(x)
    return keras.Model(inp, out, name="moe_regressor")


def expert_usage(model, layer_name, X):
    """Histogram of which experts the router picks for a batch."""
    layer = model.get_layer(layer_name)
    feats = keras.Model(model.input, layer.input)(X)
    _, combine, _ = layer._route(feats, training=False)
    picked = ops.convert_to_numpy(ops.sum(ops.cast(combine > 0, "int32"), axis=0))
    return picked


if __name__ == "__main__":
    keras.utils.set_random_seed(3)
    X, y, regime = make_regression_data(512)
    X_val, y_val, _ = make_regression_data(128, seed=1)

    model = build_model()
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse",
                  metrics=[keras.metrics.MeanAbsoluteError(name="mae")])
    before = model.evaluate(X_val, y_val, verbose=0, return_dict=True)
    model.fit(X, y, batch_size=64, epochs=3, validation_data=(X_val, y_val),
              callbacks=[keras.callbacks.EarlyStopping(patience=2,
                                                       restore_best_weights=True)],
              verbose=2)
    after = model.evaluate(X_val, y_val, verbose=0, return_dict=True)
    print("val mae before/after:", round(before["mae"], 3), round(after["mae"], 3))
    print("aux losses tracked:", len(model.losses))
    print("moe_1 expert usage:", expert_usage(model, "moe_1", X[:256]).tolist())

    # the layer should be re-creatable from its config
    clone = TopKMoE.from_config(model.get_layer("moe_2").get_config())
    print("cloned layer output:", clone(ops.zeros((3, EXPERT_UNITS))).shape)
