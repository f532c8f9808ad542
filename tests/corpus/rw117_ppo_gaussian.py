# PPO (clipped surrogate) with a diagonal-Gaussian policy for continuous actions.
# Separate actor/critic networks, rollout stored in numpy, minibatches via tf.data.
import math
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


@dataclass
class PPOConfig:
    obs_dim: int = 10
    act_dim: int = 2
    horizon: int = 128
    gamma: float = 0.99
    lam: float = 0.95
    clip_ratio: float = 0.2
    value_clip: float = 0.2
    ent_coef: float = 0.0
    vf_coef: float = 0.5
    lr: float = 3e-4
    epochs: int = 2
    minibatch: int = 32
    target_kl: float = 0.05
    iterations: int = 3


cfg = PPOConfig()
LOG_2PI = math.log(2.0 * math.pi)
rng = np.random.default_rng(123)
tf.keras.utils.set_random_seed(123)


class GaussianHead(layers.Layer):
    """Outputs mean; holds a learnable, state-independent log std."""

    def __init__(self, act_dim, init_log_std=-0.5, **kwargs):
        super().__init__(**kwargs)
        self.act_dim = act_dim
        self.init_log_std = init_log_std
        self.mu = layers.Dense(act_dim, kernel_initializer=keras.initializers.Orthogonal(0.01))

    def build(self, input_shape):
        self.log_std = self.add_weight(
            name="log_std", shape=(self.act_dim,),
            initializer=keras.initializers.Constant(self.init_log_std), trainable=True)
        self.mu.build(input_shape)

    def call(self, x):
        mean = self.mu(x)
        log_std = tf.broadcast_to(self.log_std, tf.shape(mean))
        return mean, log_std


def mlp(input_dim, sizes, activation="tanh", name=None):
    inp = keras.Input((input_dim,))
    h = inp
    for s in sizes:
        h = layers.Dense(s, activation=activation)(h)
    return inp, h


def make_actor():
    inp, h = mlp(cfg.obs_dim, [64, 64])
    mean, log_std = GaussianHead(cfg.act_dim, name="gaussian")(h)
    return keras.Model(inp, [mean, log_std], name="actor")


def make_critic():
    inp, h = mlp(cfg.obs_dim, [64, 64])
    v = layers.Dense(1)(h)
    return keras.Model(inp, layers.Reshape(())(v), name="critic")


def gaussian_log_prob(x, mean, log_std):
    z = (x - mean) / tf.exp(log_std)
    return tf.reduce_sum(-0.5 * tf.square(z) - log_std - 0.5 * LOG_2PI, axis=-1)


def gaussian_entropy(log_std):
    return tf.reduce_sum(log_std + 0.5 * (LOG_2PI + 1.0), axis=-1)


actor, critic = make_actor(), make_critic()
pi_opt = keras.optimizers.Adam(cfg.lr)
vf_opt = keras.optimizers.Adam(cfg.lr * 3)

# synthetic dynamics: target action is a fixed linear map of the observation
TARGET_W = rng.normal(size=(cfg.obs_dim, cfg.act_dim)).astype(np.float32) * 0.3


def fake_env_step(obs, action):
    reward = -np.sum((action - obs @ TARGET_W) ** 2, axis=-1)
    next_obs = np.clip(obs + 0.05 * rng.normal(size=obs.shape), -3, 3).astype(np.float32)
    done = rng.random() < 0.02
    return next_obs, float(reward), done


@tf.function
def policy_step(obs):
    mean, log_std = actor(obs)
    action = mean + tf.exp(log_std) * tf.random.normal(tf.shape(mean))
    return action, gaussian_log_prob(action, mean, log_std), critic(obs)


def collect(horizon):
    obs_buf = np.zeros((horizon, cfg.obs_dim), np.float32)
    act_buf = np.zeros((horizon, cfg.act_dim), np.float32)
    rew_buf, val_buf, logp_buf, done_buf = (np.zeros(horizon, np.float32) for _ in range(4))
    obs = rng.normal(size=cfg.obs_dim).astype(np.float32)
    for t in range(horizon):
        a, logp, v = (x.numpy()[0] for x in policy_step(obs[None]))
        nxt, r, d = fake_env_step(obs, a)
        obs_buf[t], act_buf[t], rew_buf[t] = obs, a, r
        val_buf[t], logp_buf[t], done_buf[t] = v, logp, float(d)
        obs = rng.normal(size=cfg.obs_dim).astype(np.float32) if d else nxt
    last_v = critic(obs[None]).numpy()[0]

    adv = np.zeros(horizon, np.float32)
    gae = 0.0
    for t in reversed(range(horizon)):
        nv = last_v if t == horizon - 1 else val_buf[t + 1]
        nonterm = 1.0 - done_buf[t]
        delta = rew_buf[t] + cfg.gamma * nv * nonterm - val_buf[t]
        gae = delta + cfg.gamma * cfg.lam * nonterm * gae
        adv[t] = gae
    ret = adv + val_buf
    return dict(obs=obs_buf, act=act_buf, logp=logp_buf, adv=adv, ret=ret, val=val_buf), rew_buf


@tf.function
def ppo_update(mb):
    adv = (mb["adv"] - tf.reduce_mean(mb["adv"])) / (tf.math.reduce_std(mb["adv"]) + 1e-8)
    with tf.GradientTape() as tape:
        mean, log_std = actor(mb["obs"], training=True)
        logp = gaussian_log_prob(mb["act"], mean, log_std)
        ratio = tf.exp(logp - mb["logp"])
        clipped = tf.clip_by_value(ratio, 1 - cfg.clip_ratio, 1 + cfg.clip_ratio)
        surr = tf.minimum(ratio * adv, clipped * adv)
        ent = tf.reduce_mean(gaussian_entropy(log_std))
        pi_loss = -tf.reduce_mean(surr) - cfg.ent_coef * ent
    pi_grads = tape.gradient(pi_loss, actor.trainable_variables)
    pi_opt.apply_gradients(zip(pi_grads, actor.trainable_variables))

    with tf.GradientTape() as tape:
        v = critic(mb["obs"], training=True)
        v_clipped = mb["val"] + tf.clip_by_value(v - mb["val"], -cfg.value_clip, cfg.value_clip)
        vf_loss = cfg.vf_coef * tf.reduce_mean(
            tf.maximum(tf.square(v - mb["ret"]), tf.square(v_clipped - mb["ret"])))
    vf_grads = tape.gradient(vf_loss, critic.trainable_variables)
    vf_opt.apply_gradients(zip(vf_grads, critic.trainable_variables))

    approx_kl = tf.reduce_mean(mb["logp"] - logp)
    clip_frac = tf.reduce_mean(tf.cast(tf.abs(ratio - 1.0) > cfg.clip_ratio, tf.float32))
    return pi_loss, vf_loss, approx_kl, clip_frac


for it in range(cfg.iterations):
    batch, rewards = collect(cfg.horizon)
    ds = tf.data.Dataset.from_tensor_slices(batch)
    kl_hist = []
    stop = False
    for ep in range(cfg.epochs):
        for mb in ds.shuffle(cfg.horizon).batch(cfg.minibatch):
            pl, vl, kl, cf = ppo_update(mb)
            kl_hist.append(float(kl))
            if float(kl) > 1.5 * cfg.target_kl:
                stop = True
                break
        if stop:
            print(f"  early stop at epoch {ep} (kl={kl_hist[-1]:.4f})")
            break
    std_now = np.exp(actor.get_layer("gaussian").log_std.numpy())
    print(f"iter {it}: mean reward {rewards.mean():.3f}, pi_loss {float(pl):.4f}, "
          f"vf_loss {float(vl):.3f}, kl {np.mean(kl_hist):.4f}, clipfrac {float(cf):.2f}, "
          f"std {np.round(std_now, 3)}")
