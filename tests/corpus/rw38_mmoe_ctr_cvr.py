#!/usr/bin/env python
# Multi-task ranking: MMoE experts + ESMM-style CTCVR head.
#   pCTR   = sigmoid(tower_click(gate_click(experts)))
#   pCVR   = sigmoid(tower_conv(gate_conv(experts)))
#   pCTCVR = pCTR * pCVR      <- supervised on "clicked AND converted" over the whole impression space
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 3
np.random.seed(SEED)
tf.random.set_seed(SEED)

config = {
    "cat_fields": {"user_id": 2000, "item_id": 5000, "category": 60, "device": 4, "hour": 24},
    "num_dense": 6,
    "emb_dim": 12,
    "num_experts": 4,
    "expert_units": [64, 32],
    "tower_units": [16],
    "batch_size": 512,
    "epochs": 2,
}


def fake_impressions(n):
    X = {name: np.random.randint(0, vocab, size=(n,)) for name, vocab in config["cat_fields"].items()}
    X["dense"] = np.random.normal(size=(n, config["num_dense"])).astype("float32")
    z = 0.8 * X["dense"][:, 0] - 0.5 * (X["device"] == 1) + 0.01 * (X["hour"] - 12)
    click = (np.random.rand(n) < 1 / (1 + np.exp(-(z - 1.5)))).astype("float32")
    conv_given_click = (np.random.rand(n) < 1 / (1 + np.exp(-(X["dense"][:, 1] - 1.0)))).astype("float32")
    conversion = click * conv_given_click
    return X, {"ctr": click, "ctcvr": conversion}


X_train, y_train = fake_impressions(12000)
X_val, y_val = fake_impressions(2000)
print("train CTR %.3f  CTCVR %.4f" % (y_train["ctr"].mean(), y_train["ctcvr"].mean()))


class MMoE(layers.Layer):
    def __init__(self, num_experts, expert_units, num_tasks, **kwargs):
        super().__init__(**kwargs)
        self.num_experts = num_experts
        self.num_tasks = num_tasks
        self.experts = []
        for e in range(num_experts):
            self.experts.append(keras.Sequential(
                [layers.Dense(u, activation="relu") for u in expert_units], name=f"expert_{e}"))
        self.gates = [layers.Dense(num_experts, activation="softmax", name=f"gate_{t}")
                      for t in range(num_tasks)]

    def call(self, x):
        # (batch, num_experts, expert_dim)
        expert_out = tf.stack([expert(x) for expert in self.experts], axis=1)
        outputs = []
        for gate in self.gates:
            g = tf.expand_dims(gate(x), axis=-1)           # (batch, num_experts, 1)
            outputs.append(tf.reduce_sum(expert_out * g, axis=1))  # (batch, expert_dim)
        return outputs


def build_model(cfg):
    inputs, embs = {}, []
    for name, vocab in cfg["cat_fields"].items():
        inputs[name] = keras.Input(shape=(), dtype="int64", name=name)
        embs.append(layers.Embedding(vocab, cfg["emb_dim"], name=f"{name}_emb")(inputs[name]))
    inputs["dense"] = keras.Input(shape=(cfg["num_dense"],), name="dense")
    x = layers.Concatenate(name="shared_input")(embs + [layers.BatchNormalization()(inputs["dense"])])

    task_inputs = MMoE(cfg["num_experts"], cfg["expert_units"], num_tasks=2, name="mmoe")(x)

    def tower(h, name):
        for i, u in enumerate(cfg["tower_units"]):
            h = layers.Dense(u, activation="relu", name=f"{name}_fc{i}")(h)
        return layers.Dense(1, activation="sigmoid", name=f"{name}_prob")(h)

    p_ctr = tower(task_inputs[0], "click")
    p_cvr = tower(task_inputs[1], "conv")
    p_ctcvr = layers.Multiply(name="ctcvr")([p_ctr, p_cvr])
    p_ctr = layers.Identity(name="ctr")(p_ctr)

    return keras.Model(inputs=inputs, outputs={"ctr": p_ctr, "ctcvr": p_ctcvr}), \
        keras.Model(inputs=inputs, outputs=p_cvr, name="cvr_only")


model, cvr_model = build_model(config)
model.compile(
    optimizer=keras.optimizers.Adam(2e-3),
    loss={"ctr": "binary_crossentropy", "ctcvr": "binary_crossentropy"},
    loss_weights={"ctr": 1.0, "ctcvr": 2.0},
    metrics={"ctr": [keras.metrics.AUC(name="auc")], "ctcvr": [keras.metrics.AUC(name="auc")]},
)

history = model.fit(
    X_train, y_train,
    validation_data=(X_val, y_val),
    batch_size=config["batch_size"],
    epochs=config["epochs"],
    verbose=2,
)

preds = model.predict(X_val, batch_size=1024, verbose=0)
pcvr = cvr_model.predict(X_val, batch_size=1024, verbose=0)
print({k: v.shape for k, v in preds.items()}, "cvr:", pcvr.shape)

# rank impressions by expected value = pCTR * pCVR * bid, keep top 10 per "page" of 50
bid = np.random.uniform(0.5, 2.0, size=(len(pcvr),)).astype("float32")
ev = preds["ctr"][:, 0] * pcvr[:, 0] * bid
pages = ev[: (len(ev) // 50) * 50].reshape(-1, 50)
top10 = np.argsort(-pages, axis=1)[:, :10]
print("pages:", pages.shape, "top10:", top10.shape, "mean EV of top10 %.4f vs all %.4f" % (
    np.take_along_axis(pages, top10, axis=1).mean(), pages.mean()))

# gate weights for one batch - useful to check experts aren't collapsing
mmoe_layer = model.get_layer("mmoe")
shared = keras.Model(model.inputs, model.get_layer("shared_input").output)
h = shared({k: v[:256] for k, v in X_val.items()})
for t, gate in enumerate(mmoe_layer.gates):
    print(f"task {t} mean gate:", np.round(gate(h).numpy().mean(axis=0), 3))
