"""Dueling Double-DQN with prioritized experience replay (PER).

- Dueling head implemented as a custom Keras layer: Q = V + (A - mean(A)).
- Double DQN target: online net picks argmax, target net evaluates it.
- Proportional PER with a numpy sum-tree and importance-sampling weights.
- N parallel toy gridworld envs stepped in lockstep -> batched action selection.
- Polyak (soft) target updates.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

CONFIG = {
    "seed": 0,
    "grid_size": 5,
    "num_envs": 8,
    "hidden": [128, 64],
    "gamma": 0.97,
    "lr": 5e-4,
    "tau": 0.01,
    "buffer_capacity": 4096,  # must be a power of two for the sum-tree
    "batch_size": 64,
    "per_alpha": 0.6,
    "per_beta_start": 0.4,
    "per_eps": 1e-5,
    "iterations": 120,
    "updates_per_iter": 1,
    "eps_greedy": (1.0, 0.1),
    "max_ep_len": 30,
}

rng = np.random.default_rng(CONFIG["seed"])
keras.utils.set_random_seed(CONFIG["seed"])


# ---------------------------------------------------------------------------
# Vectorised gridworld: agent must reach the bottom-right corner.
# Observation = one-hot agent position + one-hot goal position (flattened).
# ---------------------------------------------------------------------------
class VecGridWorld:
    MOVES = np.array([[-1, 0], [1, 0], [0, -1], [0, 1]])  # up, down, left, right

    def __init__(self, num_envs, size, max_len, rng):
        self.n, self.size, self.max_len, self.rng = num_envs, size, max_len, rng
        self.pos = np.zeros((num_envs, 2), dtype=np.int64)
        self.goal = np.zeros((num_envs, 2), dtype=np.int64)
        self.t = np.zeros(num_envs, dtype=np.int64)

    @property
    def obs_dim(self):
        return 2 * self.size * self.size

    @property
    def num_actions(self):
        return len(self.MOVES)

    def _obs(self):
        obs = np.zeros((self.n, 2, self.size * self.size), dtype=np.float32)
        flat_pos = self.pos[:, 0] * self.size + self.pos[:, 1]
        flat_goal = self.goal[:, 0] * self.size + self.goal[:, 1]
        obs[np.arange(self.n), 0, flat_pos] = 1.0
        obs[np.arange(self.n), 1, flat_goal] = 1.0
        return obs.reshape(self.n, -1)

    def _reset_idx(self, idx):
        self.pos[idx] = self.rng.integers(0, self.size, size=(len(idx), 2))
        self.goal[idx] = self.size - 1
        self.t[idx] = 0

    def reset(self):
        self._reset_idx(np.arange(self.n))
        return self._obs()

    def step(self, actions):
        self.pos = np.clip(self.pos + self.MOVES[actions], 0, self.size - 1)
        self.t += 1
        reached = np.all(self.pos == self.goal, axis=1)
        rewards = np.where(reached, 1.0, -0.02).astype(np.float32)
        timeout = self.t >= self.max_len
        dones = reached | timeout
        # terminal obs is what we store; then auto-reset finished envs
        next_obs = self._obs()
        done_idx = np.flatnonzero(dones)
        if done_idx.size:
            self._reset_idx(done_idx)
        # only true terminals cut the bootstrap, timeouts do not
        return next_obs, rewards, reached.astype(np.float32), dones, self._obs()


# ---------------------------------------------------------------------------
# Prioritized replay
# ---------------------------------------------------------------------------
class SumTree:
    def __init__(self, capacity):
        assert capacity & (capacity - 1) == 0, "capacity must be power of 2"
        self.capacity = capacity
        self.tree = np.zeros(2 * capacity, dtype=np.float64)

    def update(self, data_idx, priority):
        tree_idx = np.asarray(data_idx) + self.capacity
        self.tree[tree_idx] = priority
        for ti in np.unique(tree_idx):
            parent = ti // 2
            while parent >= 1:
                self.tree[parent] = self.tree[2 * parent] + self.tree[2 * parent + 1]
                parent //= 2

    @property
    def total(self):
        return self.tree[1]

    def find(self, values):
        """Vectorised descent: returns leaf (data) indices for each prefix sum."""
        idx = np.ones(len(values), dtype=np.int64)
        values = values.copy()
        while idx[0] < self.capacity:
            left = 2 * idx
            left_val = self.tree[left]
            go_right = values > left_val
            values = np.where(go_right, values - left_val, values)
            idx = np.where(go_right, left + 1, left)
        return idx - self.capacity


class PrioritizedReplay:
    def __init__(self, capacity, obs_dim, alpha, eps):
        self.capacity, self.alpha, self.eps = capacity, alpha, eps
        self.tree = SumTree(capacity)
        self.obs = np.zeros((capacity, obs_dim), np.float32)
        self.next_obs = np.zeros((capacity, obs_dim), np.float32)
        self.act = np.zeros(capacity, np.int32)
        self.rew = np.zeros(capacity, np.float32)
        self.term = np.zeros(capacity, np.float32)
        self.max_priority = 1.0
        self.ptr, self.size = 0, 0

    def add_batch(self, obs, act, rew, next_obs, term):
        n = len(obs)
        idx = (self.ptr + np.arange(n)) % self.capacity
        self.obs[idx], self.act[idx], self.rew[idx] = obs, act, rew
        self.next_obs[idx], self.term[idx] = next_obs, term
        self.tree.update(idx, self.max_priority ** self.alpha)
        self.ptr = (self.ptr + n) % self.capacity
        self.size = min(self.size + n, self.capacity)

    def sample(self, batch_size, beta):
        segment = self.tree.total / batch_size
        targets = (np.arange(batch_size) + rng.random(batch_size)) * segment
        idx = np.clip(self.tree.find(targets), 0, self.size - 1)
        priorities = self.tree.tree[idx + self.capacity]
        probs = priorities / self.tree.total
        weights = (self.size * probs) ** (-beta)
        weights /= weights.max()
        batch = dict(
            obs=self.obs[idx],
            act=self.act[idx],
            rew=self.rew[idx],
            next_obs=self.next_obs[idx],
            term=self.term[idx],
            weights=weights.astype(np.float32),
        )
        return idx, batch

    def update_priorities(self, idx, td_errors):
        prios = np.abs(td_errors) + self.eps
        self.max_priority = max(self.max_priority, prios.max())
        self.tree.update(idx, prios ** self.alpha)


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
class DuelingHead(layers.Layer):
    """Splits features into value & advantage streams and recombines them."""

    def __init__(self, num_actions, hidden=64, **kwargs):
        super().__init__(**kwargs)
        self.num_actions = num_actions
        self.hidden = hidden

    def build(self, input_shape):
        self.value_fc = layers.Dense(self.hidden, activation="relu", name="value_fc")
        self.value_out = layers.Dense(1, name="value")
        self.adv_fc = layers.Dense(self.hidden, activation="relu", name="adv_fc")
        self.adv_out = layers.Dense(self.num_actions, name="advantage")
        self.value_fc.build(input_shape)
        self.adv_fc.build(input_shape)
        self.value_out.build((input_shape[0], self.hidden))
        self.adv_out.build((input_shape[0], self.hidden))

    def call(self, features):
        v = self.value_out(self.value_fc(features))  # (B, 1)
        a = self.adv_out(self.adv_fc(features))  # (B, A)
        return v + (a - ops.mean(a, axis=-1, keepdims=True))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_actions)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(num_actions=self.num_actions, hidden=self.hidden)
        return cfg


def make_dueling_q(obs_dim, num_actions, hidden):
    obs = keras.Input((obs_dim,), name="obs")
    h = obs
    for units in hidden:
        h = layers.Dense(units, activation="relu")(h)
        h = layers.LayerNormalization()(h)
    q = DuelingHead(num_actions, hidden=hidden[-1], name="dueling")(h)
    return keras.Model(obs, q, name="dueling_q")


class DoubleDQNAgent:
    def __init__(self, obs_dim, num_actions, cfg):
        self.cfg = cfg
        self.num_actions = num_actions
        self.online = make_dueling_q(obs_dim, num_actions, cfg["hidden"])
        self.target = make_dueling_q(obs_dim, num_actions, cfg["hidden"])
        self.target.set_weights(self.online.get_weights())
        self.optimizer = keras.optimizers.Adam(cfg["lr"])

    def act(self, obs_batch, epsilon):
        """Batched epsilon-greedy over all envs at once."""
        q = self.online.predict_on_batch(obs_batch)  # (N, A)
        greedy = np.argmax(q, axis=1)
        random_actions = rng.integers(0, self.num_actions, size=len(obs_batch))
        explore = rng.random(len(obs_batch)) < epsilon
        return np.where(explore, random_actions, greedy)

    @tf.function(reduce_retracing=True)
    def _update(self, obs, act, rew, next_obs, term, weights):
        gamma = self.cfg["gamma"]
        # Double DQN: argmax with online net, evaluate with target net
        next_q_online = self.online(next_obs, training=False)
        next_actions = ops.argmax(next_q_online, axis=-1)
        next_q_target = self.target(next_obs, training=False)
        next_q = ops.take_along_axis(
            next_q_target, ops.expand_dims(next_actions, -1), axis=-1
        )[:, 0]
        target = rew + gamma * (1.0 - term) * next_q

        with tf.GradientTape() as tape:
            q = self.online(obs, training=True)
            q_sa = tf.gather(q, act, batch_dims=1)
            td = tf.stop_gradient(target) - q_sa
            # Huber per sample, weighted by IS correction
            abs_td = tf.abs(td)
            huber = tf.where(abs_td < 1.0, 0.5 * tf.square(td), abs_td - 0.5)
            loss = tf.reduce_mean(weights * huber)
        grads = tape.gradient(loss, self.online.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 10.0)
        self.optimizer.apply_gradients(zip(grads, self.online.trainable_variables))
        return loss, td

    def update(self, batch):
        loss, td = self._update(
            batch["obs"], batch["act"], batch["rew"],
            batch["next_obs"], batch["term"], batch["weights"],
        )
        return float(loss), td.numpy()

    def soft_update(self):
        tau = self.cfg["tau"]
        for t_var, o_var in zip(self.target.weights, self.online.weights):
            t_var.assign(tau * o_var + (1.0 - tau) * t_var)


def run(cfg):
    env = VecGridWorld(cfg["num_envs"], cfg["grid_size"], cfg["max_ep_len"], rng)
    agent = DoubleDQNAgent(env.obs_dim, env.num_actions, cfg)
    agent.online.summary()
    replay = PrioritizedReplay(
        cfg["buffer_capacity"], env.obs_dim, cfg["per_alpha"], cfg["per_eps"]
    )

    obs = env.reset()
    eps_start, eps_end = cfg["eps_greedy"]
    n_iters = cfg["iterations"]
    total_goals = 0
    for it in range(n_iters):
        frac = it / max(1, n_iters - 1)
        epsilon = eps_start + frac * (eps_end - eps_start)
        beta = cfg["per_beta_start"] + frac * (1.0 - cfg["per_beta_start"])

        actions = agent.act(obs, epsilon)
        next_obs, rew, term, dones, obs_after_reset = env.step(actions)
        replay.add_batch(obs, actions, rew, next_obs, term)
        total_goals += int(term.sum())
        obs = obs_after_reset

        if replay.size >= cfg["batch_size"]:
            for _ in range(cfg["updates_per_iter"]):
                idx, batch = replay.sample(cfg["batch_size"], beta)
                loss, td = agent.update(batch)
                replay.update_priorities(idx, td)
                agent.soft_update()

            if it % 30 == 0:
                print(
                    f"iter {it:3d} eps={epsilon:.2f} beta={beta:.2f} loss={loss:.4f} "
                    f"|td|={np.abs(td).mean():.3f} goals={total_goals} "
                    f"max_prio={replay.max_priority:.3f}"
                )

    probe = env.reset()[:4]
    print("Q-values for 4 probe states:\n", np.round(agent.online(probe).numpy(), 3))


if __name__ == "__main__":
    run(CONFIG)
