"""PPO (clipped surrogate) on a toy 2D reacher.

Gaussian policy: network outputs the mean, log-std is a free trainable variable
(state independent), same trick as in the baselines / spinning-up implementations.
"""
import math
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras.layers import Dense, Input, Concatenate


@dataclass
class PPOConfig:
    obs_dim: int = 6
    act_dim: int = 2
    horizon: int = 64
    epochs: int = 3
    minibatch: int = 16
    iterations: int = 3
    gamma: float = 0.99
    lam: float = 0.95
    clip_eps: float = 0.2
    pi_lr: float = 3e-4
    vf_lr: float = 1e-3
    hidden: list = field(default_factory=lambda: [64, 64])
    init_log_std: float = -0.5


class PointReacher:
    """Move a point toward a random target. Action = velocity, clipped to [-1, 1]."""

    def __init__(self, seed=0, max_steps=25):
        self.rng = np.random.default_rng(seed)
        self.max_steps = max_steps

    def reset(self):
        self.pos = self.rng.uniform(-1, 1, size=2)
        self.target = self.rng.uniform(-1, 1, size=2)
        self.t = 0
        return self._obs()

    def _obs(self):
        return np.concatenate([self.pos, self.target, self.target - self.pos]).astype(np.float32)

    def step(self, action):
        action = np.clip(action, -1.0, 1.0)
        self.pos = np.clip(self.pos + 0.1 * action, -1.5, 1.5)
        self.t += 1
        dist = np.linalg.norm(self.target - self.pos)
        reward = -dist - 0.01 * np.sum(action ** 2)
        done = dist < 0.05 or self.t >= self.max_steps
        return self._obs(), float(reward), done


class GaussianPolicy(keras.Model):
    def __init__(self, act_dim, hidden, init_log_std=-0.5):
        super().__init__()
        self.body = keras.Sequential([Dense(h, activation="tanh") for h in hidden])
        self.mu = Dense(act_dim, kernel_initializer=keras.initializers.Orthogonal(0.01))
        self.log_std = tf.Variable(init_log_std * tf.ones(act_dim), trainable=True, name="log_std")

    def call(self, obs):
        return self.mu(self.body(obs))

    def log_prob(self, obs, actions):
        mean = self(obs)
        std = tf.exp(self.log_std)
        z = (actions - mean) / std
        per_dim = -0.5 * tf.square(z) - self.log_std - 0.5 * math.log(2.0 * math.pi)
        return tf.reduce_sum(per_dim, axis=-1)

    def sample(self, obs):
        mean = self(obs)
        eps = tf.random.normal(tf.shape(mean))
        return mean + tf.exp(self.log_std) * eps

    def entropy(self):
        return tf.reduce_sum(self.log_std + 0.5 * math.log(2.0 * math.pi * math.e))


def build_value_fn(obs_dim, hidden):
    obs = Input(shape=(obs_dim,))
    # give the critic a little extra: the squared distance to target
    sq = keras.layers.Lambda(lambda o: tf.reduce_sum(tf.square(o[:, 4:6]), axis=-1, keepdims=True))(obs)
    x = Concatenate()([obs, sq])
    for h in hidden:
        x = Dense(h, activation="tanh")(x)
    v = Dense(1)(x)
    return keras.Model(obs, v, name="critic")


def gae(rewards, values, dones, last_val, gamma, lam):
    adv = np.zeros_like(rewards)
    lastgaelam = 0.0
    values_ext = np.append(values, last_val)
    for t in reversed(range(len(rewards))):
        nonterminal = 1.0 - dones[t]
        delta = rewards[t] + gamma * values_ext[t + 1] * nonterminal - values_ext[t]
        lastgaelam = delta + gamma * lam * nonterminal * lastgaelam
        adv[t] = lastgaelam
    return adv, adv + values


def rollout(env, policy, critic, cfg, obs):
    buf = {k: [] for k in ("obs", "act", "rew", "done", "val", "logp")}
    ep_returns, ep_ret = [], 0.0
    for _ in range(cfg.horizon):
        o = tf.constant(obs[None])
        a = policy.sample(o)
        logp = policy.log_prob(o, a)
        v = critic(o)[0, 0]
        next_obs, r, d = env.step(a.numpy()[0])

        buf["obs"].append(obs)
        buf["act"].append(a.numpy()[0])
        buf["rew"].append(r)
        buf["done"].append(float(d))
        buf["val"].append(float(v))
        buf["logp"].append(float(logp[0]))
        ep_ret += r
        obs = next_obs
        if d:
            ep_returns.append(ep_ret)
            ep_ret = 0.0
            obs = env.reset()

    last_val = float(critic(obs[None])[0, 0])
    data = {k: np.asarray(v, dtype=np.float32) for k, v in buf.items()}
    adv, ret = gae(data["rew"], data["val"], data["done"], last_val, cfg.gamma, cfg.lam)
    data["adv"] = ((adv - adv.mean()) / (adv.std() + 1e-8)).astype(np.float32)
    data["ret"] = ret.astype(np.float32)
    return data, obs, ep_returns


def main():
    cfg = PPOConfig()
    tf.random.set_seed(1)
    env = PointReacher(seed=1)

    policy = GaussianPolicy(cfg.act_dim, cfg.hidden, cfg.init_log_std)
    critic = build_value_fn(cfg.obs_dim, cfg.hidden)
    policy(tf.zeros((1, cfg.obs_dim)))

    pi_opt = keras.optimizers.Adam(cfg.pi_lr)
    vf_opt = keras.optimizers.Adam(cfg.vf_lr)

    @tf.function
    def ppo_update(obs, act, adv, ret, old_logp):
        with tf.GradientTape() as tape:
            logp = policy.log_prob(obs, act)
            ratio = tf.exp(logp - old_logp)
            clipped = tf.clip_by_value(ratio, 1.0 - cfg.clip_eps, 1.0 + cfg.clip_eps)
            pi_loss = -tf.reduce_mean(tf.minimum(ratio * adv, clipped * adv))
            pi_loss -= 0.001 * policy.entropy()
        pi_grads = tape.gradient(pi_loss, policy.trainable_variables)
        pi_opt.apply_gradients(zip(pi_grads, policy.trainable_variables))

        with tf.GradientTape() as tape:
            v = tf.squeeze(critic(obs, training=True), axis=-1)
            v_loss = tf.reduce_mean((ret - v) ** 2)
        v_grads = tape.gradient(v_loss, critic.trainable_variables)
        vf_opt.apply_gradients(zip(v_grads, critic.trainable_variables))

        approx_kl = tf.reduce_mean(old_logp - logp)
        clip_frac = tf.reduce_mean(tf.cast(tf.abs(ratio - 1.0) > cfg.clip_eps, tf.float32))
        return pi_loss, v_loss, approx_kl, clip_frac

    obs = env.reset()
    for it in range(cfg.iterations):
        data, obs, ep_returns = rollout(env, policy, critic, cfg, obs)
        ds = (
            tf.data.Dataset.from_tensor_slices(
                (data["obs"], data["act"], data["adv"], data["ret"], data["logp"])
            )
            .shuffle(cfg.horizon, seed=it)
            .batch(cfg.minibatch, drop_remainder=True)
        )
        stats = []
        for _ in range(cfg.epochs):
            for mb in ds:
                stats.append([float(s) for s in ppo_update(*mb)])
        pl, vl, kl, cf = np.mean(stats, axis=0)
        mean_ret = np.mean(ep_returns) if ep_returns else float("nan")
        print(f"iter {it}: pi={pl:.3f} v={vl:.3f} kl={kl:.4f} clipfrac={cf:.2f} "
              f"ep_ret={mean_ret:.2f} std={np.exp(policy.log_std.numpy()).round(3)}")


if __name__ == "__main__":
    main()
