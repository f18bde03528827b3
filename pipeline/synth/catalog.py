"""The vocabulary of the data (``data.catalog``, e.g. ``catalog/ko.yaml``) loaded into frozen dataclasses.

The file is validated by a pydantic schema plus cross-entry checks (unique surface forms, known names in
``related``/``uses``/``role``/``area``, symmetric family relations, contiguous experience levels). Any problem
is a :class:`ConfigError` whose key names the file and the entry (``catalog/ko.yaml:
stack_families.2.stacks.0.aliases``), so a user swapping catalogs sees what to fix.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from pipeline.config.errors import ConfigError

# The rules give these names a meaning. A profile wants remote work only, either, or prefers meeting in
# person; a posting runs online, offline or hybrid. A profile's background may go unstated.
PROFILE_MODES = ("remote", "any", "offline")
POSTING_MODES = ("online", "offline", "hybrid")
BACKGROUNDS = ("cs", "non_cs", "unknown")
UNKNOWN_ROLE = "other"  # a role the text leaves unclear (hand-written data); the rules treat it as neutral

PROJECT_ROOT = Path(__file__).resolve().parents[2]

Text = Annotated[str, StringConstraints(min_length=1, pattern=r"^\S(.*\S)?$")]
Reading = Annotated[str, StringConstraints(pattern=r"^([^\s].*)?[가-힣]$")]  # ends in a Hangul syllable


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Location(_Entry):
    name: Text
    area: Text
    weight: float = Field(gt=0, allow_inf_nan=False)
    forms: tuple[Text, ...] = Field(min_length=1)
    landmarks: tuple[Text, ...] = ()


class _Area(_Entry):
    name: Text
    forms: tuple[Text, ...] = Field(min_length=1)


class _Role(_Entry):
    name: Text
    forms: tuple[Text, ...] = Field(min_length=1)
    related: tuple[Text, ...] = ()


class _Stack(_Entry):
    name: Text
    reading: Reading
    aliases: tuple[Text, ...] = ()
    uses: tuple[Text, ...] = ()
    lead: bool = True


class _Family(_Entry):
    name: Text
    label: Text
    role: Text
    related: tuple[Text, ...] = ()
    tools: bool = False
    stacks: tuple[_Stack, ...] = Field(min_length=1)


class _Level(_Entry):
    name: Text
    min_years: int = Field(ge=0)
    max_years: int = Field(ge=0, le=60)
    weight: float = Field(gt=0, allow_inf_nan=False)


class _Goal(_Entry):
    name: Text
    forms: tuple[Text, ...] = Field(min_length=1)
    light: bool
    related: tuple[Text, ...] = ()


class _CatalogFile(_Entry):
    locations: tuple[_Location, ...] = Field(min_length=1)
    areas: tuple[_Area, ...] = Field(min_length=1)
    roles: tuple[_Role, ...] = Field(min_length=1)
    stack_families: tuple[_Family, ...] = Field(min_length=1)
    experience_levels: tuple[_Level, ...] = Field(min_length=1)
    goals: tuple[_Goal, ...] = Field(min_length=1)
    alternatives: tuple[tuple[Text, ...], ...] = ()


@dataclass(frozen=True)
class Location:
    name: str  # stored in p_location / j_location
    area: str
    weight: float  # share of developers living here (normalised over all locations)
    forms: tuple[str, ...]  # what people write for the place itself: 서울, 서울시
    landmarks: tuple[str, ...]  # districts and places inside it: 강남, 판교, 센텀


@dataclass(frozen=True)
class Area:
    name: str
    forms: tuple[str, ...]


@dataclass(frozen=True)
class Role:
    name: str
    forms: tuple[str, ...]
    related: tuple[str, ...]


@dataclass(frozen=True)
class Stack:
    name: str
    family: str
    reading: str  # Hangul pronunciation of the name; decides particles after Latin names
    aliases: tuple[str, ...]
    uses: tuple[str, ...]  # stacks it is built on (framework -> language)
    lead: bool = True  # can be someone's main stack or a post's first requirement (Redux, Redis, Figma: no)


@dataclass(frozen=True)
class Family:
    name: str
    label: str
    role: str
    related: tuple[str, ...]
    stacks: tuple[str, ...]
    tools: bool = False  # stacks one runs or uses (Prometheus, Redis), not develops with


@dataclass(frozen=True)
class ExperienceLevel:
    name: str
    min_years: int
    max_years: int
    weight: float


@dataclass(frozen=True)
class Goal:
    name: str
    forms: tuple[str, ...]
    light: bool
    related: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    path: str
    locations: tuple[Location, ...]
    areas: tuple[Area, ...]
    roles: tuple[Role, ...]
    families: tuple[Family, ...]
    stacks: tuple[Stack, ...]
    experience_levels: tuple[ExperienceLevel, ...]
    goals: tuple[Goal, ...]
    alternatives: tuple[tuple[str, ...], ...] = ()  # stacks that do the same job (one is required, not two)

    @functools.cached_property
    def location_names(self) -> tuple[str, ...]:
        return tuple(loc.name for loc in self.locations)

    @functools.cached_property
    def stack_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.stacks)

    @functools.cached_property
    def role_names(self) -> tuple[str, ...]:
        """The catalog's roles, then the unknown role (code ``len(roles)``)."""
        return (*(r.name for r in self.roles), UNKNOWN_ROLE)

    @functools.cached_property
    def goal_names(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.goals)

    @functools.cached_property
    def area_of(self) -> np.ndarray:
        """Area index per location index."""
        names = [a.name for a in self.areas]
        return np.array([names.index(loc.area) for loc in self.locations], dtype=np.int16)

    @functools.cached_property
    def location_weights(self) -> np.ndarray:
        w = np.array([loc.weight for loc in self.locations], dtype=np.float64)
        return w / w.sum()

    @functools.cached_property
    def family_of(self) -> np.ndarray:
        """Family index per stack index."""
        names = [f.name for f in self.families]
        return np.array([names.index(s.family) for s in self.stacks], dtype=np.int16)

    @functools.cached_property
    def family_role(self) -> np.ndarray:
        """Role index per family index."""
        return np.array([self.role_names.index(f.role) for f in self.families], dtype=np.int16)

    @functools.cached_property
    def related_families(self) -> np.ndarray:
        index = {f.name: i for i, f in enumerate(self.families)}
        rel = np.zeros((len(self.families),) * 2, dtype=bool)
        for f in self.families:
            for other in f.related:
                rel[index[f.name], index[other]] = True
        return rel

    @functools.cached_property
    def uses(self) -> np.ndarray:
        """``[a, b]`` is True when stack a is built on stack b or b on a (Next.js and React)."""
        index = {s.name: i for i, s in enumerate(self.stacks)}
        link = np.zeros((len(self.stacks),) * 2, dtype=bool)
        for s in self.stacks:
            for base in s.uses:
                link[index[s.name], index[base]] = link[index[base], index[s.name]] = True
        return link

    @functools.cached_property
    def related_roles(self) -> np.ndarray:
        """Over ``role_names`` (the unknown role last, related to nothing)."""
        names = self.role_names
        rel = np.zeros((len(names),) * 2, dtype=bool)
        for r in self.roles:
            for other in r.related:
                rel[names.index(r.name), names.index(other)] = True
        return rel

    @functools.cached_property
    def related_goals(self) -> np.ndarray:
        names = self.goal_names
        rel = np.zeros((len(names),) * 2, dtype=bool)
        for g in self.goals:
            for other in g.related:
                rel[names.index(g.name), names.index(other)] = True
        return rel

    @functools.cached_property
    def readings(self) -> dict[str, str]:
        """Pronunciations of the canonical stack names (aliases follow the spelling rule in korean.py)."""
        return {s.name: s.reading for s in self.stacks}

    @functools.cached_property
    def place_index(self) -> dict[str, int]:
        """Every written form of a location (name, forms, landmarks) -> its location index."""
        out: dict[str, int] = {}
        for i, loc in enumerate(self.locations):
            for form in (loc.name, *loc.forms, *loc.landmarks):
                out[form] = i
        return out

    @functools.cached_property
    def stack_index(self) -> dict[str, int]:
        """Canonical names and aliases (case-folded) -> stack index."""
        out: dict[str, int] = {}
        for i, s in enumerate(self.stacks):
            for form in (s.name, *s.aliases):
                out[form.casefold()] = i
        return out


class _Checker:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, value: Any, allowed: str) -> ConfigError:
        return ConfigError(f"{self.path}: {where}", value, allowed)

    def known(self, values: str | tuple[str, ...], names: set[str], where: str, what: str) -> None:
        """Each of ``values`` (one name, or a list whose items are keyed by index) is one of ``names``."""
        for i, value in enumerate((values,) if isinstance(values, str) else values):
            if value not in names:
                key = where if isinstance(values, str) else f"{where}.{i}"
                raise self.fail(key, value, f"{what} of this catalog: " + ", ".join(sorted(names)))

    def unique(self, seen: dict[str, str], value: str, where: str, what: str, owner: str) -> None:
        """``value`` (case-folded) names one ``owner`` only: one stack, one location."""
        key = value.casefold()
        if seen.setdefault(key, owner) != owner:
            raise self.fail(where, value, f"{what} not already used by {seen[key]}")


def _check(raw: _CatalogFile, c: _Checker) -> None:
    areas = {a.name for a in raw.areas}
    roles = {r.name for r in raw.roles}
    families = {f.name for f in raw.stack_families}
    stacks = {s.name for f in raw.stack_families for s in f.stacks}
    goals = {g.name for g in raw.goals}
    for kind in ("locations", "areas", "roles", "stack_families", "goals"):
        names = [entry.name for entry in getattr(raw, kind)]
        for i, name in enumerate(names):
            if names.index(name) != i:
                raise c.fail(
                    f"{kind}.{i}.name", name, f"a name not already used by {kind}.{names.index(name)}"
                )
    if UNKNOWN_ROLE in roles:
        raise c.fail("roles", UNKNOWN_ROLE, f"role names other than {UNKNOWN_ROLE!r} (the unknown role)")
    places: dict[str, str] = {}
    for i, loc in enumerate(raw.locations):
        c.known(loc.area, areas, f"locations.{i}.area", "an area")
        for key, values in (("name", (loc.name,)), ("forms", loc.forms), ("landmarks", loc.landmarks)):
            for j, value in enumerate(values):
                where = f"locations.{i}.{key}" + ("" if key == "name" else f".{j}")
                c.unique(places, value, where, "a place", f"locations.{i}")
    for i, r in enumerate(raw.roles):
        c.known(r.related, roles - {r.name}, f"roles.{i}.related", "another role")
    for i, g in enumerate(raw.goals):
        c.known(g.related, goals - {g.name}, f"goals.{i}.related", "another goal")
    surface: dict[str, str] = {}
    for i, f in enumerate(raw.stack_families):
        where = f"stack_families.{i}"
        c.known(f.role, roles, f"{where}.role", "a role")
        c.known(f.related, families - {f.name}, f"{where}.related", "another family")
        for other in f.related:
            back = next(g for g in raw.stack_families if g.name == other)
            if f.name not in back.related:
                raise c.fail(
                    f"{where}.related", other, f"a symmetric relation ({other} must list {f.name} too)"
                )
        for j, s in enumerate(f.stacks):
            owner = f"{where}.stacks.{j}"
            c.unique(surface, s.name, f"{owner}.name", "a stack name", owner)
            for k, alias in enumerate(s.aliases):
                c.unique(surface, alias, f"{owner}.aliases.{k}", "an alias", owner)
            c.known(s.uses, stacks - {s.name}, f"{where}.stacks.{j}.uses", "another stack")
    if not any(s.lead for f in raw.stack_families for s in f.stacks):
        raise c.fail(
            "stack_families", "lead: false on every stack", "at least one stack that can lead (lead: true)"
        )
    for i, group in enumerate(raw.alternatives):
        c.known(group, stacks, f"alternatives.{i}", "a stack")
        if len(set(group)) < 2:
            raise c.fail(f"alternatives.{i}", list(group), "at least two different stacks")
    expected = 0
    for i, lv in enumerate(raw.experience_levels):
        if lv.min_years != expected:
            raise c.fail(
                f"experience_levels.{i}.min_years", lv.min_years, f"{expected} (contiguous from 0 up)"
            )
        if lv.max_years < lv.min_years:
            raise c.fail(
                f"experience_levels.{i}.max_years", lv.max_years, f"at least min_years ({lv.min_years})"
            )
        expected = lv.max_years + 1


def parse_catalog(raw: Any, path: Path | str = "<catalog>") -> Catalog:
    """Validate the content of a catalog file."""
    checker = _Checker(Path(path))
    try:
        model = _CatalogFile.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        value = "(missing)" if first["type"] == "missing" else first.get("input")
        raise checker.fail(where, value, first["msg"]) from None
    _check(model, checker)
    return Catalog(
        path=str(path),
        locations=tuple(Location(x.name, x.area, x.weight, x.forms, x.landmarks) for x in model.locations),
        areas=tuple(Area(a.name, a.forms) for a in model.areas),
        roles=tuple(Role(r.name, r.forms, r.related) for r in model.roles),
        families=tuple(
            Family(f.name, f.label, f.role, f.related, tuple(s.name for s in f.stacks), f.tools)
            for f in model.stack_families
        ),
        stacks=tuple(
            Stack(s.name, f.name, s.reading, s.aliases, s.uses, s.lead)
            for f in model.stack_families
            for s in f.stacks
        ),
        experience_levels=tuple(
            ExperienceLevel(lv.name, lv.min_years, lv.max_years, lv.weight) for lv in model.experience_levels
        ),
        goals=tuple(Goal(g.name, g.forms, g.light, g.related) for g in model.goals),
        alternatives=model.alternatives,
    )


def find_catalog(path: Path | str) -> Path:
    """``data.catalog`` as a file: a relative path is looked up in the working directory (a stage runs in
    the project root), then in the project root itself (tests and tools that write elsewhere)."""
    path = Path(path)
    for candidate in (path,) if path.is_absolute() else (path, PROJECT_ROOT / path):
        if candidate.is_file():
            return candidate
    raise ConfigError("data.catalog", str(path), "an existing catalog file such as catalog/ko.yaml")


@functools.cache
def _load(path: Path, mtime_ns: int) -> Catalog:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ConfigError(
            str(path), "(unreadable)", f"valid UTF-8 YAML ({str(err).splitlines()[0]})"
        ) from None
    return parse_catalog(raw, path)


def load_catalog(path: Path | str) -> Catalog:
    """Read and validate a catalog file; any problem is a :class:`ConfigError` naming file and entry."""
    path = find_catalog(path)
    return _load(path, path.stat().st_mtime_ns)
