"""Committed records of what real TensorFlow did with the corpus scripts and their mutants.

Running all of ``tests/corpus/`` and the sampled mutants under TensorFlow takes hours on two
cores, longer than a CI run may last. So the TF side of the corpus and mutation oracles is
recorded in ``tests/records/*.jsonl`` (one JSON object per line, sorted, one line per script or
mutant), each entry keyed by a hash of the exact text it was observed on, the recorder's
version and the TensorFlow release series. A test then:

- uses the record whose key matches the text it is about to judge (a changed script or a new
  mutant has no matching record and is run under TF live, as before);
- re-runs a sample of the recorded entries under live TensorFlow and requires the very same
  observations (``live_sample``; the sample rotates daily, ``SHAPELENS_LIVE_SEED`` pins it and
  ``SHAPELENS_LIVE_SAMPLE`` sizes it), so a record that no longer matches what TF does fails
  the suite instead of quietly judging the engine.

``SHAPELENS_ORACLE_LIVE=1`` ignores every record (everything not in the local cache runs
live: hours on a cold cache);
``scripts/write_records.py`` rewrites the records from a full live run's local cache.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import os
import random
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
RECORDS_DIR = REPO / "tests" / "records"
CORPUS_RECORDS = RECORDS_DIR / "corpus_tf.jsonl"
MUTANT_RECORDS = RECORDS_DIR / "mutants_tf.jsonl"
DEFAULT_SAMPLE = 40


@functools.cache
def tf_series() -> str:
    """The installed TensorFlow release series ("2.21"); records of another series are not used."""
    from importlib import metadata

    for dist in ("tensorflow", "tensorflow-cpu"):
        try:
            return ".".join(metadata.version(dist).split(".")[:2])
        except metadata.PackageNotFoundError:
            continue
    return "none"


def record_key(kind: str, version: str, text: bytes) -> str:
    """The key of an observation: what was run (``text``), by which recorder, under which TF."""
    h = hashlib.sha256()
    h.update(f"{kind};{version};tf={tf_series()};".encode())
    h.update(text)
    return h.hexdigest()[:32]


def live_only() -> bool:
    return os.environ.get("SHAPELENS_ORACLE_LIVE", "") not in ("", "0")


class Records:
    """One records file: ``key -> entry`` (entries are plain JSON objects that carry their key)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, dict[str, Any]] | None = None

    def _load(self) -> dict[str, dict[str, Any]]:
        if self._entries is None:
            self._entries = {}
            if self.path.is_file():
                for line in self.path.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        entry = json.loads(line)
                        self._entries[entry["key"]] = entry
        return self._entries

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry recorded under ``key`` (None when absent, or when records are switched off)."""
        if live_only():
            return None
        return self._load().get(key)

    def keys(self) -> set[str]:
        return set(self._load())

    def write(self, entries: Iterable[dict[str, Any]], sort_by: str) -> int:
        """Replace the file with these entries (each must carry ``key`` and ``sort_by``)."""
        rows = sorted(entries, key=lambda e: (str(e[sort_by]), e["key"]))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = "".join(json.dumps(e, sort_keys=True, separators=(",", ":")) + "\n" for e in rows)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(self.path)
        self._entries = {e["key"]: e for e in rows}
        return len(rows)


def sample_seed() -> int:
    """``SHAPELENS_LIVE_SEED`` if set, else today's date (so successive CI runs check others)."""
    raw = os.environ.get("SHAPELENS_LIVE_SEED", "").strip()
    if raw:
        return int(raw)
    return datetime.date.today().toordinal()


def sample_size(default: int = DEFAULT_SAMPLE) -> int:
    raw = os.environ.get("SHAPELENS_LIVE_SAMPLE", "").strip()
    return max(0, int(raw)) if raw else default


def live_check_sample(items: Sequence[Any], what: str, size: int) -> tuple[list[Any], int]:
    """The recorded items a test re-runs under live TF today, and the seed that picked them."""
    seed = sample_seed()
    picked = live_sample(items, size, seed)
    print(f"\nre-running {len(picked)} recorded {what} under TF (SHAPELENS_LIVE_SEED={seed})")
    return picked, seed


def live_sample(items: Sequence[Any], size: int, seed: int) -> list[Any]:
    """A reproducible random pick of ``size`` items (all of them if there are fewer)."""
    if size >= len(items):
        return list(items)
    return random.Random(seed).sample(list(items), size)
