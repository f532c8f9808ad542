"""GradNorm (Chen et al., ICML 2018) with a hand-written GradientTape training loop.

GradNorm learns per-task loss weights w_i so that the gradient norms of each
weighted task loss w.r.t. the *last shared layer* train at similar rates:

    G_i   = || d(w_i * L_i) / d(W_shared) ||
    r_i   = (L_i / L_i(0)) / mean_j(L_j / L_j(0))
    L_gn  = sum_i | G_i - mean(G) * r_i ** alpha |

The network weights are updated with sum_i w_i L_i, the task weights with L_gn,
and afterwards the weights are renormalised to sum to num_tasks.

Three synthetic regression tasks with very different scales (as in the paper's toy
example) share a 3-layer MLP trunk.
"""
import numpy as np
import tensorflow as tf

tf.random.set_seed(42)
np.random.seed(42)

NUM_TASKS = 3
INPUT_DIM = 32
HIDDEN = 64
ALPHA = 1.5
STEPS = 60
BATCH = 64
TASK_SCALES = np.array([1.0, 10.0, 100.0], dtype=np.float32)


def make_toy_tasks(n=2048):
    """y_i = sigma_i * tanh((B + eps_i) x), shared basis B, per-task perturbation eps_i."""
    B = np.random.normal(scale=1.0, size=(INPUT_DIM, 8)).astype(np.float32)
    x = np.random.uniform(-1, 1, size=(n, INPUT_DIM)).astype(np.float32)
    ys = []
    for sigma in TASK_SCALES:
        eps = np.random.normal(scale=3.5, size=B.shape).astype(np.float32)
        ys.append(sigma * np.tanh(x @ (B + eps)))
    return x, ys  # ys: list of (n, 8)


class SharedTrunk(tf.keras.layers.Layer):
    def __init__(self, hidden, **kwargs):
        super().__init__(**kwargs)
        self.d1 = tf.keras.layers.Dense(hidden, activation="relu")
        self.d2 = tf.keras.layers.Dense(hidden, activation="relu")
        self.last_shared = tf.keras.layers.Dense(hidden, activation="relu", name="last_shared")

    def call(self, x):
        return self.last_shared(self.d2(self.d1(x)))


class MultiTaskRegressor(tf.keras.Model):
    def __init__(self, num_tasks, out_dim, hidden=HIDDEN, **kwargs):
        super().__init__(**kwargs)
        self.trunk = SharedTrunk(hidden, name="trunk")
        self.heads = [tf.keras.layers.Dense(out_dim, name=f"head_{i}") for i in range(num_tasks)]

    def call(self, x, training=False):
        z = self.trunk(x)
        return [head(z) for head in self.heads]


def main():
    x, ys = make_toy_tasks()
    ds = (
        tf.data.Dataset.from_tensor_slices((x, tuple(ys)))
        .shuffle(2048)
        .repeat()
        .batch(BATCH)
    )

    model = MultiTaskRegressor(NUM_TASKS, out_dim=ys[0].shape[-1])
    _ = model(tf.zeros((1, INPUT_DIM)))  # build all sub-layers eagerly
    model.summary()

    task_weights = tf.Variable(tf.ones([NUM_TASKS]), trainable=True, name="task_weights")
    initial_losses = tf.Variable(tf.zeros([NUM_TASKS]), trainable=False, name="L0")
    initialised = tf.Variable(False, trainable=False)

    net_opt = tf.keras.optimizers.Adam(1e-3)
    w_opt = tf.keras.optimizers.Adam(2.5e-2)
    mse = tf.keras.losses.MeanSquaredError()

    shared_kernel = model.trunk.last_shared.kernel

    @tf.function
    def train_step(xb, yb):
        with tf.GradientTape(persistent=True) as tape:
            preds = model(xb, training=True)
            task_losses = tf.stack([mse(y_true, y_pred) for y_true, y_pred in zip(yb, preds)])
            weighted = task_weights * task_losses
            total = tf.reduce_sum(weighted)

            # record L_i(0) on the very first step (branchless so it traces fine)
            initial_losses.assign(
                tf.where(initialised, initial_losses, tf.stop_gradient(task_losses))
            )
            initialised.assign(True)

            # per-task gradient norm wrt the last shared layer
            grad_norms = tf.stack(
                [
                    tf.norm(tape.gradient(weighted[i], shared_kernel))
                    for i in range(NUM_TASKS)
                ]
            )
            mean_norm = tf.reduce_mean(grad_norms)
            loss_ratio = tf.stop_gradient(task_losses / initial_losses)
            inverse_rate = loss_ratio / tf.reduce_mean(loss_ratio)
            target = tf.stop_gradient(mean_norm * tf.pow(inverse_rate, ALPHA))
            gradnorm_loss = tf.reduce_sum(tf.abs(grad_norms - target))

        net_vars = model.trainable_variables
        net_grads = tape.gradient(total, net_vars)
        w_grads = tape.gradient(gradnorm_loss, [task_weights])
        del tape

        net_opt.apply_gradients(zip(net_grads, net_vars))
        w_opt.apply_gradients(zip(w_grads, [task_weights]))

        # renormalise so sum(w) == T and keep them positive
        clipped = tf.maximum(task_weights, 1e-3)
        task_weights.assign(clipped * NUM_TASKS / tf.reduce_sum(clipped))
        return task_losses, grad_norms, gradnorm_loss

    it = iter(ds)
    for step in range(1, STEPS + 1):
        xb, yb = next(it)
        task_losses, grad_norms, gn_loss = train_step(xb, yb)
        if step % 15 == 0 or step == 1:
            tl = np.array2string(task_losses.numpy(), precision=3, suppress_small=True)
            w = np.array2string(task_weights.numpy(), precision=3)
            print(f"step {step:3d} | task losses {tl} | weights {w} | gn_loss {float(gn_loss):.4f}")

    # the heaviest-scaled task should end up with the smallest weight
    print("final task weights:", task_weights.numpy().round(3))
    print("grad norms:", grad_norms.numpy().round(4))


if __name__ == "__main__":
    main()
