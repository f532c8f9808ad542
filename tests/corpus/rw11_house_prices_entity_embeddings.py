#!/usr/bin/env python
# coding: utf-8
"""House Prices - Advanced Regression (Kaggle-style notebook export).

Tabular regression on log(SalePrice): each categorical column gets its own
Embedding, embeddings are flattened and concatenated with a standardized
numeric block. Feature engineering happens in numpy; the train/valid split
is a hand-written helper. Two seeds are ensembled for the submission.
"""

# In[1]:


import numpy as np
import keras
from keras import layers

rng = np.random.default_rng(42)


# In[2]:


N_TRAIN, N_TEST = 400, 100
cat_cols = ["MSZoning", "Neighborhood", "BldgType", "HouseStyle", "SaleCondition"]
cat_card = [5, 25, 5, 8, 6]
num_cols = ["LotArea", "OverallQual", "YearBuilt", "GrLivArea", "TotalBsmtSF",
            "GarageCars", "FullBath", "YrSold"]

def make_frame(n):
    cats = np.stack([rng.integers(0, c, size=n) for c in cat_card], axis=1)
    nums = np.stack([
        rng.lognormal(9.0, 0.5, n),          # LotArea
        rng.integers(1, 11, n),              # OverallQual
        rng.integers(1880, 2010, n),         # YearBuilt
        rng.normal(1500, 500, n).clip(300),  # GrLivArea
        rng.normal(1000, 400, n).clip(0),    # TotalBsmtSF
        rng.integers(0, 4, n),               # GarageCars
        rng.integers(0, 4, n),               # FullBath
        rng.integers(2006, 2011, n),         # YrSold
    ], axis=1).astype("float64")
    return cats, nums

train_cat, train_num = make_frame(N_TRAIN)
test_cat, test_num = make_frame(N_TEST)
y = 50000 + 20000 * train_num[:, 1] + 60 * train_num[:, 3] + rng.normal(0, 15000, N_TRAIN)
y = np.log1p(y.clip(10000))
print(train_cat.shape, train_num.shape, y.shape)


# In[3]:


# feature engineering in numpy
def add_features(num):
    house_age = num[:, 7] - num[:, 2]
    total_sf = num[:, 3] + num[:, 4]
    qual_x_area = num[:, 1] * num[:, 3]
    log_lot = np.log1p(num[:, 0])
    extra = np.stack([house_age, total_sf, qual_x_area, log_lot], axis=1)
    return np.hstack([num, extra])

train_num = add_features(train_num)
test_num = add_features(test_num)
num_cols = num_cols + ["HouseAge", "TotalSF", "QualxArea", "LogLot"]

mu = train_num.mean(axis=0)
sd = train_num.std(axis=0) + 1e-6
train_num = ((train_num - mu) / sd).astype("float32")
test_num = ((test_num - mu) / sd).astype("float32")
print("numeric block:", train_num.shape, len(num_cols))


# In[4]:


def train_valid_split(n, valid_frac=0.2, seed=0):
    perm = np.random.RandomState(seed).permutation(n)
    cut = int(n * (1 - valid_frac))
    return perm[:cut], perm[cut:]

tr_idx, va_idx = train_valid_split(N_TRAIN)
X_tr_cat, X_va_cat = train_cat[tr_idx], train_cat[va_idx]
X_tr_num, X_va_num = train_num[tr_idx], train_num[va_idx]
y_tr, y_va = y[tr_idx], y[va_idx]
print(X_tr_cat.shape, X_va_cat.shape, X_tr_num.shape, y_va.shape)


# In[5]:


def to_inputs(cat, num):
    d = {c: cat[:, i].astype("int32") for i, c in enumerate(cat_cols)}
    d["numeric"] = num
    return d


def build_model(seed):
    keras.utils.set_random_seed(seed)
    inputs, embs = [], []
    for col, card in zip(cat_cols, cat_card):
        inp = keras.Input(shape=(1,), name=col, dtype="int32")
        dim = min(10, (card + 1) // 2)
        e = layers.Embedding(card + 1, dim, name=f"emb_{col}")(inp)
        embs.append(layers.Flatten()(e))
        inputs.append(inp)
    num_in = keras.Input(shape=(len(num_cols),), name="numeric")
    inputs.append(num_in)
    x = layers.Concatenate()(embs + [layers.BatchNormalization()(num_in)])
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Dense(64, activation="relu")(x)
    out = layers.Dense(1)(x)
    model = keras.Model(inputs, out)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse",
                  metrics=[keras.metrics.RootMeanSquaredError(name="rmse")])
    return model


model = build_model(0)
model.summary()


# In[6]:


preds = []
for seed in [0, 1]:
    model = build_model(seed)
    es = keras.callbacks.EarlyStopping(monitor="val_rmse", patience=5, restore_best_weights=True)
    model.fit(to_inputs(X_tr_cat, X_tr_num), y_tr,
              validation_data=(to_inputs(X_va_cat, X_va_num), y_va),
              epochs=1, batch_size=32, callbacks=[es], verbose=2)
    va_pred = model.predict(to_inputs(X_va_cat, X_va_num), verbose=0).ravel()
    print(f"seed {seed} valid RMSE(log):", np.sqrt(np.mean((va_pred - y_va) ** 2)))
    preds.append(model.predict(to_inputs(test_cat, test_num), verbose=0).ravel())


# In[7]:


# look at the learned neighborhood embedding
w = model.get_layer("emb_Neighborhood").get_weights()[0]
print("Neighborhood embedding matrix:", w.shape)


# In[8]:


test_pred = np.expm1(np.mean(preds, axis=0))
submission = np.column_stack([np.arange(1461, 1461 + N_TEST), test_pred])
print(submission[:5])
print("submission shape", submission.shape)
