"""
Product listing model: photo + title + tabular features -> (category, price).
Kaggle-style multimodal fusion with the functional API and dict-keyed I/O.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

CFG = dict(
    img_size=32,
    vocab_size=500,
    max_len=12,
    embed_dim=16,
    gru_units=24,
    n_tabular=7,
    n_categories=6,
    batch_size=16,
    n_samples=48,
)

rng = np.random.default_rng(2024)
n = CFG["n_samples"]

images = rng.random((n, CFG["img_size"], CFG["img_size"], 3), dtype=np.float32)
# variable-length titles, right padded with zeros
lengths = rng.integers(3, CFG["max_len"] + 1, size=n)
titles = np.zeros((n, CFG["max_len"]), dtype="int32")
for i, L in enumerate(lengths):
    titles[i, :L] = rng.integers(1, CFG["vocab_size"], size=L)
tabular = rng.normal(size=(n, CFG["n_tabular"])).astype("float32")
# standardize tabular features, column-wise
tabular = (tabular - tabular.mean(0)) / (tabular.std(0) + 1e-7)

category = rng.integers(0, CFG["n_categories"], size=n)
price = np.abs(rng.normal(50, 20, size=(n, 1))).astype("float32")
log_price = np.log1p(price)


def image_branch(inp):
    x = inp
    for filters in (16, 32):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    return layers.GlobalAveragePooling2D(name="img_vec")(x)


def text_branch(inp):
    x = layers.Embedding(CFG["vocab_size"], CFG["embed_dim"], mask_zero=True)(inp)
    x = layers.GRU(CFG["gru_units"], name="title_gru")(x)
    return x


def tabular_branch(inp):
    x = layers.Dense(32, activation="relu")(inp)
    x = layers.Dropout(0.1)(x)
    return layers.Dense(16, activation="relu", name="tab_vec")(x)


img_in = keras.Input(shape=(CFG["img_size"], CFG["img_size"], 3), name="image")
txt_in = keras.Input(shape=(CFG["max_len"],), dtype="int32", name="title")
tab_in = keras.Input(shape=(CFG["n_tabular"],), name="tabular")

fused = layers.concatenate([image_branch(img_in), text_branch(txt_in), tabular_branch(tab_in)],
                           name="fusion")
z = layers.Dense(64, activation="relu")(fused)
z = layers.Dropout(0.2)(z)
cat_out = layers.Dense(CFG["n_categories"], activation="softmax", name="category")(z)
price_out = layers.Dense(1, name="price")(z)

model = keras.Model(inputs=[img_in, txt_in, tab_in], outputs=[cat_out, price_out],
                    name="listing_fusion")
model.summary()

model.compile(
    optimizer=keras.optimizers.Adam(2e-3),
    loss={"category": "sparse_categorical_crossentropy", "price": "mse"},
    loss_weights={"category": 1.0, "price": 0.5},
    metrics={"category": ["accuracy"], "price": [keras.metrics.MeanAbsoluteError()]},
)

split = int(0.75 * n)
idx = rng.permutation(n)
tr, va = idx[:split], idx[split:]

X = {"image": images, "title": titles, "tabular": tabular}
Y = {"category": category, "price": log_price}
X_tr = {k: v[tr] for k, v in X.items()}
Y_tr = {k: v[tr] for k, v in Y.items()}
X_va = {k: v[va] for k, v in X.items()}
Y_va = {k: v[va] for k, v in Y.items()}

callbacks = [keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1)]
history = model.fit(X_tr, Y_tr, validation_data=(X_va, Y_va),
                    batch_size=CFG["batch_size"], epochs=1, callbacks=callbacks, verbose=2)

pred_cat, pred_price = model.predict(X_va, verbose=0)
pred_labels = pred_cat.argmax(axis=-1)
pred_price = np.expm1(pred_price.reshape(-1))
print("category acc: %.3f" % (pred_labels == Y_va["category"]).mean())
print("price MAE: %.2f" % np.abs(pred_price - price[va, 0]).mean())

# shared embedding for downstream retrieval
embedder = keras.Model(model.inputs, model.get_layer("fusion").output)
emb = embedder.predict(X, verbose=0)
print("fusion embedding", emb.shape)
