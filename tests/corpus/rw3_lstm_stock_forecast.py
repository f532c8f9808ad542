# Stock price prediction with LSTM -- the classic "look_back window" tutorial.
# A synthetic random-walk stands in for the closing prices CSV.
import math
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Dense, LSTM, GRU, Dropout, Conv1D, MaxPooling1D, Input

np.random.seed(7)

N_DAYS = 120
LOOK_BACK = 10
TRAIN_FRAC = 0.75
EPOCHS = 1
BATCH_SIZE = 8

# ---- fake closing prices -------------------------------------------------
close = 100 + np.cumsum(np.random.randn(N_DAYS)).astype('float32')
dataset = close.reshape(-1, 1)
print('raw series:', dataset.shape)

# ---- manual MinMax scaling (instead of sklearn.preprocessing.MinMaxScaler)
data_min = dataset.min()
data_max = dataset.max()
scaled = (dataset - data_min) / (data_max - data_min)


def inverse_transform(arr):
    return arr * (data_max - data_min) + data_min


train_size = int(len(scaled) * TRAIN_FRAC)
test_size = len(scaled) - train_size
train, test = scaled[0:train_size, :], scaled[train_size:len(scaled), :]
print(len(train), len(test))


def create_dataset(data, look_back=1):
    dataX, dataY = [], []
    for i in range(len(data) - look_back - 1):
        a = data[i:(i + look_back), 0]
        dataX.append(a)
        dataY.append(data[i + look_back, 0])
    return np.array(dataX), np.array(dataY)


trainX, trainY = create_dataset(train, LOOK_BACK)
testX, testY = create_dataset(test, LOOK_BACK)
print('before reshape:', trainX.shape, testX.shape)

# reshape input to be [samples, time steps, features]
trainX = np.reshape(trainX, (trainX.shape[0], trainX.shape[1], 1))
testX = np.reshape(testX, (testX.shape[0], testX.shape[1], 1))
print('after reshape:', trainX.shape, testX.shape)


def rmse(a, b):
    return math.sqrt(np.mean((np.asarray(a).ravel() - np.asarray(b).ravel()) ** 2))


def evaluate_model(model, tag):
    model.compile(loss='mean_squared_error', optimizer='adam')
    model.fit(trainX, trainY, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=0)
    train_predict = model.predict(trainX, verbose=0)
    test_predict = model.predict(testX, verbose=0)
    # invert predictions
    train_predict = inverse_transform(train_predict)
    test_predict = inverse_transform(test_predict)
    train_true = inverse_transform(trainY.reshape(-1, 1))
    test_true = inverse_transform(testY.reshape(-1, 1))
    print('%s  train RMSE: %.2f  test RMSE: %.2f  pred shape %s'
          % (tag, rmse(train_true, train_predict), rmse(test_true, test_predict),
             test_predict.shape))
    return test_predict


# ---- 1. stacked LSTM -----------------------------------------------------
lstm_model = Sequential()
lstm_model.add(LSTM(50, return_sequences=True, input_shape=(LOOK_BACK, 1)))
lstm_model.add(Dropout(0.2))
lstm_model.add(LSTM(50))
lstm_model.add(Dropout(0.2))
lstm_model.add(Dense(1))
lstm_model.summary()
lstm_pred = evaluate_model(lstm_model, 'LSTM')

# ---- 2. GRU --------------------------------------------------------------
gru_model = Sequential([
    Input(shape=(LOOK_BACK, 1)),
    GRU(64, return_sequences=True),
    GRU(32),
    Dense(16, activation='relu'),
    Dense(1),
])
gru_pred = evaluate_model(gru_model, 'GRU ')

# ---- 3. Conv1D + LSTM ----------------------------------------------------
cnn_lstm = Sequential(name='cnn_lstm')
cnn_lstm.add(Conv1D(filters=32, kernel_size=3, activation='relu', padding='causal',
                    input_shape=(LOOK_BACK, 1)))
cnn_lstm.add(MaxPooling1D(pool_size=2))
cnn_lstm.add(LSTM(50, return_sequences=False))
cnn_lstm.add(Dense(1))
for layer in cnn_lstm.layers:
    print(layer.name, layer.output.shape)
cnn_pred = evaluate_model(cnn_lstm, 'CNN-LSTM')

# ---- shift predictions for "plotting" --------------------------------------
testPredictPlot = np.empty_like(dataset)
testPredictPlot[:, :] = np.nan
start = len(trainX) + (LOOK_BACK * 2) + 1
testPredictPlot[start:start + len(lstm_pred), :] = lstm_pred
print('plot array:', testPredictPlot.shape, int(np.sum(~np.isnan(testPredictPlot))))

# ---- recursive multi-step forecast with the LSTM ---------------------------
last_window = scaled[-LOOK_BACK:].reshape(1, LOOK_BACK, 1)
future = []
for _ in range(5):
    next_val = lstm_model.predict(last_window, verbose=0)       # (1, 1)
    future.append(float(next_val[0, 0]))
    last_window = np.append(last_window[:, 1:, :], next_val.reshape(1, 1, 1), axis=1)
print('next 5 days:', np.round(inverse_transform(np.array(future)), 2))
