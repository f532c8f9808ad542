"""Plain tf.Module MLP (no Keras layers), trained with GradientTape,
exported with tf.saved_model.save and reloaded for inference."""
import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf

SEED = 7
N_SAMPLES = 512
N_FEATURES = 10
N_CLASSES = 3
HIDDEN = [32, 16]
LR = 0.05
EPOCHS = 2
BATCH = 64
EXPORT_DIR = os.path.join(tempfile.gettempdir(), "rw126_mlp_module")

tf.random.set_seed(SEED)
rng = np.random.default_rng(SEED)


def make_data(n, d, k):
    centers = rng.normal(scale=3.0, size=(k, d)).astype("float32")
    labels = rng.integers(0, k, size=n)
    x = centers[labels] + rng.normal(size=(n, d)).astype("float32")
    # standardize like you'd do with a scaler
    x = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-6)
    return x.astype("float32"), labels.astype("int32")


class Dense(tf.Module):
    def __init__(self, in_dim, out_dim, activation=None, name=None):
        super().__init__(name=name)
        init = tf.keras.initializers.GlorotUniform(seed=SEED)
        with self.name_scope:
            self.w = tf.Variable(init((in_dim, out_dim)), name="w")
            self.b = tf.Variable(tf.zeros([out_dim]), name="b")
        self.activation = activation

    def __call__(self, x):
        y = tf.matmul(x, self.w) + self.b
        return self.activation(y) if self.activation is not None else y


class MLP(tf.Module):
    def __init__(self, in_dim, hidden, n_out, name="mlp"):
        super().__init__(name=name)
        dims = [in_dim] + list(hidden)
        with self.name_scope:
            self.blocks = [
                Dense(dims[i], dims[i + 1], activation=tf.nn.relu, name=f"dense_{i}")
                for i in range(len(hidden))
            ]
            self.head = Dense(dims[-1], n_out, name="logits")

    def __call__(self, x):
        for blk in self.blocks:
            x = blk(x)
        return self.head(x)

    @tf.function(input_signature=[tf.TensorSpec([None, N_FEATURES], tf.float32)])
    def predict_proba(self, x):
        return tf.nn.softmax(self(x), axis=-1)

    @tf.function(input_signature=[tf.TensorSpec([None, N_FEATURES], tf.float32)])
    def predict_class(self, x):
        return tf.argmax(self(x), axis=-1, output_type=tf.int32)


def loss_fn(logits, y):
    return tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
    )


def build_train_step(model, opt):
    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x)
            loss = loss_fn(logits, y)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        acc = tf.reduce_mean(
            tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), y), tf.float32)
        )
        return loss, acc

    return train_step


def main():
    x, y = make_data(N_SAMPLES, N_FEATURES, N_CLASSES)
    split = int(0.8 * N_SAMPLES)
    train_ds = (
        tf.data.Dataset.from_tensor_slices((x[:split], y[:split]))
        .shuffle(split, seed=SEED)
        .batch(BATCH)
        .prefetch(tf.data.AUTOTUNE)
    )
    x_val, y_val = x[split:], y[split:]

    model = MLP(N_FEATURES, HIDDEN, N_CLASSES)
    print("variables:", [v.name for v in model.trainable_variables])
    n_params = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
    print(f"total params: {n_params}")

    opt = tf.keras.optimizers.SGD(learning_rate=LR, momentum=0.9)
    train_step = build_train_step(model, opt)

    for epoch in range(EPOCHS):
        losses, accs = [], []
        for xb, yb in train_ds:
            l, a = train_step(xb, yb)
            losses.append(float(l))
            accs.append(float(a))
        val_pred = model.predict_class(tf.constant(x_val)).numpy()
        val_acc = (val_pred == y_val).mean()
        print(f"epoch {epoch + 1}: loss={np.mean(losses):.4f} "
              f"acc={np.mean(accs):.3f} val_acc={val_acc:.3f}")

    if os.path.exists(EXPORT_DIR):
        shutil.rmtree(EXPORT_DIR)
    tf.saved_model.save(
        model,
        EXPORT_DIR,
        signatures={
            "serving_default": model.predict_proba,
            "classify": model.predict_class,
        },
    )
    print("saved to", EXPORT_DIR)

    restored = tf.saved_model.load(EXPORT_DIR)
    print("signatures:", list(restored.signatures.keys()))

    sample = tf.constant(x_val[:5])
    p_orig = model.predict_proba(sample).numpy()
    p_rest = restored.predict_proba(sample).numpy()
    sig_out = restored.signatures["serving_default"](x=sample)
    out_key = list(sig_out.keys())[0]
    np.testing.assert_allclose(p_orig, p_rest, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(p_orig, sig_out[out_key].numpy(), rtol=1e-5, atol=1e-6)
    print("round trip ok, max diff:", float(np.abs(p_orig - p_rest).max()))
    print("restored classes:", restored.predict_class(sample).numpy(), "true:", y_val[:5])
    head_diff = np.abs(restored.head.w.numpy() - model.head.w.numpy()).max()
    print(f"restored head weight shape={tuple(restored.head.w.shape)} diff={head_diff:.2e}")


if __name__ == "__main__":
    main()
