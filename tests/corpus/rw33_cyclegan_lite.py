# CycleGAN-lite: horses <-> zebras but the horses and zebras are uniform noise :)
# G: A->B, F: B->A, D_A / D_B are 70x70-style PatchGANs (well, much smaller here).
# Instance norm is done with GroupNormalization(groups=-1), which is the same thing.
import argparse
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers as L

IMG = 32
CH = 3

def instance_norm():
    return L.GroupNormalization(groups=-1, epsilon=1e-5)


def conv_block(x, filters, k=3, s=1, norm=True, act="relu"):
    x = L.Conv2D(filters, k, strides=s, padding="same", use_bias=not norm,
                 kernel_initializer=keras.initializers.RandomNormal(0.0, 0.02))(x)
    if norm:
        x = instance_norm()(x)
    if act == "relu":
        x = L.ReLU()(x)
    elif act == "lrelu":
        x = L.LeakyReLU(negative_slope=0.2)(x)
    return x


class ReflectionPad2D(L.Layer):
    def __init__(self, pad=1, **kw):
        super().__init__(**kw)
        self.pad = pad

    def call(self, x):
        p = self.pad
        return tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")


def residual_block(x, filters):
    h = ReflectionPad2D(1)(x)
    h = L.Conv2D(filters, 3, padding="valid", use_bias=False)(h)
    h = instance_norm()(h)
    h = L.ReLU()(h)
    h = ReflectionPad2D(1)(h)
    h = L.Conv2D(filters, 3, padding="valid", use_bias=False)(h)
    h = instance_norm()(h)
    return L.Add()([x, h])


def build_generator(name, base=16, n_res=2):
    inp = keras.Input((IMG, IMG, CH))
    x = conv_block(inp, base, k=7)
    # downsample x2
    for mult in (2, 4):
        x = conv_block(x, base * mult, s=2)
    for _ in range(n_res):
        x = residual_block(x, base * 4)
    for mult in (2, 1):
        x = L.Conv2DTranspose(base * mult, 3, strides=2, padding="same", use_bias=False)(x)
        x = instance_norm()(x)
        x = L.ReLU()(x)
    out = L.Conv2D(CH, 7, padding="same", activation="tanh")(x)
    return keras.Model(inp, out, name=name)


def build_patch_discriminator(name, base=16, n_layers=3):
    inp = keras.Input((IMG, IMG, CH))
    x = conv_block(inp, base, k=4, s=2, norm=False, act="lrelu")
    filters = base
    for i in range(1, n_layers):
        filters = min(base * 2 ** i, base * 8)
        x = conv_block(x, filters, k=4, s=2 if i < n_layers - 1 else 1, act="lrelu")
    patch_logits = L.Conv2D(1, 4, padding="same")(x)
    return keras.Model(inp, patch_logits, name=name)


mse = keras.losses.MeanSquaredError()  # LSGAN


def gen_adv_loss(fake_logits):
    return mse(tf.ones_like(fake_logits), fake_logits)


def disc_loss(real_logits, fake_logits):
    return 0.5 * (mse(tf.ones_like(real_logits), real_logits) +
                  mse(tf.zeros_like(fake_logits), fake_logits))


def l1(a, b):
    return tf.reduce_mean(tf.abs(a - b))


class CycleGAN:
    def __init__(self, lambda_cycle=10.0, lambda_id=0.5, lr=2e-4):
        self.G = build_generator("G_AtoB")
        self.F = build_generator("F_BtoA")
        self.D_A = build_patch_discriminator("D_A")
        self.D_B = build_patch_discriminator("D_B")
        self.lambda_cycle = lambda_cycle
        self.lambda_id = lambda_id
        opt = lambda: keras.optimizers.Adam(lr, beta_1=0.5)
        self.g_opt, self.f_opt = opt(), opt()
        self.da_opt, self.db_opt = opt(), opt()

    def train_step(self, real_a, real_b):
        with tf.GradientTape(persistent=True) as tape:
            fake_b = self.G(real_a, training=True)
            cycled_a = self.F(fake_b, training=True)
            fake_a = self.F(real_b, training=True)
            cycled_b = self.G(fake_a, training=True)

            same_a = self.F(real_a, training=True)
            same_b = self.G(real_b, training=True)

            d_a_real = self.D_A(real_a, training=True)
            d_a_fake = self.D_A(fake_a, training=True)
            d_b_real = self.D_B(real_b, training=True)
            d_b_fake = self.D_B(fake_b, training=True)

            cycle = l1(real_a, cycled_a) + l1(real_b, cycled_b)
            g_loss = (gen_adv_loss(d_b_fake) + self.lambda_cycle * cycle
                      + self.lambda_id * self.lambda_cycle * l1(real_b, same_b))
            f_loss = (gen_adv_loss(d_a_fake) + self.lambda_cycle * cycle
                      + self.lambda_id * self.lambda_cycle * l1(real_a, same_a))
            da_loss = disc_loss(d_a_real, d_a_fake)
            db_loss = disc_loss(d_b_real, d_b_fake)

        pairs = [
            (g_loss, self.G, self.g_opt),
            (f_loss, self.F, self.f_opt),
            (da_loss, self.D_A, self.da_opt),
            (db_loss, self.D_B, self.db_opt),
        ]
        for loss, net, opt in pairs:
            grads = tape.gradient(loss, net.trainable_variables)
            opt.apply_gradients(zip(grads, net.trainable_variables))
        del tape
        return {"G": g_loss, "F": f_loss, "D_A": da_loss, "D_B": db_loss, "cycle": cycle}


def random_domain(n, tint, seed):
    rng = np.random.default_rng(seed)
    imgs = rng.uniform(-1, 1, (n, IMG, IMG, CH)).astype("float32")
    imgs = 0.6 * imgs + np.asarray(tint, "float32").reshape(1, 1, 1, CH)
    return np.clip(imgs, -1, 1)


def preprocess(img):
    # the usual random jitter: upscale then random crop back + flip
    img = tf.image.resize(img, [IMG + 4, IMG + 4], method="nearest")
    img = tf.image.random_crop(img, [IMG, IMG, CH])
    return tf.image.random_flip_left_right(img)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="tiny cyclegan sanity check")
    parser.add_argument("--steps", type=int, default=1)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--graph", action="store_true",
                        help="wrap train_step in tf.function (slow to trace, worth it for long runs)")
    args = parser.parse_args()

    dom_a = random_domain(8, tint=[0.3, -0.1, -0.2], seed=0)
    dom_b = random_domain(8, tint=[-0.2, 0.0, 0.3], seed=1)
    ds_a = tf.data.Dataset.from_tensor_slices(dom_a).map(preprocess).shuffle(8).batch(args.batch)
    ds_b = tf.data.Dataset.from_tensor_slices(dom_b).map(preprocess).shuffle(8).batch(args.batch)

    gan = CycleGAN()
    step_fn = tf.function(gan.train_step) if args.graph else gan.train_step
    for net in (gan.G, gan.D_A):
        print(f"{net.name}: {net.count_params():,} params, out {net.output_shape}")

    for i, (a, b) in enumerate(tf.data.Dataset.zip((ds_a, ds_b)).take(args.steps)):
        logs = step_fn(a, b)
        print(f"step {i}: " + ", ".join(f"{k}={float(v):.3f}" for k, v in logs.items()))

    test_a = dom_a[:2]
    translated = gan.G.predict(test_a, verbose=0)
    back = gan.F.predict(translated, verbose=0)
    print("translation range:", translated.min().round(3), translated.max().round(3))
    print("reconstruction L1:", float(np.abs(back - test_a).mean()))
