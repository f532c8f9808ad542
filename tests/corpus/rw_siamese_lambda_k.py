# Siamese network for one-shot verification (Koch et al. style), tf.keras backend K ops in Lambdas
import numpy as np
import tensorflow as tf
from tensorflow.keras.layers import Input, Conv2D, Lambda, Dense, Flatten, MaxPooling2D, Dropout
from tensorflow.keras.models import Model, Sequential
from tensorflow.keras.regularizers import l2
from tensorflow.keras import backend as K

input_shape = (64, 64, 1)


def get_siamese_model(input_shape):
    left_input = Input(input_shape)
    right_input = Input(input_shape)

    # Convolutional Neural Network
    model = Sequential()
    model.add(Conv2D(16, (10, 10), activation='relu', input_shape=input_shape,
                     kernel_regularizer=l2(2e-4)))
    model.add(MaxPooling2D())
    model.add(Conv2D(32, (7, 7), activation='relu', kernel_regularizer=l2(2e-4)))
    model.add(MaxPooling2D())
    model.add(Conv2D(32, (4, 4), activation='relu', kernel_regularizer=l2(2e-4)))
    model.add(Flatten())
    model.add(Dense(64, activation='sigmoid', kernel_regularizer=l2(1e-3)))

    # Generate the encodings (feature vectors) for the two images
    encoded_l = model(left_input)
    encoded_r = model(right_input)

    # Add a customized layer to compute the absolute difference between the encodings
    L1_layer = Lambda(lambda tensors: K.abs(tensors[0] - tensors[1]))
    L1_distance = L1_layer([encoded_l, encoded_r])

    prediction = Dense(1, activation='sigmoid')(L1_distance)
    siamese_net = Model(inputs=[left_input, right_input], outputs=prediction)
    return siamese_net


model = get_siamese_model(input_shape)
model.compile(loss="binary_crossentropy", optimizer="adam")
pairs = [np.random.rand(8, 64, 64, 1), np.random.rand(8, 64, 64, 1)]
targets = np.random.randint(0, 2, size=(8, 1))
model.fit(pairs, targets, epochs=1, verbose=0)


def euclidean_distance(vects):
    x, y = vects
    sum_square = K.sum(K.square(x - y), axis=1, keepdims=True)
    return K.sqrt(K.maximum(sum_square, K.epsilon()))


def eucl_dist_output_shape(shapes):
    shape1, shape2 = shapes
    return (shape1[0], 1)


def create_base_network(input_dim):
    inp = Input(shape=(input_dim,))
    x = Dense(32, activation='relu')(inp)
    x = Dropout(0.1)(x)
    x = Dense(32, activation='relu')(x)
    return Model(inp, x)


base_network = create_base_network(20)
input_a = Input(shape=(20,))
input_b = Input(shape=(20,))
processed_a = base_network(input_a)
processed_b = base_network(input_b)
distance = Lambda(euclidean_distance, output_shape=eucl_dist_output_shape)([processed_a, processed_b])
cos_sim = Lambda(lambda v: K.sum(K.l2_normalize(v[0], axis=-1) * K.l2_normalize(v[1], axis=-1),
                                 axis=-1, keepdims=True))([processed_a, processed_b])
contrastive = Model([input_a, input_b], [distance, cos_sim])
d, s = contrastive.predict([np.random.rand(4, 20), np.random.rand(4, 20)], verbose=0)
