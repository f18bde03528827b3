"""Validation helpers shared by the config sections: every failure names key, value and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class ConfigError(ValueError):
    """A configuration value that a stage cannot run with."""

    def __init__(self, key: str, value: Any, allowed: str) -> None:
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"invalid config: {key}={value!r}; allowed: {allowed}")

    def under(self, prefix: str) -> ConfigError:
        return ConfigError(f"{prefix}.{self.key}" if prefix else self.key, self.value, self.allowed)


def check(condition: bool, key: str, value: Any, allowed: str) -> None:
    """Raise :class:`ConfigError` for ``key`` unless ``condition`` holds."""
    if not condition:
        raise ConfigError(key, value, allowed)


def check_choice(key: str, value: Any, choices: Iterable[Any]) -> None:
    choices = list(choices)
    check(value in choices, key, value, "one of " + ", ".join(map(repr, choices)))


def check_range(
    key: str,
    value: float,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
) -> None:
    ok = (lo is None or (value > lo if lo_open else value >= lo)) and (hi is None or value <= hi)
    lo_txt = "" if lo is None else f"{'>' if lo_open else '>='} {lo}"
    hi_txt = "" if hi is None else f"<= {hi}"
    check(ok, key, value, "a number " + " and ".join(t for t in (lo_txt, hi_txt) if t))
