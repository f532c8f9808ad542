"""Dueling Double-DQN on pixel observations with prioritized experience replay.

A tiny 8x8 gridworld is rendered as a 3-channel image (agent / goal / walls),
frames are stacked along the channel axis, and a small conv net feeds a custom
DuelingHead layer:  Q(s, a) = V(s) + A(s, a) - mean_a A(s, a).
Target network is updated with Polyak averaging (soft updates).
"""
import numpy as np
import tensorflow as tf

GRID = 8
FRAME_STACK = 2
N_ACTIONS = 4  # up, down, left, right
MOVES = np.array([[-1, 0], [1, 0], [0, -1], [0, 1]])

hparams = dict(
    gamma=0.97,
    lr=5e-4,
    tau=0.01,
    batch_size=32,
    capacity=2048,
    alpha=0.6,          # PER prioritization exponent
    beta_start=0.4,     # importance-sampling exponent, annealed to 1
    total_steps=300,
    learn_start=64,
    eps_final=0.1,
)

np.random.seed(1)
tf.random.set_seed(1)


class GridWorldPixels:
    def __init__(self, size=GRID, max_steps=40):
        self.size, self.max_steps = size, max_steps
        self.walls = np.zeros((size, size), dtype=bool)
        self.walls[3, 1:6] = True

    def render(self):
        img = np.zeros((self.size, self.size, 3), dtype=np.float32)
        img[self.agent[0], self.agent[1], 0] = 1.0
        img[self.goal[0], self.goal[1], 1] = 1.0
        img[..., 2] = self.walls
        return img

    def reset(self):
        self.agent = np.array([0, 0])
        self.goal = np.array([self.size - 1, self.size - 1])
        self.t = 0
        self.frames = [self.render()] * FRAME_STACK
        return np.concatenate(self.frames, axis=-1)

    def step(self, action):
        nxt = np.clip(self.agent + MOVES[action], 0, self.size - 1)
        if not self.walls[nxt[0], nxt[1]]:
            self.agent = nxt
        self.t += 1
        reached = np.array_equal(self.agent, self.goal)
        reward = 1.0 if reached else -0.02
        done = reached or self.t >= self.max_steps
        self.frames = self.frames[1:] + [self.render()]
        return np.concatenate(self.frames, axis=-1), reward, done


class DuelingHead(tf.keras.layers.Layer):
    """Splits features into value and advantage streams and recombines them."""

    def __init__(self, n_actions, units=64, **kwargs):
        super().__init__(**kwargs)
        self.n_actions = n_actions
        self.units = units

    def build(self, input_shape):
        feat = input_shape[-1]
        self.v_hidden = tf.keras.layers.Dense(self.units, activation="relu")
        self.a_hidden = tf.keras.layers.Dense(self.units, activation="relu")
        self.v_out = tf.keras.layers.Dense(1)
        self.a_out = tf.keras.layers.Dense(self.n_actions)
        self.v_hidden.build((None, feat))
        self.a_hidden.build((None, feat))
        self.v_out.build((None, self.units))
        self.a_out.build((None, self.units))
        super().build(input_shape)

    def call(self, features):
        value = self.v_out(self.v_hidden(features))          # (B, 1)
        adv = self.a_out(self.a_hidden(features))            # (B, A)
        adv_centered = adv - tf.reduce_mean(adv, axis=1, keepdims=True)
        return value + adv_centered                          # broadcast -> (B, A)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n_actions)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(n_actions=self.n_actions, units=self.units)
        return cfg


def build_dueling_qnet(name):
    inp = tf.keras.Input(shape=(GRID, GRID, 3 * FRAME_STACK))
    x = tf.keras.layers.Conv2D(16, 3, padding="same", activation="relu")(inp)
    x = tf.keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(x)
    x = tf.keras.layers.Flatten()(x)                          # 4*4*32 = 512
    q = DuelingHead(N_ACTIONS, name="dueling")(x)
    return tf.keras.Model(inp, q, name=name)


class PrioritizedReplay:
    """Proportional PER with a flat numpy priority array (fine for small buffers)."""

    def __init__(self, capacity, obs_shape, alpha):
        self.capacity, self.alpha = capacity, alpha
        self.obs = np.zeros((capacity,) + obs_shape, dtype=np.float32)
        self.next_obs = np.zeros_like(self.obs)
        self.actions = np.zeros(capacity, dtype=np.int32)
        self.rewards = np.zeros(capacity, dtype=np.float32)
        self.dones = np.zeros(capacity, dtype=np.float32)
        self.priorities = np.zeros(capacity, dtype=np.float32)
        self.ptr, self.size = 0, 0

    def add(self, o, a, r, o2, d):
        max_p = self.priorities[:self.size].max() if self.size else 1.0
        i = self.ptr
        self.obs[i], self.actions[i], self.rewards[i] = o, a, r
        self.next_obs[i], self.dones[i] = o2, d
        self.priorities[i] = max_p
        self.ptr = (self.ptr + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size, beta):
        p = self.priorities[:self.size] ** self.alpha
        p /= p.sum()
        idx = np.random.choice(self.size, batch_size, p=p)
        weights = (self.size * p[idx]) ** (-beta)
        weights /= weights.max()
        return idx, (self.obs[idx], self.actions[idx], self.rewards[idx],
                     self.next_obs[idx], self.dones[idx], weights.astype(np.float32))

    def update_priorities(self, idx, td_errors):
        self.priorities[idx] = np.abs(td_errors) + 1e-6


online = build_dueling_qnet("online")
target = build_dueling_qnet("target")
target.set_weights(online.get_weights())
opt = tf.keras.optimizers.Adam(hparams["lr"], clipnorm=10.0)
online.summary(line_length=90)


@tf.function
def learn(obs, actions, rewards, next_obs, dones, is_weights):
    # Double DQN target
    best_next = tf.argmax(online(next_obs), axis=-1, output_type=tf.int32)
    idx = tf.stack([tf.range(tf.shape(best_next)[0]), best_next], axis=1)
    q_next = tf.gather_nd(target(next_obs), idx)
    y = rewards + hparams["gamma"] * (1.0 - dones) * q_next
    with tf.GradientTape() as tape:
        q = online(obs, training=True)
        q_sa = tf.gather_nd(q, tf.stack([tf.range(tf.shape(actions)[0]), actions], axis=1))
        td = tf.stop_gradient(y) - q_sa
        # importance-weighted Huber loss
        elementwise = tf.keras.losses.huber(td[:, None], tf.zeros_like(td)[:, None])
        loss = tf.reduce_mean(is_weights * elementwise)
    grads = tape.gradient(loss, online.trainable_variables)
    opt.apply_gradients(zip(grads, online.trainable_variables))
    return loss, td


@tf.function
def soft_update(tau):
    for t_var, o_var in zip(target.weights, online.weights):
        t_var.assign(tau * o_var + (1.0 - tau) * t_var)


def main():
    env = GridWorldPixels()
    obs_shape = (GRID, GRID, 3 * FRAME_STACK)
    replay = PrioritizedReplay(hparams["capacity"], obs_shape, hparams["alpha"])
    obs = env.reset()
    ep_ret, ep_count, losses = 0.0, 0, []
    for step in range(hparams["total_steps"]):
        frac = step / hparams["total_steps"]
        eps = max(hparams["eps_final"], 1.0 - 1.5 * frac)
        beta = hparams["beta_start"] + frac * (1.0 - hparams["beta_start"])
        if np.random.rand() < eps:
            action = np.random.randint(N_ACTIONS)
        else:
            action = int(tf.argmax(online(obs[np.newaxis]), axis=-1)[0])
        next_obs, r, done = env.step(action)
        replay.add(obs, action, r, next_obs, float(done))
        obs, ep_ret = next_obs, ep_ret + r

        if replay.size >= hparams["learn_start"]:
            idx, batch = replay.sample(hparams["batch_size"], beta)
            loss, td = learn(*batch)
            replay.update_priorities(idx, td.numpy())
            soft_update(tf.constant(hparams["tau"]))
            losses.append(float(loss))

        if done:
            ep_count += 1
            print(f"episode {ep_count:2d} step {step:3d} return {ep_ret:+.2f} eps {eps:.2f} "
                  f"loss {np.mean(losses[-20:]) if losses else 0:.4f}")
            obs, ep_ret = env.reset(), 0.0

    q0 = online(env.reset()[None]).numpy()
    print("Q-values at start state:", q0.round(3), "shape", q0.shape)
    print("max priority:", replay.priorities[:replay.size].max().round(4))


if __name__ == "__main__":
    main()
