"""Config-driven tabular model factory.

Experiments are described by JSON files (see ``EXPERIMENT_JSON`` below).  The
factory reads the feature schema, builds one input per feature, encodes
categoricals with embeddings and numericals with normalisation, then plugs the
result into a backbone chosen by name (``mlp``, ``resnet_mlp``, ``dcn``).
"""
import json

import numpy as np
import tensorflow as tf

keras = tf.keras
L = tf.keras.layers

EXPERIMENT_JSON = """
{
  "experiment": "churn_baseline",
  "features": {
    "numeric": ["age", "tenure", "monthly_charges"],
    "categorical": {"plan": 4, "region": 7, "device": 3}
  },
  "target": {"name": "churn", "type": "binary"},
  "model": {
    "backbone": "dcn",
    "embedding_dim": 8,
    "hidden_units": [64, 32],
    "cross_layers": 2,
    "dropout": 0.2
  },
  "train": {"batch_size": 64, "epochs": 1, "lr": 0.002}
}
"""

BACKBONES = {}


def backbone(name):
    def deco(fn):
        BACKBONES[name] = fn
        return fn
    return deco


class CrossLayer(L.Layer):
    """DCN-v2 cross layer: x_{l+1} = x0 * (W x_l + b) + x_l."""

    def build(self, input_shape):
        dim = input_shape[-1]
        self.w = self.add_weight(name="w", shape=(dim, dim), initializer="glorot_uniform")
        self.b = self.add_weight(name="b", shape=(dim,), initializer="zeros")

    def call(self, x0, xl):
        return x0 * (tf.matmul(xl, self.w) + self.b) + xl


@backbone("mlp")
def mlp_backbone(x, hidden_units, dropout, **_):
    for i, units in enumerate(hidden_units):
        x = L.Dense(units, activation="relu", name=f"mlp_{i}")(x)
        x = L.Dropout(dropout)(x)
    return x


@backbone("resnet_mlp")
def resnet_mlp_backbone(x, hidden_units, dropout, **_):
    x = L.Dense(hidden_units[0], name="proj_in")(x)
    for i, units in enumerate(hidden_units):
        h = L.BatchNormalization()(x)
        h = L.Dense(units * 2, activation="relu")(h)
        h = L.Dropout(dropout)(h)
        h = L.Dense(x.shape[-1])(h)
        x = L.Add(name=f"res_{i}")([x, h])
    return x


@backbone("dcn")
def dcn_backbone(x, hidden_units, dropout, cross_layers=2, **_):
    x0 = x
    xc = x
    for i in range(cross_layers):
        xc = CrossLayer(name=f"cross_{i}")(x0, xc)
    deep = mlp_backbone(x, hidden_units, dropout)
    return L.Concatenate(name="cross_deep")([xc, deep])


def build_inputs(feature_cfg, embedding_dim, norm_stats):
    inputs, encoded = {}, []
    for name in feature_cfg["numeric"]:
        inp = keras.Input(shape=(1,), name=name, dtype="float32")
        mean, var = norm_stats[name]
        norm = L.Normalization(mean=mean, variance=var, name=f"{name}_norm")
        inputs[name] = inp
        encoded.append(norm(inp))
    for name, cardinality in feature_cfg["categorical"].items():
        inp = keras.Input(shape=(1,), name=name, dtype="int32")
        emb = L.Embedding(cardinality, embedding_dim, name=f"{name}_emb")(inp)   # (B, 1, E)
        inputs[name] = inp
        encoded.append(L.Flatten(name=f"{name}_flat")(emb))
    return inputs, L.Concatenate(name="features")(encoded)


def build_model(cfg, norm_stats):
    mcfg = dict(cfg["model"])
    backbone_name = mcfg.pop("backbone")
    emb_dim = mcfg.pop("embedding_dim")
    inputs, x = build_inputs(cfg["features"], emb_dim, norm_stats)
    x = BACKBONES[backbone_name](x, **mcfg)
    target = cfg["target"]
    if target["type"] == "binary":
        out = L.Dense(1, activation="sigmoid", name=target["name"])(x)
        loss, metrics = "binary_crossentropy", [keras.metrics.AUC(name="auc")]
    elif target["type"] == "regression":
        out = L.Dense(1, name=target["name"])(x)
        loss, metrics = "mse", ["mae"]
    else:
        raise ValueError(target["type"])
    model = keras.Model(inputs, out, name=f"{cfg['experiment']}_{backbone_name}")
    model.compile(optimizer=keras.optimizers.Adam(cfg["train"]["lr"]), loss=loss, metrics=metrics)
    return model


def synth_frame(cfg, n=512, seed=7):
    rng = np.random.default_rng(seed)
    feats = cfg["features"]
    cols = {
        "age": rng.normal(45, 12, n),
        "tenure": rng.exponential(24, n),
        "monthly_charges": rng.uniform(20, 120, n),
    }
    cols = {k: v.astype("float32")[:, None] for k, v in cols.items() if k in feats["numeric"]}
    for name, card in feats["categorical"].items():
        cols[name] = rng.integers(0, card, size=(n, 1)).astype("int32")
    logit = 0.03 * (cols["monthly_charges"] - 70) - 0.05 * (cols["tenure"] - 24) + 0.3 * (cols["plan"] == 0)
    y = (rng.random((n, 1)) < 1 / (1 + np.exp(-logit))).astype("float32")
    return cols, y


def make_dataset(cols, y, batch_size, training=True):
    ds = tf.data.Dataset.from_tensor_slices((cols, y))
    if training:
        ds = ds.shuffle(len(y))
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


if __name__ == "__main__":
    cfg = json.loads(EXPERIMENT_JSON)
    cols, y = synth_frame(cfg)
    split = int(0.8 * len(y))
    train_cols = {k: v[:split] for k, v in cols.items()}
    val_cols = {k: v[split:] for k, v in cols.items()}
    stats = {k: (float(train_cols[k].mean()), float(train_cols[k].var()))
             for k in cfg["features"]["numeric"]}

    bs = cfg["train"]["batch_size"]
    train_ds = make_dataset(train_cols, y[:split], bs)
    val_ds = make_dataset(val_cols, y[split:], bs, training=False)

    # sweep every backbone with the same config, as the repo's benchmark script does
    for name in ["mlp", "resnet_mlp", "dcn"]:
        run_cfg = json.loads(json.dumps(cfg))   # cheap deep copy
        run_cfg["model"]["backbone"] = name
        if name != "dcn":
            run_cfg["model"].pop("cross_layers")
        model = build_model(run_cfg, stats)
        hist = model.fit(train_ds, validation_data=val_ds,
                         epochs=cfg["train"]["epochs"], verbose=0)
        print(f"{model.name:<28} params={model.count_params():>6} "
              f"val_loss={hist.history['val_loss'][-1]:.4f} val_auc={hist.history['val_auc'][-1]:.3f}")

    # single-row inference with a dict of features
    row = {k: v[:1] for k, v in val_cols.items()}
    print("p(churn) for first val row:", float(model.predict(row, verbose=0)[0, 0]))
