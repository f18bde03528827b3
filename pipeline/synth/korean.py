"""Korean grammar helpers for the templates: particles that fit the preceding sound, Sino-Korean numbers.

A particle pair such as 을/를 depends on whether the preceding word ends in a consonant (받침); 으로/로
also takes 로 after ㄹ. Latin-letter words (stack names) are judged by how Koreans read them: an explicit
reading (장고 for Django, from the catalog) when there is one, otherwise a rule on the spelling:
acronyms end in the name of their last letter (SQL → 엘, AWS → 에스), words ending in l read ㄹ
(Laravel → 라라벨), in m/n/ng a consonant (Terraform, Kotlin, Golang), anything else a vowel
(React → 리액트, Spark → 스파크, Docker → 도커).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping, Sequence


class Final(enum.Enum):
    VOWEL = "vowel"
    RIEUL = "rieul"  # ㄹ: a consonant, except that 으로/로 takes 로
    CONSONANT = "consonant"


# (after a consonant, after a vowel); 으로/로 after ㄹ is handled in particle().
PARTICLES: dict[str, tuple[str, str]] = {
    "은/는": ("은", "는"),
    "이/가": ("이", "가"),
    "을/를": ("을", "를"),
    "과/와": ("과", "와"),
    "으로/로": ("으로", "로"),
    "이랑/랑": ("이랑", "랑"),
    "이나/나": ("이나", "나"),
    "이에요/예요": ("이에요", "예요"),
    "이고/고": ("이고", "고"),
    "이라/라": ("이라", "라"),
    "이라서/라서": ("이라서", "라서"),
    "이라면/라면": ("이라면", "라면"),
    "이면/면": ("이면", "면"),
    "이지만/지만": ("이지만", "지만"),
    "이야/야": ("이야", "야"),
}

_RIEUL_JONG = 8  # index of ㄹ among the 28 final-consonant slots of a Hangul syllable
_LETTER_FINAL = {  # how the name of each Latin letter ends: 에스 (vowel), 엘 (ㄹ), 엠 (consonant)
    **dict.fromkeys("ABCDEFGHIJKOPQSTUVWXYZ", Final.VOWEL),
    "L": Final.RIEUL,
    "R": Final.RIEUL,
    "M": Final.CONSONANT,
    "N": Final.CONSONANT,
}
# Sino-Korean digit readings: 일 (ㄹ), 삼 (consonant), 이 (vowel); 0 at the end reads 영/십/백 (consonant).
_DIGIT_FINAL = {
    "0": Final.CONSONANT, "1": Final.RIEUL, "2": Final.VOWEL, "3": Final.CONSONANT, "4": Final.VOWEL,
    "5": Final.VOWEL, "6": Final.CONSONANT, "7": Final.RIEUL, "8": Final.RIEUL, "9": Final.VOWEL,
}  # fmt: skip
_SINO_DIGITS = ("", "일", "이", "삼", "사", "오", "육", "칠", "팔", "구")


def _hangul_final(ch: str) -> Final:
    jong = (ord(ch) - 0xAC00) % 28
    if jong == 0:
        return Final.VOWEL
    return Final.RIEUL if jong == _RIEUL_JONG else Final.CONSONANT


def _latin_final(word: str) -> Final:
    letters = "".join(c for c in word if c.isascii() and c.isalpha())
    if word[-1].isupper() and (len(letters) == 1 or sum(c.isupper() for c in letters) >= 2):
        return _LETTER_FINAL[word[-1]]  # a letter or an acronym or one ending in one: R, SQL, AWS, 몽고DB
    low = letters.lower()
    if low.endswith("l"):
        return Final.RIEUL
    if low.endswith(("m", "n", "ng")):
        return Final.CONSONANT
    return Final.VOWEL


def _final_of(text: str, readings: Sequence[tuple[str, str]]) -> Final:
    for name, reading in readings:  # longest first, so "React Native" wins over "Native"
        if text.endswith(name) and not text[: -len(name)][-1:].isalnum():
            return _hangul_final(reading[-1])
    tail = text.rstrip(" )]\"'")
    if not tail:
        raise ValueError(f"no word to attach a particle to in {text!r}")
    ch = tail[-1]
    if "가" <= ch <= "힣":
        return _hangul_final(ch)
    if ch.isdigit():
        return _DIGIT_FINAL[ch]
    if ch.isascii() and ch.isalpha():
        return _latin_final(tail.split()[-1])
    raise ValueError(f"cannot tell how {text!r} ends; add its reading to the catalog")


class Grammar:
    """Particle choice with a fixed table of readings (the catalog's stack pronunciations)."""

    def __init__(self, readings: Mapping[str, str] | None = None) -> None:
        self._readings = sorted((readings or {}).items(), key=lambda kv: (-len(kv[0]), kv[0]))
        self._finals: dict[str, Final] = {}  # texts repeat a lot: rendering asks about the same words

    def final(self, text: str) -> Final:
        final = self._finals.get(text)
        if final is None:
            final = self._finals[text] = _final_of(text, self._readings)
        return final

    def particle(self, text: str, pair: str) -> str:
        """The form of ``pair`` (e.g. ``"을/를"``) that follows ``text``."""
        after_consonant, after_vowel = PARTICLES[pair]
        final = self.final(text)
        if final is Final.VOWEL or (final is Final.RIEUL and pair == "으로/로"):
            return after_vowel
        return after_consonant

    def attach(self, text: str, pair: str) -> str:
        return text + self.particle(text, pair)

    def join_and(self, items: Sequence[str]) -> str:
        """``A와 B``, ``A, Kotlin과 B``: a spoken list whose 과/와 fits the item before the last."""
        if len(items) == 1:
            return items[0]
        head = [*items[:-2], self.attach(items[-2], "과/와")]
        return ", ".join(head) + " " + items[-1]


@functools.cache
def sino_number(n: int) -> str:
    """Sino-Korean reading of 1..99 (삼, 십이, 이십): how 3년 차 is written out as 삼 년 차."""
    if not 1 <= n <= 99:
        raise ValueError(f"sino_number supports 1..99, got {n}")
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("십" if tens == 1 else _SINO_DIGITS[tens] + "십")
    return head + _SINO_DIGITS[ones]
