"""Patch-based 3-D training + Gaussian-weighted sliding-window inference.

Typical workflow for CT organ segmentation where full volumes don't fit
through the network: train on random patches, then at test time tile the
whole volume with overlapping windows, weight each window's softmax with a
Gaussian importance map (to down-weight patch borders), average, and argmax.
Mirror-flip test-time augmentation and per-class Dice/volume evaluation
are included.
"""
import itertools
import time

import numpy as np
import tensorflow as tf

keras = tf.keras
L = tf.keras.layers

PATCH = (16, 32, 32)          # (D, H, W)
VOLUME = (24, 48, 48)
OVERLAP = 0.5
NUM_CLASSES = 3               # bg, liver, tumour
TRAIN_STEPS = 5
BATCH = 4
INFER_BATCH = 8
SEED = 3


def synth_ct(shape, rng):
    d, h, w = shape
    z, y, x = np.meshgrid(np.arange(d), np.arange(h), np.arange(w), indexing="ij")
    liver_c = np.array([d / 2, h / 2 + rng.uniform(-5, 5), w / 2 + rng.uniform(-5, 5)])
    liver = (((z - liver_c[0]) / (d / 3)) ** 2 + ((y - liver_c[1]) / (h / 3)) ** 2
             + ((x - liver_c[2]) / (w / 3)) ** 2) < 1
    tum_c = liver_c + rng.uniform(-4, 4, 3)
    tumour = ((z - tum_c[0]) ** 2 + (y - tum_c[1]) ** 2 + (x - tum_c[2]) ** 2) < 16
    lab = np.zeros(shape, np.int32)
    lab[liver] = 1
    lab[tumour & liver] = 2
    hu = rng.normal(-50, 20, shape)          # soft tissue-ish background
    hu[liver] = rng.normal(60, 10, liver.sum())
    hu[lab == 2] = rng.normal(20, 10, (lab == 2).sum())
    return hu.astype(np.float32), lab


def window_ct(hu, level=40, width=400):
    lo, hi = level - width / 2, level + width / 2
    return (np.clip(hu, lo, hi) - lo) / (hi - lo)


def random_patch_generator(volumes, labels, rng):
    while True:
        i = rng.integers(len(volumes))
        v, l = volumes[i], labels[i]
        start = [rng.integers(0, s - p + 1) for s, p in zip(v.shape, PATCH)]
        sl = tuple(slice(s, s + p) for s, p in zip(start, PATCH))
        yield v[sl][..., None], l[sl]


def build_model():
    inp = L.Input((*PATCH, 1))
    e1 = L.Conv3D(8, 3, padding="same", activation="relu")(inp)
    e2 = L.Conv3D(16, 3, strides=2, padding="same", activation="relu")(e1)
    e3 = L.Conv3D(32, 3, strides=2, padding="same", activation="relu")(e2)
    d2 = L.Conv3DTranspose(16, 2, strides=2, padding="same")(e3)
    d2 = L.Conv3D(16, 3, padding="same", activation="relu")(L.concatenate([d2, e2]))
    d1 = L.Conv3DTranspose(8, 2, strides=2, padding="same")(d2)
    d1 = L.Conv3D(8, 3, padding="same", activation="relu")(L.concatenate([d1, e1]))
    out = L.Conv3D(NUM_CLASSES, 1, activation="softmax")(d1)
    return keras.Model(inp, out, name="patch_unet3d")


def sparse_dice_ce(y_true, y_pred):
    y_true = tf.cast(tf.squeeze(y_true, -1) if y_true.shape.rank == 5 else y_true, tf.int32)
    oh = tf.one_hot(y_true, NUM_CLASSES)
    inter = tf.reduce_sum(oh * y_pred, axis=[0, 1, 2, 3])
    denom = tf.reduce_sum(oh + y_pred, axis=[0, 1, 2, 3])
    dice = (2 * inter + 1e-5) / (denom + 1e-5)
    ce = keras.losses.sparse_categorical_crossentropy(y_true, y_pred)
    return tf.reduce_mean(ce) + 1.0 - tf.reduce_mean(dice)


class SlidingWindowPredictor:
    def __init__(self, model, patch_size, overlap=0.5, sigma_scale=0.125, batch_size=8,
                 tta_flips=((), (0,), (2,))):
        self.model = model
        self.patch = np.array(patch_size)
        self.step = np.maximum((self.patch * (1 - overlap)).astype(int), 1)
        self.batch_size = batch_size
        self.tta_flips = tta_flips
        self.importance = self._gaussian_map(sigma_scale)

    def _gaussian_map(self, sigma_scale):
        centre = (self.patch - 1) / 2.0
        sigmas = self.patch * sigma_scale
        grids = np.meshgrid(*[np.arange(p) for p in self.patch], indexing="ij")
        g = np.exp(-sum(((gr - c) ** 2) / (2 * s ** 2) for gr, c, s in zip(grids, centre, sigmas)))
        g = g / g.max()
        g[g == 0] = g[g > 0].min()  # avoid zeros -> NaN after normalisation
        return g.astype(np.float32)

    def _starts(self, dim, p, s):
        starts = list(range(0, max(dim - p, 0) + 1, s))
        if starts[-1] + p < dim:
            starts.append(dim - p)  # make sure the last window touches the border
        return starts

    def _predict_batch(self, batch):
        x = tf.convert_to_tensor(batch[..., None])
        acc = tf.zeros((*batch.shape, NUM_CLASSES))
        for axes in self.tta_flips:
            spatial = [a + 1 for a in axes]
            xf = tf.reverse(x, spatial) if axes else x
            pf = self.model(xf, training=False)
            acc += tf.reverse(pf, spatial) if axes else pf
        return (acc / len(self.tta_flips)).numpy()

    def __call__(self, volume):
        out = np.zeros((*volume.shape, NUM_CLASSES), np.float32)
        norm = np.zeros(volume.shape, np.float32)
        coords = list(itertools.product(*[self._starts(d, p, s)
                                          for d, p, s in zip(volume.shape, self.patch, self.step)]))
        for b in range(0, len(coords), self.batch_size):
            chunk = coords[b:b + self.batch_size]
            slices = [tuple(slice(c, c + p) for c, p in zip(cs, self.patch)) for cs in chunk]
            probs = self._predict_batch(np.stack([volume[sl] for sl in slices]))
            for sl, pr in zip(slices, probs):
                out[sl] += pr * self.importance[..., None]
                norm[sl] += self.importance
        print(f"  {len(coords)} windows, step={self.step.tolist()}")
        return out / norm[..., None]


def dice_per_class(gt, pred, n_classes):
    scores = {}
    for c in range(1, n_classes):
        g, p = gt == c, pred == c
        denom = g.sum() + p.sum()
        scores[c] = float(2 * (g & p).sum() / denom) if denom > 0 else float("nan")
    return scores


def main():
    rng = np.random.default_rng(SEED)
    tf.random.set_seed(SEED)
    cases = [synth_ct(VOLUME, rng) for _ in range(4)]
    vols = [window_ct(hu) for hu, _ in cases]
    labs = [lab for _, lab in cases]

    ds = tf.data.Dataset.from_generator(
        lambda: random_patch_generator(vols[:3], labs[:3], rng),
        output_signature=(tf.TensorSpec((*PATCH, 1), tf.float32), tf.TensorSpec(PATCH, tf.int32)),
    ).batch(BATCH).prefetch(2)

    model = build_model()
    model.compile(keras.optimizers.Adam(1e-3), loss=sparse_dice_ce)
    model.fit(ds, steps_per_epoch=TRAIN_STEPS, epochs=1, verbose=2)

    predictor = SlidingWindowPredictor(model, PATCH, overlap=OVERLAP, batch_size=INFER_BATCH)
    print("importance map:", predictor.importance.shape,
          f"min={predictor.importance.min():.3f}")
    t0 = time.time()
    probs = predictor(vols[3])
    seg = probs.argmax(-1)
    print(f"inference on {vols[3].shape} took {time.time() - t0:.1f}s -> {seg.shape}")
    print("probabilities sum to 1:", np.allclose(probs.sum(-1), 1.0, atol=1e-4))

    gt = labs[3]
    names = {1: "liver", 2: "tumour"}
    for c, d in dice_per_class(gt, seg, NUM_CLASSES).items():
        vol_err = (seg == c).sum() - (gt == c).sum()
        print(f"  {names[c]:7s} dice={d:.3f}  voxel-count error={vol_err:+d}")


if __name__ == "__main__":
    main()
