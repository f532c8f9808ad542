# Univariate / multivariate time-series forecasting with hand-rolled sliding windows
import numpy as np
from keras.models import Sequential
from keras.layers import LSTM, Dense, Dropout, Conv1D, MaxPooling1D, Flatten, TimeDistributed, RepeatVector

series = np.sin(np.arange(0, 200) * 0.1) + np.random.normal(0, 0.1, 200)
# min-max scaling by hand (no sklearn)
series = (series - series.min()) / (series.max() - series.min())


def split_sequence(sequence, n_steps):
    X, y = list(), list()
    for i in range(len(sequence)):
        end_ix = i + n_steps
        if end_ix > len(sequence) - 1:
            break
        seq_x, seq_y = sequence[i:end_ix], sequence[end_ix]
        X.append(seq_x)
        y.append(seq_y)
    return np.array(X), np.array(y)


n_steps = 24
n_features = 1
X, y = split_sequence(series, n_steps)
X = X.reshape((X.shape[0], X.shape[1], n_features))
train_size = int(len(X) * 0.8)
X_train, X_test = X[:train_size], X[train_size:]
y_train, y_test = y[:train_size], y[train_size:]

model = Sequential()
model.add(LSTM(units=50, return_sequences=True, input_shape=(X_train.shape[1], 1)))
model.add(Dropout(0.2))
model.add(LSTM(units=50, return_sequences=True))
model.add(Dropout(0.2))
model.add(LSTM(units=50))
model.add(Dropout(0.2))
model.add(Dense(units=1))
model.compile(optimizer='adam', loss='mean_squared_error')
model.fit(X_train[:32], y_train[:32], epochs=1, batch_size=32, verbose=0)
predicted = model(X_test[:8])

# CNN-LSTM: split each window into sub-sequences
n_seq = 4
n_steps_sub = n_steps // n_seq
X_sub = X.reshape((X.shape[0], n_seq, n_steps_sub, n_features))
cnn_lstm = Sequential()
cnn_lstm.add(TimeDistributed(Conv1D(filters=16, kernel_size=2, activation='relu'),
                             input_shape=(None, n_steps_sub, n_features)))
cnn_lstm.add(TimeDistributed(MaxPooling1D(pool_size=2)))
cnn_lstm.add(TimeDistributed(Flatten()))
cnn_lstm.add(LSTM(20, activation='relu'))
cnn_lstm.add(Dense(1))
cnn_lstm.compile(optimizer='adam', loss='mse')
cnn_out = cnn_lstm(X_sub[:4])

# multi-step encoder-decoder
n_out = 3
X_multi = np.array([series[i:i + n_steps] for i in range(0, 100 - n_steps - n_out)])
y_multi = np.array([series[i + n_steps:i + n_steps + n_out] for i in range(0, 100 - n_steps - n_out)])
X_multi = X_multi[..., np.newaxis]
y_multi = y_multi.reshape((y_multi.shape[0], y_multi.shape[1], 1))
ed = Sequential()
ed.add(LSTM(32, activation='relu', input_shape=(n_steps, n_features)))
ed.add(RepeatVector(n_out))
ed.add(LSTM(32, activation='relu', return_sequences=True))
ed.add(TimeDistributed(Dense(1)))
ed.compile(optimizer='adam', loss='mse')
forecast = ed(X_multi[:2])
