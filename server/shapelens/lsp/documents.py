"""One analysis per document version, computed off the event loop.

Every open text document and every open notebook is a *unit*. Each change bumps the unit's
generation and (re)starts a short debounce timer; when it fires, the unit's current text is
analysed in a single worker thread, so the event loop keeps answering requests while the engine
runs. A run whose generation is no longer current when it starts is skipped; a run that finishes
after a newer change is ignored (its positions no longer match) and a fresh one starts.
Requests wait (briefly) for the analysis of the current generation and otherwise answer from
the latest one they have.
"""

from __future__ import annotations

import asyncio
import functools
import queue
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..core.analysis import Analysis, analyze_source
from ..core.facts import Issue, Span
from .convert import Locator
from .uses import NameIndex

DEBOUNCE_S = 0.15
REQUEST_WAIT_S = 1.5
WORKER_STACK_BYTES = 256 * 1024 * 1024
INLINE_NAMES_CHARS = 50_000
T = TypeVar("T")


@dataclass(frozen=True)
class Source:
    """What one run analyses: taken from the workspace on the event loop, used in the worker."""

    key: str
    path: str
    text: str
    version: int | None
    make_locator: Callable[[], Locator]
    max_bytes: int
    versions: Mapping[str, int | None] = field(default_factory=dict)  # per published URI
    display_text: str | None = None  # what the user sees, when it differs from ``text`` (notebooks)
    layout: Sequence[Any] = ()  # a notebook's cells (CellLayout), in order

    @property
    def display(self) -> str:
        return self.text if self.display_text is None else self.display_text


@dataclass
class Snapshot:
    key: str
    generation: int
    version: int | None
    analysis: Analysis
    locator: Locator
    source: Source
    seconds: float = 0.0
    error: str | None = None  # the traceback, when the engine raised
    _names: NameIndex | None = field(default=None, repr=False)
    _names_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def names(self) -> NameIndex:
        """Name uses -> bindings; built on first use (call from the worker thread)."""
        with self._names_lock:
            if self._names is None:
                self._names = NameIndex.build(self.source.text)
            return self._names


def too_large(source: Source) -> Analysis | None:
    if len(source.text) * 4 <= source.max_bytes:
        return None  # fits even at four bytes a character
    size = len(source.text.encode("utf-8", "surrogatepass"))
    if size <= source.max_bytes:
        return None
    return Analysis(source.path, [], [Issue(
        Span(1, 0, 1, 0), "information", "file-too-large",
        f"shapelens did not analyse this file: it is {size / (1024 * 1024):.1f} MB, above the "
        f"limit of {source.max_bytes // 1024} KB (setting shapelens.maxFileSizeKB)",
    )], source.text)


def _analyse(source: Source) -> Analysis:
    skipped = too_large(source)
    if skipped is not None:
        return skipped
    return analyze_source(source.text, source.path)


def failed_analysis(source: Source, err: BaseException) -> Analysis:
    return Analysis(source.path, [], [Issue(
        Span(1, 0, 1, 0), "information", "internal-error",
        f"shapelens could not analyse this file ({type(err).__name__}: {err}); "
        "see the shapelens output for details",
    )], source.text)


class Worker:
    """One daemon thread with a deep stack (the engine recurses on deeply nested code).

    A daemon, unlike ``ThreadPoolExecutor``'s threads, so that exiting the server never waits
    for an analysis of a large file to finish.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None] = queue.SimpleQueue()
        old = threading.stack_size()
        try:
            threading.stack_size(WORKER_STACK_BYTES)
        except (ValueError, RuntimeError):
            pass
        try:
            self._thread = threading.Thread(target=self._loop, name="shapelens-analysis", daemon=True)
            self._thread.start()
        finally:
            threading.stack_size(old)

    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as err:
                future.set_exception(err)

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        self._jobs.put((fn, future))
        return future

    def shutdown(self) -> None:
        self._jobs.put(None)


@dataclass
class _Unit:
    key: str
    load: Callable[[], Source]
    generation: int = 0
    latest: Snapshot | None = None
    timer: asyncio.TimerHandle | None = None
    running: asyncio.Future[Snapshot | None] | None = None
    ready: asyncio.Future[Snapshot | None] | None = None
    closed: bool = False


Publisher = Callable[[Snapshot], None]
Logger = Callable[[str], None]


class DocumentStore:
    def __init__(
        self,
        publish: Publisher,
        log_error: Logger,
        debounce: float = DEBOUNCE_S,
        worker: Worker | None = None,
    ) -> None:
        self._units: dict[str, _Unit] = {}
        self._publish = publish
        self._log_error = log_error
        self.debounce = debounce
        self._worker = worker
        self.runs = 0  # analyses actually run (for tests and logs)

    @property
    def worker(self) -> Worker:
        if self._worker is None:
            self._worker = Worker()
        return self._worker

    def open_keys(self) -> list[str]:
        return list(self._units)

    def is_open(self, key: str) -> bool:
        return key in self._units

    def is_current(self, snapshot: Snapshot) -> bool:
        unit = self._units.get(snapshot.key)
        return unit is not None and unit.generation == snapshot.generation

    def latest(self, key: str) -> Snapshot | None:
        unit = self._units.get(key)
        return unit.latest if unit is not None else None

    # -- changes ---------------------------------------------------------------------------

    def update(self, key: str, load: Callable[[], Source], immediate: bool = False) -> None:
        """The unit's text changed (or it opened): analyse it after the debounce."""
        unit = self._units.get(key)
        if unit is None:
            unit = self._units[key] = _Unit(key, load)
        unit.load = load
        unit.generation += 1
        if unit.timer is not None:
            unit.timer.cancel()
        loop = asyncio.get_running_loop()
        delay = 0.0 if immediate else self.debounce
        unit.timer = loop.call_later(delay, self._start, unit)

    def close(self, key: str) -> None:
        unit = self._units.pop(key, None)
        if unit is None:
            return
        unit.closed = True
        if unit.timer is not None:
            unit.timer.cancel()
        if unit.ready is not None and not unit.ready.done():
            unit.ready.set_result(None)

    def shutdown(self) -> None:
        for key in list(self._units):
            self.close(key)
        if self._worker is not None:
            self._worker.shutdown()

    # -- runs ------------------------------------------------------------------------------

    def _start(self, unit: _Unit) -> None:
        unit.timer = None
        if unit.closed or unit.running is not None:
            return  # when the running analysis finishes, it starts the next one
        generation = unit.generation
        try:
            source = unit.load()
        except Exception:
            self._log_error(f"shapelens: cannot read {unit.key}:\n{traceback.format_exc()}")
            return
        unit.running = asyncio.wrap_future(
            self.worker.submit(functools.partial(self._run, unit, generation, source))
        )
        unit.running.add_done_callback(lambda fut: self._finished(unit, generation, fut))

    def _run(self, unit: _Unit, generation: int, source: Source) -> Snapshot | None:
        """In the worker thread."""
        if unit.closed or unit.generation != generation:
            return None  # stale before it started: skip
        started = time.perf_counter()
        self.runs += 1
        error: str | None = None
        try:
            analysis = _analyse(source)
        except Exception as err:  # the engine promises not to raise; never trust it
            analysis = failed_analysis(source, err)
            error = traceback.format_exc()
        locator = source.make_locator()
        return Snapshot(unit.key, generation, source.version, analysis, locator, source,
                        time.perf_counter() - started, error)

    def _finished(self, unit: _Unit, generation: int, fut: asyncio.Future[Snapshot | None]) -> None:
        unit.running = None
        if unit.closed or fut.cancelled():
            return
        snapshot: Snapshot | None = None
        try:
            snapshot = fut.result()
        except Exception:
            self._log_error(f"shapelens: analysis of {unit.key} failed:\n{traceback.format_exc()}")
        if snapshot is not None:
            if snapshot.error is not None:
                self._log_error(f"shapelens: analysis of {unit.key} failed:\n{snapshot.error}")
            if unit.latest is None or snapshot.generation >= unit.latest.generation:
                unit.latest = snapshot
            if snapshot.generation == unit.generation:
                if unit.ready is not None and not unit.ready.done():
                    unit.ready.set_result(snapshot)
                unit.ready = None
                try:
                    self._publish(snapshot)
                except Exception:
                    self._log_error(f"shapelens: publishing {unit.key} failed:\n{traceback.format_exc()}")
        if unit.generation != generation and unit.timer is None:
            self._start(unit)  # a change arrived while this ran and its debounce has passed

    # -- reads -----------------------------------------------------------------------------

    async def snapshot(self, key: str, wait: float = REQUEST_WAIT_S) -> Snapshot | None:
        """The analysis of the unit's current text; waits up to ``wait`` seconds for it,
        then settles for the latest one there is."""
        unit = self._units.get(key)
        if unit is None:
            return None
        if unit.latest is not None and unit.latest.generation == unit.generation:
            return unit.latest
        if unit.ready is None or unit.ready.done():
            unit.ready = asyncio.get_running_loop().create_future()
        if unit.timer is None and unit.running is None:
            self._start(unit)
        try:
            return await asyncio.wait_for(asyncio.shield(unit.ready), wait)
        except asyncio.TimeoutError:
            return None if unit.closed else unit.latest

    async def names(self, snapshot: Snapshot) -> NameIndex:
        """The snapshot's name index; small texts inline, large ones in the worker."""
        if snapshot._names is not None or len(snapshot.source.text) < INLINE_NAMES_CHARS:
            return snapshot.names()
        return await asyncio.wrap_future(self.worker.submit(snapshot.names))
