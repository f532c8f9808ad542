# Kim (2014) CNN for sentence classification, with keras.preprocessing pad_sequences
import numpy as np
from tensorflow import keras
from tensorflow.keras.preprocessing.sequence import pad_sequences
from tensorflow.keras.layers import (Input, Embedding, Conv1D, GlobalMaxPooling1D, MaxPooling1D,
                                     Concatenate, Dropout, Dense, SpatialDropout1D, Flatten)

MAX_NB_WORDS = 2000
MAX_SEQUENCE_LENGTH = 60
EMBEDDING_DIM = 50
FILTER_SIZES = [3, 4, 5]
NUM_FILTERS = 32

texts = ["the movie was great", "terrible plot and bad acting", "i loved it",
         "not my cup of tea at all", "an instant classic"] * 6
word_index = {}
for t in texts:
    for w in t.split():
        word_index.setdefault(w, len(word_index) + 1)
sequences = [[word_index[w] for w in t.split()] for t in texts]
data = pad_sequences(sequences, maxlen=MAX_SEQUENCE_LENGTH)
labels = keras.utils.to_categorical(np.random.randint(2, size=len(texts)))
print('Shape of data tensor:', data.shape)

num_words = min(MAX_NB_WORDS, len(word_index) + 1)
embedding_matrix = np.random.normal(size=(num_words, EMBEDDING_DIM))

sequence_input = Input(shape=(MAX_SEQUENCE_LENGTH,), dtype='int32')
embedded_sequences = Embedding(num_words,
                               EMBEDDING_DIM,
                               embeddings_initializer=keras.initializers.Constant(embedding_matrix),
                               trainable=False)(sequence_input)
embedded_sequences = SpatialDropout1D(0.2)(embedded_sequences)

convs = []
for fsz in FILTER_SIZES:
    l_conv = Conv1D(filters=NUM_FILTERS, kernel_size=fsz, activation='relu')(embedded_sequences)
    l_pool = GlobalMaxPooling1D()(l_conv)
    convs.append(l_pool)

l_merge = Concatenate(axis=1)(convs)
x = Dropout(0.5)(l_merge)
x = Dense(64, activation='relu')(x)
preds = Dense(labels.shape[1], activation='softmax')(x)

model = keras.Model(sequence_input, preds)
model.compile(loss='categorical_crossentropy', optimizer='rmsprop', metrics=['acc'])
model.fit(data, labels, epochs=1, batch_size=10, verbose=0)

# the "deeper" variant: stacked conv/pool then Flatten
seq_in = Input(shape=(MAX_SEQUENCE_LENGTH,))
h = Embedding(num_words, EMBEDDING_DIM, input_length=MAX_SEQUENCE_LENGTH)(seq_in)
h = Conv1D(32, 5, activation='relu')(h)
h = MaxPooling1D(5)(h)
h = Conv1D(32, 5, activation='relu')(h)
h = MaxPooling1D(2)(h)
h = Flatten()(h)
h = Dense(32, activation='relu')(h)
deep_out = Dense(2, activation='softmax')(h)
deep = keras.Model(seq_in, deep_out)
deep_preds = deep.predict(data[:3], verbose=0)
