"""Synchronous Advantage Actor-Critic (A2C) with a shared-torso functional model.

N parallel copies of a numpy "mountain-car-lite" environment are stepped in
lock-step; every ROLLOUT_LEN steps we compute n-step bootstrapped returns and do
one gradient update on   policy loss + value_coef * value loss - entropy_coef * H.
"""
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras

HPARAMS = dict(
    num_envs=8,
    rollout_len=16,
    updates=40,
    gamma=0.99,
    value_coef=0.5,
    entropy_coef=0.01,
    lr=7e-4,
    max_grad_norm=0.5,
    hidden_units=(64, 64),
)

OBS_DIM = 3     # position, velocity, time-fraction
N_ACTIONS = 3   # push left, no-op, push right


class VecMountainCarLite:
    """Vectorised mountain car; all envs stored as arrays of shape (num_envs,)."""

    def __init__(self, num_envs, horizon=100, seed=0):
        self.n = num_envs
        self.horizon = horizon
        self.rng = np.random.RandomState(seed)
        self.pos = np.zeros(num_envs)
        self.vel = np.zeros(num_envs)
        self.t = np.zeros(num_envs, dtype=np.int32)

    def _obs(self):
        return np.stack([self.pos, self.vel * 10.0, self.t / self.horizon], axis=1).astype(np.float32)

    def _reset_idx(self, mask):
        k = int(mask.sum())
        self.pos[mask] = self.rng.uniform(-0.6, -0.4, size=k)
        self.vel[mask] = 0.0
        self.t[mask] = 0

    def reset(self):
        self._reset_idx(np.ones(self.n, dtype=bool))
        return self._obs()

    def step(self, actions):
        force = (actions.astype(np.float64) - 1.0) * 0.001
        self.vel = np.clip(self.vel + force - 0.0025 * np.cos(3 * self.pos), -0.07, 0.07)
        self.pos = np.clip(self.pos + self.vel, -1.2, 0.6)
        self.vel[self.pos <= -1.2] = 0.0
        self.t += 1
        success = self.pos >= 0.5
        timeout = self.t >= self.horizon
        dones = success | timeout
        rewards = np.where(success, 1.0, -0.01).astype(np.float32)
        self._reset_idx(dones)
        return self._obs(), rewards, dones.astype(np.float32)


def make_actor_critic(obs_dim, n_actions, hidden_units):
    obs_in = keras.Input(shape=(obs_dim,), name="obs")
    x = obs_in
    for i, units in enumerate(hidden_units):
        x = keras.layers.Dense(units, activation="tanh",
                               kernel_initializer=keras.initializers.Orthogonal(np.sqrt(2)),
                               name=f"torso_{i}")(x)
    logits = keras.layers.Dense(n_actions,
                                kernel_initializer=keras.initializers.Orthogonal(0.01),
                                name="policy_logits")(x)
    value = keras.layers.Dense(1, kernel_initializer=keras.initializers.Orthogonal(1.0),
                               name="value")(x)
    value = keras.layers.Reshape(())(value)  # (B, 1) -> (B,)
    return keras.Model(obs_in, [logits, value], name="actor_critic")


model = make_actor_critic(OBS_DIM, N_ACTIONS, HPARAMS["hidden_units"])
model.summary()
optimizer = keras.optimizers.RMSprop(learning_rate=HPARAMS["lr"], rho=0.99, epsilon=1e-5)


@tf.function
def act(obs):
    logits, value = model(obs)
    action = tf.random.categorical(logits, num_samples=1)[:, 0]
    return action, value


def nstep_returns(rewards, dones, last_value, gamma):
    """rewards/dones: (T, N) numpy; last_value: (N,). Returns (T, N)."""
    T = rewards.shape[0]
    returns = np.zeros_like(rewards)
    running = last_value
    for t in reversed(range(T)):
        running = rewards[t] + gamma * running * (1.0 - dones[t])
        returns[t] = running
    return returns


@tf.function
def update(obs, actions, returns):
    with tf.GradientTape() as tape:
        logits, values = model(obs, training=True)
        advantages = tf.stop_gradient(returns - values)

        log_probs = tf.nn.log_softmax(logits)                       # (B, A)
        idx = tf.stack([tf.range(tf.shape(actions)[0]), tf.cast(actions, tf.int32)], axis=1)
        logp_taken = tf.gather_nd(log_probs, idx)                   # (B,)
        policy_loss = -tf.reduce_mean(logp_taken * advantages)

        value_loss = tf.reduce_mean(tf.square(returns - values))
        probs = tf.nn.softmax(logits)
        entropy = -tf.reduce_mean(tf.reduce_sum(probs * log_probs, axis=-1))

        loss = (policy_loss
                + HPARAMS["value_coef"] * value_loss
                - HPARAMS["entropy_coef"] * entropy)
    grads = tape.gradient(loss, model.trainable_variables)
    grads, gnorm = tf.clip_by_global_norm(grads, HPARAMS["max_grad_norm"])
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return {"loss": loss, "pi": policy_loss, "v": value_loss, "H": entropy, "gnorm": gnorm}


def train():
    T, N = HPARAMS["rollout_len"], HPARAMS["num_envs"]
    envs = VecMountainCarLite(N)
    obs = envs.reset()

    mb_obs = np.zeros((T, N, OBS_DIM), np.float32)
    mb_act = np.zeros((T, N), np.int64)
    mb_rew = np.zeros((T, N), np.float32)
    mb_done = np.zeros((T, N), np.float32)

    t0 = time.time()
    for update_idx in range(HPARAMS["updates"]):
        for t in range(T):
            action, _ = act(tf.constant(obs))
            action = action.numpy()
            mb_obs[t], mb_act[t] = obs, action
            obs, rew, done = envs.step(action)
            mb_rew[t], mb_done[t] = rew, done

        _, last_value = model(obs)
        returns = nstep_returns(mb_rew, mb_done, last_value.numpy(), HPARAMS["gamma"])

        # flatten time and env axes into one batch axis
        stats = update(
            tf.constant(mb_obs.reshape(T * N, OBS_DIM)),
            tf.constant(mb_act.reshape(-1)),
            tf.constant(returns.reshape(-1)),
        )
        if update_idx % 10 == 0 or update_idx == HPARAMS["updates"] - 1:
            msg = " ".join(f"{k}={float(v):.4f}" for k, v in stats.items())
            print(f"[update {update_idx:3d}] mean_r={mb_rew.mean():.4f} {msg}")

    print(f"done in {time.time() - t0:.1f}s, frames={HPARAMS['updates'] * T * N}")


if __name__ == "__main__":
    train()
