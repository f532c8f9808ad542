"""PPO-clip with a Gaussian policy on a 2-D point-mass reaching task.

- actor: functional MLP producing the action mean, plus a custom layer that
  owns a state-independent log-std variable
- critic: separate MLP value head
- GAE(lambda) advantages computed in numpy
- minibatch epochs driven by a tf.data pipeline
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers

HPARAMS = dict(
    seed=11,
    horizon=256,          # env steps per iteration
    iterations=6,
    epochs=3,
    minibatch=64,
    gamma=0.98,
    lam=0.95,
    clip_eps=0.2,
    actor_lr=3e-4,
    critic_lr=1e-3,
    ent_coef=1e-3,
    target_kl=0.05,
    episode_len=40,
)
OBS_DIM, ACT_DIM = 4, 2
LOG2PI = math.log(2.0 * math.pi)

keras.utils.set_random_seed(HPARAMS["seed"])
rng = np.random.default_rng(HPARAMS["seed"])


class PointMass:
    """obs = (x, y, vx, vy), action = force in [-1, 1]^2, reward = -distance to origin."""

    def __init__(self, dt=0.1, max_steps=40):
        self.dt, self.max_steps = dt, max_steps

    def reset(self):
        self.pos = rng.uniform(-1, 1, 2)
        self.vel = np.zeros(2)
        self.t = 0
        return self._obs()

    def _obs(self):
        return np.concatenate([self.pos, self.vel]).astype(np.float32)

    def step(self, action):
        force = np.clip(action, -1.0, 1.0)
        self.vel = 0.9 * self.vel + self.dt * force
        self.pos = np.clip(self.pos + self.dt * self.vel, -2, 2)
        self.t += 1
        dist = np.linalg.norm(self.pos)
        reward = -dist - 0.01 * float(np.square(force).sum())
        done = self.t >= self.max_steps
        return self._obs(), float(reward), done


class GaussianHead(layers.Layer):
    """Returns (mean, log_std) with a learned, state-independent log_std."""

    def __init__(self, act_dim, init_log_std=-0.5, **kwargs):
        super().__init__(**kwargs)
        self.act_dim = act_dim
        self.init_log_std = init_log_std
        self.mu = layers.Dense(act_dim, activation="tanh")

    def build(self, input_shape):
        self.mu.build(input_shape)
        self.log_std = self.add_weight(
            name="log_std", shape=(self.act_dim,),
            initializer=keras.initializers.Constant(self.init_log_std),
        )

    def call(self, x):
        mean = self.mu(x)
        log_std = tf.broadcast_to(self.log_std, tf.shape(mean))
        return mean, log_std

    def get_config(self):
        cfg = super().get_config()
        cfg.update(act_dim=self.act_dim, init_log_std=self.init_log_std)
        return cfg


def mlp(x, sizes, prefix):
    for i, s in enumerate(sizes):
        x = layers.Dense(s, activation="tanh", name=f"{prefix}_{i}")(x)
    return x


obs_in = keras.Input((OBS_DIM,), name="obs")
mean, log_std = GaussianHead(ACT_DIM, name="gauss")(mlp(obs_in, [64, 64], "pi"))
actor = keras.Model(obs_in, [mean, log_std], name="actor")

v_in = keras.Input((OBS_DIM,), name="obs")
value_out = layers.Dense(1, name="v")(mlp(v_in, [64, 64], "vf"))
critic = keras.Model(v_in, value_out, name="critic")

actor_opt = keras.optimizers.Adam(HPARAMS["actor_lr"])
critic_opt = keras.optimizers.Adam(HPARAMS["critic_lr"])


def gaussian_logp(x, mu, log_std):
    z = (x - mu) / tf.exp(log_std)
    return -0.5 * tf.reduce_sum(z ** 2 + 2.0 * log_std + LOG2PI, axis=-1)


@tf.function
def sample_action(obs):
    mu, ls = actor(obs)
    a = mu + tf.exp(ls) * tf.random.normal(tf.shape(mu))
    return a, gaussian_logp(a, mu, ls), tf.squeeze(critic(obs), -1)


def compute_gae(rewards, values, dones, last_value, gamma, lam):
    T = len(rewards)
    adv = np.zeros(T, np.float32)
    gae = 0.0
    for t in reversed(range(T)):
        next_v = last_value if t == T - 1 else values[t + 1]
        nonterminal = 1.0 - dones[t]
        delta = rewards[t] + gamma * next_v * nonterminal - values[t]
        gae = delta + gamma * lam * nonterminal * gae
        adv[t] = gae
    return adv, adv + values


@tf.function
def ppo_update(obs, act, old_logp, adv, ret):
    clip = HPARAMS["clip_eps"]
    with tf.GradientTape() as tape:
        mu, ls = actor(obs, training=True)
        logp = gaussian_logp(act, mu, ls)
        ratio = tf.exp(logp - old_logp)
        clipped = tf.clip_by_value(ratio, 1.0 - clip, 1.0 + clip)
        surrogate = tf.minimum(ratio * adv, clipped * adv)
        entropy = tf.reduce_sum(ls + 0.5 * (LOG2PI + 1.0), axis=-1)
        pi_loss = -tf.reduce_mean(surrogate) - HPARAMS["ent_coef"] * tf.reduce_mean(entropy)
    pi_grads = tape.gradient(pi_loss, actor.trainable_variables)
    actor_opt.apply_gradients(zip(pi_grads, actor.trainable_variables))

    with tf.GradientTape() as tape:
        v = tf.squeeze(critic(obs, training=True), -1)
        v_loss = tf.reduce_mean(tf.square(ret - v))
    v_grads = tape.gradient(v_loss, critic.trainable_variables)
    critic_opt.apply_gradients(zip(v_grads, critic.trainable_variables))

    approx_kl = tf.reduce_mean(old_logp - logp)
    clip_frac = tf.reduce_mean(tf.cast(tf.abs(ratio - 1.0) > clip, tf.float32))
    return pi_loss, v_loss, approx_kl, clip_frac


env = PointMass(max_steps=HPARAMS["episode_len"])
obs = env.reset()
ep_ret, finished_returns = 0.0, []

for it in range(HPARAMS["iterations"]):
    N = HPARAMS["horizon"]
    buf = {
        "obs": np.zeros((N, OBS_DIM), np.float32),
        "act": np.zeros((N, ACT_DIM), np.float32),
        "logp": np.zeros(N, np.float32),
        "val": np.zeros(N, np.float32),
        "rew": np.zeros(N, np.float32),
        "done": np.zeros(N, np.float32),
    }
    for t in range(N):
        a, lp, v = sample_action(obs[None])
        a = a.numpy()[0]
        next_obs, r, done = env.step(a)
        buf["obs"][t], buf["act"][t] = obs, a
        buf["logp"][t], buf["val"][t] = lp.numpy()[0], v.numpy()[0]
        buf["rew"][t], buf["done"][t] = r, float(done)
        ep_ret += r
        obs = next_obs
        if done:
            finished_returns.append(ep_ret)
            ep_ret = 0.0
            obs = env.reset()

    last_v = float(critic(obs[None]).numpy()[0, 0])
    adv, ret = compute_gae(buf["rew"], buf["val"], buf["done"], last_v,
                           HPARAMS["gamma"], HPARAMS["lam"])
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)

    ds = (tf.data.Dataset.from_tensor_slices(
            (buf["obs"], buf["act"], buf["logp"], adv, ret))
          .shuffle(N, seed=it)
          .batch(HPARAMS["minibatch"], drop_remainder=True))

    stopped_early = False
    metrics = []
    for epoch in range(HPARAMS["epochs"]):
        for mb in ds:
            metrics.append([m.numpy() for m in ppo_update(*mb)])
        if np.mean([m[2] for m in metrics[-4:]]) > HPARAMS["target_kl"]:
            stopped_early = True
            break

    pi_l, v_l, kl, cf = np.mean(metrics, axis=0)
    recent = np.mean(finished_returns[-5:]) if finished_returns else float("nan")
    std_now = np.exp(actor.get_layer("gauss").log_std.numpy())
    print(f"iter {it}: ep_return {recent:8.2f} | pi {pi_l:+.4f} v {v_l:.4f} "
          f"kl {kl:+.4f} clipfrac {cf:.2f} | std {np.round(std_now, 3)}"
          + (" (early stop)" if stopped_early else ""))
