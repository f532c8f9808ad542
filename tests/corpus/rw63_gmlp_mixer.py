"""gMLP (spatial gating unit) vs. MLP-Mixer token mixing on toy images.

Attention-free baselines for a patch-based classifier:
  * MixerBlock: token-mixing MLP applied across the patch axis (transpose,
    Dense, transpose back) followed by a channel-mixing MLP.
  * gMLPBlock: channel expansion, then a Spatial Gating Unit that splits
    channels in half and gates one half with a linear projection of the other
    across the token axis (Liu et al., 2021). Optional tiny attention ("aMLP").
Warmup + cosine LR schedule, label smoothing, EMA of weights in the optimizer.
"""
import math

import numpy as np
import keras
from keras import layers
from keras import ops

H = W = 24
C = 3
PATCH = 4
N_TOKENS = (H // PATCH) * (W // PATCH)
HIDDEN = 48
N_CLASSES = 5
DEPTH = 2
EPOCHS = 1
BATCH_SIZE = 32
N_TRAIN = 192


def patchify(inputs, patch, dim):
    x = layers.Conv2D(dim, patch, strides=patch, name="stem")(inputs)
    return layers.Reshape((-1, dim), name="to_tokens")(x)


def mlp(x, hidden, out, name):
    x = layers.Dense(hidden, activation="gelu", name=f"{name}_fc1")(x)
    return layers.Dense(out, name=f"{name}_fc2")(x)


def mixer_block(x, token_hidden, channel_hidden, name):
    y = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_ln1")(x)
    y = layers.Permute((2, 1), name=f"{name}_tpose1")(y)          # (B, C, N)
    y = mlp(y, token_hidden, N_TOKENS, name=f"{name}_tok")
    y = layers.Permute((2, 1), name=f"{name}_tpose2")(y)          # (B, N, C)
    x = layers.Add(name=f"{name}_res1")([x, y])
    y = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_ln2")(x)
    y = mlp(y, channel_hidden, x.shape[-1], name=f"{name}_ch")
    return layers.Add(name=f"{name}_res2")([x, y])


class SpatialGatingUnit(layers.Layer):
    """z1, z2 = split(z); return z1 * (W z2 + b) with W mixing over tokens."""

    def __init__(self, seq_len, init_eps=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.seq_len = seq_len
        self.init_eps = init_eps
        self.norm = layers.LayerNormalization(epsilon=1e-6)

    def build(self, input_shape):
        # near-identity gate at init: W ~ 0, b = 1 so the block starts as a plain FFN
        eps = self.init_eps / self.seq_len
        self.spatial_w = self.add_weight(
            name="spatial_w", shape=(self.seq_len, self.seq_len),
            initializer=keras.initializers.RandomUniform(-eps, eps))
        self.spatial_b = self.add_weight(name="spatial_b", shape=(self.seq_len,), initializer="ones")

    def call(self, x, tiny_attn=None):
        u, v = ops.split(x, 2, axis=-1)
        v = self.norm(v)
        v = ops.einsum("mn,bnd->bmd", self.spatial_w, v) + self.spatial_b[None, :, None]
        if tiny_attn is not None:
            v = v + tiny_attn
        return u * v


class TinyAttention(layers.Layer):
    """Single-head attention of size d_attn used by aMLP."""

    def __init__(self, d_attn, d_out, **kwargs):
        super().__init__(**kwargs)
        self.d_attn = d_attn
        self.qkv = layers.Dense(3 * d_attn)
        self.proj = layers.Dense(d_out)

    def call(self, x):
        q, k, v = ops.split(self.qkv(x), 3, axis=-1)
        w = ops.softmax(ops.matmul(q, ops.swapaxes(k, -1, -2)) / math.sqrt(self.d_attn), axis=-1)
        return self.proj(ops.matmul(w, v))


def gmlp_block(x, d_ffn, name, use_attn=False):
    shortcut = x
    x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_ln")(x)
    attn = TinyAttention(16, d_ffn // 2, name=f"{name}_tiny_attn")(x) if use_attn else None
    x = layers.Dense(d_ffn, activation="gelu", name=f"{name}_proj_in")(x)
    x = SpatialGatingUnit(N_TOKENS, name=f"{name}_sgu")(x, tiny_attn=attn)
    x = layers.Dense(shortcut.shape[-1], name=f"{name}_proj_out")(x)
    return layers.Add(name=f"{name}_res")([shortcut, x])


def build_model(arch="gmlp"):
    inputs = keras.Input((H, W, C), name="image")
    x = patchify(inputs, PATCH, HIDDEN)
    for i in range(DEPTH):
        if arch == "mixer":
            x = mixer_block(x, token_hidden=N_TOKENS * 2, channel_hidden=HIDDEN * 4, name=f"mix{i}")
        elif arch in ("gmlp", "amlp"):
            x = gmlp_block(x, d_ffn=HIDDEN * 4, name=f"gmlp{i}", use_attn=(arch == "amlp"))
        else:
            raise ValueError(arch)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    x = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(N_CLASSES, name="classifier")(x)
    return keras.Model(inputs, outputs, name=arch)


class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, peak_lr, warmup_steps, total_steps, min_lr=1e-6):
        self.peak_lr = peak_lr
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.min_lr = min_lr

    def __call__(self, step):
        step = ops.cast(step, "float32")
        warm = self.peak_lr * step / max(1, self.warmup_steps)
        progress = (step - self.warmup_steps) / max(1, self.total_steps - self.warmup_steps)
        progress = ops.clip(progress, 0.0, 1.0)
        cosine = self.min_lr + 0.5 * (self.peak_lr - self.min_lr) * (1 + ops.cos(math.pi * progress))
        return ops.where(step < self.warmup_steps, warm, cosine)

    def get_config(self):
        return dict(peak_lr=self.peak_lr, warmup_steps=self.warmup_steps,
                    total_steps=self.total_steps, min_lr=self.min_lr)


def make_blobs(n, seed):
    """Each class = a gaussian blob at a class-specific location + noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, N_CLASSES, n)
    yy, xx = np.mgrid[0:H, 0:W]
    centers = np.stack([np.linspace(4, H - 4, N_CLASSES), np.linspace(W - 4, 4, N_CLASSES)], 1)
    imgs = rng.normal(0, 0.3, size=(n, H, W, C)).astype("float32")
    for i, lbl in enumerate(y):
        cy, cx = centers[lbl]
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 18.0)
        imgs[i] += blob[..., None]
    return imgs, keras.utils.to_categorical(y, N_CLASSES)


if __name__ == "__main__":
    x_train, y_train = make_blobs(N_TRAIN, seed=0)
    x_val, y_val = make_blobs(64, seed=1)
    steps_per_epoch = math.ceil(N_TRAIN / BATCH_SIZE)

    summary = {}
    for arch in ["mixer", "gmlp", "amlp"]:
        keras.utils.set_random_seed(0)
        model = build_model(arch)
        schedule = WarmupCosine(3e-3, warmup_steps=steps_per_epoch // 2,
                                total_steps=steps_per_epoch * EPOCHS)
        opt = keras.optimizers.AdamW(schedule, weight_decay=0.05, use_ema=True, ema_momentum=0.99)
        model.compile(optimizer=opt,
                      loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
                      metrics=["categorical_accuracy"],
                      jit_compile=False)  # XLA compile time dominates on tiny CPU runs
        if arch == "gmlp":
            model.summary(line_length=90, expand_nested=False)
        hist = model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, verbose=0)
        # overwrite the raw weights with their EMA before "evaluating"
        opt.finalize_variable_values(model.trainable_variables)
        val_pred = np.argmax(model.predict_on_batch(x_val), axis=-1)
        val_acc = float(np.mean(val_pred == np.argmax(y_val, axis=-1)))
        summary[arch] = (model.count_params(), hist.history["loss"][-1], val_acc)

    sgu = [l for l in model.layers if isinstance(l, SpatialGatingUnit)][0]
    print("SGU spatial weight range:", float(ops.min(sgu.spatial_w)), float(ops.max(sgu.spatial_w)))
    for arch, (n, loss, acc) in summary.items():
        print(f"{arch:6s} params={n:>7,}  train_loss={loss:.3f}  val_acc={acc:.3f}")
