# Multi-input / multi-output tabular model:
#   numeric features + categorical embeddings -> (price regression, churn classification)
import numpy as np
import keras
from keras import layers
from keras.layers import Input, Embedding, Flatten, Dense, Dropout, Concatenate, BatchNormalization
from keras.models import Model

SEED = 42
np.random.seed(SEED)
N_ROWS = 64
NUMERIC_COLS = ['age', 'income', 'tenure', 'balance', 'n_products']
CAT_COLS = {'region': 12, 'device': 5, 'plan': 4}   # column -> cardinality
N_CHURN_CLASSES = 3

# ---- build a fake "dataframe" as a dict of columns ----
X_num = np.random.randn(N_ROWS, len(NUMERIC_COLS)) * 10 + 50
X_cat = {col: np.random.randint(0, card, size=N_ROWS) for col, card in CAT_COLS.items()}
y_price = np.random.rand(N_ROWS) * 100
y_churn = np.random.randint(0, N_CHURN_CLASSES, size=N_ROWS)

# standardize numeric
X_num = (X_num - X_num.mean(axis=0)) / X_num.std(axis=0)


def emb_size(cardinality):
    return min(50, (cardinality + 1) // 2)


def build_model(n_numeric, cat_cardinalities, n_classes):
    inputs = []
    embeddings = []

    num_in = Input(shape=(n_numeric,), name='numeric')
    inputs.append(num_in)

    for col, card in cat_cardinalities.items():
        cat_in = Input(shape=(1,), name=col)
        e = Embedding(input_dim=card, output_dim=emb_size(card), name=col + '_emb')(cat_in)
        e = Flatten(name=col + '_flat')(e)
        inputs.append(cat_in)
        embeddings.append(e)

    x = Dense(32, activation='relu')(num_in)
    x = BatchNormalization()(x)
    x = Concatenate(name='all_features')([x] + embeddings)
    x = Dense(64, activation='relu')(x)
    x = Dropout(0.2)(x)
    shared = Dense(32, activation='relu', name='shared')(x)

    reg = Dense(16, activation='relu')(shared)
    price_out = Dense(1, name='price')(reg)

    clf = Dense(16, activation='relu')(shared)
    churn_out = Dense(n_classes, activation='softmax', name='churn')(clf)

    return Model(inputs=inputs, outputs=[price_out, churn_out])


model = build_model(len(NUMERIC_COLS), CAT_COLS, N_CHURN_CLASSES)
model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss={'price': 'mse', 'churn': 'sparse_categorical_crossentropy'},
    loss_weights={'price': 0.01, 'churn': 1.0},
    metrics={'price': ['mae'], 'churn': ['accuracy']},
)
model.summary()

train_idx = np.arange(0, 48)
valid_idx = np.arange(48, N_ROWS)


def to_inputs(idx):
    d = {'numeric': X_num[idx].astype('float32')}
    for col in CAT_COLS:
        d[col] = X_cat[col][idx].reshape(-1, 1).astype('int32')
    return d


def to_targets(idx):
    return {'price': y_price[idx].astype('float32'),
            'churn': y_churn[idx].astype('int32')}


history = model.fit(to_inputs(train_idx), to_targets(train_idx),
                    validation_data=(to_inputs(valid_idx), to_targets(valid_idx)),
                    epochs=1, batch_size=16, verbose=2)
print(sorted(history.history.keys()))

price_pred, churn_pred = model.predict(to_inputs(valid_idx), verbose=0)
print('price pred:', price_pred.shape, 'churn pred:', churn_pred.shape)
for i in range(5):
    j = valid_idx[i]
    print('row %d: price=%.2f pred=%.2f churn=%d pred=%d' % (
        j, y_price[j], price_pred[i, 0], y_churn[j], np.argmax(churn_pred[i])))

results = model.evaluate(to_inputs(valid_idx), to_targets(valid_idx), verbose=0, return_dict=True)
for k, v in results.items():
    print('%s: %.4f' % (k, v))

# grab learned embeddings for the 'region' column
region_w = model.get_layer('region_emb').get_weights()[0]
print('region embedding matrix:', region_w.shape)

# sub-model exposing shared representation
encoder = Model(model.inputs, model.get_layer('shared').output)
feats = encoder.predict(to_inputs(valid_idx), verbose=0)
print('shared features:', feats.shape)
