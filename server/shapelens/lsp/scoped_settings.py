"""``shapelens.*`` settings per document (VS Code's "resource" scope: a folder's
.vscode/settings.json may turn diagnostics off or change severities for that folder only).

Each open document or notebook gets its settings by a ``workspace/configuration`` request with
its URI as ``scopeUri``, on open and again on every configuration change. Until a document's
first answer arrives its diagnostics are held back, so a folder that turned them off never
flashes them; a client that does not answer within ``ANSWER_TIMEOUT_S`` leaves the document
on the global settings, so nothing goes silent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from .settings import Settings, parse_settings

ANSWER_TIMEOUT_S = 5.0

Fetch = Callable[[Sequence[str | None]], Awaitable[list[Any]]]


class ScopedSettings:
    def __init__(self, fetch: Fetch, warn: Callable[[str], None]) -> None:
        self._fetch = fetch
        self._warn = warn
        self.global_settings = Settings()
        self._by_key: dict[str, Settings] = {}
        self._pending: set[str] = set()
        self._reported: set[str] = set()

    def for_key(self, key: str | None) -> Settings:
        if key is None:
            return self.global_settings
        return self._by_key.get(key, self.global_settings)

    def is_pending(self, key: str) -> bool:
        return key in self._pending

    def mark_pending(self, key: str) -> None:
        self._pending.add(key)

    def forget(self, key: str) -> None:
        self._by_key.pop(key, None)
        self._pending.discard(key)

    async def load(self, keys: Sequence[str], with_global: bool) -> dict[str | None, tuple[Settings, Settings]]:
        """Ask the client for the global section (when ``with_global``) and each key's;
        the (old, new) settings of every scope whose settings changed."""
        scopes: list[str | None] = ([None] if with_global else []) + list(keys)
        self._pending.update(keys)
        try:
            answers = await asyncio.wait_for(self._fetch(scopes), ANSWER_TIMEOUT_S)
        except Exception as err:  # includes the timeout: keep what we have
            self._warn(f"shapelens: cannot read settings ({type(err).__name__}: {err}); keeping the previous ones")
            answers = []
        finally:
            self._pending.difference_update(keys)
        changed: dict[str | None, tuple[Settings, Settings]] = {}
        if len(answers) != len(scopes):
            return changed
        old_global = self.global_settings
        for scope, raw in zip(scopes, answers, strict=True):
            settings, problems = parse_settings(raw)
            for problem in problems:
                if problem not in self._reported:  # once per distinct problem, not per document
                    self._reported.add(problem)
                    self._warn(problem)
            old = old_global if scope is None else self._by_key.get(scope, old_global)
            if scope is None:
                self.global_settings = settings
            else:
                self._by_key[scope] = settings
            if old != settings:
                changed[scope] = (old, settings)
        return changed
