import numpy as np ; import tensorflow as tf
from tensorflow.keras import layers as L, Model, Input


IMG_H, IMG_W = 30, 40 ; CH = 3
N_CLS = 4


inp = Input(shape = (IMG_H, IMG_W, CH) , name = 'img')
x = L.Conv2D(16,                # number of filters
             (3, 3),            # kernel
             # strides=2,  (tried this, too slow to converge)
             padding = 'same',
             activation = 'relu',
             )(inp)
x = L.Conv2D( filters = 32, kernel_size = ( 5 , 3 ), strides = ( 2 , 1 ), padding = 'valid', activation = 'relu', kernel_initializer = 'he_normal', name = 'conv_b' )(x)
x = L.MaxPooling2D(pool_size = (2, 2)) (x)
x = \
    L.BatchNormalization()(x)
y = L.SeparableConv2D(32,
    3, padding = "same",
        depth_multiplier = 1)(x) ; z = L.DepthwiseConv2D(3, padding="same")(x)
x = L.Add()([x, y, z,])
x = L.Conv2D(64, 3,
             strides=2)(
    x
)
x = L.GlobalAveragePooling2D(
)(x)
x = L.Dense(N_CLS * 8, activation = 'relu')(x) \
    if N_CLS > 2 else L.Dense(8)(x)
out = (
    L.Dense(
        N_CLS,
        activation='softmax',
    )
)(x)
model = Model(inp,
              out,)
model.compile('adam', 'sparse_categorical_crossentropy')
result = model(np.zeros((2, IMG_H, IMG_W, CH), dtype = np.float32))

seq = tf.keras.Sequential([L.Input((10,)), L.Dense(8), L.Dense(4),  # hidden
                           L.Dense(2)]) ; seq_out = seq(np.ones((1, 10), 'float32'))
