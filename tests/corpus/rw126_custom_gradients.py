"""Custom gradients in TF2: gradient reversal (DANN-style), straight-through
quantisation, and a numerically safe norm.  Sanity checks first, then a short
domain-adaptation training loop."""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

BATCH_SIZE = 32
STEPS = 30
FEAT_DIM = 8
GRL_LAMBDA = 0.3

rs = np.random.RandomState(42)
tf.random.set_seed(42)


# ---------------------------------------------------------------- custom ops
def make_grad_reverse(lam):
    @tf.custom_gradient
    def grad_reverse(x):
        def grad(dy):
            return -lam * dy
        return tf.identity(x), grad
    return grad_reverse


@tf.custom_gradient
def st_round(x):
    """Round in the forward pass, identity in the backward pass."""
    def grad(dy):
        return dy
    return tf.round(x), grad


@tf.custom_gradient
def safe_norm(x):
    n = tf.sqrt(tf.reduce_sum(tf.square(x), axis=-1, keepdims=True))

    def grad(dy):
        return dy * tf.math.divide_no_nan(x, n)
    return n, grad


class GradientReversal(layers.Layer):
    def __init__(self, lam=1.0, **kw):
        super().__init__(**kw)
        self.lam = lam
        self._op = make_grad_reverse(lam)

    def call(self, x):
        return self._op(x)

    def get_config(self):
        return {**super().get_config(), "lam": self.lam}


# ---------------------------------------------------------------- checks
def sanity_checks():
    x = tf.constant([[0.3, -1.7, 2.49]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y_rev = make_grad_reverse(0.5)(x)
        y_rnd = st_round(x)
        y_id = x * 1.0
        s_rev = tf.reduce_sum(y_rev * 3.0)
        s_rnd = tf.reduce_sum(y_rnd * 3.0)
        s_id = tf.reduce_sum(y_id * 3.0)
    g_rev = tape.gradient(s_rev, x).numpy()
    g_rnd = tape.gradient(s_rnd, x).numpy()
    g_id = tape.gradient(s_id, x).numpy()
    del tape
    print("reverse grad :", g_rev)
    print("st_round out :", y_rnd.numpy(), "grad:", g_rnd)
    assert np.allclose(g_rev, -0.5 * g_id)
    assert np.allclose(g_rnd, g_id)

    zeros = tf.zeros([2, 3])
    with tf.GradientTape() as t2:
        t2.watch(zeros)
        n = safe_norm(zeros)
    g = t2.gradient(n, zeros)
    print("safe_norm grad at 0:", g.numpy().ravel())
    assert np.all(np.isfinite(g.numpy()))

    # compare with autodiff for non-zero input
    v = tf.constant(rs.randn(4, 5).astype("float32"))
    with tf.GradientTape(persistent=True) as t3:
        t3.watch(v)
        a = tf.reduce_sum(safe_norm(v))
        b = tf.reduce_sum(tf.norm(v, axis=-1))
    diff = np.abs(t3.gradient(a, v).numpy() - t3.gradient(b, v).numpy()).max()
    print(f"safe_norm vs tf.norm grad diff: {diff:.2e}")
    assert diff < 1e-5


# ---------------------------------------------------------------- data
def two_domains(n):
    """Source and target share the label rule but target is shifted/rotated."""
    w = rs.randn(FEAT_DIM)
    xs = rs.randn(n, FEAT_DIM)
    theta = 0.4
    rot = np.eye(FEAT_DIM)
    rot[:2, :2] = [[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]]
    xt = rs.randn(n, FEAT_DIM) @ rot + 0.8
    ys = (xs @ w > 0).astype("float32")
    yt = (xt @ w > (0.8 * w.sum())).astype("float32")
    return xs.astype("float32"), ys, xt.astype("float32"), yt


def build_models():
    inp = keras.Input((FEAT_DIM,))
    h = inp
    for units in (32, 16):
        h = layers.Dense(units, activation="relu")(h)
    feat_extractor = keras.Model(inp, h, name="features")

    f_in = keras.Input((16,))
    label_head = keras.Model(f_in, layers.Dense(1)(f_in), name="label_head")

    d_in = keras.Input((16,))
    d = GradientReversal(GRL_LAMBDA)(d_in)
    d = layers.Dense(16, activation="relu")(d)
    d = layers.Lambda(lambda t: st_round(t * 4.0) / 4.0, name="quantise")(d)
    domain_head = keras.Model(d_in, layers.Dense(1)(d), name="domain_head")
    return feat_extractor, label_head, domain_head


def main():
    sanity_checks()

    xs, ys, xt, yt = two_domains(400)
    src = tf.data.Dataset.from_tensor_slices((xs, ys)).shuffle(400).repeat()
    tgt = tf.data.Dataset.from_tensor_slices(xt).shuffle(400).repeat()
    ds = tf.data.Dataset.zip((src.batch(BATCH_SIZE), tgt.batch(BATCH_SIZE))).take(STEPS)

    fe, lh, dh = build_models()
    all_vars = fe.trainable_variables + lh.trainable_variables + dh.trainable_variables
    opt = keras.optimizers.Adam(1e-2)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function
    def step(x_s, y_s, x_t):
        with tf.GradientTape() as tape:
            f_s, f_t = fe(x_s, training=True), fe(x_t, training=True)
            cls_loss = bce(y_s[:, None], lh(f_s))
            dom_logits = dh(tf.concat([f_s, f_t], 0))
            dom_labels = tf.concat([tf.zeros_like(y_s), tf.ones_like(y_s)], 0)[:, None]
            dom_loss = bce(dom_labels, dom_logits)
            total = cls_loss + dom_loss
        grads = tape.gradient(total, all_vars)
        grads = [tf.zeros_like(v) if g is None else g for g, v in zip(grads, all_vars)]
        opt.apply_gradients(zip(grads, all_vars))
        return cls_loss, dom_loss

    for i, ((x_s, y_s), x_t) in enumerate(ds):
        c, d = step(x_s, y_s, x_t)
        if i % 10 == 0 or i == STEPS - 1:
            print(f"step {i:02d}  cls={c.numpy():.4f}  dom={d.numpy():.4f}")

    def acc(x, y):
        logits = lh(fe(x)).numpy().ravel()
        return ((logits > 0).astype("float32") == y).mean()

    print(f"source acc {acc(xs, ys):.3f} | target acc {acc(xt, yt):.3f}")


if __name__ == "__main__":
    main()
