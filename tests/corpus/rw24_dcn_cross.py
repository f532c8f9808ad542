# Deep & Cross Network v2 (Wang et al. 2021) on a Criteo-like CTR dataset.
# Compares stacked vs parallel structure and full-rank vs low-rank (mixture) crosses.
import math

import numpy as np
import keras
from keras import layers, ops

NUM_DENSE = 13
CAT_CARDINALITIES = [97, 512, 33, 1024, 8, 210, 64, 5, 300, 17]
EMB_DIM = 8
N_SAMPLES = 1024


@keras.saving.register_keras_serializable(package="dcn")
class Cross(layers.Layer):
    """x_{l+1} = x0 * (W x_l + b) + x_l, with optional low-rank W = U V^T."""

    def __init__(self, projection_dim=None, diag_scale=0.0, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.projection_dim = projection_dim
        self.diag_scale = diag_scale
        self.use_bias = use_bias

    def build(self, input_shape):
        dim = input_shape[-1]
        if self.projection_dim is None:
            self.dense = layers.Dense(dim, use_bias=self.use_bias, kernel_initializer="glorot_uniform")
        else:
            self.dense_u = layers.Dense(self.projection_dim, use_bias=False)
            self.dense_v = layers.Dense(dim, use_bias=self.use_bias)
        super().build(input_shape)

    def call(self, x0, x=None):
        if x is None:
            x = x0
        if self.projection_dim is None:
            prod = self.dense(x)
        else:
            prod = self.dense_v(self.dense_u(x))
        if self.diag_scale:
            prod = prod + self.diag_scale * x
        return x0 * prod + x

    def get_config(self):
        cfg = super().get_config()
        cfg.update(projection_dim=self.projection_dim, diag_scale=self.diag_scale, use_bias=self.use_bias)
        return cfg


class MixtureCross(layers.Layer):
    """DCN-Mix: several low-rank experts in a projected subspace, gated per example."""

    def __init__(self, num_experts=4, rank=16, **kwargs):
        super().__init__(**kwargs)
        self.num_experts = num_experts
        self.rank = rank

    def build(self, input_shape):
        d = input_shape[-1]
        self.U = self.add_weight(shape=(self.num_experts, d, self.rank), initializer="glorot_uniform", name="U")
        self.V = self.add_weight(shape=(self.num_experts, d, self.rank), initializer="glorot_uniform", name="V")
        self.C = self.add_weight(shape=(self.num_experts, self.rank, self.rank), initializer="glorot_uniform", name="C")
        self.bias = self.add_weight(shape=(d,), initializer="zeros", name="bias")
        self.gate = layers.Dense(self.num_experts, use_bias=False)

    def call(self, x0, x):
        # [B, E, r] = x @ V_e for each expert
        v_x = ops.tanh(ops.einsum("bd,edr->ber", x, self.V))
        c_v_x = ops.tanh(ops.einsum("ber,ers->bes", v_x, self.C))
        u_c_v_x = ops.einsum("bes,eds->bed", c_v_x, self.U) + self.bias
        expert_out = ops.expand_dims(x0, 1) * u_c_v_x  # [B, E, d]
        weights = ops.softmax(self.gate(x), axis=-1)  # [B, E]
        mixed = ops.sum(expert_out * ops.expand_dims(weights, -1), axis=1)
        return mixed + x


def make_data(n, seed=0):
    rng = np.random.default_rng(seed)
    dense = rng.exponential(2.0, size=(n, NUM_DENSE)).astype("float32")
    dense = np.log1p(dense)
    cats = np.stack([rng.integers(0, c, size=n) for c in CAT_CARDINALITIES], axis=1).astype("int32")
    logit = 0.4 * dense[:, 0] * dense[:, 3] - 0.3 * (cats[:, 0] % 3 == cats[:, 4] % 3) + 0.1 * dense[:, 7]
    y = (rng.random(n) < 1 / (1 + np.exp(-(logit - logit.mean())))).astype("float32")
    return {"dense": dense, "cat": cats}, y


def embed_inputs(dense_in, cat_in):
    embs = []
    for idx, card in enumerate(CAT_CARDINALITIES):
        col = layers.Lambda(lambda t, i=idx: t[:, i], name=f"slice_c{idx}")(cat_in)
        dim = min(EMB_DIM, int(6 * math.pow(card, 0.25)))
        embs.append(layers.Embedding(card, dim, name=f"emb_c{idx}")(col))
    return layers.Concatenate(name="x0")([layers.BatchNormalization()(dense_in)] + embs)


def build_dcn(structure="stacked", cross_layers=2, projection_dim=None, deep_units=(128, 64), use_mixture=False):
    dense_in = keras.Input(shape=(NUM_DENSE,), name="dense")
    cat_in = keras.Input(shape=(len(CAT_CARDINALITIES),), dtype="int32", name="cat")
    x0 = embed_inputs(dense_in, cat_in)

    xl = x0
    for i in range(cross_layers):
        if use_mixture:
            xl = MixtureCross(num_experts=4, rank=8, name=f"mix_cross_{i}")(x0, xl)
        else:
            xl = Cross(projection_dim=projection_dim, name=f"cross_{i}")(x0, xl)

    deep_in = xl if structure == "stacked" else x0
    h = deep_in
    for units in deep_units:
        h = layers.Dense(units, activation="relu")(h)
        h = layers.Dropout(0.1)(h)

    if structure == "stacked":
        z = h
    else:
        z = layers.Concatenate()([xl, h])
    out = layers.Dense(1, activation="sigmoid", name="ctr")(z)
    return keras.Model([dense_in, cat_in], out, name=f"dcn_{structure}")


def main():
    keras.utils.set_random_seed(42)
    x_train, y_train = make_data(N_SAMPLES)
    x_val, y_val = make_data(256, seed=1)

    variants = {
        "stacked_full": dict(structure="stacked", projection_dim=None),
        "parallel_lowrank": dict(structure="parallel", projection_dim=16),
        "stacked_mix": dict(structure="stacked", use_mixture=True),
    }
    results = {}
    for name, kwargs in variants.items():
        model = build_dcn(**kwargs)
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss=keras.losses.BinaryCrossentropy(),
            metrics=[keras.metrics.AUC(name="auc")],
        )
        model.fit(
            [x_train["dense"], x_train["cat"]], y_train,
            batch_size=256, epochs=1, verbose=0,
        )
        loss, auc = model.evaluate([x_val["dense"], x_val["cat"]], y_val, verbose=0)
        results[name] = (loss, auc, model.count_params())

        if not kwargs.get("use_mixture"):
            # Inspect learned feature-crossing importance: ||W|| blocks per feature group.
            w = model.get_layer("cross_0")
            kernel = (w.dense.kernel if w.projection_dim is None
                      else ops.matmul(w.dense_u.kernel, w.dense_v.kernel))
            kernel = ops.convert_to_numpy(kernel)
            print(f"{name}: cross_0 kernel {kernel.shape}, frob={np.linalg.norm(kernel):.3f}")

    for name, (loss, auc, n_params) in sorted(results.items(), key=lambda kv: -kv[1][1]):
        print(f"{name:<18s} loss={loss:.4f} auc={auc:.4f} params={n_params:,}")

    probs = model.predict([x_val["dense"][:8], x_val["cat"][:8]], verbose=0)
    print("sample CTR predictions:", np.round(probs.ravel(), 3))


if __name__ == "__main__":
    main()
