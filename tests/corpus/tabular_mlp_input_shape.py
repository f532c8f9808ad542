"""Tabular regression MLP: Sequential whose first layer carries input_shape."""

import numpy as np
from tensorflow.keras.layers import BatchNormalization, Dense, Dropout
from tensorflow.keras.models import Sequential
from tensorflow.keras.optimizers import Adam

n_features = 13

X = np.random.rand(64, n_features)
y = X @ np.random.rand(n_features) + 0.1 * np.random.randn(64)
X = (X - X.mean(axis=0)) / X.std(axis=0)
X = X.astype("float32")
y = y.reshape(-1, 1).astype("float32")

model = Sequential()
model.add(Dense(64, activation="relu", input_shape=(n_features,)))
model.add(BatchNormalization())
model.add(Dropout(0.2))
model.add(Dense(32, activation="relu"))
model.add(Dense(1))

model.compile(optimizer=Adam(learning_rate=0.001), loss="mse", metrics=["mae"])
model.fit(X, y, epochs=1, batch_size=16, validation_split=0.25, verbose=0)
y_pred = model.predict(X[:10], verbose=0)
residuals = y[:10] - y_pred
