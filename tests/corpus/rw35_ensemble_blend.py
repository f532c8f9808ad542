# Forest-cover-type style multiclass: train 3 different nets, then blend their probabilities.
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

SEED = 0
keras.utils.set_random_seed(SEED)

N_CLASSES = 7
N_NUM = 10
N_SOIL = 40        # one-hot soil type -> we convert to an index and embed
N_WILD = 4

n = 1400
X_num = np.random.randn(n, N_NUM).astype(np.float32)
soil = np.random.randint(0, N_SOIL, n)
wild = np.random.randint(0, N_WILD, n)
score = X_num[:, :N_CLASSES] + 0.5 * np.eye(N_CLASSES)[soil % N_CLASSES]
y = np.argmax(score + 0.5 * np.random.randn(n, N_CLASSES), axis=1)

idx = np.random.permutation(n)
tr, ho = idx[:1100], idx[1100:]
print("class counts:", np.bincount(y, minlength=N_CLASSES))

# --- model 1: plain Sequential MLP on numeric + one-hot ---------------------------
def one_hot_block(rows):
    return np.hstack([X_num[rows], np.eye(N_SOIL)[soil[rows]], np.eye(N_WILD)[wild[rows]]]).astype("float32")

mlp = keras.Sequential([
    layers.Input((N_NUM + N_SOIL + N_WILD,)),
    layers.Dense(256, activation="elu"),
    layers.BatchNormalization(),
    layers.Dense(128, activation="elu"),
    layers.Dropout(0.3),
    layers.Dense(N_CLASSES, activation="softmax"),
], name="mlp")

# --- model 2: wide & deep with embeddings ---------------------------------------
def wide_and_deep():
    num = keras.Input((N_NUM,), name="num")
    s_in = keras.Input((1,), name="soil", dtype="int32")
    w_in = keras.Input((1,), name="wild", dtype="int32")
    s_emb = layers.Flatten()(layers.Embedding(N_SOIL, 8)(s_in))
    w_emb = layers.Flatten()(layers.Embedding(N_WILD, 2)(w_in))
    deep = layers.Concatenate()([num, s_emb, w_emb])
    for u in [128, 64]:
        deep = layers.Dense(u, activation="relu")(deep)
    wide = layers.Concatenate()([num,
                                 layers.CategoryEncoding(N_SOIL, output_mode="one_hot")(s_in),
                                 layers.CategoryEncoding(N_WILD, output_mode="one_hot")(w_in)])
    logits = layers.Add()([layers.Dense(N_CLASSES)(deep), layers.Dense(N_CLASSES)(wide)])
    return keras.Model([num, s_in, w_in], layers.Softmax()(logits), name="wide_deep")

wd = wide_and_deep()

# --- model 3: subclassed residual MLP ----------------------------------------------
class ResBlock(layers.Layer):
    def __init__(self, units, rate=0.1, **kw):
        super().__init__(**kw)
        self.d1 = layers.Dense(units * 2, activation="gelu")
        self.d2 = layers.Dense(units)
        self.drop = layers.Dropout(rate)
        self.norm = layers.LayerNormalization()

    def call(self, x, training=None):
        h = self.d2(self.drop(self.d1(x), training=training))
        return self.norm(x + h)


class ResNetTabular(keras.Model):
    def __init__(self, width=64, depth=3, **kw):
        super().__init__(**kw)
        self.soil_emb = layers.Embedding(N_SOIL, 6)
        self.stem = layers.Dense(width)
        self.blocks = [ResBlock(width) for _ in range(depth)]
        self.head = layers.Dense(N_CLASSES, activation="softmax")

    def call(self, inputs, training=None):
        x_num, x_soil = inputs
        e = self.soil_emb(x_soil)                  # (B, 6)
        x = self.stem(ops.concatenate([x_num, e], axis=-1))
        for blk in self.blocks:
            x = blk(x, training=training)
        return self.head(x)

resnet = ResNetTabular(name="resnet_tab")

feeds = {
    "mlp": lambda r: one_hot_block(r),
    "wide_deep": lambda r: [X_num[r], soil[r][:, None], wild[r][:, None]],
    "resnet_tab": lambda r: (X_num[r], soil[r]),
}
models = {"mlp": mlp, "wide_deep": wd, "resnet_tab": resnet}

holdout_probs = {}
for name, m in models.items():
    m.compile(optimizer=keras.optimizers.Adam(2e-3),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    m.fit(feeds[name](tr), y[tr], epochs=2, batch_size=64, verbose=0)
    p = m.predict(feeds[name](ho), verbose=0)
    holdout_probs[name] = p
    print(f"{name:12s} probs {p.shape}  acc={np.mean(p.argmax(1) == y[ho]):.4f}")


def logloss(p, t, eps=1e-7):
    return -np.mean(np.log(np.clip(p[np.arange(len(t)), t], eps, 1.0)))

# simple blending: search weights on the simplex with a coarse grid
names = list(holdout_probs)
P = np.stack([holdout_probs[k] for k in names])       # (n_models, n_ho, n_classes)
best = (np.inf, None)
grid = np.linspace(0, 1, 11)
for w1 in grid:
    for w2 in grid:
        if w1 + w2 > 1:
            continue
        w = np.array([w1, w2, 1 - w1 - w2])
        blend = np.tensordot(w, P, axes=1)
        ll = logloss(blend, y[ho])
        if ll < best[0]:
            best = (ll, w)

print("equal-weight logloss:", round(logloss(P.mean(0), y[ho]), 4))
print("best weights", {k: float(v) for k, v in zip(names, best[1].round(2))}, "logloss", round(best[0], 4))

# geometric mean as an alternative
geo = np.exp(np.log(np.clip(P, 1e-7, 1)).mean(0))
geo /= geo.sum(1, keepdims=True)
print("geo-mean acc:", np.mean(geo.argmax(1) == y[ho]))
