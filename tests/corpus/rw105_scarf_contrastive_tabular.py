"""SCARF-style contrastive pretraining on synthetic tabular data.

Views are made by replacing a random subset of features with values drawn from
other rows (marginal sampling). Corruption masks and row picks come from
keras.random + SeedGenerator; the NT-Xent loss is written with keras.ops.
After pretraining we check nearest-neighbour retrieval with ops.top_k and fit
a small linear probe.
"""
import keras
import numpy as np
import tensorflow as tf
from keras import ops
from tensorflow.keras import layers

SETTINGS = {
    "rows": 480,
    "informative": 6,
    "noise_features": 10,
    "classes": 3,
    "corrupt_rate": 0.4,
    "temperature": 0.2,
    "proj_dims": [64, 32],
    "batch": 64,
    "pretrain_epochs": 2,
    "probe_epochs": 8,
    "seed": 11,
}

keras.utils.set_random_seed(SETTINGS["seed"])


def make_table(cfg):
    rng = np.random.default_rng(cfg["seed"])
    centers = rng.normal(0, 2.0, size=(cfg["classes"], cfg["informative"]))
    y = rng.integers(0, cfg["classes"], size=cfg["rows"])
    info = centers[y] + rng.normal(0, 1.0, size=(cfg["rows"], cfg["informative"]))
    noise = rng.normal(0, 1.0, size=(cfg["rows"], cfg["noise_features"]))
    X = np.concatenate([info, noise], axis=1)
    X = X[:, rng.permutation(X.shape[1])]              # hide which columns matter
    X = (X - X.mean(0)) / (X.std(0) + 1e-6)
    return X.astype("float32"), y.astype("int32")


class MarginalCorruption(layers.Layer):
    """Replace each feature with prob `rate` by the same feature from a random row."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed = seed
        self.gen = keras.random.SeedGenerator(seed)

    def call(self, x):
        n, d = ops.shape(x)[0], ops.shape(x)[1]
        replace = keras.random.uniform((n, d), seed=self.gen) < self.rate
        donor_rows = keras.random.randint((n, d), 0, n, seed=self.gen)
        # flat gather: element (r, c) lives at r * d + c
        flat_idx = donor_rows * d + ops.arange(d)[None, :]
        donors = ops.reshape(ops.take(ops.reshape(x, (-1,)), flat_idx), (n, d))
        return ops.where(replace, donors, x)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


def mlp(dims, name, final_activation=None):
    stack = []
    for i, width in enumerate(dims):
        last = i == len(dims) - 1
        stack.append(layers.Dense(width, activation=final_activation if last else "relu",
                                  name=f"{name}_dense{i}"))
        if not last:
            stack.append(layers.BatchNormalization(name=f"{name}_bn{i}"))
    return keras.Sequential(stack, name=name)


def nt_xent(z1, z2, temperature):
    z = ops.normalize(ops.concatenate([z1, z2], axis=0), axis=-1)
    n = ops.shape(z1)[0]
    sim = ops.matmul(z, ops.transpose(z)) / temperature
    eye = ops.eye(2 * n, dtype="bool")
    sim = ops.where(eye, ops.full_like(sim, -1e9), sim)
    targets = ops.concatenate([ops.arange(n) + n, ops.arange(n)], axis=0)
    labels = ops.one_hot(targets, 2 * n)
    return ops.mean(keras.losses.categorical_crossentropy(labels, sim, from_logits=True))


@keras.saving.register_keras_serializable(package="scarf")
class ScarfModel(keras.Model):
    def __init__(self, n_features, encoder_dims=(64, 64), proj_dims=(64, 32),
                 corrupt_rate=0.4, temperature=0.2, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.n_features = n_features
        self.encoder_dims = list(encoder_dims)
        self.proj_dims = list(proj_dims)
        self.corrupt_rate = corrupt_rate
        self.temperature = temperature
        self.seed = seed
        self.corrupt = MarginalCorruption(corrupt_rate, seed=seed)
        self.encoder = mlp(self.encoder_dims, "encoder")
        self.projector = mlp(self.proj_dims, "projector")
        self.loss_tracker = keras.metrics.Mean(name="nt_xent")
        self.align_tracker = keras.metrics.Mean(name="pos_cosine")

    def build(self, input_shape):
        self.encoder.build(input_shape)
        self.projector.build(self.encoder.compute_output_shape(input_shape))
        self.built = True

    def call(self, x, training=False):
        return self.encoder(x, training=training)

    @property
    def metrics(self):
        return [self.loss_tracker, self.align_tracker]

    def train_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        v1, v2 = self.corrupt(x), self.corrupt(x)
        with tf.GradientTape() as tape:
            z1 = self.projector(self.encoder(v1, training=True), training=True)
            z2 = self.projector(self.encoder(v2, training=True), training=True)
            loss = nt_xent(z1, z2, self.temperature)
        trainable = self.encoder.trainable_weights + self.projector.trainable_weights
        grads = tape.gradient(loss, trainable)
        self.optimizer.apply_gradients(zip(grads, trainable))
        cos = ops.sum(ops.normalize(z1, axis=-1) * ops.normalize(z2, axis=-1), axis=-1)
        self.loss_tracker.update_state(loss)
        self.align_tracker.update_state(ops.mean(cos))
        return {"nt_xent": self.loss_tracker.result(), "pos_cosine": self.align_tracker.result()}

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "n_features": self.n_features,
            "encoder_dims": self.encoder_dims,
            "proj_dims": self.proj_dims,
            "corrupt_rate": self.corrupt_rate,
            "temperature": self.temperature,
            "seed": self.seed,
        })
        return cfg


def knn_agreement(emb, labels, k=5):
    """Fraction of k nearest neighbours (cosine) that share the query's label."""
    e = ops.normalize(ops.convert_to_tensor(emb), axis=-1)
    sim = ops.matmul(e, ops.transpose(e))
    sim = sim - 2.0 * ops.eye(ops.shape(sim)[0])     # drop self-matches
    _, nn = ops.top_k(sim, k=k)
    nn_labels = ops.take(ops.convert_to_tensor(labels), nn)
    return float(ops.mean(ops.cast(ops.equal(nn_labels, labels[:, None]), "float32")))


def main(cfg=SETTINGS):
    X, y = make_table(cfg)
    cut = int(0.75 * len(X))
    x_tr, y_tr, x_te, y_te = X[:cut], y[:cut], X[cut:], y[cut:]

    pretrain_ds = (tf.data.Dataset.from_tensor_slices(x_tr)
                   .shuffle(cut, seed=cfg["seed"])
                   .batch(cfg["batch"], drop_remainder=True))

    scarf = ScarfModel(X.shape[1], proj_dims=cfg["proj_dims"], corrupt_rate=cfg["corrupt_rate"],
                       temperature=cfg["temperature"], seed=cfg["seed"])
    scarf.compile(optimizer=keras.optimizers.Adam(1e-3))
    print(f"kNN agreement before: {knn_agreement(scarf.predict(x_te, verbose=0), y_te):.3f}")
    scarf.fit(pretrain_ds, epochs=cfg["pretrain_epochs"], verbose=2)
    print(f"kNN agreement after:  {knn_agreement(scarf.predict(x_te, verbose=0), y_te):.3f}")

    # linear probe on frozen encoder
    scarf.encoder.trainable = False
    inp = keras.Input((X.shape[1],))
    feats = scarf.encoder(inp, training=False)
    probe = keras.Model(inp, layers.Dense(cfg["classes"], activation="softmax")(feats))
    probe.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    probe.fit(x_tr, y_tr, batch_size=cfg["batch"], epochs=cfg["probe_epochs"], verbose=0)
    loss, acc = probe.evaluate(x_te, y_te, verbose=0)
    print(f"linear probe: loss={loss:.3f} acc={acc:.3f}")

    cfg_out = scarf.get_config()
    rebuilt = ScarfModel.from_config(cfg_out)
    print("rebuilt encoder dims:", rebuilt.encoder_dims, "| corrupt_rate:", rebuilt.corrupt_rate)


if __name__ == "__main__":
    main()
