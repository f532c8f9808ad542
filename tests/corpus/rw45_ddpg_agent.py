"""DDPG (Lillicrap et al. 2015) on a 2-D point-mass reaching task.

Critic is a two-input functional model: the state goes through one dense layer,
then gets concatenated with the action (as in the original paper) before the
Q head. Exploration uses Ornstein-Uhlenbeck noise; targets are Polyak-averaged.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


class PointMassReach:
    """Agent at p in [-1,1]^2 with velocity v; action = acceleration in [-1,1]^2."""
    obs_dim = 6  # pos(2), vel(2), goal(2)
    act_dim = 2

    def __init__(self, horizon=40, seed=0):
        self.horizon = horizon
        self.rng = np.random.default_rng(seed)

    def reset(self):
        self.pos = self.rng.uniform(-1, 1, 2)
        self.vel = np.zeros(2)
        self.goal = self.rng.uniform(-1, 1, 2)
        self.t = 0
        return self._obs()

    def _obs(self):
        return np.concatenate([self.pos, self.vel, self.goal]).astype(np.float32)

    def step(self, action):
        a = np.clip(action, -1.0, 1.0)
        self.vel = 0.9 * self.vel + 0.1 * a
        self.pos = np.clip(self.pos + 0.1 * self.vel, -1.0, 1.0)
        self.t += 1
        dist = np.linalg.norm(self.pos - self.goal)
        reward = -dist - 0.01 * np.square(a).sum()
        done = self.t >= self.horizon
        return self._obs(), float(reward), done


class OUNoise:
    def __init__(self, size, mu=0.0, theta=0.15, sigma=0.2, dt=1e-2):
        self.mu, self.theta, self.sigma, self.dt = mu, theta, sigma, dt
        self.size = size
        self.reset()

    def reset(self):
        self.x = np.full(self.size, self.mu, dtype=np.float32)

    def __call__(self):
        dx = self.theta * (self.mu - self.x) * self.dt + \
            self.sigma * np.sqrt(self.dt) * np.random.normal(size=self.size)
        self.x = self.x + dx
        return self.x.astype(np.float32)


class Buffer:
    def __init__(self, obs_dim, act_dim, capacity=10_000, batch_size=64):
        self.capacity, self.batch_size = capacity, batch_size
        self.counter = 0
        self.state_buffer = np.zeros((capacity, obs_dim), np.float32)
        self.action_buffer = np.zeros((capacity, act_dim), np.float32)
        self.reward_buffer = np.zeros((capacity, 1), np.float32)
        self.next_state_buffer = np.zeros((capacity, obs_dim), np.float32)
        self.done_buffer = np.zeros((capacity, 1), np.float32)

    def record(self, obs_tuple):
        index = self.counter % self.capacity
        s, a, r, s2, d = obs_tuple
        self.state_buffer[index] = s
        self.action_buffer[index] = a
        self.reward_buffer[index] = r
        self.next_state_buffer[index] = s2
        self.done_buffer[index] = d
        self.counter += 1

    def sample(self):
        record_range = min(self.counter, self.capacity)
        batch_indices = np.random.choice(record_range, self.batch_size)
        return tuple(
            tf.convert_to_tensor(buf[batch_indices])
            for buf in (self.state_buffer, self.action_buffer, self.reward_buffer,
                        self.next_state_buffer, self.done_buffer)
        )


def get_actor(obs_dim, act_dim, upper_bound=1.0):
    last_init = keras.initializers.RandomUniform(minval=-3e-3, maxval=3e-3)
    inputs = layers.Input(shape=(obs_dim,))
    out = layers.Dense(128, activation="relu")(inputs)
    out = layers.LayerNormalization()(out)
    out = layers.Dense(128, activation="relu")(out)
    outputs = layers.Dense(act_dim, activation="tanh", kernel_initializer=last_init)(out)
    outputs = outputs * upper_bound
    return keras.Model(inputs, outputs, name="actor")


def get_critic(obs_dim, act_dim):
    state_input = layers.Input(shape=(obs_dim,), name="state")
    state_out = layers.Dense(64, activation="relu")(state_input)

    action_input = layers.Input(shape=(act_dim,), name="action")
    action_out = layers.Dense(32, activation="relu")(action_input)

    concat = layers.Concatenate(axis=-1)([state_out, action_out])  # (B, 96)
    out = layers.Dense(128, activation="relu")(concat)
    out = layers.Dense(128, activation="relu")(out)
    q = layers.Dense(1)(out)
    return keras.Model([state_input, action_input], q, name="critic")


class DDPGAgent:
    def __init__(self, obs_dim, act_dim, gamma=0.99, tau=0.005,
                 actor_lr=1e-3, critic_lr=2e-3):
        self.gamma, self.tau = gamma, tau
        self.actor = get_actor(obs_dim, act_dim)
        self.critic = get_critic(obs_dim, act_dim)
        self.target_actor = get_actor(obs_dim, act_dim)
        self.target_critic = get_critic(obs_dim, act_dim)
        self.target_actor.set_weights(self.actor.get_weights())
        self.target_critic.set_weights(self.critic.get_weights())
        self.actor_opt = keras.optimizers.Adam(actor_lr)
        self.critic_opt = keras.optimizers.Adam(critic_lr)
        self.noise = OUNoise(act_dim, sigma=0.3)

    def policy(self, state, explore=True):
        action = self.actor(tf.expand_dims(state, 0))[0].numpy()
        if explore:
            action = action + self.noise()
        return np.clip(action, -1.0, 1.0)

    @tf.function
    def update(self, states, actions, rewards, next_states, dones):
        with tf.GradientTape() as tape:
            target_actions = self.target_actor(next_states, training=True)
            y = rewards + self.gamma * (1.0 - dones) * self.target_critic(
                [next_states, target_actions], training=True)
            critic_value = self.critic([states, actions], training=True)
            critic_loss = tf.math.reduce_mean(tf.math.square(y - critic_value))
        critic_grad = tape.gradient(critic_loss, self.critic.trainable_variables)
        self.critic_opt.apply_gradients(zip(critic_grad, self.critic.trainable_variables))

        with tf.GradientTape() as tape:
            new_actions = self.actor(states, training=True)
            q = self.critic([states, new_actions], training=True)
            # maximise Q  <=>  minimise -Q
            actor_loss = -tf.math.reduce_mean(q)
        actor_grad = tape.gradient(actor_loss, self.actor.trainable_variables)
        self.actor_opt.apply_gradients(zip(actor_grad, self.actor.trainable_variables))
        return critic_loss, actor_loss

    @tf.function
    def update_targets(self):
        # Keras 3 variables get converted to tensors when passed as tf.function
        # args, so read them off the models inside the traced function instead.
        pairs = [(self.target_actor, self.actor), (self.target_critic, self.critic)]
        for target_model, model in pairs:
            for a, b in zip(target_model.variables, model.variables):
                a.assign(b * self.tau + a * (1 - self.tau))


def main(total_episodes=5, warmup=128):
    env = PointMassReach()
    agent = DDPGAgent(env.obs_dim, env.act_dim)
    buffer = Buffer(env.obs_dim, env.act_dim, batch_size=64)
    agent.critic.summary()

    ep_reward_list = []
    for ep in range(total_episodes):
        prev_state = env.reset()
        agent.noise.reset()
        episodic_reward = 0.0
        closs = aloss = np.nan
        while True:
            action = agent.policy(tf.convert_to_tensor(prev_state))
            state, reward, done = env.step(action)
            buffer.record((prev_state, action, reward, state, float(done)))
            episodic_reward += reward

            if buffer.counter >= warmup:
                closs, aloss = agent.update(*buffer.sample())
                agent.update_targets()

            if done:
                break
            prev_state = state

        ep_reward_list.append(episodic_reward)
        print(f"Episode {ep}: reward {episodic_reward:8.2f}  avg(5) {np.mean(ep_reward_list[-5:]):8.2f}"
              f"  critic_loss {float(closs):.4f}  actor_loss {float(aloss):.4f}")

    # Deterministic evaluation rollout
    s, total = env.reset(), 0.0
    for _ in range(env.horizon):
        s, r, d = env.step(agent.policy(s, explore=False))
        total += r
    print("eval return (no noise):", round(total, 2))


if __name__ == "__main__":
    main()
