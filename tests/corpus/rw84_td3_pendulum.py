"""TD3 (Twin Delayed DDPG) on a numpy re-implementation of Pendulum-v1.

Actor: tanh-squashed deterministic policy scaled to the action bound.
Critic: twin Q heads, each taking concat([state, action]).
Tricks from Fujimoto et al. 2018: clipped double-Q, target policy smoothing,
delayed actor + target updates. Target nets are updated with Polyak averaging.
"""
import numpy as np
import tensorflow as tf

keras = tf.keras
L = tf.keras.layers

SEED = 11
OBS_DIM, ACT_DIM, ACT_BOUND = 3, 1, 2.0
GAMMA, TAU = 0.99, 0.005
ACTOR_LR, CRITIC_LR = 1e-3, 1e-3
BATCH = 64
REPLAY_CAP = 20_000
START_STEPS = 200
TOTAL_STEPS = 600
POLICY_DELAY = 2
EXPL_NOISE = 0.1
TARGET_NOISE, NOISE_CLIP = 0.2, 0.5
EPISODE_LEN = 150

np.random.seed(SEED)
tf.random.set_seed(SEED)


def angle_normalize(x):
    return ((x + np.pi) % (2 * np.pi)) - np.pi


class Pendulum:
    max_speed, max_torque, dt, g, m, l = 8.0, 2.0, 0.05, 10.0, 1.0, 1.0

    def reset(self):
        self.th = np.random.uniform(-np.pi, np.pi)
        self.thdot = np.random.uniform(-1, 1)
        self.steps = 0
        return self._obs()

    def _obs(self):
        return np.array([np.cos(self.th), np.sin(self.th), self.thdot], dtype=np.float32)

    def step(self, u):
        u = float(np.clip(u, -self.max_torque, self.max_torque)[0])
        cost = angle_normalize(self.th) ** 2 + 0.1 * self.thdot ** 2 + 0.001 * u ** 2
        newthdot = self.thdot + (3 * self.g / (2 * self.l) * np.sin(self.th)
                                 + 3.0 / (self.m * self.l ** 2) * u) * self.dt
        self.thdot = np.clip(newthdot, -self.max_speed, self.max_speed)
        self.th = self.th + self.thdot * self.dt
        self.steps += 1
        return self._obs(), -cost, self.steps >= EPISODE_LEN


def mlp_actor():
    s = L.Input((OBS_DIM,))
    h = L.Dense(128, activation="relu")(s)
    h = L.Dense(128, activation="relu")(h)
    # final layer initialised small so initial actions are near zero
    a = L.Dense(ACT_DIM, activation="tanh",
                kernel_initializer=keras.initializers.RandomUniform(-3e-3, 3e-3))(h)
    a = L.Rescaling(ACT_BOUND)(a)
    return keras.Model(s, a, name="actor")


def twin_critic():
    s = L.Input((OBS_DIM,), name="state")
    a = L.Input((ACT_DIM,), name="action")
    sa = L.Concatenate(axis=-1)([s, a])

    def q_head(prefix):
        h = L.Dense(128, activation="relu", name=f"{prefix}_fc1")(sa)
        h = L.Dense(128, activation="relu", name=f"{prefix}_fc2")(h)
        return L.Dense(1, name=f"{prefix}_out")(h)

    return keras.Model([s, a], [q_head("q1"), q_head("q2")], name="twin_critic")


actor, actor_targ = mlp_actor(), mlp_actor()
critic, critic_targ = twin_critic(), twin_critic()
actor_targ.set_weights(actor.get_weights())
critic_targ.set_weights(critic.get_weights())
actor_opt = keras.optimizers.Adam(ACTOR_LR)
critic_opt = keras.optimizers.Adam(CRITIC_LR)
critic.summary()


# numpy replay as a dict of arrays
replay = {
    "s": np.zeros((REPLAY_CAP, OBS_DIM), np.float32),
    "a": np.zeros((REPLAY_CAP, ACT_DIM), np.float32),
    "r": np.zeros((REPLAY_CAP, 1), np.float32),
    "s2": np.zeros((REPLAY_CAP, OBS_DIM), np.float32),
    "d": np.zeros((REPLAY_CAP, 1), np.float32),
}
replay_ptr, replay_size = 0, 0


def store(s, a, r, s2, d):
    global replay_ptr, replay_size
    for key, val in zip(("s", "a", "r", "s2", "d"), (s, a, r, s2, d)):
        replay[key][replay_ptr] = val
    replay_ptr = (replay_ptr + 1) % REPLAY_CAP
    replay_size = min(replay_size + 1, REPLAY_CAP)


def sample_batch(n):
    idx = np.random.randint(0, replay_size, size=n)
    return tuple(tf.constant(replay[k][idx]) for k in ("s", "a", "r", "s2", "d"))


@tf.function
def update_targets():
    # Polyak averaging; closes over the models (passing keras Variables as
    # tf.function args would turn them into plain tensors)
    for target, source in ((actor_targ, actor), (critic_targ, critic)):
        for t_var, s_var in zip(target.trainable_variables, source.trainable_variables):
            t_var.assign(t_var * (1.0 - TAU) + s_var * TAU)


@tf.function
def update_critic(s, a, r, s2, d):
    # target policy smoothing
    noise = tf.clip_by_value(
        tf.random.normal(tf.shape(a), stddev=TARGET_NOISE), -NOISE_CLIP, NOISE_CLIP
    )
    a2 = tf.clip_by_value(actor_targ(s2) + noise, -ACT_BOUND, ACT_BOUND)
    q1_t, q2_t = critic_targ([s2, a2])
    y = r + GAMMA * (1.0 - d) * tf.minimum(q1_t, q2_t)

    with tf.GradientTape() as tape:
        q1, q2 = critic([s, a], training=True)
        loss = tf.reduce_mean((q1 - y) ** 2) + tf.reduce_mean((q2 - y) ** 2)
    grads = tape.gradient(loss, critic.trainable_variables)
    critic_opt.apply_gradients(zip(grads, critic.trainable_variables))
    return loss, tf.reduce_mean(q1)


@tf.function
def update_actor(s):
    with tf.GradientTape() as tape:
        q1, _ = critic([s, actor(s, training=True)])
        loss = -tf.reduce_mean(q1)
    grads = tape.gradient(loss, actor.trainable_variables)
    actor_opt.apply_gradients(zip(grads, actor.trainable_variables))
    return loss


def select_action(obs, noise_scale):
    a = actor(obs[None], training=False).numpy()[0]
    a += noise_scale * ACT_BOUND * np.random.randn(ACT_DIM)
    return np.clip(a, -ACT_BOUND, ACT_BOUND).astype(np.float32)


env = Pendulum()
obs, ep_ret, ep_rets = env.reset(), 0.0, []
critic_losses, actor_losses = [], []

for t in range(TOTAL_STEPS):
    if t < START_STEPS:
        act = np.random.uniform(-ACT_BOUND, ACT_BOUND, size=ACT_DIM).astype(np.float32)
    else:
        act = select_action(obs, EXPL_NOISE)

    obs2, rew, done = env.step(act)
    # time-limit truncation is not a true terminal -> store d=0
    store(obs, act, rew, obs2, 0.0)
    obs = obs2
    ep_ret += rew

    if done:
        ep_rets.append(ep_ret)
        print(f"t={t+1:5d} episode {len(ep_rets)} return {ep_ret:8.1f}")
        obs, ep_ret = env.reset(), 0.0

    if t >= START_STEPS:
        batch = sample_batch(BATCH)
        c_loss, mean_q = update_critic(*batch)
        critic_losses.append(float(c_loss))
        if t % POLICY_DELAY == 0:
            actor_losses.append(float(update_actor(batch[0])))
            update_targets()

print(f"critic loss (last 100): {np.mean(critic_losses[-100:]):.3f}")
print(f"actor loss  (last 50):  {np.mean(actor_losses[-50:]):.3f}")
test_obs = np.stack([env.reset() for _ in range(5)])
print("batched greedy actions:", actor(test_obs).numpy().ravel().round(3))
