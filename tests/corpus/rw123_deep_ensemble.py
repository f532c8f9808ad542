# Deep ensemble of small classifiers on a synthetic 3-class spiral problem.
# Each member gets its own init + bootstrap shuffle; we combine softmax outputs
# and decompose predictive entropy into aleatoric / epistemic parts.
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CFG = {
    "n_members": 5,
    "n_per_class": 120,
    "n_classes": 3,
    "hidden": (32, 32),
    "lr": 5e-3,
    "epochs": 2,
    "batch_size": 32,
    "seed": 123,
}
EPS = 1e-12


def spirals(n_per_class, n_classes, noise=0.25, seed=0):
    r = np.random.RandomState(seed)
    xs, ys = [], []
    for c in range(n_classes):
        t = np.linspace(0.2, 1.0, n_per_class)
        ang = t * 4.0 + c * 2 * math.pi / n_classes + r.randn(n_per_class) * noise
        xs.append(np.stack([t * np.cos(ang), t * np.sin(ang)], axis=1))
        ys.append(np.full(n_per_class, c))
    x = np.concatenate(xs).astype("float32")
    y = np.concatenate(ys).astype("int32")
    perm = r.permutation(len(x))
    return x[perm], y[perm]


def make_member(idx, cfg):
    keras.utils.set_random_seed(cfg["seed"] + idx)
    model = keras.Sequential(name=f"member_{idx}")
    model.add(keras.Input(shape=(2,)))
    for units in cfg["hidden"]:
        model.add(layers.Dense(units, activation="tanh"))
    model.add(layers.Dense(cfg["n_classes"], activation="softmax"))
    model.compile(
        optimizer=keras.optimizers.Adam(cfg["lr"]),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def bootstrap_dataset(x, y, seed, batch_size):
    idx = np.random.RandomState(seed).randint(0, len(x), size=len(x))
    return (
        tf.data.Dataset.from_tensor_slices((x[idx], y[idx]))
        .shuffle(len(x), seed=seed)
        .batch(batch_size)
    )


def entropy(p, axis=-1):
    return -np.sum(p * np.log(p + EPS), axis=axis)


def ensemble_stats(probs):
    """probs: [M, N, C] member softmax outputs."""
    mean_p = probs.mean(axis=0)
    total = entropy(mean_p)                      # predictive entropy
    aleatoric = entropy(probs).mean(axis=0)      # expected entropy
    epistemic = total - aleatoric                # mutual information (BALD)
    return mean_p, total, aleatoric, epistemic


def nll(p, y):
    return float(-np.mean(np.log(p[np.arange(len(y)), y] + EPS)))


if __name__ == "__main__":
    x, y = spirals(CFG["n_per_class"], CFG["n_classes"], seed=CFG["seed"])
    split = int(0.8 * len(x))
    x_tr, y_tr, x_te, y_te = x[:split], y[:split], x[split:], y[split:]

    members = []
    for m in range(CFG["n_members"]):
        model = make_member(m, CFG)
        ds = bootstrap_dataset(x_tr, y_tr, seed=m, batch_size=CFG["batch_size"])
        h = model.fit(ds, epochs=CFG["epochs"], verbose=0)
        print(f"member {m}: loss={h.history['loss'][-1]:.3f} acc={h.history['accuracy'][-1]:.3f}")
        members.append(model)

    probs = np.stack([mdl.predict(x_te, verbose=0) for mdl in members])
    mean_p, tot, alea, epi = ensemble_stats(probs)

    single_acc = [np.mean(p.argmax(-1) == y_te) for p in probs]
    ens_acc = np.mean(mean_p.argmax(-1) == y_te)
    print("single-member acc:", np.round(single_acc, 3))
    print(f"ensemble acc={ens_acc:.3f}  ensemble NLL={nll(mean_p, y_te):.3f}  "
          f"avg member NLL={np.mean([nll(p, y_te) for p in probs]):.3f}")
    print(f"entropy total={tot.mean():.3f} aleatoric={alea.mean():.3f} epistemic={epi.mean():.4f}")

    # out-of-distribution probe: points far from the spirals
    x_ood = np.random.RandomState(0).uniform(3, 5, size=(100, 2)).astype("float32")
    ood_probs = np.stack([mdl(x_ood, training=False).numpy() for mdl in members])
    _, tot_o, _, epi_o = ensemble_stats(ood_probs)
    print(f"OOD entropy={tot_o.mean():.3f}  OOD mutual info={epi_o.mean():.4f}")

    # flag the most uncertain test points
    worst = np.argsort(-epi)[:5]
    for i in worst:
        print(f"  x={x_te[i].round(2)} y={y_te[i]} p={mean_p[i].round(2)} MI={epi[i]:.4f}")
