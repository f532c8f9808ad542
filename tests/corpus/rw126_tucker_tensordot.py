#!/usr/bin/env python
# Tucker decomposition of a (users x items x time-slots) rating tensor,
# written with raw tf.Variables and tf.tensordot. Two fits:
#   (a) full-tensor reconstruction with tensordot mode products
#   (b) minibatch fit on observed entries from a tf.data pipeline
import time

import numpy as np
import tensorflow as tf

# %% config
SHAPE = (60, 40, 12)          # users, items, time slots
TRUE_RANK = (4, 3, 2)
FIT_RANK = (5, 4, 3)
OBS_FRACTION = 0.3
NOISE = 0.05
FULL_STEPS = 150
MB_EPOCHS = 2
MB_BATCH = 256

rng = np.random.default_rng(2024)
tf.random.set_seed(2024)


# %% helpers
def mode_product(tensor, matrix, mode):
    """n-mode product: contract `mode` axis of tensor with matrix columns
    (matrix shape [new_dim, old_dim]), keeping axis order."""
    out = tf.tensordot(tensor, matrix, axes=[[mode], [1]])  # moved axis to end
    ndim = len(tensor.shape)
    perm = list(range(mode)) + [ndim - 1] + list(range(mode, ndim - 1))
    return tf.transpose(out, perm)


def tucker_to_full(core, factors):
    x = core
    for m, f in enumerate(factors):
        x = mode_product(x, f, m)
    return x


def tucker_to_full_einsum(core, factors):
    a, b, c = factors
    return tf.einsum("pqr,ip,jq,kr->ijk", core, a, b, c)


def gather_entries(core, factors, idx):
    """Evaluate reconstruction only at idx [N,3] without materialising."""
    a = tf.gather(factors[0], idx[:, 0])   # N x P
    b = tf.gather(factors[1], idx[:, 1])   # N x Q
    c = tf.gather(factors[2], idx[:, 2])   # N x R
    # contract core with c first: (P,Q,R)x(N,R) -> P,Q,N
    g = tf.tensordot(core, c, axes=[[2], [1]])
    g = tf.einsum("pqn,np->qn", g, a)
    return tf.einsum("qn,nq->n", g, b)


def rel_error(x, y):
    return float(tf.norm(x - y) / tf.norm(y))


# %% synthetic ground truth
true_core = rng.normal(size=TRUE_RANK).astype("float32")
true_factors = [(rng.normal(size=(n, r)) / np.sqrt(r)).astype("float32")
                for n, r in zip(SHAPE, TRUE_RANK)]
X_clean = tucker_to_full(tf.constant(true_core), [tf.constant(f) for f in true_factors])
X = X_clean + NOISE * tf.random.normal(SHAPE)
print("tensor", X.shape, "norm", float(tf.norm(X)))

# both reconstruction paths must agree
err = tf.reduce_max(tf.abs(
    tucker_to_full(tf.constant(true_core), true_factors)
    - tucker_to_full_einsum(tf.constant(true_core), true_factors)))
print(f"tensordot vs einsum reconstruction: {float(err):.2e}")


# %% model as plain variables
class Tucker(tf.Module):
    def __init__(self, shape, ranks, scale=0.3):
        super().__init__(name="tucker")
        self.core = tf.Variable(rng.normal(scale=scale, size=ranks).astype("float32"), name="core")
        self.factors = [
            tf.Variable(rng.normal(scale=scale, size=(n, r)).astype("float32"), name=f"U{m}")
            for m, (n, r) in enumerate(zip(shape, ranks))
        ]

    @property
    def params(self):
        return [self.core] + self.factors

    def full(self):
        return tucker_to_full(self.core, self.factors)

    def at(self, idx):
        return gather_entries(self.core, self.factors, idx)


# %% (a) full-tensor fit
model = Tucker(SHAPE, FIT_RANK)
opt = tf.keras.optimizers.Adam(0.05)


@tf.function
def full_step():
    with tf.GradientTape() as tape:
        recon = model.full()
        loss = tf.reduce_mean(tf.square(recon - X))
        reg = 1e-4 * tf.add_n([tf.reduce_sum(tf.square(p)) for p in model.params])
        total = loss + reg
    grads = tape.gradient(total, model.params)
    opt.apply_gradients(zip(grads, model.params))
    return loss


t0 = time.time()
for step in range(FULL_STEPS):
    l = full_step()
    if step % 50 == 0 or step == FULL_STEPS - 1:
        print(f"[full] step {step:3d} mse={float(l):.5f} rel_err={rel_error(model.full(), X_clean):.4f}")
print(f"[full] done in {time.time() - t0:.1f}s")


# %% (b) completion from observed entries via tf.data
all_idx = np.stack(np.meshgrid(*[np.arange(n) for n in SHAPE], indexing="ij"), -1).reshape(-1, 3)
mask = rng.random(len(all_idx)) < OBS_FRACTION
obs_idx = all_idx[mask].astype("int32")
held_idx = all_idx[~mask].astype("int32")
obs_val = tf.gather_nd(X, obs_idx).numpy()
print(f"observed entries: {len(obs_idx)} / {len(all_idx)}")

ds = (tf.data.Dataset.from_tensor_slices((obs_idx, obs_val))
      .shuffle(len(obs_idx), seed=1)
      .batch(MB_BATCH)
      .prefetch(2))

mc = Tucker(SHAPE, FIT_RANK)
mc_opt = tf.keras.optimizers.Adam(0.03)


@tf.function(input_signature=[tf.TensorSpec([None, 3], tf.int32), tf.TensorSpec([None], tf.float32)])
def mb_step(idx, vals):
    with tf.GradientTape() as tape:
        pred = mc.at(idx)
        loss = tf.reduce_mean(tf.square(pred - vals))
    grads = tape.gradient(loss, mc.params)
    mc_opt.apply_gradients(zip(grads, mc.params))
    return loss


for epoch in range(MB_EPOCHS):
    batch_losses = [float(mb_step(i, v)) for i, v in ds]
    held_pred = mc.at(tf.constant(held_idx))
    held_true = tf.gather_nd(X_clean, held_idx)
    rmse = float(tf.sqrt(tf.reduce_mean(tf.square(held_pred - held_true))))
    print(f"[mb] epoch {epoch + 1} train_mse={np.mean(batch_losses):.4f} held-out rmse={rmse:.4f}")

# the gather-based path must match the dense path
probe = tf.constant(held_idx[:50])
dense_vals = tf.gather_nd(mc.full(), probe)
print("gather vs dense max diff:", float(tf.reduce_max(tf.abs(dense_vals - mc.at(probe)))))
