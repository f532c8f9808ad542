"""``shapelens.*`` settings, read from ``workspace/configuration`` (section ``shapelens``).

VS Code answers the section as nested objects (``{"diagnostics": {"enable": true}}``); dotted keys
(``{"diagnostics.enable": true}``) are accepted too. Anything malformed falls back to the
default and is reported once in the log, so a typo in settings.json never stops the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

SECTION = "shapelens"

Override = Literal["error", "warning", "information", "hint", "off"]

_SEVERITY_WORDS: dict[str, Override] = {
    "error": "error",
    "warning": "warning",
    "warn": "warning",
    "information": "information",
    "info": "information",
    "hint": "hint",
    "off": "off",
    "none": "off",
    "ignore": "off",
}

DEFAULT_MAX_FILE_KB = 1024
DEFAULT_PROBE_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Settings:
    diagnostics_enable: bool = True
    inlay_assignments: bool = True
    inlay_layers: bool = True
    severity_overrides: Mapping[str, Override] = field(default_factory=dict)
    # Larger documents are not analysed: the engine needs seconds per MB of Keras code, and
    # `ast.parse` holds the GIL while it runs, which would stall the event loop.
    max_file_kb: int = DEFAULT_MAX_FILE_KB
    inlay_runtime: bool = True
    probe_timeout: float = DEFAULT_PROBE_TIMEOUT_S
    probe_interpreter: str = ""  # empty: the interpreter the server runs in (the extension's choice)

    def severity_for(self, code: str, default: str) -> str:
        return self.severity_overrides.get(code, default)


def _get(obj: Mapping[str, Any], dotted: str) -> Any:
    if dotted in obj:
        return obj[dotted]
    cur: Any = obj
    for part in dotted.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return None
        cur = cur[part]
    return cur


def parse_settings(raw: Any) -> tuple[Settings, list[str]]:
    """Settings from the ``shapelens`` section as the client sent it, plus problems found."""
    problems: list[str] = []
    if raw is None:
        return Settings(), problems
    if not isinstance(raw, Mapping):
        return Settings(), [f"shapelens settings should be an object, got {type(raw).__name__}"]
    # Some clients send the whole configuration rather than the section.
    if isinstance(raw.get(SECTION), Mapping):
        raw = raw[SECTION]

    def flag(key: str, default: bool) -> bool:
        value = _get(raw, key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        problems.append(f"shapelens.{key} should be true or false, got {value!r}")
        return default

    overrides: dict[str, Override] = {}
    value = _get(raw, "severityOverrides")
    if isinstance(value, Mapping):
        for code, sev in value.items():
            word = _SEVERITY_WORDS.get(str(sev).strip().lower()) if isinstance(sev, str) else None
            if word is None:
                problems.append(
                    f"shapelens.severityOverrides[{code!r}] should be one of "
                    f"error, warning, information, hint, off; got {sev!r}"
                )
            else:
                overrides[str(code)] = word
    elif value is not None:
        problems.append("shapelens.severityOverrides should be an object {code: severity}")

    max_kb = DEFAULT_MAX_FILE_KB
    value = _get(raw, "maxFileSizeKB")
    if value is not None:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 1:
            max_kb = int(value)
        else:
            problems.append(f"shapelens.maxFileSizeKB should be a number of at least 1, got {value!r}")

    timeout = DEFAULT_PROBE_TIMEOUT_S
    value = _get(raw, "probe.timeout")
    if value is not None:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            timeout = float(value)
        else:
            problems.append(f"shapelens.probe.timeout should be a number of seconds above 0, got {value!r}")

    interpreter = _get(raw, "interpreter")
    if interpreter is not None and not isinstance(interpreter, str):
        problems.append(f"shapelens.interpreter should be a path, got {interpreter!r}")
        interpreter = None

    settings = Settings(
        diagnostics_enable=flag("diagnostics.enable", True),
        inlay_assignments=flag("inlayHints.assignments", True),
        inlay_layers=flag("inlayHints.layers", True),
        severity_overrides=overrides,
        max_file_kb=max_kb,
        inlay_runtime=flag("inlayHints.runtime", True),
        probe_timeout=timeout,
        probe_interpreter=(interpreter or "").strip(),
    )
    return settings, problems
