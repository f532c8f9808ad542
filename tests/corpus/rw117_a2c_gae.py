"""
Advantage actor-critic (A2C) with GAE on a vectorised synthetic "bandit walk".

- shared MLP torso with a policy (logits) head and a scalar value head
- rollouts collected from N parallel fake envs in numpy
- GAE(lambda) computed in numpy, update done with a tf.function step
"""
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras

N_ENVS = 8
ROLLOUT_LEN = 16
OBS_DIM = 6
N_ACTIONS = 3
GAMMA = 0.99
LAMBDA = 0.95
VALUE_COEF = 0.5
ENTROPY_COEF = 0.01
N_UPDATES = 20

tf.random.set_seed(0)
np_rng = np.random.default_rng(0)


class VecWalkEnv:
    """N independent 1-D random walks. Obs = one-hot-ish features of position."""

    def __init__(self, n_envs, obs_dim, horizon=40):
        self.n = n_envs
        self.obs_dim = obs_dim
        self.horizon = horizon
        self.pos = np.zeros(n_envs, dtype=np.float32)
        self.t = np.zeros(n_envs, dtype=np.int32)

    def _obs(self):
        feats = [np.sin(self.pos * (k + 1)) for k in range(self.obs_dim - 1)]
        feats.append(self.t / self.horizon)
        return np.stack(feats, axis=1).astype(np.float32)

    def reset(self):
        self.pos = np_rng.uniform(-1, 1, size=self.n).astype(np.float32)
        self.t[:] = 0
        return self._obs()

    def step(self, actions):
        # action 0 = left, 1 = stay, 2 = right; reward for staying near 0.5
        self.pos += (actions.astype(np.float32) - 1.0) * 0.1
        self.t += 1
        rewards = -np.abs(self.pos - 0.5).astype(np.float32)
        dones = self.t >= self.horizon
        if dones.any():
            self.pos[dones] = np_rng.uniform(-1, 1, size=dones.sum())
            self.t[dones] = 0
        return self._obs(), rewards, dones.astype(np.float32)


class ActorCritic(keras.Model):
    def __init__(self, n_actions, hidden_sizes=(64, 64)):
        super().__init__()
        self.body = keras.Sequential(
            [keras.layers.Dense(h, activation="tanh") for h in hidden_sizes], name="body")
        self.policy_head = keras.layers.Dense(
            n_actions, kernel_initializer=keras.initializers.Orthogonal(0.01), name="pi")
        self.value_head = keras.layers.Dense(
            1, kernel_initializer=keras.initializers.Orthogonal(1.0), name="v")

    def call(self, obs):
        h = self.body(obs)
        return self.policy_head(h), tf.squeeze(self.value_head(h), axis=-1)


model = ActorCritic(N_ACTIONS)
optimizer = keras.optimizers.RMSprop(learning_rate=7e-4, rho=0.99, epsilon=1e-5)


@tf.function
def act(obs):
    logits, value = model(obs)
    action = tf.random.categorical(logits, 1, dtype=tf.int32)[:, 0]
    return action, value


def compute_gae(rewards, values, dones, last_value):
    """rewards/values/dones: [T, N]; returns advantages and returns of shape [T, N]."""
    T = rewards.shape[0]
    adv = np.zeros_like(rewards)
    last_gae = np.zeros(rewards.shape[1], dtype=np.float32)
    for t in reversed(range(T)):
        next_val = last_value if t == T - 1 else values[t + 1]
        nonterminal = 1.0 - dones[t]
        delta = rewards[t] + GAMMA * next_val * nonterminal - values[t]
        last_gae = delta + GAMMA * LAMBDA * nonterminal * last_gae
        adv[t] = last_gae
    return adv, adv + values


@tf.function
def update(obs, actions, advantages, returns):
    with tf.GradientTape() as tape:
        logits, values = model(obs)
        log_probs = tf.nn.log_softmax(logits)
        probs = tf.nn.softmax(logits)
        logp_a = tf.reduce_sum(tf.one_hot(actions, N_ACTIONS) * log_probs, axis=-1)
        policy_loss = -tf.reduce_mean(logp_a * tf.stop_gradient(advantages))
        value_loss = tf.reduce_mean(tf.square(returns - values))
        entropy = -tf.reduce_mean(tf.reduce_sum(probs * log_probs, axis=-1))
        total = policy_loss + VALUE_COEF * value_loss - ENTROPY_COEF * entropy
    grads = tape.gradient(total, model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 0.5)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return {"policy": policy_loss, "value": value_loss, "entropy": entropy}


def collect_rollout(env, obs):
    buf = {k: [] for k in ("obs", "actions", "rewards", "values", "dones")}
    for _ in range(ROLLOUT_LEN):
        action, value = act(tf.constant(obs))
        action = action.numpy()
        next_obs, reward, done = env.step(action)
        buf["obs"].append(obs)
        buf["actions"].append(action)
        buf["rewards"].append(reward)
        buf["values"].append(value.numpy())
        buf["dones"].append(done)
        obs = next_obs
    _, last_value = act(tf.constant(obs))
    arrays = {k: np.asarray(v) for k, v in buf.items()}
    return arrays, last_value.numpy(), obs


def main():
    env = VecWalkEnv(N_ENVS, OBS_DIM)
    obs = env.reset()
    start = time.time()
    for it in range(1, N_UPDATES + 1):
        roll, last_value, obs = collect_rollout(env, obs)
        adv, ret = compute_gae(roll["rewards"], roll["values"], roll["dones"], last_value)
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        flat = lambda x: x.reshape((-1,) + x.shape[2:])
        metrics = update(tf.constant(flat(roll["obs"])),
                         tf.constant(flat(roll["actions"]), dtype=tf.int32),
                         tf.constant(flat(adv), dtype=tf.float32),
                         tf.constant(flat(ret), dtype=tf.float32))
        if it % 5 == 0:
            m = {k: round(float(v), 4) for k, v in metrics.items()}
            print(f"update {it:3d} mean_reward={roll['rewards'].mean():+.3f} {m}")
    print(f"done in {time.time() - start:.1f}s")


if __name__ == "__main__":
    main()
