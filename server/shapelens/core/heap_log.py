"""What branches and loops of unknown outcome change on objects made before them.

Local variables are copied per branch and joined after it (``interpreter.exec_branches``).
Objects are shared: an attribute set in one arm of an ``if`` whose test is unknown, or a layer
``add``-ed to a Sequential there, would otherwise look certain after the ``if``. While such a
region runs, the first write to each slot of an older object saves the slot's value; each arm
ends by putting the saved values back, and after the last arm every written slot holds the join
of what the arms that reach (or return past) the join left there. A loop of unknown length joins
each pass's writes with the value before the loop, as it does for variables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .values import UNKNOWN, Value, join


class _Missing:
    """The slot did not exist (an attribute first set in the branch)."""


MISSING = _Missing()

Slot = tuple[int, str]  # (id of the holder, key)
# what a slot holds: a Value, or None where an engine field is not set yet
SlotValue = Value | None | _Missing


@dataclass(slots=True)
class SlotRef:
    """One place a value lives: a key of a dict, or a field of an object. ``owner``: the object
    the slot belongs to (whose age decides whether a write needs saving)."""

    holder: object
    key: str
    is_dict: bool
    created_depth: int
    owner: object = None

    def get(self) -> SlotValue:
        if self.is_dict:
            return self.holder.get(self.key, MISSING)  # type: ignore[attr-defined,no-any-return]
        return getattr(self.holder, self.key)  # type: ignore[no-any-return]

    def put(self, value: SlotValue) -> None:
        if self.is_dict:
            if isinstance(value, _Missing):
                self.holder.pop(self.key, None)  # type: ignore[attr-defined]
            else:
                self.holder[self.key] = value  # type: ignore[index]
        elif not isinstance(value, _Missing):
            setattr(self.holder, self.key, value)


@dataclass(slots=True)
class HeapLog:
    """The slots written since a region of unknown outcome began, with their values before it.
    ``serial``: the region's number; objects made since then (a larger or equal birth number)
    are the region's own and need no saving."""

    depth: int
    serial: int
    saved: dict[Slot, tuple[SlotRef, SlotValue]] = field(default_factory=dict)

    def note(self, ref: SlotRef) -> None:
        key = (id(ref.holder), ref.key)
        if key not in self.saved:
            self.saved[key] = (ref, ref.get())

    def current(self) -> dict[Slot, SlotValue]:
        return {k: ref.get() for k, (ref, _) in self.saved.items()}

    def restore(self) -> None:
        for ref, old in self.saved.values():
            ref.put(old)


def join_slot(values: list[SlotValue]) -> SlotValue:
    """Join the values a slot may hold; a path that left it unset adds nothing (the program is
    assumed to run, so a read of it happens on a path that set it)."""
    present = [v for v in values if not isinstance(v, _Missing)]
    if not present:
        return MISSING
    out = present[0]
    for other in present[1:]:
        if other is out:
            continue
        if out is None or other is None:
            return UNKNOWN  # an engine field set on some paths only
        out = join(out, other)
    return out


class HeapTracker:
    """The stack of logs for the regions of unknown outcome being run, and when each object was
    made relative to them."""

    def __init__(self, depth: Callable[[], int]) -> None:
        self._depth = depth
        self.logs: list[HeapLog] = []
        self._serial = 0
        self._born: dict[int, tuple[object, int]] = {}

    def born(self, obj: object) -> None:
        """Note that ``obj`` was made now (an object made before any region counts as oldest)."""
        self._born[id(obj)] = (obj, self._serial)

    def _birth(self, obj: object) -> int:
        entry = self._born.get(id(obj))
        return entry[1] if entry is not None and entry[0] is obj else 0

    def changes_are_uncertain(self, obj: object, created_depth: int) -> bool:
        """Whether changing ``obj`` here may not happen on every path that made it."""
        depth = self._depth()
        if depth == 0:
            return False
        if self.logs and self.logs[-1].depth == depth:
            return self._birth(obj) < self.logs[-1].serial
        return created_depth < depth

    def write(self, ref: SlotRef, value: Value | None) -> None:
        """Set a slot, saving its old value when its object is older than the current region.
        Inside a region that keeps no log (a mapped function), the write is joined at once."""
        if not self.changes_are_uncertain(ref.owner, ref.created_depth):
            ref.put(value)
            return
        if self.logs and self.logs[-1].depth == self._depth():
            self.logs[-1].note(ref)
            ref.put(value)
            return
        old = ref.get()
        ref.put(value if isinstance(old, _Missing) else join_slot([old, value]))

    def written(self, owner: object) -> set[Slot]:
        """The slots of ``owner`` the open regions have saved so far."""
        return {k for log in self.logs for k, (ref, _) in log.saved.items() if ref.owner is owner}

    def make_certain(self, owner: object, before: set[Slot]) -> None:
        """Keep what ``owner``'s slots hold now, past the open regions: the writes since
        ``before`` (`written`) are no longer put back or joined when the regions end."""
        for log in self.logs:
            for key in [k for k, (ref, _) in log.saved.items() if ref.owner is owner and k not in before]:
                del log.saved[key]

    def push(self) -> HeapLog:
        self._serial += 1
        log = HeapLog(self._depth(), self._serial)
        self.logs.append(log)
        return log

    def pop(self, log: HeapLog) -> None:
        """End a region: slots of objects older than the enclosing region are saved there too."""
        assert self.logs and self.logs[-1] is log
        self.logs.pop()
        if self.logs:
            outer = self.logs[-1]
            for key, (ref, old) in log.saved.items():
                if self._birth(ref.owner) < outer.serial and key not in outer.saved:
                    outer.saved[key] = (ref, old)

    def settle(self, refs: dict[Slot, SlotRef], finals: list[dict[Slot, SlotValue]],
               olds: dict[Slot, SlotValue]) -> None:
        """After the arms of a branch: each written slot gets the join of the arms' values."""
        for key, ref in refs.items():
            ref.put(join_slot([f.get(key, olds[key]) for f in finals]) if finals else olds[key])

    def open_slots(self) -> dict[Slot, tuple[SlotRef, SlotValue]]:
        """Every slot written since any open region began, with what it holds now."""
        return {k: (ref, ref.get()) for log in self.logs for k, (ref, _) in log.saved.items()}

    def join_in(self, states: list[dict[Slot, tuple[SlotRef, SlotValue]]]) -> None:
        """Where paths that left early meet again (a function's exit after an early ``return``):
        each slot they wrote may hold what they left, or what it holds now."""
        for state in states:
            for ref, value in state.values():
                if not isinstance(value, _Missing):
                    self.write(ref, join_slot([ref.get(), value]))  # type: ignore[arg-type]
