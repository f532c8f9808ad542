# First neural network with keras: the tabular tutorials (Pima diabetes, iris, housing) style.
from numpy import loadtxt  # noqa: F401  (the tutorial loads a CSV; random data here)
import numpy
import numpy as np
from keras.models import Sequential
from keras.layers import Dense, Dropout
from keras.utils import to_categorical

# fix random seed for reproducibility
seed = 7
numpy.random.seed(seed)

# load the dataset
dataset = numpy.random.rand(100, 9)
# split into input (X) and output (y) variables
X = dataset[:, 0:8]
y = (dataset[:, 8] > 0.5).astype(int)

# define the keras model
model = Sequential()
model.add(Dense(12, input_dim=8, activation='relu'))
model.add(Dense(8, activation='relu'))
model.add(Dense(1, activation='sigmoid'))
# compile the keras model
model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
# fit the keras model on the dataset
model.fit(X, y, epochs=1, batch_size=100, verbose=0)
# make class predictions with the model
predictions = (model.predict(X, verbose=0) > 0.5).astype(int)

# --- multi-class (iris) ---
iris = np.random.rand(150, 5)
X_iris = iris[:, 0:4].astype(float)
Y_iris = (iris[:, 4] * 3).astype(int)
dummy_y = to_categorical(Y_iris, 3)


def baseline_model(n_hidden=8, optimizer='adam'):
    # create model
    model = Sequential()
    model.add(Dense(n_hidden, input_dim=X_iris.shape[1], activation='relu'))
    model.add(Dense(3, activation='softmax'))
    # Compile model
    model.compile(loss='categorical_crossentropy', optimizer=optimizer, metrics=['accuracy'])
    return model


iris_model = baseline_model()
iris_probs = iris_model(X_iris[:5])

# --- regression (housing) ---
housing = np.random.rand(50, 14)
X_h = housing[:, :-1]
y_h = housing[:, -1]


def wider_model():
    model = Sequential([
        Dense(20, input_shape=(X_h.shape[1],), kernel_initializer='normal', activation='relu'),
        Dropout(0.2),
        Dense(1, kernel_initializer='normal'),
    ])
    model.compile(loss='mean_squared_error', optimizer='adam')
    return model


estimators = [wider_model() for _ in range(2)]
price = estimators[0].predict(X_h[:3], verbose=0)
