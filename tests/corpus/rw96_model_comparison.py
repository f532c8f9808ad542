"""Architecture bake-off on a toy image task: CNN vs. ViT vs. MLP-Mixer vs. MobileNetV2.

All models share the same data, optimizer and budget (1 epoch). For each we
record parameter count, train time, inference latency and test accuracy,
then print a markdown comparison table (sorted by accuracy).
Written backend-agnostic with keras.ops where possible.
"""
import time
from dataclasses import dataclass, field

import numpy as np
import keras
from keras import layers, ops


@dataclass
class BenchConfig:
    image_size: int = 32
    channels: int = 3
    num_classes: int = 10
    n_train: int = 256
    n_test: int = 128
    batch_size: int = 32
    epochs: int = 1
    patch_size: int = 4
    seed: int = 123
    # "mobilenetv2" is also in the zoo, but tracing its train step takes ~1 min
    # on a laptop CPU -- add it here for the full comparison.
    models: list = field(default_factory=lambda: ["cnn", "vit", "mixer"])


# --------------------------------------------------------------------------
# building blocks
# --------------------------------------------------------------------------
class Patches(layers.Layer):
    """(B, H, W, C) -> (B, num_patches, patch*patch*C) via reshape/transpose."""

    def __init__(self, patch_size, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size

    def call(self, images):
        p = self.patch_size
        h, w, c = images.shape[1], images.shape[2], images.shape[3]
        x = ops.reshape(images, (-1, h // p, p, w // p, p, c))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        return ops.reshape(x, (-1, (h // p) * (w // p), p * p * c))

    def get_config(self):
        return {**super().get_config(), "patch_size": self.patch_size}


class PatchEncoder(layers.Layer):
    def __init__(self, num_patches, dim, **kwargs):
        super().__init__(**kwargs)
        self.num_patches = num_patches
        self.dim = dim
        self.proj = layers.Dense(dim)
        self.pos_emb = layers.Embedding(num_patches + 1, dim)

    def build(self, input_shape):
        self.proj.build(input_shape)
        self.cls_token = self.add_weight(shape=(1, 1, self.dim), initializer="zeros", name="cls")

    def call(self, patches):
        batch = ops.shape(patches)[0]
        x = self.proj(patches)
        cls = ops.broadcast_to(self.cls_token, (batch, 1, self.dim))
        x = ops.concatenate([cls, x], axis=1)
        positions = ops.arange(self.num_patches + 1)
        return x + self.pos_emb(positions)[None, ...]


class TransformerBlock(layers.Layer):
    def __init__(self, dim, heads, mlp_ratio=2, drop=0.1, **kwargs):
        super().__init__(**kwargs)
        self.ln1 = layers.LayerNormalization(epsilon=1e-6)
        self.attn = layers.MultiHeadAttention(heads, dim // heads, dropout=drop)
        self.ln2 = layers.LayerNormalization(epsilon=1e-6)
        self.mlp = keras.Sequential([layers.Dense(dim * mlp_ratio, activation="gelu"),
                                     layers.Dropout(drop), layers.Dense(dim)])

    def call(self, x, training=None):
        h = self.ln1(x)
        x = x + self.attn(h, h, training=training)
        return x + self.mlp(self.ln2(x), training=training)


class MixerBlock(layers.Layer):
    """Token-mixing MLP (across patches) followed by channel-mixing MLP."""

    def __init__(self, num_patches, dim, token_hidden=32, channel_hidden=64, **kwargs):
        super().__init__(**kwargs)
        self.ln1 = layers.LayerNormalization()
        self.token_mlp = keras.Sequential([layers.Dense(token_hidden, activation="gelu"),
                                           layers.Dense(num_patches)])
        self.ln2 = layers.LayerNormalization()
        self.channel_mlp = keras.Sequential([layers.Dense(channel_hidden, activation="gelu"),
                                             layers.Dense(dim)])

    def call(self, x):
        y = ops.transpose(self.ln1(x), (0, 2, 1))       # (B, dim, N)
        y = ops.transpose(self.token_mlp(y), (0, 2, 1))  # back to (B, N, dim)
        x = x + y
        return x + self.channel_mlp(self.ln2(x))


# --------------------------------------------------------------------------
# model zoo
# --------------------------------------------------------------------------
def augment_layers():
    return keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomTranslation(0.1, 0.1)],
                            name="augment")


def make_cnn(cfg):
    inp = keras.Input((cfg.image_size, cfg.image_size, cfg.channels))
    x = augment_layers()(inp)
    for f in (32, 64):
        x = layers.Conv2D(f, 3, padding="same", activation="relu")(x)
        x = layers.SeparableConv2D(f, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, layers.Dense(cfg.num_classes)(x), name="cnn")


def make_vit(cfg, dim=48, depth=2, heads=4):
    n_patches = (cfg.image_size // cfg.patch_size) ** 2
    inp = keras.Input((cfg.image_size, cfg.image_size, cfg.channels))
    x = augment_layers()(inp)
    x = Patches(cfg.patch_size)(x)
    x = PatchEncoder(n_patches, dim)(x)
    for i in range(depth):
        x = TransformerBlock(dim, heads, name=f"block_{i}")(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    cls = x[:, 0]                                    # CLS token
    return keras.Model(inp, layers.Dense(cfg.num_classes)(cls), name="vit")


def make_mixer(cfg, dim=48, depth=2):
    n_patches = (cfg.image_size // cfg.patch_size) ** 2
    inp = keras.Input((cfg.image_size, cfg.image_size, cfg.channels))
    x = augment_layers()(inp)
    # patchify with a strided conv, then flatten the spatial grid into tokens
    x = layers.Conv2D(dim, cfg.patch_size, strides=cfg.patch_size)(x)
    x = layers.Reshape((n_patches, dim))(x)
    for _ in range(depth):
        x = MixerBlock(n_patches, dim)(x)
    x = layers.GlobalAveragePooling1D()(layers.LayerNormalization()(x))
    return keras.Model(inp, layers.Dense(cfg.num_classes)(x), name="mixer")


def make_mobilenetv2(cfg):
    base = keras.applications.MobileNetV2(
        input_shape=(cfg.image_size, cfg.image_size, cfg.channels),
        alpha=0.35, include_top=False, weights=None, pooling="avg")
    inp = keras.Input((cfg.image_size, cfg.image_size, cfg.channels))
    x = layers.Rescaling(2.0, offset=-1.0)(inp)   # [0,1] -> [-1,1] like preprocess_input
    x = base(x)
    x = layers.Dropout(0.2)(x)
    return keras.Model(inp, layers.Dense(cfg.num_classes)(x), name="mobilenetv2")


ZOO = {"cnn": make_cnn, "vit": make_vit, "mixer": make_mixer, "mobilenetv2": make_mobilenetv2}


# --------------------------------------------------------------------------
def make_data(cfg):
    rng = np.random.default_rng(cfg.seed)
    n = cfg.n_train + cfg.n_test
    y = rng.integers(0, cfg.num_classes, n)
    # class templates: a random low-freq pattern per class, upsampled
    templates = rng.random((cfg.num_classes, 4, 4, cfg.channels))
    templates = templates.repeat(cfg.image_size // 4, 1).repeat(cfg.image_size // 4, 2)
    x = 0.8 * templates[y] + 0.2 * rng.random((n, cfg.image_size, cfg.image_size, cfg.channels))
    x = x.astype("float32")
    return (x[:cfg.n_train], y[:cfg.n_train]), (x[cfg.n_train:], y[cfg.n_train:])


def benchmark(name, cfg, train, test):
    keras.utils.set_random_seed(cfg.seed)
    model = ZOO[name](cfg)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=2e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc"),
                 keras.metrics.SparseTopKCategoricalAccuracy(k=3, name="top3")],
        jit_compile=False,  # XLA compile time dominates on tiny CPU runs
    )
    t0 = time.perf_counter()
    model.fit(*train, batch_size=cfg.batch_size, epochs=cfg.epochs, verbose=0)
    train_s = time.perf_counter() - t0

    _, acc, top3 = model.evaluate(*test, batch_size=cfg.batch_size, verbose=0)

    # latency: warm up once, then time a few single-batch forward passes
    xb = test[0][: cfg.batch_size]
    model(xb, training=False)
    t0 = time.perf_counter()
    for _ in range(3):
        ops.convert_to_numpy(model(xb, training=False))
    latency_ms = (time.perf_counter() - t0) / 3 * 1000 / cfg.batch_size

    return dict(model=name, params=model.count_params(), train_s=train_s,
                ms_per_img=latency_ms, acc=acc, top3=top3)


def markdown_table(rows, cols, fmt):
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join([":---"] + ["---:"] * (len(cols) - 1)) + "|"]
    for r in rows:
        out.append("| " + " | ".join(fmt.get(c, "{}").format(r[c]) for c in cols) + " |")
    return "\n".join(out)


if __name__ == "__main__":
    cfg = BenchConfig()
    train, test = make_data(cfg)
    print(f"train {train[0].shape}, test {test[0].shape}, backend={keras.backend.backend()}")

    # quick shape sanity check for the patch layer
    demo = Patches(cfg.patch_size)(train[0][:2])
    print("patches:", tuple(demo.shape))

    rows = []
    for name in cfg.models:
        rows.append(benchmark(name, cfg, train, test))
        print(f"done: {name}")

    rows.sort(key=lambda r: r["acc"], reverse=True)
    print()
    print(markdown_table(
        rows, ["model", "params", "train_s", "ms_per_img", "acc", "top3"],
        {"params": "{:,}", "train_s": "{:.1f}", "ms_per_img": "{:.2f}", "acc": "{:.3f}", "top3": "{:.3f}"},
    ))
