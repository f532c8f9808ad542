"""Arbitrary style transfer with Adaptive Instance Normalization (AdaIN).

Huang & Belongie, ICCV 2017. A frozen VGG19 encoder (up to relu4_1), an AdaIN
layer that re-normalises content features with the style's channel-wise
mean/std, and a learned mirror decoder. Only the decoder is trained.

Note: VGG19 is built with weights=None so this runs offline; the real thing
needs the ImageNet-pretrained (ideally the normalised Caffe) weights.
"""
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


class Config:
    image_size = 64
    batch_size = 2
    train_steps = 4
    learning_rate = 1e-4
    style_weight = 10.0
    epsilon = 1e-5
    # relu1_1, relu2_1, relu3_1, relu4_1 in the paper's notation
    style_layer_names = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1"]
    content_layer_name = "block4_conv1"


class ReflectionPadding2D(layers.Layer):
    """Reflection padding, avoids border artefacts in the decoder."""

    def __init__(self, padding=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.padding = tuple(padding)

    def call(self, x):
        ph, pw = self.padding
        return tf.pad(x, [[0, 0], [ph, ph], [pw, pw], [0, 0]], mode="REFLECT")

    def compute_output_shape(self, s):
        ph, pw = self.padding
        h = None if s[1] is None else s[1] + 2 * ph
        w = None if s[2] is None else s[2] + 2 * pw
        return (s[0], h, w, s[3])

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


class AdaIN(layers.Layer):
    """AdaIN(x, y) = sigma(y) * (x - mu(x)) / sigma(x) + mu(y), per channel."""

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def call(self, inputs, alpha=1.0):
        content, style = inputs
        c_mean, c_var = tf.nn.moments(content, axes=[1, 2], keepdims=True)
        s_mean, s_var = tf.nn.moments(style, axes=[1, 2], keepdims=True)
        c_std = tf.sqrt(c_var + self.epsilon)
        s_std = tf.sqrt(s_var + self.epsilon)
        t = s_std * (content - c_mean) / c_std + s_mean
        # content-style trade-off at test time
        return alpha * t + (1.0 - alpha) * content


def build_encoder(cfg):
    vgg = keras.applications.VGG19(include_top=False, weights=None,
                                   input_shape=(cfg.image_size, cfg.image_size, 3))
    vgg.trainable = False
    outputs = [vgg.get_layer(n).output for n in cfg.style_layer_names]
    return keras.Model(vgg.input, outputs, name="vgg_encoder")


def conv_block(x, filters, name, activation="relu"):
    x = ReflectionPadding2D(name=f"{name}_pad")(x)
    return layers.Conv2D(filters, 3, padding="valid", activation=activation, name=name)(x)


def build_decoder(cfg):
    """Mirror of VGG19 up to relu4_1; pooling replaced by nearest upsampling."""
    s = cfg.image_size // 8
    inp = keras.Input(shape=(s, s, 512))
    x = conv_block(inp, 256, "dec4_1")
    x = layers.UpSampling2D(2, interpolation="nearest")(x)
    for i in range(4):
        x = conv_block(x, 256, f"dec3_{4 - i}")
    x = conv_block(x, 128, "dec3_0")
    x = layers.UpSampling2D(2)(x)
    x = conv_block(x, 128, "dec2_2")
    x = conv_block(x, 64, "dec2_1")
    x = layers.UpSampling2D(2)(x)
    x = conv_block(x, 64, "dec1_2")
    x = conv_block(x, 3, "dec1_1", activation=None)
    return keras.Model(inp, x, name="decoder")


def vgg_preprocess(img01):
    """[0,1] RGB -> Caffe-style BGR with mean subtraction."""
    return keras.applications.vgg19.preprocess_input(img01 * 255.0)


def mean_std(feat, eps):
    mean, var = tf.nn.moments(feat, axes=[1, 2])
    return mean, tf.sqrt(var + eps)


class AdaINStyleTransfer:
    def __init__(self, cfg):
        self.cfg = cfg
        self.encoder = build_encoder(cfg)
        self.decoder = build_decoder(cfg)
        self.adain = AdaIN(cfg.epsilon)
        self.optimizer = keras.optimizers.Adam(cfg.learning_rate)

    def encode(self, img01):
        return self.encoder(vgg_preprocess(img01), training=False)

    def stylize(self, content, style, alpha=1.0):
        c_feat = self.encode(content)[-1]
        s_feat = self.encode(style)[-1]
        t = self.adain([c_feat, s_feat], alpha=alpha)
        # decoder outputs in "VGG space"; undo the preprocessing for display
        out = self.decoder(t)
        out = out[..., ::-1] + tf.constant([123.68, 116.779, 103.939])
        return tf.clip_by_value(out / 255.0, 0.0, 1.0), t

    def compute_losses(self, content, style):
        eps = self.cfg.epsilon
        c_feat = self.encode(content)[-1]
        s_feats = self.encode(style)
        t = self.adain([c_feat, s_feats[-1]])

        g = self.decoder(t, training=True)
        # decoder output is already preprocessed-space, feed straight into VGG
        g_feats = self.encoder(g, training=False)

        content_loss = tf.reduce_mean(tf.square(g_feats[-1] - t))
        style_losses = []
        for gf, sf in zip(g_feats, s_feats):
            g_mu, g_sigma = mean_std(gf, eps)
            s_mu, s_sigma = mean_std(sf, eps)
            style_losses.append(tf.reduce_mean(tf.square(g_mu - s_mu)) +
                                tf.reduce_mean(tf.square(g_sigma - s_sigma)))
        style_loss = tf.add_n(style_losses)
        total = content_loss + self.cfg.style_weight * style_loss
        return total, content_loss, style_loss

    @tf.function
    def train_step(self, content, style):
        with tf.GradientTape() as tape:
            total, c_loss, s_loss = self.compute_losses(content, style)
        grads = tape.gradient(total, self.decoder.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.decoder.trainable_variables))
        return total, c_loss, s_loss


def random_image_dataset(cfg, seed):
    """Random smooth images: low-res noise upsampled bilinearly."""
    def gen(i):
        # stateless RNG keyed on (seed, index) -> reproducible, parallel-safe
        low = tf.random.stateless_uniform((8, 8, 3), seed=tf.stack([tf.constant(seed, tf.int64), i]))
        return tf.image.resize(low, (cfg.image_size, cfg.image_size), method="bilinear")
    return (tf.data.Dataset.range(cfg.batch_size * cfg.train_steps)
            .map(gen)
            .batch(cfg.batch_size, drop_remainder=True))


if __name__ == "__main__":
    cfg = Config()
    tf.random.set_seed(0)
    model = AdaINStyleTransfer(cfg)
    model.decoder.summary(line_length=90)

    content_ds = random_image_dataset(cfg, seed=1)
    style_ds = random_image_dataset(cfg, seed=2)

    for step, (c, s) in enumerate(tf.data.Dataset.zip((content_ds, style_ds))):
        total, c_loss, s_loss = model.train_step(c, s)
        print(f"step {step}: total={float(total):.3f} content={float(c_loss):.3f} "
              f"style={float(s_loss):.3f}")

    # content/style interpolation with alpha
    c, s = next(iter(tf.data.Dataset.zip((content_ds, style_ds))))
    for alpha in (0.0, 0.5, 1.0):
        out, t = model.stylize(c, s, alpha=alpha)
        print(f"alpha={alpha}: features {tuple(t.shape)} -> image {tuple(out.shape)}")
