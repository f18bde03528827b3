"""The vocabulary of the data (``data.catalog``, e.g. ``catalog/ko.yaml``) loaded into frozen dataclasses.

A malformed file raises :class:`ConfigError` whose key names the file and the entry
(``catalog/ko.yaml: stack_families[2].stacks[0].aliases``), so a user swapping catalogs sees what to fix.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from pipeline.config.errors import ConfigError

# The rules give these names a meaning (mixed is half-compatible; a posting may require a cs background).
WORK_MODES = ("online", "offline", "mixed")
BACKGROUNDS = ("cs", "non_cs")

_HANGUL_END = re.compile(r"[가-힣]$")
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Region:
    name: str  # the official name (or the remote marker), stored in p_region / j_region
    short: tuple[str, ...]  # what people write: 서울, 경기 남부, 재택


@dataclass(frozen=True)
class Stack:
    name: str
    family: str
    reading: str  # Hangul pronunciation of the name; decides particles after Latin names
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Family:
    name: str
    label: str
    related: tuple[str, ...]
    stacks: tuple[str, ...]


@dataclass(frozen=True)
class ExperienceLevel:
    name: str
    min_years: int
    max_years: int


@dataclass(frozen=True)
class Term:
    """A named choice (goal, work mode, background) with the surface forms texts may use."""

    name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    path: str
    regions: tuple[Region, ...]
    remote: Region
    families: tuple[Family, ...]
    stacks: tuple[Stack, ...]
    experience_levels: tuple[ExperienceLevel, ...]
    work_modes: tuple[Term, ...]
    backgrounds: tuple[Term, ...]
    goals: tuple[Term, ...]

    @property
    def region_names(self) -> tuple[str, ...]:
        """Official names, then the remote marker: the code of a region is its index here."""
        return (*(r.name for r in self.regions), self.remote.name)

    @property
    def remote_code(self) -> int:
        return len(self.regions)

    @property
    def stack_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.stacks)

    @property
    def goal_names(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.goals)

    @functools.cached_property
    def related_stacks(self) -> np.ndarray:
        """``[a, b]`` is True when stacks a and b share a family or their families are related."""
        fam_index = {f.name: i for i, f in enumerate(self.families)}
        fam_rel = np.eye(len(self.families), dtype=bool)
        for f in self.families:
            for other in f.related:
                fam_rel[fam_index[f.name], fam_index[other]] = True
        fam_of = np.array([fam_index[s.family] for s in self.stacks])
        return fam_rel[np.ix_(fam_of, fam_of)]

    @functools.cached_property
    def readings(self) -> dict[str, str]:
        """Pronunciations of the canonical stack names (aliases follow the spelling rule in korean.py)."""
        return {s.name: s.reading for s in self.stacks}


class _Reader:
    """Typed access to the raw YAML that reports the file and entry of the first problem."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, value: Any, allowed: str) -> ConfigError:
        return ConfigError(f"{self.path}: {where}", value, allowed)

    def mapping(self, raw: Any, where: str, keys: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
        if not isinstance(raw, dict):
            raise self.fail(where, raw, "a mapping with keys " + ", ".join(keys))
        for key in keys:
            if key not in raw:
                raise self.fail(f"{where}.{key}" if where else key, "(missing)", "a value")
        for key in raw:
            if key not in keys and key not in optional:
                raise self.fail(
                    f"{where}.{key}" if where else str(key),
                    "(unknown key)",
                    "one of " + ", ".join(keys + optional),
                )
        return raw

    def items(self, raw: Any, where: str) -> list:
        if not isinstance(raw, list) or not raw:
            raise self.fail(where, raw, "a non-empty list")
        return raw

    def text(self, raw: Any, where: str) -> str:
        if not isinstance(raw, str) or not raw.strip() or raw != raw.strip():
            raise self.fail(where, raw, "a non-empty string without surrounding spaces")
        return raw

    def texts(self, raw: Any, where: str) -> tuple[str, ...]:
        values = tuple(self.text(v, f"{where}[{i}]") for i, v in enumerate(self.items(raw, where)))
        if len(set(values)) != len(values):
            raise self.fail(where, list(values), "distinct strings")
        return values

    def integer(self, raw: Any, where: str, lo: int) -> int:
        if not isinstance(raw, int) or isinstance(raw, bool) or raw < lo:
            raise self.fail(where, raw, f"an integer >= {lo}")
        return raw


def _unique(reader: _Reader, seen: dict[str, str], value: str, where: str, kind: str) -> None:
    key = value.casefold()
    if key in seen:
        raise reader.fail(where, value, f"{kind} not already used by {seen[key]}")
    seen[key] = where


def _terms(reader: _Reader, raw: Any, where: str, names: tuple[str, ...] | None = None) -> tuple[Term, ...]:
    terms = []
    for i, item in enumerate(reader.items(raw, where)):
        entry = reader.mapping(item, f"{where}[{i}]", ("name", "aliases"))
        terms.append(
            Term(
                reader.text(entry["name"], f"{where}[{i}].name"),
                reader.texts(entry["aliases"], f"{where}[{i}].aliases"),
            )
        )
    got = tuple(t.name for t in terms)
    if names is not None and sorted(got) != sorted(names):
        raise reader.fail(where, list(got), "exactly the names " + ", ".join(names))
    if len(set(got)) != len(got):
        raise reader.fail(where, list(got), "distinct names")
    return tuple(terms)


def _regions(reader: _Reader, raw: dict) -> tuple[tuple[Region, ...], Region]:
    seen: dict[str, str] = {}
    regions = []
    for i, item in enumerate(reader.items(raw["regions"], "regions")):
        where = f"regions[{i}]"
        entry = reader.mapping(item, where, ("name", "short"))
        name = reader.text(entry["name"], f"{where}.name")
        short = reader.texts(entry["short"], f"{where}.short")
        _unique(reader, seen, name, f"{where}.name", "a region name")
        for j, s in enumerate(short):
            _unique(reader, seen, s, f"{where}.short[{j}]", "a short form")
        regions.append(Region(name, short))
    entry = reader.mapping(raw["remote"], "remote", ("name", "short"))
    name = reader.text(entry["name"], "remote.name")
    _unique(reader, seen, name, "remote.name", "a region name")
    short = reader.texts(entry["short"], "remote.short")
    for j, s in enumerate(short):
        if s != name:
            _unique(reader, seen, s, f"remote.short[{j}]", "a short form")
    return tuple(regions), Region(name, short)


def _families(reader: _Reader, raw: Any) -> tuple[tuple[Family, ...], tuple[Stack, ...]]:
    families: list[Family] = []
    stacks: list[Stack] = []
    surface: dict[str, str] = {}
    for i, item in enumerate(reader.items(raw, "stack_families")):
        where = f"stack_families[{i}]"
        entry = reader.mapping(item, where, ("name", "label", "related", "stacks"))
        name = reader.text(entry["name"], f"{where}.name")
        if any(f.name == name for f in families):
            raise reader.fail(f"{where}.name", name, "a family name not used before")
        related = () if entry["related"] in (None, []) else reader.texts(entry["related"], f"{where}.related")
        members = []
        for j, s in enumerate(reader.items(entry["stacks"], f"{where}.stacks")):
            swhere = f"{where}.stacks[{j}]"
            sentry = reader.mapping(s, swhere, ("name", "reading", "aliases"))
            sname = reader.text(sentry["name"], f"{swhere}.name")
            reading = reader.text(sentry["reading"], f"{swhere}.reading")
            if not _HANGUL_END.search(reading):
                raise reader.fail(f"{swhere}.reading", reading, "a Hangul pronunciation ending in a syllable")
            aliases = reader.texts(sentry["aliases"], f"{swhere}.aliases")
            _unique(reader, surface, sname, f"{swhere}.name", "a stack name")
            for k, alias in enumerate(aliases):
                if alias.casefold() != sname.casefold():
                    _unique(reader, surface, alias, f"{swhere}.aliases[{k}]", "an alias")
            stacks.append(Stack(sname, name, reading, aliases))
            members.append(sname)
        families.append(Family(name, reader.text(entry["label"], f"{where}.label"), related, tuple(members)))
    names = {f.name for f in families}
    for i, f in enumerate(families):
        for other in f.related:
            where = f"stack_families[{i}].related"
            if other not in names or other == f.name:
                raise reader.fail(where, other, "names of other families: " + ", ".join(sorted(names)))
            back = next(g for g in families if g.name == other)
            if f.name not in back.related:
                raise reader.fail(where, other, f"a symmetric relation ({other} must list {f.name} too)")
    return tuple(families), tuple(stacks)


def _levels(reader: _Reader, raw: Any) -> tuple[ExperienceLevel, ...]:
    levels = []
    expected = 0
    for i, item in enumerate(reader.items(raw, "experience_levels")):
        where = f"experience_levels[{i}]"
        entry = reader.mapping(item, where, ("name", "min_years", "max_years"))
        lo = reader.integer(entry["min_years"], f"{where}.min_years", 0)
        hi = reader.integer(entry["max_years"], f"{where}.max_years", lo)
        if lo != expected:
            raise reader.fail(f"{where}.min_years", lo, f"{expected} (levels are contiguous from 0 up)")
        expected = hi + 1
        levels.append(ExperienceLevel(reader.text(entry["name"], f"{where}.name"), lo, hi))
    return tuple(levels)


def parse_catalog(raw: Any, path: Path | str = "<catalog>") -> Catalog:
    """Validate the content of a catalog file."""
    reader = _Reader(Path(path))
    keys = ("regions", "remote", "stack_families", "experience_levels", "work_modes", "backgrounds", "goals")
    raw = reader.mapping(raw, "", keys)
    regions, remote = _regions(reader, raw)
    families, stacks = _families(reader, raw["stack_families"])
    return Catalog(
        path=str(path),
        regions=regions,
        remote=remote,
        families=families,
        stacks=stacks,
        experience_levels=_levels(reader, raw["experience_levels"]),
        work_modes=_terms(reader, raw["work_modes"], "work_modes", WORK_MODES),
        backgrounds=_terms(reader, raw["backgrounds"], "backgrounds", BACKGROUNDS),
        goals=_terms(reader, raw["goals"], "goals"),
    )


def find_catalog(path: Path | str) -> Path:
    """``data.catalog`` as a file: a relative path is looked up in the working directory (a stage runs in
    the project root), then in the project root itself (tests and tools that write elsewhere)."""
    path = Path(path)
    for candidate in (path,) if path.is_absolute() else (path, PROJECT_ROOT / path):
        if candidate.is_file():
            return candidate
    raise ConfigError("data.catalog", str(path), "an existing catalog file such as catalog/ko.yaml")


def load_catalog(path: Path | str) -> Catalog:
    """Read and validate a catalog file; any problem is a :class:`ConfigError` naming file and entry."""
    path = find_catalog(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ConfigError(
            str(path), "(unreadable)", f"valid UTF-8 YAML ({str(err).splitlines()[0]})"
        ) from None
    return parse_catalog(raw, path)
