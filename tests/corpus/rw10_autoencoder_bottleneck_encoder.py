"""Denoising dense autoencoder with the encoder extracted afterwards.

Follows the old "Building Autoencoders in Keras" blog recipe: a functional
autoencoder with a layer named 'bottleneck' is trained on noisy flattened
28x28 images, then the encoder is pulled out with
`Model(inputs=autoencoder.input, outputs=autoencoder.get_layer('bottleneck').output)`
and a standalone decoder is rebuilt by re-applying the layers that come
after the bottleneck to a fresh Input.
"""
import numpy as np
import tensorflow as tf
from tensorflow.keras.models import Model
from tensorflow.keras.layers import Input, Dense
from tensorflow.keras import regularizers

K = tf.keras.backend

ORIGINAL_DIM = 784
HIDDEN_DIM = 128
ENCODING_DIM = 32
EPOCHS = 1
BATCH_SIZE = 64
NOISE_FACTOR = 0.3
DENOISING = True
SPARSE = True
N_IMAGES = 320

np.random.seed(123)


def make_images(n):
    # a few random vertical/horizontal bars per image
    imgs = np.zeros((n, 28, 28), dtype='float32')
    for i in range(n):
        for _ in range(np.random.randint(1, 4)):
            pos = np.random.randint(2, 26)
            if np.random.rand() < 0.5:
                imgs[i, :, pos - 1:pos + 1] = 1.0
            else:
                imgs[i, pos - 1:pos + 1, :] = 1.0
    return imgs


def build_autoencoder(input_dim, encoding_dim, sparse=False):
    input_img = Input(shape=(input_dim,), name='image')
    x = Dense(HIDDEN_DIM, activation='relu', name='enc_1')(input_img)
    if sparse:
        encoded = Dense(encoding_dim, activation='relu',
                        activity_regularizer=regularizers.l1(1e-5),
                        name='bottleneck')(x)
    else:
        encoded = Dense(encoding_dim, activation='relu', name='bottleneck')(x)
    x = Dense(HIDDEN_DIM, activation='relu', name='dec_1')(encoded)
    decoded = Dense(input_dim, activation='sigmoid', name='reconstruction')(x)
    return Model(input_img, decoded, name='autoencoder')


x_train = make_images(N_IMAGES)
x_test = make_images(64)
x_train = x_train.reshape((len(x_train), np.prod(x_train.shape[1:])))
x_test = x_test.reshape((len(x_test), np.prod(x_test.shape[1:])))
print(x_train.shape, x_test.shape)

if DENOISING:
    x_train_noisy = x_train + NOISE_FACTOR * np.random.normal(size=x_train.shape)
    x_test_noisy = x_test + NOISE_FACTOR * np.random.normal(size=x_test.shape)
    x_train_noisy = np.clip(x_train_noisy, 0., 1.).astype('float32')
    x_test_noisy = np.clip(x_test_noisy, 0., 1.).astype('float32')
else:
    x_train_noisy, x_test_noisy = x_train, x_test

autoencoder = build_autoencoder(ORIGINAL_DIM, ENCODING_DIM, sparse=SPARSE)
autoencoder.compile(optimizer='adadelta', loss='binary_crossentropy')
autoencoder.summary()

autoencoder.fit(x_train_noisy, x_train,
                epochs=EPOCHS,
                batch_size=BATCH_SIZE,
                shuffle=True,
                validation_data=(x_test_noisy, x_test),
                verbose=2)

# ---- encoder: everything up to the bottleneck --------------------------------
encoder = Model(inputs=autoencoder.input,
                outputs=autoencoder.get_layer('bottleneck').output)

# ---- decoder: re-apply the trained layers after the bottleneck ----------------
encoded_input = Input(shape=(ENCODING_DIM,))
bottleneck_idx = [l.name for l in autoencoder.layers].index('bottleneck')
y = encoded_input
for layer in autoencoder.layers[bottleneck_idx + 1:]:
    y = layer(y)
decoder = Model(encoded_input, y, name='decoder')

encoded_imgs = encoder.predict(x_test_noisy, verbose=0)
decoded_imgs = decoder.predict(encoded_imgs, verbose=0)
full_imgs = autoencoder.predict(x_test_noisy, verbose=0)
print('encoded:', encoded_imgs.shape, 'decoded:', decoded_imgs.shape)
print('mean code activation: %.4f' % encoded_imgs.mean())
print('fraction of dead code units: %.2f' % np.mean(encoded_imgs.max(axis=0) == 0))

# encoder + decoder should give exactly what the full model gives
assert np.allclose(decoded_imgs, full_imgs, atol=1e-5)

mse = np.mean(np.square(decoded_imgs - x_test), axis=1)
print('reconstruction MSE: mean=%.4f max=%.4f' % (mse.mean(), mse.max()))
print('compression factor: %.1f' % (float(ORIGINAL_DIM) / K.int_shape(encoder.output)[-1]))

# use the codes as features: nearest neighbour of the first test image
codes = encoded_imgs / (np.linalg.norm(encoded_imgs, axis=1, keepdims=True) + 1e-8)
sims = codes @ codes[0]
sims[0] = -np.inf
print('nearest neighbour of test image 0:', int(np.argmax(sims)))
