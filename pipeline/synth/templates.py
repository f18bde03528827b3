"""Profile and posting texts: the seed phrasing plus free sentences, tags and forms as people write them.

Every template is a function ``(attrs, pick, phrases) -> str``. ``pick`` chooses among variants with
pre-drawn random numbers, so a text depends only on the entity's attributes and its draws. Particles
come from :class:`~pipeline.synth.korean.Grammar` (Django를, Kotlin으로, 스터디가), lists of stacks and
goals are spoken lists (A와 B) or written ones (A, B), and each side has branches for remote work and for
신입 / 경력 무관, so no slot is ever empty and no phrase doubles a word (…이상 이상).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, TypeVar

from pipeline.synth.catalog import Catalog
from pipeline.synth.korean import Grammar

T = TypeVar("T")


class ProfileAttrs(NamedTuple):
    location: str
    stacks: tuple[str, ...]
    not_stacks: tuple[str, ...]
    years: int
    role: str
    work_mode: str
    background: str
    goals: tuple[str, ...]


class PostingAttrs(NamedTuple):
    location: str
    stacks: tuple[str, ...]
    preferred: tuple[str, ...]
    min_years: int
    max_years: int
    role: str
    work_mode: str
    goal: str
    requires_cs: bool


class Rendered(NamedTuple):
    text: str
    register: str
    unseen: bool


DRAW_WORDS = 4
_M64 = (1 << 64) - 1


class Picker:
    """Chooses variants with pre-drawn random 64-bit words, 16 bits per choice."""

    __slots__ = ("draws", "i")

    def __init__(self, draws: Sequence[int]) -> None:
        self.draws = draws
        self.i = 0

    def __call__(self, options: Sequence[T]) -> T:
        i = self.i
        self.i = i + 1
        if i < 4 * len(self.draws):
            d = self.draws[i >> 2] >> ((i & 3) << 4)
        else:  # splitmix64 of (draw, i): rarely needed, only by texts with many list items
            z = (self.draws[i % len(self.draws)] + (i + 1) * 0x9E3779B97F4A7C15) & _M64
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
            d = ((z ^ (z >> 27)) * 0x94D049BB133111EB) >> 32
        return options[(d & 0xFFFF) % len(options)]


class Phrases:
    """Surface forms from the catalog plus the grammar that joins them."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.grammar = Grammar(catalog.readings)
        # The canonical name twice: people write "Django" more often than any one alias.
        self.stack_forms = {s.name: (s.name, s.name, *s.aliases) for s in catalog.stacks}

    def at(self, text: str, pair: str) -> str:
        return self.grammar.attach(text, pair)

    def and_list(self, items: Sequence[str]) -> str:
        return self.grammar.join_and(items)

    def stacks(self, stacks: Sequence[str], pick: Picker) -> list[str]:
        return [pick(self.stack_forms[s]) for s in stacks]

    def goals(self, goals: Sequence[str], pick: Picker) -> list[str]:
        return [pick(self.goal_nouns[g]) for g in goals]

    def region(self, region: str, pick: Picker) -> str:
        return pick(self.region_forms[region])


def render_profile(a: ProfileAttrs, draws: Sequence[int], ph: Phrases, unseen: bool) -> Rendered:
    """STUB until the compositional renderer lands."""
    pick = Picker(draws)
    text = f"{a.location or '어디든'} {a.role} {a.years}년 {', '.join(ph.stacks(a.stacks, pick))} {a.work_mode} {pick(('a', 'b', 'c'))}{draws[0] % 1000}"
    return Rendered(text, "stub", unseen)


def render_posting(a: PostingAttrs, draws: Sequence[int], ph: Phrases, unseen: bool) -> Rendered:
    pick = Picker(draws)
    text = f"[{a.location or '온라인'}] {a.role} {a.min_years}년+ {', '.join(ph.stacks(a.stacks, pick))} {a.goal} {draws[0] % 1000}"
    return Rendered(text, "stub", unseen)
