"""Pixel-based DQN on the "Catch" toy game with frame stacking and n-step returns.

Old-school Keras DQN tutorial style: a Sequential Nature-CNN (scaled down), targets
built in numpy via model.predict(...) then fitted with model.train_on_batch(...).
Frames are stored as uint8 in the replay buffer and rescaled inside the network.
"""
from collections import deque

import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

# --- config ------------------------------------------------------------------
GRID = 24          # rendered frame is GRID x GRID
STACK = 4          # frames stacked along the channel axis
N_ACTIONS = 3      # left, stay, right
N_STEP = 3
GAMMA = 0.95
BATCH_SIZE = 32
MEMORY = 3000
EPISODES = 15
TRAIN_EVERY = 4
TARGET_SYNC = 100  # env steps
EPS_MIN, EPS_DECAY = 0.1, 0.97
rs = np.random.RandomState(1)
keras.utils.set_random_seed(1)


class Catch:
    """A ball falls from the top; move the 3-pixel paddle to catch it."""

    def __init__(self, size=GRID):
        self.size = size

    def reset(self):
        self.ball_row = 0
        self.ball_col = rs.randint(0, self.size)
        self.ball_dx = rs.choice([-1, 0, 1])
        self.paddle = self.size // 2
        return self.render()

    def render(self):
        frame = np.zeros((self.size, self.size), dtype=np.uint8)
        frame[self.ball_row, self.ball_col] = 255
        lo, hi = max(0, self.paddle - 1), min(self.size, self.paddle + 2)
        frame[-1, lo:hi] = 255
        return frame

    def step(self, action):
        self.paddle = int(np.clip(self.paddle + (action - 1), 1, self.size - 2))
        self.ball_row += 1
        self.ball_col += self.ball_dx
        if self.ball_col <= 0 or self.ball_col >= self.size - 1:  # bounce off walls
            self.ball_dx *= -1
            self.ball_col = int(np.clip(self.ball_col, 0, self.size - 1))
        done = self.ball_row == self.size - 1
        reward = 0.0
        if done:
            reward = 1.0 if abs(self.ball_col - self.paddle) <= 1 else -1.0
        return self.render(), reward, done


class FrameStacker:
    def __init__(self, k):
        self.frames = deque(maxlen=k)

    def reset(self, frame):
        for _ in range(self.frames.maxlen):
            self.frames.append(frame)
        return self.state()

    def push(self, frame):
        self.frames.append(frame)
        return self.state()

    def state(self):
        return np.stack(self.frames, axis=-1)  # (H, W, k) uint8


def build_model():
    model = keras.Sequential(
        [
            keras.Input(shape=(GRID, GRID, STACK), dtype="uint8"),
            layers.Rescaling(1.0 / 255),
            layers.Conv2D(16, 5, strides=2, activation="relu"),
            layers.Conv2D(32, 3, strides=2, activation="relu"),
            layers.Conv2D(32, 3, strides=1, activation="relu"),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(N_ACTIONS, activation="linear"),
        ],
        name="catch_dqn",
    )
    model.compile(optimizer=keras.optimizers.Adam(2.5e-4), loss=keras.losses.Huber())
    return model


class NStepReplay:
    """Stores n-step transitions (s_t, a_t, R_t^(n), s_{t+n}, done, gamma^k)."""

    def __init__(self, capacity, n, gamma):
        self.s = np.zeros((capacity, GRID, GRID, STACK), np.uint8)
        self.s2 = np.zeros_like(self.s)
        self.a = np.zeros(capacity, np.int64)
        self.r = np.zeros(capacity, np.float32)
        self.d = np.zeros(capacity, np.float32)
        self.disc = np.zeros(capacity, np.float32)
        self.capacity, self.n, self.gamma = capacity, n, gamma
        self.pending = deque()
        self.i, self.full = 0, False

    def _write(self, s, a, R, s2, d, disc):
        j = self.i
        self.s[j], self.a[j], self.r[j], self.s2[j], self.d[j], self.disc[j] = s, a, R, s2, d, disc
        self.i = (self.i + 1) % self.capacity
        self.full = self.full or self.i == 0

    def _flush_one(self, s_last, done):
        R, disc = 0.0, 1.0
        for (_, _, r) in self.pending:
            R += disc * r
            disc *= self.gamma
        s0, a0, _ = self.pending.popleft()
        self._write(s0, a0, R, s_last, float(done), disc)

    def append(self, s, a, r, s2, done):
        self.pending.append((s, a, r))
        if len(self.pending) >= self.n:
            self._flush_one(s2, done)
        if done:
            while self.pending:
                self._flush_one(s2, True)

    def __len__(self):
        return self.capacity if self.full else self.i

    def sample(self, k):
        idx = rs.randint(0, len(self), size=k)
        return self.s[idx], self.a[idx], self.r[idx], self.s2[idx], self.d[idx], self.disc[idx]


def replay_train(model, target_model, memory):
    s, a, r, s2, d, disc = memory.sample(BATCH_SIZE)
    # predict_on_batch: model.predict() has far too much per-call overhead here
    q_next = target_model.predict_on_batch(s2)
    targets = model.predict_on_batch(s)
    td_target = r + (1.0 - d) * disc * q_next.max(axis=1)
    targets[np.arange(BATCH_SIZE), a] = td_target
    return model.train_on_batch(s, targets)


def main():
    model, target_model = build_model(), build_model()
    target_model.set_weights(model.get_weights())
    model.summary()

    env, stacker = Catch(), FrameStacker(STACK)
    memory = NStepReplay(MEMORY, N_STEP, GAMMA)
    epsilon, total_steps, wins = 1.0, 0, []

    for ep in range(EPISODES):
        state = stacker.reset(env.reset())
        done, loss = False, None
        while not done:
            if rs.rand() <= epsilon:
                action = rs.randint(N_ACTIONS)
            else:
                q = model(state[np.newaxis], training=False)
                action = int(np.argmax(q[0]))
            frame, reward, done = env.step(action)
            next_state = stacker.push(frame)
            memory.append(state, action, reward, next_state, done)
            state = next_state
            total_steps += 1

            if len(memory) > BATCH_SIZE and total_steps % TRAIN_EVERY == 0:
                loss = replay_train(model, target_model, memory)
            if total_steps % TARGET_SYNC == 0:
                target_model.set_weights(model.get_weights())

        wins.append(reward > 0)
        epsilon = max(EPS_MIN, epsilon * EPS_DECAY)
        if (ep + 1) % 5 == 0:
            print(f"episode {ep + 1:3d} | eps {epsilon:.3f} | win-rate(last 5) "
                  f"{np.mean(wins[-5:]):.2f} | loss {float(loss or 0.0):.4f}"
                  f" | replay {len(memory)}")

    # batched greedy evaluation across several independent games
    envs = [Catch() for _ in range(8)]
    stackers = [FrameStacker(STACK) for _ in envs]
    states = np.stack([st.reset(e.reset()) for e, st in zip(envs, stackers)])
    for _ in range(GRID - 1):
        actions = np.argmax(model.predict_on_batch(states), axis=1)
        results = [e.step(int(a)) for e, a in zip(envs, actions)]
        states = np.stack([st.push(f) for st, (f, _, _) in zip(stackers, results)])
    final_rewards = np.array([r for (_, r, _) in results])
    print("eval batch states:", states.shape, "rewards:", final_rewards)


if __name__ == "__main__":
    main()
