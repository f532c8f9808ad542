"""ChebNet (Defferrard et al. 2016) on graph signals living on a 2-D grid graph.

Each sample is a signal on the nodes of a fixed 16x16 4-neighbour grid
(think MNIST-as-a-graph). Spectral filtering uses Chebyshev polynomials of the
rescaled Laplacian  L~ = 2 L / lambda_max - I :

    T_0 x = x,  T_1 x = L~ x,  T_k x = 2 L~ T_{k-1} x - T_{k-2} x
    y = sum_k T_k x  W_k

Pooling exploits the regular grid: reshape (B, H*W, F) -> (B, H, W, F),
2x2 max-pool, and flatten back onto the coarser grid's Laplacian.
The model overrides train_step to add a Laplacian smoothness penalty.
"""
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
from tensorflow import keras


@dataclass
class HParams:
    grid: int = 16
    channels: int = 1
    num_classes: int = 3
    filters: tuple = (16, 32)
    cheb_k: tuple = (4, 4)
    dense: int = 64
    smooth_weight: float = 1e-4
    batch_size: int = 32
    num_samples: int = 384
    epochs: int = 2
    lr: float = 1e-3
    extra: dict = field(default_factory=lambda: {"seed": 3})


def grid_laplacian(side):
    """Normalised Laplacian of a side x side 4-neighbour grid (dense numpy)."""
    n = side * side
    idx = np.arange(n).reshape(side, side)
    rows = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    cols = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    w = np.zeros((n, n), dtype=np.float32)
    w[rows, cols] = 1.0
    w = w + w.T
    d_inv_sqrt = 1.0 / np.sqrt(w.sum(axis=1))
    return np.eye(n, dtype=np.float32) - d_inv_sqrt[:, None] * w * d_inv_sqrt[None, :]


def rescale_laplacian(lap, lmax=None):
    """Map spectrum to [-1, 1]. lmax=2 is an upper bound for the normalised L,
    but the exact value is cheap for small graphs."""
    if lmax is None:
        lmax = float(np.linalg.eigvalsh(lap).max())
    return (2.0 / lmax) * lap - np.eye(lap.shape[0], dtype=lap.dtype)


def to_tf_sparse(m, tol=1e-8):
    m = np.where(np.abs(m) > tol, m, 0.0).astype(np.float32)
    return tf.sparse.from_dense(m)


class ChebConv(keras.layers.Layer):
    def __init__(self, filters, K, laplacian, activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.K = K
        self.L = laplacian            # tf.sparse (N, N), already rescaled
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        fin = input_shape[-1]
        self.kernel = self.add_weight(name="kernel", shape=(self.K * fin, self.filters),
                                      initializer="he_uniform")
        self.bias = self.add_weight(name="bias", shape=(self.filters,),
                                    initializer="zeros")

    def _lmul(self, x):
        # x: (N, B*F)  -> sparse matmul on the node axis
        return tf.sparse.sparse_dense_matmul(self.L, x)

    def call(self, x):
        # x: (B, N, Fin)
        B = tf.shape(x)[0]
        N = tf.shape(x)[1]
        fin = x.shape[-1]

        x0 = tf.transpose(x, [1, 2, 0])                  # (N, Fin, B)
        x0 = tf.reshape(x0, [N, -1])                     # (N, Fin*B)
        terms = [x0]
        if self.K > 1:
            x1 = self._lmul(x0)
            terms.append(x1)
            for _ in range(2, self.K):
                x2 = 2.0 * self._lmul(x1) - x0
                terms.append(x2)
                x0, x1 = x1, x2

        xs = tf.stack(terms, axis=0)                     # (K, N, Fin*B)
        xs = tf.reshape(xs, [self.K, N, fin, B])
        xs = tf.transpose(xs, [3, 1, 2, 0])              # (B, N, Fin, K)
        xs = tf.reshape(xs, [B, N, fin * self.K])
        out = tf.matmul(xs, self.kernel) + self.bias     # (B, N, filters)
        return self.activation(out)


class GridPool(keras.layers.Layer):
    """Coarsen a signal on a side x side grid to (side/2) x (side/2)."""

    def __init__(self, side, **kwargs):
        super().__init__(**kwargs)
        self.side = side
        self.pool = keras.layers.MaxPooling2D(2)

    def call(self, x):
        f = x.shape[-1]
        img = tf.reshape(x, [-1, self.side, self.side, f])
        img = self.pool(img)
        return tf.reshape(img, [-1, (self.side // 2) ** 2, f])


class ChebNet(keras.Model):
    def __init__(self, hp: HParams, **kwargs):
        super().__init__(**kwargs)
        self.hp = hp
        side = hp.grid
        self.convs, self.pools = [], []
        self.raw_laplacians = []
        for i, (f, k) in enumerate(zip(hp.filters, hp.cheb_k)):
            lap = grid_laplacian(side)
            self.raw_laplacians.append(to_tf_sparse(lap))
            L = to_tf_sparse(rescale_laplacian(lap))
            self.convs.append(ChebConv(f, k, L, name=f"cheb_{i}"))
            self.pools.append(GridPool(side, name=f"pool_{i}"))
            side //= 2
        self.flatten = keras.layers.Flatten()
        self.fc = keras.layers.Dense(hp.dense, activation="relu")
        self.dropout = keras.layers.Dropout(0.3)
        self.out = keras.layers.Dense(hp.num_classes)
        self.tracker_smooth = keras.metrics.Mean(name="smooth")

    def call(self, x, training=False, return_features=False):
        feats = []
        for conv, pool in zip(self.convs, self.pools):
            x = conv(x)
            feats.append(x)
            x = pool(x)
        x = self.flatten(x)
        x = self.dropout(self.fc(x), training=training)
        logits = self.out(x)
        if return_features:
            return logits, feats
        return logits

    def dirichlet_energy(self, h, lap):
        """tr(H^T L H) / B, averaged over channels -> encourages smooth filters."""
        B, N, F = tf.shape(h)[0], tf.shape(h)[1], h.shape[-1]
        flat = tf.reshape(tf.transpose(h, [1, 0, 2]), [N, -1])     # (N, B*F)
        lh = tf.sparse.sparse_dense_matmul(lap, flat)
        return tf.reduce_sum(flat * lh) / tf.cast(B * F, tf.float32)

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            logits, feats = self(x, training=True, return_features=True)
            loss = self.compute_loss(x=x, y=y, y_pred=logits)
            smooth = tf.add_n([self.dirichlet_energy(h, L)
                               for h, L in zip(feats, self.raw_laplacians)])
            total = loss + self.hp.smooth_weight * smooth
        grads = tape.gradient(total, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.tracker_smooth.update_state(smooth)
        for m in self.metrics:
            if m.name == "loss":
                m.update_state(loss)
            elif m.name != "smooth":
                m.update_state(y, logits)
        return {m.name: m.result() for m in self.metrics}


def synth_signals(hp, rng):
    """Three classes: horizontal bars, vertical bars, diagonal blobs."""
    s = hp.grid
    yy, xx = np.mgrid[0:s, 0:s] / s
    X = np.zeros((hp.num_samples, s * s, hp.channels), np.float32)
    y = rng.integers(0, hp.num_classes, size=hp.num_samples)
    for i, c in enumerate(y):
        freq = rng.uniform(2, 4)
        phase = rng.uniform(0, 2 * np.pi)
        if c == 0:
            img = np.sin(2 * np.pi * freq * yy + phase)
        elif c == 1:
            img = np.sin(2 * np.pi * freq * xx + phase)
        else:
            img = np.sin(2 * np.pi * freq * (xx + yy) / np.sqrt(2) + phase)
        img = img + 0.3 * rng.normal(size=img.shape)
        X[i, :, 0] = img.ravel()
    return X, y.astype(np.int32)


def main():
    hp = HParams()
    rng = np.random.default_rng(hp.extra["seed"])
    keras.utils.set_random_seed(hp.extra["seed"])

    X, y = synth_signals(hp, rng)
    n_tr = int(0.75 * len(X))
    print("signals:", X.shape, "labels:", y.shape)

    model = ChebNet(hp, name="chebnet")
    model.compile(optimizer=keras.optimizers.Adam(hp.lr),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    _ = model(X[:2])  # build the subclassed model so summary() shows shapes
    model.summary()

    model.fit(X[:n_tr], y[:n_tr], batch_size=hp.batch_size, epochs=hp.epochs, verbose=2)
    results = model.evaluate(X[n_tr:], y[n_tr:], batch_size=64, verbose=0,
                             return_dict=True)
    print("held-out:", {k: round(float(v), 4) for k, v in results.items()})

    logits, feats = model(X[:4], return_features=True)
    print("logits", tuple(logits.shape), "| feature maps", [tuple(f.shape) for f in feats])


if __name__ == "__main__":
    main()
