"""Following the user's own modules: ``from blocks import conv_block`` next to the file.

A module is found on disk relative to the importing file (or the analysed file's folder and its
parents for absolute imports), analysed once per analysis, and its top-level names bound. Library
modules (tensorflow, keras, numpy and anything not found on disk) are left to the rules.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .values import ModuleVal

if TYPE_CHECKING:
    from .interpreter import Interpreter

MAX_MODULE_BYTES = 1_000_000
MAX_DEPTH = 4
PARENT_LEVELS = 2
LIBRARY_ROOTS = frozenset(
    {"tensorflow", "tf", "keras", "numpy", "np", "tf_keras", "os", "sys", "math", "random",
     "typing", "collections", "functools", "itertools", "pathlib", "json", "re", "time",
     "matplotlib", "pandas", "sklearn", "scipy", "PIL", "cv2", "torch", "jax", "datetime",
     "dataclasses", "abc", "logging", "argparse", "shutil", "glob", "pickle", "copy", "io",
     "__future__", "warnings", "contextlib", "enum", "string", "csv", "tqdm", "absl", "h5py"}
)


class UserModules:
    """Per-analysis cache of the user's modules, keyed by file path."""

    def __init__(self, interp: Interpreter) -> None:
        self.interp = interp
        self.loaded: dict[str, ModuleVal | None] = {}
        self.depth = 0

    def load(self, dotted: str, level: int) -> ModuleVal | None:
        if not dotted and not level:
            return None
        if level == 0 and dotted.split(".")[0] in LIBRARY_ROOTS:
            return None
        path = self._resolve(dotted, level)
        if path is None:
            return None
        if path in self.loaded:
            return self.loaded[path]
        if self.depth >= MAX_DEPTH:
            return None
        self.loaded[path] = None  # an import cycle sees an unknown module
        module = self._run(dotted, path)
        self.loaded[path] = module
        return module

    def _bases(self, level: int) -> list[str]:
        current = self.interp.current_file
        main = self.interp.main_file
        if level:
            base = os.path.dirname(os.path.abspath(current)) if os.path.isfile(current) else None
            if base is None:
                return []
            for _ in range(level - 1):
                base = os.path.dirname(base)
            return [base]
        bases: list[str] = []
        for f in (current, main):
            if os.path.isfile(f):
                d = os.path.dirname(os.path.abspath(f))
                for _ in range(PARENT_LEVELS + 1):
                    if d not in bases:
                        bases.append(d)
                    d = os.path.dirname(d)
        return bases

    def _resolve(self, dotted: str, level: int) -> str | None:
        parts = [p for p in dotted.split(".") if p]
        for base in self._bases(level):
            stem = os.path.join(base, *parts) if parts else base
            for candidate in (stem + ".py", os.path.join(stem, "__init__.py")):
                if os.path.isfile(candidate) and os.path.abspath(candidate) != os.path.abspath(
                    self.interp.main_file
                ):
                    return os.path.abspath(candidate)
        return None

    def _run(self, dotted: str, path: str) -> ModuleVal | None:
        from .interpreter import Env, _Terminated
        from .source import UnreadableSource, decode, parse

        try:
            if os.path.getsize(path) > MAX_MODULE_BYTES:
                return None
            with open(path, "rb") as fh:
                text = decode(fh.read())
        except (OSError, UnreadableSource):
            return None
        tree = parse(text).tree
        interp = self.interp
        env = Env()
        saved_file = interp.current_file
        saved_frames, saved_spans, saved_files = interp.frames, interp.call_spans, interp.call_files
        interp.current_file = path
        interp.frames, interp.call_spans, interp.call_files = [], [], []
        self.depth += 1
        try:
            interp.exec_block(tree.body, env)
        except _Terminated:
            pass
        except RecursionError:
            return None
        finally:
            self.depth -= 1
            interp.current_file = saved_file
            interp.frames, interp.call_spans, interp.call_files = saved_frames, saved_spans, saved_files
        return ModuleVal(dotted, env.vars, path)
