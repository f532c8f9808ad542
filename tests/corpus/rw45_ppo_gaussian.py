"""PPO-Clip with a diagonal Gaussian policy on a numpy Pendulum clone.

- actor: MLP -> tanh-squashed mean, state-independent learnable log_std (add_weight)
- critic: separate MLP value function
- GAE(lambda) advantages, minibatch epochs over a tf.data pipeline
- clipped surrogate  L = -E[min(r * A, clip(r, 1-eps, 1+eps) * A)]
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers

config = {
    "seed": 3,
    "steps_per_iter": 256,
    "iterations": 4,
    "epochs": 4,
    "minibatch": 64,
    "gamma": 0.99,
    "lam": 0.95,
    "clip_eps": 0.2,
    "pi_lr": 3e-4,
    "vf_lr": 1e-3,
    "target_kl": 0.05,
    "ent_coef": 0.0,
}

np.random.seed(config["seed"])
tf.random.set_seed(config["seed"])
LOG_2PI = math.log(2.0 * math.pi)


class Pendulum:
    max_speed, max_torque, dt, g, m, l = 8.0, 2.0, 0.05, 10.0, 1.0, 1.0
    obs_dim, act_dim = 3, 1

    def reset(self):
        self.th = np.random.uniform(-np.pi, np.pi)
        self.thdot = np.random.uniform(-1, 1)
        self.t = 0
        return self._obs()

    def _obs(self):
        return np.array([np.cos(self.th), np.sin(self.th), self.thdot], dtype=np.float32)

    def step(self, u):
        u = float(np.clip(u[0], -self.max_torque, self.max_torque))
        th_norm = ((self.th + np.pi) % (2 * np.pi)) - np.pi
        cost = th_norm ** 2 + 0.1 * self.thdot ** 2 + 0.001 * u ** 2
        self.thdot += (3 * self.g / (2 * self.l) * np.sin(self.th) + 3.0 / (self.m * self.l ** 2) * u) * self.dt
        self.thdot = np.clip(self.thdot, -self.max_speed, self.max_speed)
        self.th += self.thdot * self.dt
        self.t += 1
        return self._obs(), -cost, self.t >= 100


class GaussianActor(keras.Model):
    def __init__(self, act_dim, hidden=(64, 64), act_scale=2.0, **kw):
        super().__init__(**kw)
        self.act_scale = act_scale
        self.body = [layers.Dense(h, activation="tanh") for h in hidden]
        self.mu_layer = layers.Dense(act_dim, activation="tanh")
        self.log_std = self.add_weight(
            name="log_std", shape=(act_dim,),
            initializer=keras.initializers.Constant(-0.5), trainable=True)

    def call(self, obs):
        x = obs
        for layer in self.body:
            x = layer(x)
        mu = self.mu_layer(x) * self.act_scale
        # broadcast (act_dim,) against (B, act_dim)
        log_std = tf.zeros_like(mu) + self.log_std
        return mu, log_std


def gaussian_log_prob(x, mu, log_std):
    z = (x - mu) / tf.exp(log_std)
    return tf.reduce_sum(-0.5 * tf.square(z) - log_std - 0.5 * LOG_2PI, axis=-1)


def gaussian_entropy(log_std):
    return tf.reduce_sum(log_std + 0.5 * (LOG_2PI + 1.0), axis=-1)


def build_critic(obs_dim):
    return keras.Sequential([
        keras.Input((obs_dim,)),
        layers.Dense(64, activation="tanh"),
        layers.Dense(64, activation="tanh"),
        layers.Dense(1),
    ], name="critic")


env = Pendulum()
actor = GaussianActor(env.act_dim, name="actor")
critic = build_critic(env.obs_dim)
actor(tf.zeros((1, env.obs_dim)))
actor.summary()
critic.summary()

pi_opt = keras.optimizers.Adam(config["pi_lr"])
vf_opt = keras.optimizers.Adam(config["vf_lr"])


@tf.function
def sample_action(obs):
    mu, log_std = actor(obs)
    eps = tf.random.normal(tf.shape(mu))
    a = mu + tf.exp(log_std) * eps
    return a, gaussian_log_prob(a, mu, log_std), tf.squeeze(critic(obs), -1)


def compute_gae(rewards, values, dones, last_val, gamma, lam):
    n = len(rewards)
    adv = np.zeros(n, dtype=np.float32)
    gae = 0.0
    for t in reversed(range(n)):
        next_v = last_val if t == n - 1 else values[t + 1]
        nonterminal = 1.0 - dones[t]
        delta = rewards[t] + gamma * next_v * nonterminal - values[t]
        gae = delta + gamma * lam * nonterminal * gae
        adv[t] = gae
    returns = adv + values
    return adv, returns


def collect_rollout(n_steps):
    buf = {k: [] for k in ("obs", "act", "logp", "rew", "val", "done")}
    obs, ep_returns, ep_ret = env.reset(), [], 0.0
    for _ in range(n_steps):
        a, logp, v = sample_action(obs[None])
        a = a.numpy()[0]
        next_obs, r, done = env.step(a)
        for k, val in zip(buf, (obs, a, logp.numpy()[0], r, v.numpy()[0], float(done))):
            buf[k].append(val)
        ep_ret += r
        obs = next_obs
        if done:
            ep_returns.append(ep_ret)
            obs, ep_ret = env.reset(), 0.0
    last_val = float(critic(obs[None])[0, 0])
    data = {k: np.asarray(v, dtype=np.float32) for k, v in buf.items()}
    adv, ret = compute_gae(data["rew"], data["val"], data["done"], last_val,
                           config["gamma"], config["lam"])
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    data.update(adv=adv, ret=ret)
    return data, ep_returns


@tf.function
def ppo_update(obs, act, old_logp, adv, ret):
    with tf.GradientTape() as tape:
        mu, log_std = actor(obs, training=True)
        logp = gaussian_log_prob(act, mu, log_std)
        ratio = tf.exp(logp - old_logp)
        clipped = tf.clip_by_value(ratio, 1.0 - config["clip_eps"], 1.0 + config["clip_eps"])
        surr = tf.minimum(ratio * adv, clipped * adv)
        entropy = tf.reduce_mean(gaussian_entropy(log_std))
        pi_loss = -tf.reduce_mean(surr) - config["ent_coef"] * entropy
    pi_grads = tape.gradient(pi_loss, actor.trainable_variables)
    pi_opt.apply_gradients(zip(pi_grads, actor.trainable_variables))

    with tf.GradientTape() as tape:
        v = tf.squeeze(critic(obs, training=True), axis=-1)
        v_loss = tf.reduce_mean(tf.square(ret - v))
    vf_grads = tape.gradient(v_loss, critic.trainable_variables)
    vf_opt.apply_gradients(zip(vf_grads, critic.trainable_variables))

    approx_kl = tf.reduce_mean(old_logp - logp)
    clip_frac = tf.reduce_mean(tf.cast(tf.abs(ratio - 1.0) > config["clip_eps"], tf.float32))
    return pi_loss, v_loss, approx_kl, clip_frac


for it in range(config["iterations"]):
    data, ep_rets = collect_rollout(config["steps_per_iter"])
    ds = (tf.data.Dataset.from_tensor_slices(
            (data["obs"], data["act"], data["logp"], data["adv"], data["ret"]))
          .shuffle(config["steps_per_iter"], seed=it)
          .batch(config["minibatch"], drop_remainder=True))

    stop_early = False
    for epoch in range(config["epochs"]):
        kls = []
        for batch in ds:
            pi_loss, v_loss, kl, cf = ppo_update(*batch)
            kls.append(float(kl))
        if np.mean(kls) > 1.5 * config["target_kl"]:
            stop_early = True
            break

    print(f"iter {it}: ep_ret={np.mean(ep_rets) if ep_rets else float('nan'):8.2f} "
          f"pi_loss={float(pi_loss):+.4f} v_loss={float(v_loss):.3f} "
          f"kl={np.mean(kls):.4f} clipfrac={float(cf):.3f} "
          f"std={np.exp(actor.log_std.numpy()).round(3)} early_stop={stop_early}")
