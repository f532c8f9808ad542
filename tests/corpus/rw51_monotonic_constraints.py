"""Monotonic neural network for credit-risk style tabular data.

Domain knowledge: predicted default risk must be non-decreasing in
`debt_ratio` and `n_late_payments`, and non-increasing in `income`.
We enforce this with
  * kernel constraints (NonNeg + a custom clipping constraint) on the
    monotone branch, and monotone activations;
  * a custom layer that reparameterises weights through softplus;
then verify monotonicity empirically with gradients from GradientTape.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras

FEATURES = ["debt_ratio", "n_late_payments", "income", "age", "region_score",
            "tenure_years"]
# +1: increasing, -1: decreasing, 0: unconstrained
MONOTONICITY = {"debt_ratio": +1, "n_late_payments": +1, "income": -1}
BATCH = 128
STEPS_PER_EPOCH = 40
EPOCHS = 2
tf.random.set_seed(11)


class ClipNonNeg(keras.constraints.Constraint):
    """Clip weights into [0, max_value] after every optimizer update."""

    def __init__(self, max_value=2.0):
        self.max_value = max_value

    def __call__(self, w):
        return tf.clip_by_value(w, 0.0, self.max_value)

    def get_config(self):
        return {"max_value": self.max_value}


class PositiveDense(keras.layers.Layer):
    """Dense layer whose effective kernel is softplus(raw) >= 0.

    Unlike a projection constraint, the weights stay differentiable and can
    never get stuck at exactly zero.
    """

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        self.raw_kernel = self.add_weight(
            name="raw_kernel", shape=(input_shape[-1], self.units),
            initializer=keras.initializers.RandomNormal(-2.0, 0.5))
        self.bias = self.add_weight(name="bias", shape=(self.units,),
                                    initializer="zeros")

    def call(self, inputs):
        kernel = tf.nn.softplus(self.raw_kernel)
        return self.activation(tf.matmul(inputs, kernel) + self.bias)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(units=self.units,
                   activation=keras.activations.serialize(self.activation))
        return cfg


class MonotonicRiskModel(keras.Model):
    def __init__(self, feature_names, monotonicity, hidden=16, **kwargs):
        super().__init__(**kwargs)
        self.mono_idx = [feature_names.index(f) for f in monotonicity]
        self.free_idx = [i for i, f in enumerate(feature_names)
                         if f not in monotonicity]
        # flip decreasing features so every monotone input is "increasing"
        self.signs = tf.constant([float(monotonicity[f]) for f in monotonicity])

        # unconstrained branch -> produces an embedding of the other features
        self.free_net = keras.Sequential([
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(hidden // 2, activation="relu"),
        ], name="free_branch")
        # monotone branch: non-negative weights + monotone activations
        self.mono_1 = keras.layers.Dense(hidden, activation="sigmoid",
                                         kernel_constraint=keras.constraints.NonNeg(),
                                         name="mono_dense_1")
        self.free_shift = keras.layers.Dense(hidden, name="free_shift")
        self.mono_2 = PositiveDense(hidden // 2, activation="tanh",
                                    name="mono_dense_2")
        # the final combination must be non-negative on the monotone part,
        # the free embedding can enter with any sign
        self.head_mono = keras.layers.Dense(1, use_bias=False,
                                            kernel_constraint=ClipNonNeg(3.0),
                                            name="head_mono")
        self.head_free = keras.layers.Dense(1, name="head_free")

    def call(self, x, training=False):
        x_mono = tf.gather(x, self.mono_idx, axis=1) * self.signs
        x_free = tf.gather(x, self.free_idx, axis=1)
        if not self.mono_1.built:
            self.mono_1.build(x_mono.shape)
        free_emb = self.free_net(x_free, training=training)
        # free features may shift the monotone units before the activation:
        # an additive, input-dependent bias keeps d/dx_mono >= 0
        pre = tf.matmul(x_mono, self.mono_1.kernel) + self.mono_1.bias
        h = tf.sigmoid(pre + self.free_shift(free_emb))
        h = self.mono_2(h)
        logit = self.head_mono(h) + self.head_free(free_emb)
        return tf.sigmoid(logit)


def synthetic_credit_data(n, seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([
        rng.beta(2, 5, n),                    # debt_ratio
        rng.poisson(1.0, n),                  # n_late_payments
        rng.lognormal(0, 0.5, n),             # income
        rng.uniform(18, 80, n) / 80,          # age
        rng.normal(size=n),                   # region_score
        rng.exponential(3, n) / 10,           # tenure
    ]).astype("float32")
    logit = (4 * X[:, 0] + 0.8 * X[:, 1] - 1.5 * X[:, 2]
             + 0.5 * np.sin(3 * X[:, 4]) - 0.3 * X[:, 5])
    p = 1 / (1 + np.exp(-(logit - 0.5)))
    y = (rng.random(n) < p).astype("float32")[:, None]
    return X, y


def make_dataset(X, y):
    ds = tf.data.Dataset.from_tensor_slices((X, y))
    return ds.shuffle(len(X), seed=1).repeat().batch(BATCH, drop_remainder=True)


model = MonotonicRiskModel(FEATURES, MONOTONICITY, name="monotonic_risk")
loss_fn = keras.losses.BinaryCrossentropy()
optimizer = keras.optimizers.Adam(5e-3)
auc = keras.metrics.AUC(name="auc")


@tf.function
def train_step(xb, yb):
    with tf.GradientTape() as tape:
        p = model(xb, training=True)
        loss = loss_fn(yb, p)
    grads = tape.gradient(loss, model.trainable_variables)
    # Keras applies kernel_constraint inside apply_gradients
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    auc.update_state(yb, p)
    return loss


X, y = synthetic_credit_data(4000)
X_test, y_test = synthetic_credit_data(1000, seed=1)
it = iter(make_dataset(X, y))
for epoch in range(EPOCHS):
    auc.reset_state()
    losses = [float(train_step(*next(it))) for _ in range(STEPS_PER_EPOCH)]
    print(f"epoch {epoch}: loss={np.mean(losses):.4f} auc={float(auc.result()):.4f}")

# --- check the constraints actually hold ------------------------------------
w1 = model.get_layer("mono_dense_1").kernel.numpy()
wh = model.get_layer("head_mono").kernel.numpy()
print("min mono_dense_1 weight:", w1.min(), " head_mono range:", wh.min(), wh.max())
assert w1.min() >= 0.0 and wh.min() >= 0.0 and wh.max() <= 3.0

# --- empirical monotonicity check via input gradients ----------------------
x_t = tf.constant(X_test)
with tf.GradientTape() as tape:
    tape.watch(x_t)
    risk = model(x_t)
dr_dx = tape.gradient(risk, x_t).numpy()
for name, direction in MONOTONICITY.items():
    g = dr_dx[:, FEATURES.index(name)] * direction
    print(f"{name:16s} direction={direction:+d}  min signed grad={g.min():+.2e}  "
          f"violations={(g < -1e-7).sum()}")

# partial dependence curve for debt_ratio (others held at the median)
grid = np.linspace(0, 1, 11, dtype="float32")
base = np.median(X_test, axis=0)
probe = np.tile(base, (len(grid), 1))
probe[:, FEATURES.index("debt_ratio")] = grid
curve = model(probe).numpy().ravel()
print("PD(debt_ratio):", np.round(curve, 3))
assert np.all(np.diff(curve) >= -1e-6), "partial dependence is not monotone!"
