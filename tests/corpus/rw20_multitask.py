"""Multi-task feed ranking model (MMoE-style).

A shared bottom of mixture-of-experts feeds three task towers:
  * ``click``   -- binary, did the user click the post
  * ``dwell``   -- regression, log dwell time in seconds
  * ``reaction`` -- 5-way softmax over reaction type
Each task has its own gate over the experts, its own loss and loss
weight, and its own metrics.  Inputs arrive as a dict of dense and
categorical features.  Synthetic data only.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

NUM_DENSE = 16
SURFACES = ["home", "explore", "profile", "search"]
CONTENT_TYPES = ["photo", "video", "text", "link", "reel"]
REACTIONS = 5

TASKS = {
    "click": dict(units=1, activation="sigmoid", loss="binary_crossentropy",
                  weight=1.0, metrics=[keras.metrics.AUC(name="auc")]),
    "dwell": dict(units=1, activation=None, loss=keras.losses.Huber(delta=1.0),
                  weight=0.5, metrics=[keras.metrics.MeanAbsoluteError(name="mae")]),
    "reaction": dict(units=REACTIONS, activation="softmax", loss="sparse_categorical_crossentropy",
                     weight=0.2, metrics=["sparse_categorical_accuracy"]),
}


class MixtureOfExperts(layers.Layer):
    """Shared experts with one softmax gate per task."""

    def __init__(self, num_experts, expert_units, task_names, **kwargs):
        super().__init__(**kwargs)
        self.num_experts = num_experts
        self.task_names = list(task_names)
        self.experts = [
            layers.Dense(expert_units, activation="relu", name=f"expert_{i}")
            for i in range(num_experts)
        ]
        self.gates = {
            name: layers.Dense(num_experts, activation="softmax", name=f"gate_{name}")
            for name in self.task_names
        }

    def call(self, x):
        expert_out = ops.stack([e(x) for e in self.experts], axis=1)  # (B, E, U)
        outputs = []
        for name in self.task_names:
            g = ops.expand_dims(self.gates[name](x), axis=-1)  # (B, E, 1)
            outputs.append(ops.sum(expert_out * g, axis=1))
        return outputs

    def get_config(self):
        cfg = super().get_config()
        cfg.update(num_experts=self.num_experts,
                   expert_units=self.experts[0].units,
                   task_names=self.task_names)
        return cfg


def build_inputs():
    return {
        "dense": keras.Input(shape=(NUM_DENSE,), name="dense"),
        "surface": keras.Input(shape=(), dtype="string", name="surface"),
        "content_type": keras.Input(shape=(), dtype="string", name="content_type"),
        "author_id": keras.Input(shape=(), dtype="int64", name="author_id"),
    }


def build_model(num_experts=4, expert_units=32, tower_units=(16,)):
    inputs = build_inputs()
    # statistics for the dense block are supplied explicitly from the feature store
    dense_x = layers.Normalization(mean=0.0, variance=1.0, name="dense_scale")(inputs["dense"])

    embeddings = []
    for key, vocab, dim in [("surface", SURFACES, 4), ("content_type", CONTENT_TYPES, 6)]:
        ids = layers.StringLookup(vocabulary=vocab, name=f"{key}_lookup")(inputs[key])
        embeddings.append(layers.Embedding(len(vocab) + 1, dim, name=f"{key}_emb")(ids))
    author_ids = layers.Hashing(num_bins=200, name="author_hash")(inputs["author_id"])
    embeddings.append(layers.Embedding(200, 8, name="author_emb")(author_ids))

    shared = layers.Concatenate(name="shared_input")([dense_x] + embeddings)
    task_inputs = MixtureOfExperts(num_experts, expert_units, TASKS.keys(), name="mmoe")(shared)

    outputs = {}
    for name, task_x in zip(TASKS, task_inputs):
        spec = TASKS[name]
        for j, units in enumerate(tower_units):
            task_x = layers.Dense(units, activation="relu", name=f"{name}_tower_{j}")(task_x)
        outputs[name] = layers.Dense(spec["units"], activation=spec["activation"], name=name)(task_x)
    return keras.Model(inputs=inputs, outputs=outputs, name="mmoe_ranker")


def synth_batch(n, rng):
    features = {
        "dense": rng.normal(size=(n, NUM_DENSE)).astype("float32"),
        "surface": rng.choice(SURFACES, size=n),
        "content_type": rng.choice(CONTENT_TYPES, size=n),
        "author_id": rng.integers(0, 10_000, size=n).astype("int64"),
    }
    score = features["dense"][:, :3].sum(axis=1)
    labels = {
        "click": (score + rng.normal(scale=0.5, size=n) > 0).astype("float32")[:, None],
        "dwell": np.log1p(np.exp(score + rng.normal(size=n))).astype("float32")[:, None],
        "reaction": rng.integers(0, REACTIONS, size=n).astype("int32"),
    }
    return features, labels


def main():
    keras.utils.set_random_seed(11)
    rng = np.random.default_rng(11)
    model = build_model()
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss={name: spec["loss"] for name, spec in TASKS.items()},
        loss_weights={name: spec["weight"] for name, spec in TASKS.items()},
        metrics={name: spec["metrics"] for name, spec in TASKS.items()},
    )

    x_train, y_train = synth_batch(600, rng)
    x_val, y_val = synth_batch(150, rng)
    train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(100)
    val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(75)

    hist = model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=0)
    for key in sorted(hist.history):
        if key.startswith("val_"):
            print(f"{key:40s} {hist.history[key][-1]:.4f}")

    preds = model.predict(val_ds, verbose=0)
    ranking_score = (
        preds["click"][:, 0]
        + 0.1 * np.expm1(preds["dwell"][:, 0]).clip(0, None)
        + 0.05 * preds["reaction"][:, 1:].sum(axis=1)
    )
    top = np.argsort(-ranking_score)[:5]
    print("top posts:", top.tolist(), "scores:", [f"{s:.3f}" for s in ranking_score[top]])

    gates = model.get_layer("mmoe").gates
    gate_probs = {name: ops.convert_to_numpy(g(ops.zeros((1, g.kernel.shape[0]))))
                  for name, g in gates.items()}
    for name, probs in gate_probs.items():
        print(f"gate[{name}] at origin:", np.array2string(probs[0], precision=3))


if __name__ == "__main__":
    main()
