"""Working with RNNs in Keras - notes + runnable snippets.

Built-in SimpleRNN/GRU/LSTM, return_sequences / return_state, encoder-decoder
state passing, stateful cross-batch processing, Bidirectional wrappers,
custom RNN cells (single and dual state), and a small sequence classifier on
synthetic "MNIST rows as timesteps" data.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

# --- hyper-parameters -------------------------------------------------------
BATCH_SIZE = 32
TIMESTEPS = 28   # each MNIST image row is one timestep
INPUT_DIM = 28
UNITS = 64
OUTPUT_SIZE = 10
ENCODER_VOCAB = 1000
DECODER_VOCAB = 2000


def basic_sequential_rnn():
    model = keras.Sequential()
    model.add(keras.Input(shape=(None,)))
    model.add(layers.Embedding(input_dim=1000, output_dim=64))
    model.add(layers.LSTM(128))
    model.add(layers.Dense(10))
    model.summary()
    return model


def gru_returning_sequences():
    model = keras.Sequential()
    model.add(keras.Input(shape=(None,)))
    model.add(layers.Embedding(input_dim=1000, output_dim=64))
    # GRU outputs a 3D tensor of shape (batch_size, timesteps, 256)
    model.add(layers.GRU(256, return_sequences=True))
    # SimpleRNN outputs a 2D tensor of shape (batch_size, 128)
    model.add(layers.SimpleRNN(128))
    model.add(layers.Dense(10))
    out = model(np.random.randint(0, 1000, size=(2, 7)))
    print("GRU->SimpleRNN output:", out.shape)


def encoder_decoder_with_states():
    encoder_input = layers.Input(shape=(None,))
    encoder_embedded = layers.Embedding(input_dim=ENCODER_VOCAB, output_dim=64)(encoder_input)

    # Return states in addition to output
    output, state_h, state_c = layers.LSTM(64, return_state=True, name="encoder")(encoder_embedded)
    encoder_state = [state_h, state_c]

    decoder_input = layers.Input(shape=(None,))
    decoder_embedded = layers.Embedding(input_dim=DECODER_VOCAB, output_dim=64)(decoder_input)

    # Pass the 2 states to a new LSTM layer, as initial state
    decoder_output = layers.LSTM(64, name="decoder")(decoder_embedded, initial_state=encoder_state)
    output = layers.Dense(10)(decoder_output)

    model = keras.Model([encoder_input, decoder_input], output)
    enc = np.random.randint(0, ENCODER_VOCAB, size=(4, 12))
    dec = np.random.randint(0, DECODER_VOCAB, size=(4, 9))
    print("seq2seq output:", model([enc, dec]).shape)
    return model


def stateful_cross_batch():
    paragraph1 = np.random.random((20, 10, 50)).astype(np.float32)
    paragraph2 = np.random.random((20, 10, 50)).astype(np.float32)
    paragraph3 = np.random.random((20, 10, 50)).astype(np.float32)

    lstm_layer = layers.LSTM(64, stateful=True)
    output = lstm_layer(paragraph1)
    output = lstm_layer(paragraph2)
    output = lstm_layer(paragraph3)

    # reset_states() will reset the cached state to the original initial_state.
    existing_state = lstm_layer.states
    new_lstm_layer = layers.LSTM(64)
    new_output = new_lstm_layer(paragraph1, initial_state=existing_state)
    lstm_layer.reset_states()
    print("stateful output:", output.shape, "reused state output:", new_output.shape)


def bidirectional_model():
    model = keras.Sequential()
    model.add(keras.Input(shape=(5, 10)))
    model.add(layers.Bidirectional(layers.LSTM(64, return_sequences=True)))
    model.add(layers.Bidirectional(layers.LSTM(32)))
    model.add(layers.Dense(10))
    model.summary()
    return model


class MinimalRNNCell(keras.layers.Layer):
    """Plain Elman cell: h_t = tanh(x_t W + h_{t-1} U)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="uniform", name="kernel"
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units), initializer="orthogonal", name="recurrent_kernel"
        )

    def call(self, inputs, states):
        prev_output = states[0]
        h = tf.matmul(inputs, self.kernel)
        output = tf.tanh(h + tf.matmul(prev_output, self.recurrent_kernel))
        return output, [output]

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


class DualStateCell(keras.layers.Layer):
    """Cell with two states: a fast state and a slowly decaying running average.

    The per-step output concatenates both, so output_size == 2 * units.
    """

    def __init__(self, units, decay=0.9, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.decay = decay
        self.state_size = [units, units]
        self.output_size = 2 * units

    def build(self, input_shape):
        self.cell = MinimalRNNCell(self.units)
        self.cell.build(input_shape)

    def call(self, inputs, states):
        fast, slow = states
        new_fast, _ = self.cell(inputs, [fast])
        new_slow = self.decay * slow + (1.0 - self.decay) * new_fast
        return tf.concat([new_fast, new_slow], axis=-1), [new_fast, new_slow]


def custom_cell_models():
    timestep, feat = 6, 12
    x = np.random.random((32, timestep, feat)).astype("float32")

    # a cell can be wrapped in RNN, or several stacked via StackedRNNCells
    cells = [MinimalRNNCell(32), MinimalRNNCell(16)]
    stacked = layers.RNN(cells, return_sequences=True)
    print("stacked custom cells:", stacked(x).shape)

    inputs = keras.Input((None, feat))
    seq = layers.RNN(DualStateCell(24), return_sequences=True)(inputs)
    pooled = layers.GlobalAveragePooling1D()(seq)
    outputs = layers.Dense(1)(pooled)
    model = keras.Model(inputs, outputs, name="dual_state_rnn")
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, np.random.random((32, 1)), batch_size=16, epochs=1, verbose=2)
    print("dual state seq output:", seq.shape)


def build_row_classifier(allow_cudnn_kernel=True):
    # CuDNN is only available at the layer level, not at the cell level.
    if allow_cudnn_kernel:
        lstm_layer = keras.layers.LSTM(UNITS, input_shape=(None, INPUT_DIM))
    else:
        lstm_layer = keras.layers.RNN(keras.layers.LSTMCell(UNITS), input_shape=(None, INPUT_DIM))
    return keras.models.Sequential(
        [lstm_layer, keras.layers.BatchNormalization(), keras.layers.Dense(OUTPUT_SIZE)]
    )


def train_row_classifier():
    x_train = np.random.random((256, TIMESTEPS, INPUT_DIM)).astype("float32")
    y_train = np.random.randint(0, OUTPUT_SIZE, size=(256,))
    for allow_cudnn in (True, False):
        model = build_row_classifier(allow_cudnn_kernel=allow_cudnn)
        model.compile(
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            optimizer="sgd",
            metrics=["accuracy"],
        )
        model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=1, verbose=2)
        sample = x_train[:1]
        pred = np.argmax(model.predict(sample, verbose=0), axis=-1)
        print(f"cudnn={allow_cudnn} prediction={pred[0]}")


if __name__ == "__main__":
    basic_sequential_rnn()
    gru_returning_sequences()
    encoder_decoder_with_states()
    stateful_cross_batch()
    bidirectional_model()
    custom_cell_models()
    train_row_classifier()
