"""Profile and posting texts composed from clauses, in several registers, as people write them.

A text is built from *facts* (one per attribute: where, how long, which stacks, ...). Each fact has many
surface forms per speech level (``f`` 합니다체, ``p`` 해요체, ``c`` 음슴체/반말, plus short values for
``key: value`` lines and tags), the order of the facts varies, and irrelevant detail (project topics,
schedules, tools, pay, team) is mixed in. A *register* decides the frame: a formal self-introduction, a
board post with a ``[지역]`` header and ``- 키: 값`` lines, a resume line, a chat message, a LinkedIn
headline, hashtags; for postings a recruitment post, a job ad with sections, an official notice.

Label contract: a text states exactly what its attributes say and nothing about empty/unknown ones
(``location=""`` names no place, ``background="unknown"`` no major, ``goals=()`` no goal, a posting with
``max_years=-1`` no upper bound).

Variants live in the phrasebook ``templates.txt`` next to this module: a header
``NAME key ...`` per clause kind, then its variants split by `` ; ``; the code looks them up with
``_table("NAME")`` (a dict by the header keys). Held-out forms: the variants after ``held out:`` (about a
fifth of each kind) and one register per side (:data:`HELD_OUT_REGISTERS`). ``unseen=False`` never uses
them; ``unseen=True`` uses everything, a held-out variant at least a fifth of the time, and
:class:`Rendered` says whether the text used one (about 95% do). Every list is a :class:`Var` recorded in
:data:`VARIANTS`; :func:`held_out_forms` lists the held-out ones.

Randomness: a :class:`Picker` reads 16-bit choices off pre-drawn 64-bit words, so a text is a function of
(attrs, draws, catalog, unseen) only. Slots are filled lazily by ``str.format_map`` on a :class:`_Ctx`,
which draws a slot's surface form the first time a template asks for it; ``{x_을}`` is slot ``x`` with
the particle 을/를 that fits it (korean.Grammar, cached per word).
"""

from __future__ import annotations

import itertools
import re
import sys
from array import array
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from pipeline.synth.catalog import Catalog
from pipeline.synth.korean import PARTICLES, Grammar

T = TypeVar("T")


# NamedTuples, not dataclasses: hundreds of thousands are built per run and their creation is cheaper.
class ProfileAttrs(NamedTuple):
    location: str  # catalog location name; "" = the text does not say where
    stacks: tuple[str, ...]  # >= 1 canonical stack names, main one first
    not_stacks: tuple[str, ...]  # stacks the person has not used (negated in the text); may be empty
    years: int  # 0 = 신입 / 학생 / 1년 미만
    role: str  # catalog role name
    work_mode: str  # remote | any | offline
    background: str  # cs | non_cs | unknown (not mentioned)
    goals: tuple[str, ...]  # catalog goal names; () = not mentioned


class PostingAttrs(NamedTuple):
    location: str  # catalog location name; "" only for online postings
    stacks: tuple[str, ...]  # required stacks, >= 1
    preferred: tuple[str, ...]  # 우대 stacks; may be empty
    min_years: int  # 0 = 신입 가능 / 경력 무관
    max_years: int  # -1 = no upper bound
    role: str
    work_mode: str  # online | offline | hybrid
    goal: str  # catalog goal name
    requires_cs: bool


class Rendered(NamedTuple):
    text: str
    register: str
    unseen: bool  # the text used at least one held-out form


DRAW_WORDS = 8  # 64-bit random words per text: 32 choices of 16 bits, then splitmix64
_M64 = (1 << 64) - 1
_BIG_ENDIAN = sys.byteorder == "big"
_HELD_BIAS = 0.2 * 65536  # unseen texts: a draw below this takes a held-out variant


# --- variants and the picker -------------------------------------------------------------------------


class Var(NamedTuple):
    """Variants of one clause kind: ``every[:n]`` are seen in training texts, ``every[n:]`` held out."""

    every: tuple[str, ...]
    n: int
    kind: str

    @property
    def seen(self) -> tuple[str, ...]:
        return self.every[: self.n]

    @property
    def held(self) -> tuple[str, ...]:
        return self.every[self.n :]


VARIANTS: list[Var] = []  # every variant list of the module, for tests and the held-out report


def _lines(variants: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(variants, str):
        return tuple(line.strip() for line in variants.splitlines() if line.strip())
    return tuple(variants)


def _var(kind: str, seen: str | Sequence[str], held: str | Sequence[str] = ()) -> Var:
    """A variant list, given as tuples or as text with one variant per line; ``kind`` starts with ``p.``
    (profiles), ``j.`` (postings) or ``x.`` (both)."""
    seen, held = _lines(seen), _lines(held)
    var = Var((*seen, *held), len(seen), kind)
    VARIANTS.append(var)
    return var


_PERMS = {n: tuple(itertools.permutations(range(n))) for n in range(8)}


def _parse_variants(text: str) -> dict[str, Var]:
    """Variant text: a header ``NAME key ...`` per clause kind, then indented lines of variants split by
    `` ; ``; the variants after ``held out:`` are held out."""
    out: dict[str, Var] = {}
    head, seen, held = "", [], []
    for line in [*text.splitlines(), "END"]:
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            if head:
                out[head] = Var((*seen, *held), len(seen), head.replace(" ", "."))
            head, seen, held = line.strip(), [], []
            continue
        if line.startswith("     "):
            raise ValueError(f"variant line indented more than 4 spaces (a wrapped held-out line?): {line!r}")
        body = line.strip()
        target = seen
        if body.startswith("held out:"):
            body, target = body[len("held out:") :], held
        target += [v.strip() for v in body.split(" ; ")]
    return out


def _table(name: str) -> Any:
    """The variant lists of ``NAME``: one list, or a dict by its header keys (``True``/``False`` as bools)."""
    found: dict[object, Var] = {}
    for head, var in _VARIANT_TABLES.items():
        words = head.split()
        if words[0] != name:
            continue
        keys = tuple({"True": True, "False": False}.get(w, w) for w in words[1:])
        if not keys:
            return var
        found[keys if len(keys) > 1 else keys[0]] = var
    if not found:
        raise KeyError(name)
    return found


# --- the variants --------------------------------------------------------------------------------------
# ``P_`` profiles, ``J_`` postings, ``X_`` both; keys ``f`` 합니다체, ``p`` 해요체, ``c`` 음슴체,
# ``val`` a value for ``key: value`` lines and fields, ``key`` the key, ``tag`` a hashtag, ``en`` English.
# Slots: see _PROFILE_SLOTS / _POSTING_SLOTS; ``{x_을}`` is slot x with the particle that fits it (``_은``,
# ``_이``, ``_으로``, ``_이에요``, ...). The variants after ``held out:`` never appear in training texts.

# The variants are data: pipeline/synth/templates.txt (its header explains the format).
PHRASEBOOK = Path(__file__).with_suffix(".txt")

_VARIANT_TABLES = _parse_variants(PHRASEBOOK.read_text(encoding="utf-8"))
VARIANTS.extend(_VARIANT_TABLES.values())


def _splitmix(draws: Sequence[int]) -> Iterator[int]:
    """16-bit choices past the pre-drawn words: splitmix64 of (draw, i)."""
    n = len(draws)
    i = 4 * n
    while True:
        z = (draws[i % n] + (i + 1) * 0x9E3779B97F4A7C15) & _M64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
        yield (((z ^ (z >> 27)) * 0x94D049BB133111EB) >> 40) & 0xFFFF
        i += 1


class Picker:
    """Chooses variants with pre-drawn random 64-bit words, 16 bits per choice (low bits first), then
    splitmix64 numbers when a long text needs more."""

    __slots__ = ("held", "next", "unseen")

    def __init__(self, draws: Sequence[int], unseen: bool = False) -> None:
        try:
            words = array("Q", draws)
        except OverflowError:  # signed words
            words = array("Q", [w & _M64 for w in draws])
        if _BIG_ENDIAN:
            words.byteswap()
        self.next = itertools.chain(memoryview(words).cast("B").cast("H"), _splitmix(draws)).__next__
        self.unseen = unseen
        self.held = False  # a held-out variant was used

    def bits(self) -> int:
        return self.next()

    def __call__(self, options: Sequence[T]) -> T:
        return options[self.next() % len(options)]

    def chance(self, p: float) -> bool:
        return self.next() < p * 65536.0

    def v(self, var: Var) -> str:
        """A variant of ``var``: seen ones only, unless this text may use held-out forms."""
        if self.unseen:
            return var.every[self._unseen_index(self.next(), var)]
        return var.every[self.next() % var.n]

    def vr(self, var: Var) -> tuple[str, int]:
        """A variant and 8 more random bits from the same draw (for a sentence and its ending)."""
        r = self.next()
        if self.unseen:
            return var.every[self._unseen_index(r, var)], r >> 8
        return var.every[r % var.n], r >> 8

    def _unseen_index(self, r: int, var: Var) -> int:
        """Any variant, a held-out one at least a fifth of the time (so most unseen texts use one)."""
        every = len(var.every)
        k = var.n + r % (every - var.n) if r < _HELD_BIAS and every > var.n else r % every
        if k >= var.n:
            self.held = True
        return k

    def order(self, items: list[T]) -> list[T]:
        """``items`` in a random order."""
        n = len(items)
        if n < 2:
            return items
        if n < 8:
            perm = _PERMS[n]
            return [items[j] for j in perm[self.bits() % len(perm)]]
        items = list(items)
        for j in range(n - 1, 0, -1):
            k = self.bits() % (j + 1)
            items[j], items[k] = items[k], items[j]
        return items


# --- the phrase tables built from the catalog ---------------------------------------------------------

# Latin aliases the spelling rule in korean.py would misread (the catalog has readings for names only).
_ALIAS_READINGS = {
    "ASP.NET": "에이에스피닷넷",
    "SvelteKit": "스벨트킷",
    "ONNX Runtime": "오닉스 런타임",
    "JSP/Servlet": "제이에스피 서블릿",
    "csharp": "씨샵",
    "dotnet": "닷넷",
}
# Aliases fine for reading people's texts but not for writing them: another product (MariaDB for MySQL,
# Keras for TensorFlow, Hibernate for JPA), ambiguous (PG, ES) or nobody writes them (쿼리 for SQL).
# Transliterations nobody writes in a stack list (거대언어모델 for LLM, 엑스지부스트) are read, never written.
_NOT_WRITTEN = {
    "쿼리",
    "MariaDB",
    "Keras",
    "Hibernate",
    "하이버네이트",
    "PG",
    "ES",
    "csharp",
    "dotnet",
    "거대언어모델",
    "대형 언어 모델",
    "엑스지부스트",
    "패스트API",  # half-English spellings a reviewer found nobody writes
    "그래프QL",
    "프로메테우스/그라파나",  # names a second tool
    "아마존 웹 서비스",
    "딥스피드",
}
# Misspellings and half-English spellings (리엑트, 패스트API): people write them, but seldom; together they
# take _RARE_SHARE of a stack's mentions.
_RARE_WRITTEN = {
    "파이선",
    "노드JS",
    "네스트JS",
    "타입ORM",
    "리엑트",
    "뷰JS",
    "넥스트JS",
    "싸이킷런",
    "오픈CV",
    "에저",
    "Rx스위프트",
}
_RARE_SHARE = 0.03
# Community slang: written in chat, tags and casual board posts, not in a résumé or a job ad. Misspellings
# (_RARE_WRITTEN) likewise.
_SLANG = {"자스", "타스", "C샵", "스유", "씨쁠쁠", "씨플플", "마바", "고랭", "안드", "쿠버", "토치"}
_HANGUL = re.compile("[\uac00-\ud7a3]")
# Landmarks that are a building or a complex: one lives or meets near them (정부세종청사 근처), not in them.
_COMPLEX = ("청사", "단지", "역")  # places one lives or meets near: 삼성역 근처, not 거주: 삼성역
# Stacks that name a developer: "React 개발자", "Spring 개발자" (never "Redis 개발자").
_DEV_TITLE = {
    "Python",
    "Django",
    "Java",
    "Kotlin",
    "Spring",
    "Spring Boot",
    "Node.js",
    "NestJS",
    "PHP",
    "Laravel",
    "Ruby on Rails",
    "C#",
    ".NET",
    "Go",
    "JavaScript",
    "TypeScript",
    "React",
    "Vue",
    "Angular",
    "Next.js",
    "Swift",
    "Android",
    "Flutter",
    "React Native",
    "Unity",
    "Unreal Engine",
    "C",
    "C++",
    "Rust",
}
# Station names people put 역 after (강남역 근처).
_STATIONS = {
    "강남",
    "역삼",
    "선릉",
    "성수",
    "마곡",
    "여의도",
    "잠실",
    "판교",
    "수원",
    "동탄",
    "평택",
    "안양",
    "과천",
    "광명",
    "의정부",
    "부평",
    "서면",
    "해운대",
    "전포",
    "천안",
    "구미",
    "포항",
}


class _RoleWords(NamedTuple):
    field: tuple[str, ...]  # 백엔드, 서버, BE: "백엔드 쪽", "분야: 서버"
    person: tuple[str, ...]  # 백엔드 개발자, 서버 개발자: "… 개발자입니다"
    casual: tuple[str, ...]  # 백엔드, BE, 프론트: "3년차 백엔드예요"
    english: tuple[str, ...]  # Backend Engineer


# Words per role beyond the catalog's forms (which are all used: field forms as fields, the ones ending in
# 개발자/엔지니어 as persons).
_ROLE_EXTRA: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "backend": (
        ("백엔드 엔지니어",),
        ("백엔드", "BE", "서버 개발자"),
        ("Backend Engineer", "Backend Developer", "Server Engineer"),
    ),
    "frontend": (
        ("프론트 개발자", "FE 개발자"),
        ("프론트", "프론트엔드", "FE"),
        ("Frontend Engineer", "Frontend Developer"),
    ),
    "fullstack": ((), ("풀스택", "풀스택 개발자"), ("Full-stack Developer", "Fullstack Engineer")),
    "mobile": (("모바일 개발자",), ("앱 개발자", "모바일 개발자"), ("Mobile Developer", "App Developer")),
    "data": ((), ("데이터 엔지니어",), ("Data Engineer",)),
    "ml": (
        ("머신러닝 엔지니어",),
        ("ML 엔지니어", "AI 엔지니어"),
        ("ML Engineer", "Machine Learning Engineer", "AI Engineer"),
    ),
    "devops": (
        ("데브옵스 엔지니어", "인프라 엔지니어", "SRE"),
        ("데브옵스", "인프라 엔지니어", "SRE"),
        ("DevOps Engineer", "SRE", "Cloud Engineer"),
    ),
    "game": (
        ("게임 클라이언트 개발자",),
        ("게임 개발자", "게임 클라 개발자"),
        ("Game Developer", "Game Client Programmer"),
    ),
    "embedded": (
        ("임베디드 엔지니어",),
        ("임베디드 개발자", "펌웨어 개발자"),
        ("Embedded Software Engineer", "Firmware Engineer"),
    ),
    "qa": (
        ("테스트 자동화 엔지니어",),
        ("QA", "QA 엔지니어"),
        ("QA Engineer", "SDET", "Test Automation Engineer"),
    ),
}
_FAMILY_PERSON = {  # a mobile developer whose main stack is iOS / Android
    "ios": (("iOS 개발자",), ("iOS Developer", "iOS Engineer")),
    "android": (("안드로이드 개발자",), ("Android Developer", "Android Engineer")),
}


class _GoalWords(NamedTuple):
    find: tuple[str, ...]  # what one looks for: 사이드 프로젝트, 해커톤 팀, 정규직 자리
    find_new: tuple[str, ...]  # the same for someone without experience (no 이직)
    interest: tuple[str, ...]  # what one is interested in: 창업, 이직, 외주
    interest_new: tuple[str, ...]
    english: tuple[str, ...]
    tag: tuple[str, ...]  # a posting's header tag: [사이드 프로젝트]
    member: tuple[str, ...]  # a posting's member noun: 스터디원, 팀원, 공동창업자


_GOALS: dict[str, _GoalWords] = {
    "study": _GoalWords(
        ("스터디", "스터디 그룹", "공부 모임"),
        ("스터디", "스터디 그룹", "공부 모임"),
        ("스터디", "공부 모임", "스터디 그룹"),
        ("스터디", "공부 모임", "스터디 그룹"),
        ("study groups", "a study group"),
        ("스터디",),
        ("스터디원", "스터디 멤버"),
    ),
    "toy": _GoalWords(
        ("토이 프로젝트", "토이플젝", "가벼운 토이 프로젝트"),
        ("토이 프로젝트", "토이플젝", "가벼운 토이 프로젝트"),
        ("토이 프로젝트", "토이플젝"),
        ("토이 프로젝트", "토이플젝"),
        ("toy projects", "a toy project"),
        ("토이 프로젝트", "토이플젝"),
        ("토이 프로젝트 팀원", "토이플젝 멤버"),
    ),
    "side_project": _GoalWords(
        ("사이드 프로젝트", "사이드플젝", "사이드 프로젝트 팀"),
        ("사이드 프로젝트", "사이드플젝"),
        ("사이드 프로젝트", "사이드플젝"),
        ("사이드 프로젝트", "사이드플젝"),
        ("side projects", "a side project"),
        ("사이드 프로젝트", "사이드플젝"),
        ("사이드 프로젝트 팀원", "사이드플젝 팀원"),
    ),
    "startup": _GoalWords(
        ("초기 스타트업", "창업 팀", "초기 창업팀"),
        ("초기 스타트업", "창업 팀", "초기 창업팀"),
        ("창업", "초기 스타트업"),
        ("창업", "초기 스타트업"),
        ("early-stage startups", "an early-stage startup"),
        ("창업", "초기 스타트업", "창업 팀"),
        ("창업 멤버", "공동창업자", "창업 팀원"),
    ),
    "job": _GoalWords(
        ("정규직 자리", "이직할 곳", "정규직 포지션"),
        ("정규직 자리", "정규직 포지션"),
        ("정규직", "이직"),
        ("정규직", "취업"),  # 신입채용 is the employer's tag
        ("full-time roles", "a full-time role"),
        ("채용", "정규직", "정규직 채용"),
        ("정규직 직원", "정규직 개발자"),
    ),
    "freelance": _GoalWords(
        ("외주 일", "프리랜서 일", "외주 일감"),  # 외주 구해요 alone reads as hiring
        ("외주 일", "프리랜서 일", "외주 일감"),
        ("외주", "프리랜서"),
        ("외주", "프리랜서"),
        ("freelance work", "a freelance project"),
        ("외주", "프리랜서"),
        ("외주 개발자", "프리랜서 개발자"),
    ),
    "hackathon": _GoalWords(
        ("해커톤 팀", "공모전 팀", "해커톤 나갈 팀"),
        ("해커톤 팀", "공모전 팀", "해커톤 나갈 팀"),
        ("해커톤", "공모전"),
        ("해커톤", "공모전"),
        ("hackathons", "a hackathon team"),
        ("해커톤", "공모전"),
        ("해커톤 팀원", "공모전 팀원"),
    ),
}
HIRING_GOALS = ("job", "freelance")  # goals that hire: years exactly, a CS degree, duties for the experienced
_WORK_GOALS = {*HIRING_GOALS, "startup"}  # postings about work: 출근, 근무; the others meet: 모임, 진행

# Non-CS majors (all end in a consonant: "경영학인데", "디자인이지만").
_MAJORS = (
    "경영학",
    "경제학",
    "국문학",
    "영문학",
    "기계공학",
    "심리학",
    "화학",
    "행정학",
    "디자인",
    "산업공학",
)

_SHORT = {pair.split("/")[0]: pair for pair in PARTICLES}  # "을" -> "을/를"


class _Place(NamedTuple):
    forms: tuple[str, ...]
    landmarks: tuple[str, ...]
    combos: tuple[str, ...]  # 부산 해운대
    areas: tuple[str, ...]  # area words for color next to the place; () where the area is this place only


class Phrases:
    """Surface forms from the catalog plus the grammar that joins them."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.grammar = Grammar({**catalog.readings, **_ALIAS_READINGS})
        self.family_of = {s.name: s.family for s in catalog.stacks}
        family_role = {f.name: f.role for f in catalog.families}
        self.stack_role = {s.name: family_role[s.family] for s in catalog.stacks}
        # Languages: what other stacks are built on and itself on nothing (Python, Java, C; not Docker, LLM).
        built_on = {b for s in catalog.stacks for b in s.uses}
        self.languages = {
            s.name
            for s in catalog.stacks
            if s.name in built_on and not s.uses and self.stack_role[s.name] not in ("devops", "ml")
        }
        # Stacks one runs or uses rather than develops with: infrastructure, databases, MLOps tools.
        self.tools = {s for f in catalog.families if f.tools for s in f.stacks}
        # The canonical name three times and the first Hangul alias twice: people write "Django" more
        # often than any one alias, and 장고 more often than django. Misspellings are drawn apart (rare);
        # English phrases (Skills: …, No … experience) take the Latin forms only.
        self.stack_forms: dict[str, tuple[str, ...]] = {}
        self.stack_plain: dict[str, tuple[str, ...]] = {}  # stack_forms without slang
        self.stack_latin: dict[str, tuple[str, ...]] = {}
        self.stack_rare: dict[str, tuple[str, ...]] = {}
        for s in catalog.stacks:
            written = [a for a in s.aliases if a not in _NOT_WRITTEN]
            common = [a for a in written if a not in _RARE_WRITTEN]
            hangul = [a for a in common if _HANGUL.search(a)][:1]
            self.stack_forms[s.name] = (s.name, s.name, s.name, *hangul, *common)
            self.stack_plain[s.name] = tuple(f for f in self.stack_forms[s.name] if f not in _SLANG)
            self.stack_latin[s.name] = (s.name, s.name, s.name, *(a for a in common if not _HANGUL.search(a)))
            rare = tuple(a for a in written if a in _RARE_WRITTEN)
            if rare:
                self.stack_rare[s.name] = rare
        per_area = {a.name: sum(loc.area == a.name for loc in catalog.locations) for a in catalog.areas}
        # Area words that name no location themselves (수도권, 부울경; not 대구·경북).
        place_words = [w for loc in catalog.locations for w in (*loc.forms, *loc.landmarks)]
        area_forms = {
            a.name: tuple(f for f in a.forms if not any(w in f for w in place_words)) for a in catalog.areas
        }
        self.places = {
            loc.name: _Place(
                loc.forms,
                loc.landmarks,
                tuple(
                    f"{loc.forms[0]} {lm}"
                    for lm in loc.landmarks
                    if " " not in loc.name and loc.forms[0] not in lm and not lm.endswith(("시", "청사"))
                ),
                area_forms.get(loc.area, ()) if per_area.get(loc.area, 0) > 1 else (),
            )
            for loc in catalog.locations
        }
        self.roles: dict[str, _RoleWords] = {}
        for r in catalog.roles:
            person = tuple(f for f in r.forms if f.endswith(("개발자", "엔지니어")))
            field = tuple(f for f in r.forms if f not in person) or (r.forms[0],)
            extra_person, casual, english = _ROLE_EXTRA.get(r.name, ((), field, (field[0],)))
            person = (*person, *extra_person) or tuple(f"{f} 개발자" for f in field)
            self.roles[r.name] = _RoleWords(field, person, casual, english)
        self.goals = {
            g.name: _GOALS.get(g.name)
            or _GoalWords(g.forms, g.forms, g.forms, g.forms, g.forms, g.forms, g.forms)
            for g in catalog.goals
        }
        self.goals_formal = {
            name: _GoalWords(*(tuple(w for w in ws if "플젝" not in w) or ws for ws in words))
            for name, words in self.goals.items()
        }
        self._years: dict[tuple[int, str], Var] = {}
        self._req: dict[tuple[int, int, str], Var] = {}

    def role(self, name: str) -> _RoleWords:
        return self.roles.get(name) or _RoleWords(("개발",), ("개발자",), ("개발자",), ("Software Engineer",))

    def years(self, n: int, kind: str) -> Var:
        """A profile's years (``kind``: adj 3년 차, val 경력 3년, valb the val forms without a bracket of
        their own, for places inside one; en 3 yrs) with the number filled in."""
        key = (n, kind)
        var = self._years.get(key)
        if var is None:
            if kind == "valb":
                val = self.years(n, "val")
                seen = [t for t in val.seen if "(" not in t]
                held = [t for t in val.held if "(" not in t]
                var = Var((*seen, *held), len(seen), val.kind)
            else:
                table = {"adj": _P_YEARS_ADJ, "val": _P_YEARS_VAL, "en": _P_YEARS_EN}[kind]
                var = _years_var(table, n)
            self._years[key] = var
        return var

    def requirement(self, lo: int, hi: int, kind: str) -> Var:
        """A posting's experience requirement (``kind``: f, p, c, val, en) with the numbers filled in."""
        key = (lo, hi, kind)
        var = self._req.get(key)
        if var is None:
            var = self._req[key] = _req_var(lo, hi, kind)
        return var


# --- years ---------------------------------------------------------------------------------------------

# Profile years before a role noun (n >= 1): "3년 차 백엔드 개발자".
_P_YEARS_ADJ = _table("P_YEARS_ADJ")
# Profile years as a value ("경력: 3년", "| 3년차 |").
_P_YEARS_VAL = _table("P_YEARS_VAL")
_P_YEARS_EN = _table("P_YEARS_EN")


def _level(n: int) -> str:
    return "zero" if n == 0 else "junior" if n <= 3 else "mid" if n <= 7 else "senior"


def _years_var(table: dict[str, Var], n: int) -> Var:
    if n == 0:
        return table.get("zero") or Var(("신입",), 1, "p.years.zero")
    parts = [table["one"] if n == 1 and "one" in table else table["any"]]
    if _level(n) in table:
        parts.append(table[_level(n)])
    seen = [t.format(n=n) for p in parts for t in p.seen]
    held = [t.format(n=n) for p in parts for t in p.held]
    return Var((*seen, *held), len(seen), parts[0].kind)


# A posting's requirement, per shape of (min, max): A 경력 무관, B 신입~m, C n 이상, D n~m, E n 차, Z 신입만.
_J_REQ = _table("J_REQ")
_J_REQ_LEVEL = _table("J_REQ_LEVEL")


def _req_shape(lo: int, hi: int) -> str:
    if hi < 0:
        return "A" if lo == 0 else "C"
    if lo == 0:
        return "Z" if hi == 0 else "B"
    return "E" if lo == hi else "D"


def _req_var(lo: int, hi: int, kind: str) -> Var:
    shape = _req_shape(lo, hi)
    parts = [_J_REQ[shape, kind]]
    if kind == "val":
        if shape == "B" and hi <= 3:
            parts.append(_J_REQ_LEVEL["junior0"])
        elif shape == "D" and hi <= 3:
            parts.append(_J_REQ_LEVEL["junior"])
        elif shape == "D" and 4 <= lo and hi <= 7:
            parts.append(_J_REQ_LEVEL["mid"])
        elif shape == "C" and lo >= 8:
            parts.append(_J_REQ_LEVEL["senior"])
    seen = [t.format(n=lo, m=hi) for p in parts for t in p.seen]
    held = [t.format(n=lo, m=hi) for p in parts for t in p.held]
    return Var((*seen, *held), len(seen), parts[0].kind)


# --- the lazily filled slots ---------------------------------------------------------------------------


class _Ctx(dict):
    """Slot values of one text, drawn when a template first asks for them; ``x_을`` adds a particle."""

    __slots__ = ("a", "make", "ph", "pick", "tails")

    def __init__(self, a: tuple, pick: Picker, ph: Phrases, make: dict[str, Callable[[_Ctx], str]]) -> None:
        self.a = a
        self.pick = pick
        self.ph = ph
        self.make = make
        self.tails: dict[str, str] = {}  # slot -> the word whose sound decides its particle (a list's last)

    def __missing__(self, key: str) -> str:
        make = self.make.get(key)
        if make is not None:
            value = make(self)
        else:
            base, _, short = key.rpartition("_")
            word = self[base]
            value = word + self.ph.grammar.particle(self.tails.get(base, word), _SHORT[short])
        self[key] = value
        return value

    def fill(self, template: str) -> str:
        return template.format_map(self)

    def say(self, var: Var) -> str:
        return self.pick.v(var).format_map(self)


def _surfaces(c: _Ctx, stacks: Sequence[str], latin: bool = False) -> list[str]:
    """Surface forms of ``stacks``: Latin ones only with ``latin`` or in an English-register text; slang
    and misspellings only in a casual one (``_casual``)."""
    pick = c.pick
    if latin or c.get("\0latin"):
        forms = c.ph.stack_latin
        return [pick(forms[s]) for s in stacks]
    if not c.get("\0casual"):
        return [pick(c.ph.stack_plain[s]) for s in stacks]
    forms = c.ph.stack_forms
    rare = c.ph.stack_rare
    out = []
    for s in stacks:
        r = rare.get(s)
        out.append(pick(r) if r is not None and pick.chance(_RARE_SHARE) else pick(forms[s]))
    return out


def _casual(c: _Ctx) -> None:
    """Mark the text casual (chat, tags, a 해요체 board post) before any stack is written."""
    c["\0casual"] = True  # type: ignore[assignment]


def _written(c: _Ctx, items: list[str], slot: str) -> str:
    c.tails[slot] = items[-1]
    if len(items) == 1:
        return items[0]
    return c.pick((", ", ", ", "/", ", ")).join(items)


def _spoken(c: _Ctx, items: list[str], slot: str) -> str:
    c.tails[slot] = items[-1]
    if len(items) > 1 and c.pick.chance(0.2):  # A랑 B: casual; A, B: written
        return c.ph.grammar.attach(items[0], "이랑/랑") + " " + ", ".join(items[1:])
    return c.ph.grammar.join_and(items)


def _or_list(c: _Ctx, items: list[str], slot: str) -> str:
    """A나 B: alternatives (goals)."""
    c.tails[slot] = items[-1]
    if len(items) == 1:
        return items[0]
    g = c.ph.grammar
    return ", ".join([*items[:-2], g.attach(items[-2], "이나/나")]) + " " + items[-1]


def _stack_list(c: _Ctx) -> list[str]:
    sf = c.get("\0sf")
    if sf is None:
        sf = c["\0sf"] = _surfaces(c, c.a.stacks)  # type: ignore[assignment]
    return sf  # type: ignore[return-value]


def _place_parts(c: _Ctx) -> tuple[str, bool]:
    """The place named in this text and whether it is a landmark (drawn once per text); a building or a
    complex comes with 근처/인근 (정부세종청사 근처에 살아요, not 정부세종청사에 살아요)."""
    got = c.get("\0pl")
    if got is None:
        p = c.ph.places[c.a.location]
        r = c.pick.bits() % 100
        if p.landmarks and r < 50:
            got = (c.pick(p.landmarks), True)
        elif p.combos and r >= 90:
            got = (c.pick(p.combos), True)
        else:
            got = (c.pick(p.forms), False)
        if got[1] and got[0].endswith(_COMPLEX):
            got = (got[0] + c.pick((" 근처", " 인근")), True)
        c["\0pl"] = got  # type: ignore[assignment]
    return got  # type: ignore[return-value]


def _s_place(c: _Ctx) -> str:
    return _place_parts(c)[0]


def _s_near(c: _Ctx) -> str:
    place, landmark = _place_parts(c)
    if place.endswith((" 근처", " 인근")):  # a complex: 대덕연구단지 근처
        return place
    if landmark:
        last = place.split()[-1]
        if last in _STATIONS and c.pick.chance(0.3):
            return f"{place}역 근처"
        return place + c.pick((" 근처", " 쪽", " 근처", ""))
    if place.endswith("시") and len(place) == 3:  # 서울 쪽, not 서울시 쪽 (광주광역시 stays whole)
        return c.pick((place, place[:-1] + " 쪽"))
    return place + c.pick((" 쪽", ""))


def _s_office(c: _Ctx) -> str:
    """Where one goes in person (an office, a meetup): a landmark, not a province nor a whole city (천안
    사무실로 출근, not 충남으로 출근; 강남에서 모여요, not 서울에서)."""
    landmark = _place_parts(c)[1]
    p = c.ph.places[c.a.location]
    if landmark or not p.landmarks:
        return c["near"]
    town = c.get("\0town")
    if town is None:
        towns = tuple(lm for lm in p.landmarks if not lm.endswith(_COMPLEX))
        town = c.pick(towns) if towns else c.pick(p.landmarks) + " 근처"  # 세종: its 청사 and 단지 only
        c["\0town"] = town
    return town


def _names_place(c: _Ctx, text: str) -> bool:
    """Whether ``text`` already names the place (출근 (성남) needs no · 성남 after it)."""
    return any(c[slot] in text for slot in ("place", "near", "office"))


def _place_tag(c: _Ctx) -> str:
    """The place as a hashtag: #판교, #대덕연구단지 (a complex without its 근처)."""
    place = _place_parts(c)[0].removesuffix(" 근처").removesuffix(" 인근")
    return "#" + place.replace(" ", "")


def _s_area(c: _Ctx) -> str:
    return c.pick(c.ph.places[c.a.location].areas)


def _s_rf(c: _Ctx) -> str:
    return c.pick(c.ph.role(c.a.role).field)


def _person(c: _Ctx, words: Sequence[str], lang: int) -> str:
    """A role's person noun; a mobile developer is often named by platform (iOS 개발자), ``lang`` 0 Korean,
    1 English."""
    home = c.ph.family_of.get(c.a.stacks[0], "")
    fam = _FAMILY_PERSON.get(home)
    # 안드로이드 개발자 only when no stack is of the other platform (Compose and Swift: 모바일 개발자)
    other = any(c.ph.family_of.get(s) in _FAMILY_PERSON and c.ph.family_of.get(s) != home for s in c.a.stacks)
    if fam and c.a.role == "mobile" and not other and c.pick.chance(0.5):
        words = fam[lang]
    return c.pick(words)


def _s_rp(c: _Ctx) -> str:
    return _person(c, c.ph.role(c.a.role).person, 0)


def _s_rc(c: _Ctx) -> str:
    return c.pick(c.ph.role(c.a.role).casual)


def _s_re(c: _Ctx) -> str:
    return _person(c, c.ph.role(c.a.role).english, 1)


def _s_dev(c: _Ctx) -> str:
    """A developer named by the main stack when it is a language/framework of the role (React 개발자)."""
    main = c.a.stacks[0]
    # Only beside other stacks: "React 개발자 … 주력은 React" alone reads as a doubled title.
    if (
        main in _DEV_TITLE
        and len(c.a.stacks) > 1
        and c.ph.stack_role.get(main) == c.a.role
        and c.pick.chance(0.6)
    ):
        return _stack_list(c)[0] + " 개발자"
    return c["rp"]


def _s_st(c: _Ctx) -> str:
    return _written(c, _stack_list(c), "st")


def _s_ste(c: _Ctx) -> str:
    """The stacks for an English phrase (Skills: …): Latin forms only."""
    if c.get("\0latin"):
        return c["st"]
    return _written(c, _surfaces(c, c.a.stacks, latin=True), "ste")


def _s_sa(c: _Ctx) -> str:
    return _spoken(c, _stack_list(c), "sa")


def _s_main(c: _Ctx) -> str:
    return _stack_list(c)[0]


def _s_rest(c: _Ctx) -> str:
    return _spoken(c, _stack_list(c)[1:], "rest")


def _s_tags(c: _Ctx) -> str:
    return " ".join("#" + s.replace(" ", "") for s in _stack_list(c))


def _s_topic(c: _Ctx) -> str:
    """Something to build that fits the role: an app for web and mobile, a model for ML, firmware..."""
    return c.pick.v(_X_TOPICS.get(c.a.role, _X_TOPICS["web"]))


# Duties one hands to an experienced hire of an established team, not to a junior nor to a founding team.
_SENIOR_DUTY = ("MSA", "디자인 시스템", "대용량", "레거시", "SSR 전환", "체계 구축", "데이터 웨어하우스")


def _s_duty(c: _Ctx) -> str:
    """What the work is, in the words of the role (결제·정산 API 개발, 모델 서빙, 펌웨어 개발)."""
    a = c.a
    var = _X_DUTY.get(a.role, _X_DUTY["other"])
    if isinstance(a, ProfileAttrs):
        junior = a.years < 3
    else:  # a post: a junior hire, or a project that hires no one
        junior = a.min_years < 3 or a.goal not in HIRING_GOALS
    return _redraw(lambda: c.pick.v(var), lambda duty: junior and any(w in duty for w in _SENIOR_DUTY))


def _s_hours(c: _Ctx) -> str:
    return c.pick(("5", "6", "8", "10", "10", "12", "15"))


def _s_major(c: _Ctx) -> str:
    return c.pick(_MAJORS)


# profile slots


def _p_n(c: _Ctx) -> str:
    return str(c.a.years)


def _p_yrs(c: _Ctx) -> str:
    n = c.a.years
    pick = c.pick
    if n <= 1 and pick.chance(0.1):  # 1년 차 is 12-17 months, not 21 (that is nearly 2년); 24개월 차: 2년 차
        return f"{12 * n + pick.bits() % 6}개월 차"
    return pick.v(c.ph.years(n, "adj"))


def _p_yvb(c: _Ctx) -> str:
    """The years as a value inside a bracket or a title: no bracket of its own (12년, not 12년 (시니어))."""
    yv = c.get("yv")
    if yv is not None and "(" not in yv:
        return yv
    return c.pick.v(c.ph.years(c.a.years, "valb"))


def _p_yv(c: _Ctx) -> str:
    n = c.a.years
    pick = c.pick
    if n <= 1 and pick.chance(0.1):
        return f"{12 * n + 2 + pick.bits() % 9}개월" if n == 0 else f"{12 * n + pick.bits() % 6}개월"
    return pick.v(c.ph.years(n, "val"))


def _p_ye(c: _Ctx) -> str:
    return c.pick.v(c.ph.years(c.a.years, "en"))


def _p_mo(c: _Ctx) -> str:
    return str(3 + c.pick.bits() % 9)


def _p_no(c: _Ctx) -> str:
    return _spoken(c, _surfaces(c, c.a.not_stacks), "no")


def _p_nol(c: _Ctx) -> str:
    return _written(c, _surfaces(c, c.a.not_stacks), "nol")


def _goal_words(c: _Ctx, goal: str) -> _GoalWords:
    """A goal's words; 사이드플젝, 토이플젝 only in a casual text (합니다체 says 사이드 프로젝트)."""
    return (c.ph.goals if c.get("\0casual") else c.ph.goals_formal)[goal]


def _goal_nouns(c: _Ctx, field: str) -> list[str]:
    name = field + "_new" if c.a.years == 0 else field
    return [c.pick(getattr(_goal_words(c, g), name)) for g in c.a.goals]


def _p_goal(c: _Ctx) -> str:
    return _or_list(c, _goal_nouns(c, "find"), "goal")


def _p_gint(c: _Ctx) -> str:
    return _or_list(c, _goal_nouns(c, "interest"), "gint")


def _p_gl(c: _Ctx) -> str:
    return _written(c, _goal_nouns(c, "interest"), "gl")


def _p_ge(c: _Ctx) -> str:
    words = [c.ph.goals[g].english[0] for g in c.a.goals]
    return (", " if len(words) > 2 else c.pick((", ", " & ", " / "))).join(words)


def _p_gtags(c: _Ctx) -> str:
    return " ".join("#" + w.replace(" ", "") for w in _goal_nouns(c, "interest"))


_PROFILE_SLOTS: dict[str, Callable[[_Ctx], str]] = {
    "n": _p_n,
    "yrs": _p_yrs,
    "yv": _p_yv,
    "yvb": _p_yvb,
    "ye": _p_ye,
    "mo": _p_mo,
    "place": _s_place,
    "near": _s_near,
    "office": _s_office,
    "area": _s_area,
    "rf": _s_rf,
    "rp": _s_rp,
    "rc": _s_rc,
    "re": _s_re,
    "dev": _s_dev,
    "st": _s_st,
    "ste": _s_ste,
    "sa": _s_sa,
    "main": _s_main,
    "rest": _s_rest,
    "tags": _s_tags,
    "no": _p_no,
    "nol": _p_nol,
    "goal": _p_goal,
    "gint": _p_gint,
    "gl": _p_gl,
    "ge": _p_ge,
    "gtags": _p_gtags,
    "topic": _s_topic,
    "duty": _s_duty,
    "h": _s_hours,
    "major": _s_major,
}


# --- shared detail -------------------------------------------------------------------------------------

_X_TOPICS = _table("X_TOPICS")
_X_DUTY = _table("X_DUTY")

# Sentence endings per speech level; a template ending in one of _NO_END gets none.
_END = {
    "f": (".", ".", ".", ".", ".", ".", ".", "!"),
    "p": (".", ".", "!", "~", ".", "!", " :)", "ㅎㅎ"),
    "c": ("", ".", "", " ㅎㅎ", "!", "", "."),
}
_NO_END = set("?!)~.") | {"ㅠ", "ㅎ", "ㅋ"}
_TIC_ENDS = (" :)", ":)", " ㅎㅎ", "ㅎㅎ", "~")


def _emoji(ch: str) -> bool:
    o = ord(ch)
    return 0x2600 <= o < 0x2800 or o >= 0x1F000


_EMOJI = ("🙌", "🔥", "😊", "🙏", "👍", "✨", "😄")


def _ending(text: str, end: str) -> str:
    """``text`` with ``end`` unless it has one (a smiley more than once per text: see ``_joined``)."""
    last = text[-1]
    if last in _NO_END or _emoji(last):
        return text
    return text + end


# Endings too common to mark a frame by themselves: 관심이 많아요 twice is a seam, 있어요 twice is Korean.
_PLAIN_ENDS = {"있습니다", "있어요", "합니다", "해요", "입니다", "이에요", "예요", "있음", "함"}


def _frame(c: _Ctx, text: str) -> bool:
    """Whether ``text`` ends like a sentence already written (… 찾아요. … 찾아요.), recording its ending."""
    words = text.rstrip(".!~ㅎ:) ").split()
    if not words:
        return False
    key = " ".join(words[-2:]) if words[-1] in _PLAIN_ENDS else words[-1]
    seen = c.get("\0frames")
    if seen is None:
        seen = c["\0frames"] = set()  # type: ignore[assignment]
    if key in seen:
        return True
    seen.add(key)  # type: ignore[union-attr]
    return False


def _redraw(draw: Callable[[], str], unfit: Callable[[str], bool], again: int = 3) -> str:
    """``draw()``, drawn again up to ``again`` times while ``unfit`` (a variant that clashes with this text:
    a tool one "develops with", a duty too senior for the post); the last draw stands."""
    text = draw()
    for _ in range(again):
        if not unfit(text):
            break
        text = draw()
    return text


def _sentence(c: _Ctx, var: Var, lv: str) -> str:
    """A variant of ``var`` with an ending; one that ends like an earlier sentence is drawn again (twice)."""
    for _ in range(3):
        template, r = c.pick.vr(var)
        text = template.format_map(c)
        if not _frame(c, text):
            break
    ends = _END[lv]
    return _ending(text, ends[r % len(ends)])


def _sentence_of(c: _Ctx, template: str, lv: str) -> str:
    text = template.format_map(c)
    _frame(c, text)
    if text[-1] in _NO_END or _emoji(text[-1]):
        return text
    if ": " in text:  # a field in prose (현재 팀 구성: PM 1) ends plainly, never with ! or :)
        return text + "."
    return _ending(text, c.pick(_END[lv]))


# Sentence openers said once per text: 요즘은 / 요즘 / 요즘엔 are one.
_LEADS = {"요즘": "요즘", "요즘은": "요즘", "요즘엔": "요즘", "주로": "주로", "현재": "현재",
          "현재는": "현재", "지금은": "지금", "매주": "매주"}  # fmt: skip


def _joined(c: _Ctx, parts: list[str], lv: str) -> str:
    """Sentences on one line or several; 음슴체 without final dots reads better line by line. A smiley, ㅎㅎ
    or ~ ends one sentence of a text at most (the greeting's, a clause's or the sign-off's: every clause
    ending in :) reads as a tic)."""
    tic = False
    leads: set[str] = set()
    for i, p in enumerate(parts):
        end = next((t for t in _TIC_ENDS if p.endswith(t)), None)
        if end and tic:
            p = parts[i] = p[: -len(end)].rstrip() + "."
        tic = tic or end is not None or ":)" in p or "ㅎㅎ" in p
        head, _, rest = p.partition(" ")
        lead = _LEADS.get(head)
        if lead is not None:  # "요즘은 … 요즘 …": the second 요즘 goes (a seam between two clauses)
            if lead in leads and rest:
                parts[i] = rest
            leads.add(lead)
    if c.pick.chance(0.22):
        return "\n".join(p.rstrip(".") if lv == "c" else p for p in parts)
    out = []
    for p in parts:
        last = p[-1]
        if (last == ")" and not p.endswith(":)")) or (lv == "c" and last not in _NO_END and not _emoji(last)):
            p += "."  # "(주 3일 출근) 필수: …" would read as one phrase
        out.append(p)
    return " ".join(out)


# --- profile clauses -----------------------------------------------------------------------------------

_P_GREET = _table("P_GREET")

# Who: role and years (exp = years >= 1; new = 0), optionally with the place ("at").
_P_ID = _table("P_ID")
# More about a newcomer (years 0), optional.
_P_NEW = _table("P_NEW")
_P_BOOTCAMP = _table("P_BOOTCAMP")

# Stacks: any count / two or more (main + rest) / with experience / without.
_P_STACK = _table("P_STACK")
_P_NO = _table("P_NO")
_P_PLACE = _table("P_PLACE")
_P_MODE = _table("P_MODE")
_P_BG = _table("P_BG")
_P_BG_NEW_CS = _table("P_BG_NEW_CS")
_P_GOAL = _table("P_GOAL")
# One goal, said the way that goal is said (p, f); exp = said only with experience.
_P_GOAL_ONE = _table("P_GOAL_ONE")
_P_EXTRA = _table("P_EXTRA")
_P_BYE = _table("P_BYE")
_P_ASK = _table("P_ASK")


def _job_search(c: _Ctx) -> bool:
    """A profile after a job only: it asks no one to build with (같이 할 팀) and has no interest field."""
    return c.a.goals == ("job",)


def _bye(c: _Ctx, var: Var) -> str:
    """A sign-off; someone after a job only asks no one to build with them (같이 하실 분 연락 주세요)."""

    def asks(text: str) -> bool:
        return "같이" in text and _job_search(c)

    text = _redraw(lambda: c.pick.v(var), asks)
    return "편하게 연락 주세요." if asks(text) else text


def _background(c: _Ctx, kind: str) -> str:
    """The background as a field value; a bootcamp only for a career that started after bootcamps did."""
    return _redraw(lambda: c.say(_P_BG[kind, c.a.background]), lambda t: c.a.years > 7 and "부트캠프" in t)


def _p_identity(c: _Ctx, lv: str, at: bool) -> str:
    if (
        not c.a.years and not at and "job" in c.a.goals and c.pick.chance(0.35)
    ):  # 취준생 says it looks for a job
        c["\0jobseek"] = True  # type: ignore[assignment]  # the goal sentence would say it again
        return _sentence(c, _P_ID[lv, "jobseek"], lv)
    key = ("exp" if c.a.years else "new") + ("_at" if at else "")
    return _sentence(c, _P_ID[lv, key], lv)


def _p_stack(c: _Ctx, lv: str) -> str:
    a = c.a
    r = c.pick.bits() % 10
    if r < 3 and len(a.stacks) > 1:
        var = _P_STACK[lv, "multi"]
    elif r >= 8:
        var = _P_STACK[lv, "exp" if a.years else "new"]
    else:
        var = _P_STACK[lv, "any"]
    # One develops with a language or a framework, and runs or uses a tool (Prometheus, Redis, MLflow).
    tool = a.stacks[0] in c.ph.tools
    return _redraw(lambda: _sentence(c, var, lv), lambda text: tool and "개발" in text)


def _p_place_mode(c: _Ctx, lv: str, place: bool) -> list[str]:
    """The place (when ``place`` and the text names one) and the work mode, together or apart."""
    a = c.a
    mode = a.work_mode
    out = []
    if place and mode != "remote" and c.pick.chance(0.35):
        return [_sentence(c, _P_MODE[lv, mode + "_at"], lv)]
    if place:
        r = c.pick.bits() % 10
        if r < 2 and a.years:
            out.append(_sentence(c, _P_PLACE[lv, "exp"], lv))
        elif r == 9 and mode != "remote" and c.ph.places[a.location].areas:
            out.append(_sentence(c, _P_PLACE[lv, "area"], lv))
        else:
            out.append(_sentence(c, _P_PLACE[lv, "any"], lv))
    if mode == "remote" and not a.location and c.pick.chance(0.4):
        out.append(_sentence(c, _P_MODE[lv, "nowhere"], lv))
    else:
        out.append(_sentence(c, _P_MODE[lv, mode], lv))
    return out


def _p_background(c: _Ctx, lv: str, bootcamp: bool = False) -> str:
    a = c.a
    if a.background == "cs" and a.years == 0 and c.pick.chance(0.3):
        return _sentence(c, _P_BG_NEW_CS[lv], lv)
    var = _P_BG[lv, a.background]  # a bootcamp graduate did not teach themselves
    return _redraw(lambda: _sentence(c, var, lv), lambda text: bootcamp and "독학" in text)


def _p_goal_sentence(c: _Ctx, lv: str) -> str:
    a = c.a
    if len(a.goals) == 1 and lv != "c" and c.pick.chance(0.45):
        goal = a.goals[0]
        var = None
        if a.years == 0:
            var = _P_GOAL_ONE.get((goal, lv + "0"))
        var = var or _P_GOAL_ONE.get((goal, lv))
        if var is not None:
            return _sentence(c, var, lv)
    return _sentence(c, _P_GOAL[lv], lv)


_SPARE_TIME = ("{h}", "시간 정도", "저녁", "주말", "퇴근", "밤에")


def _spare_hours_in_a_job_search(c: _Ctx, text: str) -> bool:
    """주 5시간, 평일 저녁 (in a template or a filled line) is for a side project, not a job search."""
    return "job" in c.a.goals and any(w in text for w in _SPARE_TIME)


def _p_extras(c: _Ctx, lv: str, most: int) -> list[str]:
    k = c.pick((0, 0, 1, 1, 1, 2))
    out = []
    used = set()
    for _ in range(min(k, most)):
        kind = "any"
        if c.a.years > 0 and c.pick.chance(0.5):  # someone with experience: what they do, when they can
            kind = "duty" if c.pick.chance(0.6) else "exp"
        template = c.pick.v(_P_EXTRA[lv, kind])
        if template in used or ("저녁" in template and any("저녁" in t for t in used)):  # when: said once
            continue
        if _spare_hours_in_a_job_search(c, template):
            continue
        if "{duty" in template and "duty" in c:  # what they do: said once
            continue
        used.add(template)
        out.append(_sentence_of(c, template, lv))
    return out


def _p_facts(c: _Ctx, lv: str, place: bool, extras: int) -> list[str]:
    """Every attribute but who (role, years) as sentences at speech level ``lv``, in a random order."""
    a = c.a
    body = [_p_stack(c, lv)]
    if a.not_stacks:
        body.append(_sentence(c, _P_NO[lv], lv))
    body += _p_place_mode(c, lv, place)
    new = a.years == 0 and c.pick.chance(0.3)
    # 부트캠프 says 비전공: only for a non-CS background, never when the background is unknown
    bootcamp = new and a.background == "non_cs" and c.pick.chance(0.5)
    if a.background != "unknown":
        body.append(_p_background(c, lv, bootcamp))
    if a.goals and not (_job_search(c) and c.get("\0jobseek")):
        body.append(_p_goal_sentence(c, lv))
    if new:
        body.append(_sentence(c, _P_BOOTCAMP[lv] if bootcamp else _P_NEW[lv], lv))
    body += _p_extras(c, lv, extras)
    return c.pick.order(body)


def _profile_intro(c: _Ctx) -> str:
    """합니다체 self-introduction: greeting, who, the rest in any order, sign-off."""
    pick = c.pick
    parts = []
    if pick.chance(0.75):
        parts.append(pick.v(_P_GREET["f"]))
    at = bool(c.a.location) and pick.chance(0.4)
    parts.append(_p_identity(c, "f", at))
    parts += _p_facts(c, "f", bool(c.a.location) and not at, 2)
    if pick.chance(0.5):
        parts.append(_bye(c, _P_BYE["f"]))
    return _joined(c, parts, "f")


def _profile_chat(c: _Ctx) -> str:
    """A casual message (해요체 or 음슴체), emoji and a question sometimes."""
    _casual(c)
    pick = c.pick
    lv = "p" if pick.chance(0.65) else "c"
    parts = []
    if pick.chance(0.4):
        parts.append(pick.v(_P_GREET[lv]))
    at = bool(c.a.location) and pick.chance(0.5)
    parts.append(_p_identity(c, lv, at))
    parts += _p_facts(c, lv, bool(c.a.location) and not at, 1)
    if pick.chance(0.4):
        parts.append(_bye(c, _P_ASK if lv == "p" else _P_BYE["c"]))
    text = _joined(c, parts, lv)
    if pick.chance(0.25) and not _emoji(text[-1]):
        text += " " + pick(_EMOJI)
    return text


def _profile_reply(c: _Ctx) -> str:
    """Held out: a comment answering a recruitment post."""
    _casual(c)
    pick = c.pick
    parts = [pick.v(_P_REPLY_OPEN)]
    at = bool(c.a.location) and pick.chance(0.5)
    parts.append(_p_identity(c, "p", at))
    parts += _p_facts(c, "p", bool(c.a.location) and not at, 1)
    parts.append(pick.v(_P_REPLY_CLOSE))
    return _joined(c, parts, "p")


_P_REPLY_OPEN = _table("P_REPLY_OPEN")
_P_REPLY_CLOSE = _table("P_REPLY_CLOSE")

_X_BULLETS = _var("x.bullet", ("- ", "- ", "· ", "• ", "▶ ", "* "), ("→ ",))
_X_KV_SEP = _var("x.kvsep", (": ", ": ", " : ", "\uff1a"))
_P_BOARD_HEAD = _table("P_BOARD_HEAD")
_P_BOARD_TAIL_GOAL = _table("P_BOARD_TAIL_GOAL")
_P_BOARD_TAIL = _table("P_BOARD_TAIL")
_P_BOARD_CAT = _table("P_BOARD_CAT")
_P_KEYS = _table("P_KEYS")


def _kv(c: _Ctx, bullet: str, sep: str, key: Var, value: str) -> str:
    return bullet + c.pick.v(key) + sep + value


def _profile_board(c: _Ctx) -> str:
    """A board post: a [지역] header, then ``- 키: 값`` lines."""
    a = c.a
    pick = c.pick
    if a.location:
        place, landmark = _place_parts(c)
        forms = c.ph.places[a.location].forms
        tag = f"{forms[0]}/{place}" if landmark and forms[0] not in place and pick.chance(0.5) else place
    elif a.work_mode == "remote":
        tag = pick(("온라인", "원격", "지역무관"))
    else:
        tag = ""
    with_goal = bool(a.goals) and (pick.chance(0.6) or _job_search(c))  # not 팀 찾아요 for a job
    if a.years == 0:
        c["yv"] = "신입"
    c["tail"] = c.say(_P_BOARD_TAIL_GOAL if with_goal else _P_BOARD_TAIL)
    if not tag:  # a category instead of a place, not the word of the title: [자기소개] 프로필 올려요
        held = pick.held
        tag = pick.v(_P_BOARD_CAT)
        if tag in c["tail"] or tag[:2] in c["tail"]:
            tag = "프로필" if "프로필" not in c["tail"] else "자기소개"
            pick.held = held  # the drawn category is not used
    c["tag"] = tag
    head = c.say(_P_BOARD_HEAD)
    bullet = pick.v(_X_BULLETS)
    sep = pick.v(_X_KV_SEP)
    lines = [_kv(c, bullet, sep, _P_KEYS["stack"], c["st"])]
    if pick.chance(0.3):  # the header's years again, as a line
        key = pick.v(_P_KEYS["years"])
        years = c["yv"]
        if "경력" in key:  # 경력: 12년, not 경력: 12년 경력
            years = years.removeprefix("경력 ").removesuffix(" 경력")
        lines.append(bullet + key + sep + years)
    if a.not_stacks:
        lines.append(_kv(c, bullet, sep, _P_NO["key"], c["nol"]))
    if a.location and (tag != c["place"] or pick.chance(0.3)):
        lines.append(_kv(c, bullet, sep, _P_PLACE["key", "any"], c.say(_P_PLACE["val", "any"])))
    lines.append(_kv(c, bullet, sep, _P_MODE["key", "any"], c.say(_P_MODE["val", a.work_mode])))
    if a.background != "unknown":
        lines.append(_kv(c, bullet, sep, _P_BG["key", "any"], _background(c, "line")))
    if a.goals and (not with_goal or len(a.goals) > 1 or pick.chance(0.3)):
        key = _redraw(lambda: pick.v(_P_GOAL["key"]), lambda k: "관심" in k and _job_search(c))
        lines.append(bullet + key + sep + c["gl"])
    if a.years and pick.chance(0.3):
        lines.append(bullet + c.say(_P_EXTRA["kv", "duty"]).replace(": ", sep, 1))
    if pick.chance(0.4):
        extra = c.say(_P_EXTRA["kv", "any"])
        if not _spare_hours_in_a_job_search(c, extra):
            lines.append(bullet + extra.replace(": ", sep, 1))  # one separator per list
    lines = pick.order(lines)
    if pick.chance(0.4):
        lines.append(_bye(c, _P_BYE["p" if pick.chance(0.6) else "f"]))
    return head + "\n" + "\n".join(lines)


_P_RESUME_TITLE = _table("P_RESUME_TITLE")
_P_RESUME_TITLE0 = _table("P_RESUME_TITLE0")
_P_RESUME_STACK = _table("P_RESUME_STACK")
_P_RESUME_PLACE = _table("P_RESUME_PLACE")
_P_RESUME_GOAL = _table("P_RESUME_GOAL")
_P_RESUME_PREFIX = _var(
    "p.resume.prefix", ("", "", "", "[프로필] ", "요약) ", "이력 요약: "), ("한 줄 소개: ",)
)
_X_FIELD_SEP = _var("x.fieldsep", (" / ", " | ", " · ", " / "), (" ▸ ",))


def _profile_resume(c: _Ctx) -> str:
    """A job-site line: fields joined by / or |."""
    a = c.a
    pick = c.pick
    title = c.say(_P_RESUME_TITLE if a.years else _P_RESUME_TITLE0)
    fields = [c.say(_P_RESUME_STACK)]
    if a.location:
        fields.append(c.say(_P_RESUME_PLACE))
    fields.append(c.say(_P_MODE["val", a.work_mode]))
    if a.background != "unknown":
        fields.append(_background(c, "val"))
    if a.goals:
        fields.append(c.say(_P_RESUME_GOAL))
    if a.not_stacks:
        fields.append(c.say(_P_NO["field"]))
    sep = pick.v(_X_FIELD_SEP)
    return pick.v(_P_RESUME_PREFIX) + sep.join([title, *pick.order(fields)])


_P_LI_TITLE = _table("P_LI_TITLE")
_P_LI_TITLE_NOWHERE = _table("P_LI_TITLE_NOWHERE")
_P_LI_STACK = _table("P_LI_STACK")
_P_LI_NO = _table("P_LI_NO")


def _profile_linkedin(c: _Ctx) -> str:
    """A LinkedIn-style headline, English mixed in."""
    a = c.a
    pick = c.pick
    c["\0latin"] = True  # type: ignore[assignment]  # English phrases: React, not 리액트
    level = _level(a.years)
    if level in ("junior", "senior") and pick.chance(0.3):
        c["re"] = ("Junior " if level == "junior" else "Senior ") + c["re"]
    tpl = pick.v(_P_LI_TITLE if a.location else _P_LI_TITLE_NOWHERE)
    title = c.fill(tpl)
    fields = []
    if "{ye}" not in tpl:
        fields.append(c["ye"])
    fields.append(c.say(_P_LI_STACK))
    rest = []
    if a.location and "{place}" not in tpl:
        rest.append("📍" + c["place"])
    rest.append(c.say(_P_MODE["en", a.work_mode]))
    if a.background != "unknown":
        rest.append(c.say(_P_BG["en", a.background]))
    if a.goals:
        rest.append(c.say(_P_GOAL["en"]))
    if a.not_stacks:
        rest.append(c.say(_P_LI_NO))
    fields += pick.order(rest)
    if pick.chance(0.35):
        return title + "\n" + "\n".join(fields)
    return " | ".join([title, *fields])


_P_TAGS_LEAD = _table("P_TAGS_LEAD")
_P_TAGS_LEAD0 = _table("P_TAGS_LEAD0")
_P_TAGS_YEARS = _table("P_TAGS_YEARS")
_P_TAGS_YEARS0 = _table("P_TAGS_YEARS0")


def _profile_tags(c: _Ctx) -> str:
    """A short line and hashtags; what a tag cannot say (not used, …) goes in words."""
    _casual(c)
    a = c.a
    pick = c.pick
    tpl = pick.v(_P_TAGS_LEAD if a.years else _P_TAGS_LEAD0)
    if "같이" in tpl and _job_search(c):
        tpl = "프로필 올려요"
    lead = c.fill(tpl)
    tags = ["#" + c.say(_P_TAGS_YEARS if a.years else _P_TAGS_YEARS0), c["tags"]]
    if "{rc}" not in tpl and "{rf}" not in tpl:
        tags.append("#" + c["rf"].replace(" ", ""))
    if a.location:
        tags.append(_place_tag(c))
    tags.append("#" + c.say(_P_MODE["tag", a.work_mode]))
    if a.background != "unknown":
        tags.append("#" + c.say(_P_BG["tag", a.background]))
    if a.goals:
        tags.append(c["gtags"])
    out = lead + pick(("\n", " ", "\n")) + " ".join(pick.order(tags))
    if a.not_stacks:
        note = _sentence(c, _P_NO["p" if pick.chance(0.6) else "c"], "p")
        out = out + pick(("\n", " ")) + (f"({note})" if pick.chance(0.4) else note)
    return out


_P_REGISTERS = _table("P_REGISTERS")
_PROFILE_RENDER: dict[str, Callable[[_Ctx], str]] = {
    "intro": _profile_intro,
    "board": _profile_board,
    "resume": _profile_resume,
    "chat": _profile_chat,
    "linkedin": _profile_linkedin,
    "tags": _profile_tags,
    "reply": _profile_reply,
}


# --- posting slots -------------------------------------------------------------------------------------


def _j_n(c: _Ctx) -> str:
    return str(c.a.min_years)


def _j_m(c: _Ctx) -> str:
    return str(c.a.max_years)


def _j_req(c: _Ctx) -> str:
    return c.pick.v(c.ph.requirement(c.a.min_years, c.a.max_years, "val"))


def _j_reqe(c: _Ctx) -> str:
    return c.pick.v(c.ph.requirement(c.a.min_years, c.a.max_years, "en"))


def _pref_list(c: _Ctx) -> list[str]:
    pf = c.get("\0pf")
    if pf is None:
        pf = c["\0pf"] = _surfaces(c, c.a.preferred)  # type: ignore[assignment]
    return pf  # type: ignore[return-value]


def _j_pl(c: _Ctx) -> str:
    return _written(c, _pref_list(c), "pl")


def _j_pa(c: _Ctx) -> str:
    return _spoken(c, _pref_list(c), "pa")


def _j_gtag(c: _Ctx) -> str:
    return c.pick(_goal_words(c, c.a.goal).tag)


def _j_member(c: _Ctx) -> str:
    return c.pick(_goal_words(c, c.a.goal).member)


def _j_ge(c: _Ctx) -> str:
    return c.ph.goals[c.a.goal].english[-1]


def _s_are(c: _Ctx) -> str:
    """The English role with its article: an ML Engineer, a Backend Engineer."""
    re_ = c["re"]
    vowel = re_[0] in "AEIOU" or re_.startswith(("ML", "SRE", "SDET", "iOS"))
    return ("an " if vowel else "a ") + re_


def _j_subj(c: _Ctx) -> str:
    # the main stack, or a CS subject where the main stack is a language one studies it in: a "자료구조
    # 스터디" that requires TensorRT or Spark reads as nonsense
    if c.a.stacks[0] not in c.ph.languages or c.pick.chance(0.7):
        return _stack_list(c)[0]
    return c.pick.v(_J_SUBJECTS)


def _j_sched(c: _Ctx) -> str:
    return c.pick.v(_J_SCHED_WORK if c.a.goal in _WORK_GOALS else _J_SCHED)


def _j_pay(c: _Ctx) -> str:
    a = c.a
    if a.goal == "job":
        lo = (3500, 4000, 5000, 6500, 8000)[min(4, (a.min_years + 1) // 2)]
        hi = min(lo + c.pick((1500, 2000, 2500)), 9500)  # "8,000~10,000만 원" is not how 1억 is written
        return c.pick(
            (f"연봉 {lo:,}~{hi:,}", f"연봉 {lo:,}~{hi:,}만 원 (협의)", "연봉은 경력에 따라 협의", "연봉 협의")
        )
    var = _J_PAY.get(a.goal, _J_PAY["side_project"])
    return _redraw(lambda: c.pick.v(var), lambda t: a.min_years < 3 and "월 " in t)  # a senior's rate


def _j_team(c: _Ctx) -> str:
    """Who is on the team: people of the fields a project of this role has (a game has 아트, not FE), not of
    the role sought; a light or side project has no PM nor 마케터, and one of each."""
    a = c.a
    pool = _TEAMS.get(a.role, _TEAMS["web"])
    light = a.goal not in _WORK_GOALS
    members = [m for m, role in pool if role != a.role and not (light and m in ("PM", "마케터"))]
    k = 1 + c.pick.bits() % 3
    return ", ".join(f"{m} {1 if light else 1 + c.pick.bits() % 2}" for m in c.pick.order(members)[:k])


def _j_team_n(c: _Ctx) -> str:
    """The team in a sentence: 디자이너 2명, BE 1명 (a field list says 디자이너 2)."""
    return re.sub(r" (\d)", r" \1명", c["team"])


# Team members by the sought role (member, the role it is, which is not listed beside itself).
_WEB_TEAM = (("기획", ""), ("디자이너", ""), ("PM", ""), ("FE", "frontend"), ("BE", "backend"),
             ("마케터", ""), ("앱", "mobile"))  # fmt: skip
_TEAMS = {
    "web": _WEB_TEAM,
    "game": (("기획", ""), ("아트", ""), ("서버", "backend"), ("사운드", "")),
    "embedded": (("HW 엔지니어", ""), ("기구 설계", ""), ("앱", "mobile")),
    "data": (("BE", "backend"), ("데이터 분석가", ""), ("PM", "")),
    "ml": (("BE", "backend"), ("FE", "frontend"), ("데이터 엔지니어", "data"), ("PM", "")),
    "devops": (("BE", "backend"), ("FE", "frontend"), ("PM", "")),
}

_POSTING_SLOTS: dict[str, Callable[[_Ctx], str]] = {
    "n": _j_n,
    "m": _j_m,
    "req": _j_req,
    "reqe": _j_reqe,
    "place": _s_place,
    "near": _s_near,
    "office": _s_office,
    "rf": _s_rf,
    "rp": _s_rp,
    "rc": _s_rc,
    "re": _s_re,
    "dev": _s_dev,
    "st": _s_st,
    "ste": _s_ste,
    "sa": _s_sa,
    "main": _s_main,
    "tags": _s_tags,
    "pl": _j_pl,
    "pa": _j_pa,
    "gtag": _j_gtag,
    "member": _j_member,
    "ge": _j_ge,
    "are": _s_are,
    "topic": _s_topic,
    "duty": _s_duty,
    "subj": _j_subj,
    "teamn": _j_team_n,
    "sched": _j_sched,
    "pay": _j_pay,
    "team": _j_team,
}

_J_SUBJECTS = _table("J_SUBJECTS")
_J_SCHED = _table("J_SCHED")
_J_SCHED_WORK = _table("J_SCHED_WORK")
_J_PAY = _table("J_PAY")


# --- posting clauses -----------------------------------------------------------------------------------

_J_STACK = _table("J_STACK")
_J_PREF = _table("J_PREF")
_J_REQ_KEY = _table("J_REQ_KEY")
_J_MODE = _table("J_MODE")
_J_PLACE = _table("J_PLACE")
_J_CS = _table("J_CS")
# The recruiting line (who for what), per goal; f and p.
_J_WANT = _table("J_WANT")
_J_WANT_ANY = _table("J_WANT_ANY")
_J_EXTRA = _table("J_EXTRA")
_J_BYE = _table("J_BYE")
_J_BOARD_HEAD = _table("J_BOARD_HEAD")
_J_BOARD_HEAD_WORK = _table("J_BOARD_HEAD_WORK")


def _cls(a: PostingAttrs) -> str:
    return "work" if a.goal in _WORK_GOALS else "club"


def _extra_kind(a: PostingAttrs) -> str:
    """Which extras fit: a study gets study detail (no team, no service topic); projects and work theirs."""
    return "study" if a.goal == "study" else _cls(a)


# Tools an extra may name; one text names each once (not 노션으로 문서 정리 + 협업 툴은 노션이랑 깃허브).
_TOOLS = ("노션", "깃허브", "슬랙", "지라", "디스코드", "디코", "줌", "게더")


def _extra(c: _Ctx, lv: str, said: str, used: set[str]) -> str | None:
    """An extra detail at ``lv`` (kv: a ``key: value`` line) that repeats nothing ``said`` or ``used``:
    a tool named again, the schedule again; at an office (offline, hybrid) sometimes an office perk."""
    a = c.a
    kind = _extra_kind(a)
    office = _J_EXTRA.get((lv, "office")) if kind == "work" and a.work_mode != "online" else None
    pick = c.pick
    var = office if office is not None and pick.chance(0.25) else _J_EXTRA[lv, kind]
    template = pick.v(var)
    if template in used or any("{" + slot in template and slot in c for slot in ("sched", "duty", "topic")):
        return None  # said once: not 주요 업무: X and then X을 담당하시게 됩니다
    if a.goal == "hackathon" and "개월" in template:  # a hackathon is a weekend, not 2~3개월
        return None
    if any(t in template and t in said for t in _TOOLS):
        return None
    used.add(template)
    return template


def _j_mode_place(c: _Ctx, lv: str, place: bool = True) -> list[str]:
    """The work mode, and the place when the mode sentence does not name it (unless ``place`` is off:
    the text named it already)."""
    a = c.a
    cls = _cls(a)
    mode = a.work_mode
    if mode == "online":
        if not a.location:
            if c.pick.chance(0.5):
                return [_sentence(c, _J_MODE[lv, "nowhere", cls], lv)]
            return [_sentence(c, _J_MODE[lv, "online", cls], lv)]
        if place and c.pick.chance(0.4):
            return [_sentence(c, _J_MODE[lv, "online_at", cls], lv)]
    tpl = c.pick.v(_J_MODE[lv, mode, cls])
    out = [_sentence_of(c, tpl, lv)]
    if place and a.location and not any(s in tpl for s in ("{near", "{place", "{office")):
        out.append(_sentence(c, _J_PLACE[lv, "online" if mode == "online" else cls], lv))
    return out


def _j_years(c: _Ctx, lv: str) -> str:
    return _sentence(c, c.ph.requirement(c.a.min_years, c.a.max_years, lv), lv)


def _j_facts(c: _Ctx, lv: str, extras: int, place: bool = True) -> list[str]:
    a = c.a
    pick = c.pick
    stack = _sentence(c, _J_STACK[lv], lv)
    body = [stack, _j_years(c, lv)]
    pref = _sentence(c, _J_PREF[lv], lv) if a.preferred else None
    if pref:
        body.append(pref)
    body += _j_mode_place(c, lv, place)
    if a.requires_cs or pick.chance(0.2):
        body.append(_sentence(c, _J_CS[lv, a.requires_cs], lv))
    k = min(extras, pick((0, 1, 1, 2)))
    used: set[str] = set()
    for _ in range(k):
        tpl = _extra(c, "p" if lv == "c" else lv, " ".join(body), used)
        if tpl is not None:
            body.append(_sentence_of(c, tpl, lv))
    body = pick.order(body)
    if pref and body.index(pref) < body.index(stack):  # "+ X 써보신 분 환영" reads as an afterthought
        i, j = body.index(pref), body.index(stack)
        body[i], body[j] = stack, pref
    return body


def _j_want(c: _Ctx, lv: str) -> str:
    var = _J_WANT.get((c.a.goal, lv)) or _J_WANT_ANY[lv]
    return _sentence(c, var, lv)


def _hloc(c: _Ctx) -> str:
    """A board header's place; a job is 원격 or 재택, not 온라인 (a study's word)."""
    a = c.a
    work = _cls(a) == "work"
    if a.location:
        place = c["place"]
        if a.work_mode == "online" and c.pick.chance(0.5):
            return place + c.pick(("/원격", "/재택", "/원격") if work else ("/온라인", "/원격", "/온라인"))
        return place
    return c.pick(("원격", "전국", "지역무관", "재택") if work else ("온라인", "전국", "지역무관", "비대면"))


def _posting_board(c: _Ctx) -> str:
    """A recruitment board post: a header, the recruiting line, facts in sentences, a closing."""
    pick = c.pick
    lv = "p" if pick.chance(0.6) else "f"
    if lv == "p":
        _casual(c)
    c["hloc"] = _hloc(c)
    head = c.say(_J_BOARD_HEAD if _cls(c.a) == "club" else _J_BOARD_HEAD_WORK)
    parts = [_j_want(c, lv)] if pick.chance(0.6) else []
    parts += _j_facts(c, lv, 2)
    if pick.chance(0.5):
        parts.append(pick.v(_J_BYE[lv]))
    return head + "\n" + _joined(c, parts, lv)


_J_SECTION = _table("J_SECTION")
_J_SEC_TITLES = _table("J_SEC_TITLES")
_J_JOB_TITLE = _table("J_JOB_TITLE")
_J_YEARS_LINE = _table("J_YEARS_LINE")
_J_YEARS_LINE0 = _table("J_YEARS_LINE0")


def _posting_jobpost(c: _Ctx) -> str:
    """A job ad with sections: 자격요건 / 우대사항 / 근무형태 (or the club words for them)."""
    a = c.a
    pick = c.pick
    cls = _cls(a)
    c["hloc"] = _hloc(c)
    sec = pick.v(_J_SECTION)
    bullet = pick.v(_X_BULLETS)
    out = [c.say(_J_JOB_TITLE[cls])]
    if pick.chance(0.5):
        out.append(_j_want(c, "f"))
    req = [bullet + c.say(_J_STACK["line"])]
    years = c.say(_J_YEARS_LINE if a.min_years else _J_YEARS_LINE0)
    years = years.replace("경력 경력", "경력").replace("연차: 연차", "연차:")
    req.append(bullet + years)
    if a.requires_cs:
        req.append(bullet + c.say(_J_CS["val", True]))
    out.append(sec.format(t=pick.v(_J_SEC_TITLES["req", cls])))
    out += req
    if a.preferred:
        out.append(sec.format(t=pick.v(_J_SEC_TITLES["pref", cls])))
        out.append(bullet + c.say(_J_PREF["line"]))
    out.append(sec.format(t=pick.v(_J_SEC_TITLES["mode", cls])))
    mode = c.say(_J_MODE["val", a.work_mode, cls])
    if a.location and not _names_place(c, mode):
        mode += f" · {c['office']}" if a.work_mode != "online" else f" · 팀 위치: {c['place']}"
    out.append(bullet + mode)
    if not a.requires_cs and pick.chance(0.2):
        out.append(bullet + c.say(_J_CS["val", False]))
    if pick.chance(0.5):
        tpl = _extra(c, "kv", "\n".join(out), set())
        if tpl is not None:
            title = pick.v(_J_SEC_TITLES["etc", cls])
            line = c.fill(tpl)
            key, colon, value = line.partition(": ")
            # no "기타: …" under 기타, no "처우: …" under 처우 및 기타
            if colon and (key in title or title in key):
                line = value
            out += [sec.format(t=title), bullet + line]
    return "\n".join(out)


_J_CHAT_OPEN = _table("J_CHAT_OPEN")


def _posting_chat(c: _Ctx) -> str:
    """A casual message: a question, then the facts in 해요체/음슴체."""
    _casual(c)
    a = c.a
    pick = c.pick
    lv = "p" if pick.chance(0.65) else "c"
    at = bool(a.location) and a.work_mode != "online" and pick.chance(0.5)
    if at:
        tpl = pick.v(_J_CHAT_OPEN["at" if _cls(a) == "club" else "at_work"])
        parts = [_sentence_of(c, tpl, lv)]
    else:
        parts = [_sentence(c, _J_CHAT_OPEN["any" if _cls(a) == "club" else "any_work"], lv)]
    parts += _j_facts(c, lv, 1, place=not at)
    if pick.chance(0.4):
        parts.append(pick.v(_J_BYE[lv]))
    text = _joined(c, parts, lv)
    if pick.chance(0.3) and not _emoji(text[-1]):
        text += " " + pick(_EMOJI)
    return text


_J_TAGS_LEAD = _table("J_TAGS_LEAD")
_J_TAGS_ONLINE_AT = _table("J_TAGS_ONLINE_AT")
_J_TAGS_LEAD_WORK = _table("J_TAGS_LEAD_WORK")
_J_TAGS_PREF = _table("J_TAGS_PREF")


def _posting_hashtag(c: _Ctx) -> str:
    _casual(c)
    a = c.a
    pick = c.pick
    tpl = pick.v(_J_TAGS_LEAD if _cls(a) == "club" else _J_TAGS_LEAD_WORK)
    lead = c.fill(tpl)
    tags = [c["tags"], "#" + c["req"].replace(" ", ""), "#" + c.say(_J_MODE["tag", a.work_mode, _cls(a)])]
    if "{rp}" not in tpl:
        tags.append("#" + c["rf"].replace(" ", ""))
    if "{gtag}" not in tpl and c["gtag"] not in lead:
        tags.append("#" + c["gtag"].replace(" ", ""))
    online_at = bool(a.location) and a.work_mode == "online"
    if a.location and not online_at:
        tags.append(_place_tag(c))
    elif not a.location and pick.chance(0.5):
        tags.append("#지역무관")
    if a.requires_cs or pick.chance(0.3):
        tags.append("#" + c.say(_J_CS["tag", a.requires_cs]))
    out = lead + pick(("\n", " ")) + " ".join(pick.order(tags))
    if a.preferred:
        out += pick(("\n", " ")) + c.say(_J_TAGS_PREF)
    if online_at:  # a place tag would read as where the team meets
        out += pick(("\n", " ")) + "(" + c.fill(pick.v(_J_TAGS_ONLINE_AT[_cls(a)])) + ")"
    return out


_J_LI_HEAD = _table("J_LI_HEAD")


def _posting_linkedin(c: _Ctx) -> str:
    """English-mixed hiring post: a headline and fields split by | or lines."""
    a = c.a
    pick = c.pick
    c["\0latin"] = True  # type: ignore[assignment]  # English phrases: React, not 리액트
    cls = _cls(a)
    head = c.say(_J_LI_HEAD["job" if a.goal == "job" else cls])
    if a.goal == "freelance" or (cls == "work" and a.goal != "job"):
        head += f" ({c['gtag']})"
    elif a.goal == "job" and "채용" not in head:
        head += pick((" · 정규직", " (정규직)", " · 채용"))
    elif cls == "club" and c["gtag"] not in head and pick.chance(0.5):
        head += f" · {c['gtag']}"
    fields = [pick(("", "Stack: ", "Must: ", "🛠 ")) + c["st"], c["reqe"]]
    mode = c.say(_J_MODE["en", a.work_mode, cls])
    if a.location and "(" not in mode:  # Fully remote @ 서울 reads as an office: the team is there
        mode += (
            " · team in " + c["place"] if a.work_mode == "online" else pick((" @ ", " · 📍")) + c["office"]
        )
    elif a.location and not _names_place(c, mode):
        fields.append("📍" + c["place"])
    fields.append(mode)
    if a.preferred:
        fields.append(c.say(_J_PREF["en"]))
    if a.requires_cs or pick.chance(0.2):
        fields.append(c.say(_J_CS["en", a.requires_cs]))
    fields = [fields[0], *pick.order(fields[1:])]
    if pick.chance(0.4):
        return head + "\n" + "\n".join("- " + f for f in fields)
    return head + " | " + " | ".join(fields)


_J_NOTICE_HEAD = _table("J_NOTICE_HEAD")
_J_NOTICE_KEYS = _table("J_NOTICE_KEYS")


def _posting_notice(c: _Ctx) -> str:
    """An official notice: numbered items."""
    a = c.a
    pick = c.pick
    cls = _cls(a)
    items = [
        f"{pick.v(_J_NOTICE_KEYS['role'])}: {c['rp']} {1 + pick.bits() % 2}명",
        f"{pick.v(_J_NOTICE_KEYS['req'])}: {c['st']} 경험, {c['req']}"
        + (", " + c.say(_J_CS["val", True]) if a.requires_cs else ""),
    ]
    if a.preferred:
        items.append(f"{pick.v(_J_PREF['key'])}: {c['pl']}")
    mode = c.say(_J_MODE["val", a.work_mode, cls])
    items.append(f"{pick.v(_J_MODE['key', cls])}: {mode}")
    if a.location and not _names_place(c, mode):
        if a.work_mode == "online":
            items.append(f"팀 위치: {c['near']}")
        else:  # where one goes: 장소: 수원, not 장소: 경기 남부
            items.append(f"{pick.v(_J_PLACE['key', cls])}: {c['office']}")
    if not a.requires_cs and pick.chance(0.25):
        cs = c.say(_J_CS["val", False])
        items.append(cs if cs.startswith("전공") else "전공: " + cs)
    if pick.chance(0.5):
        tpl = _extra(c, "kv", "\n".join(items), set())
        if tpl is not None:
            items.append(c.fill(tpl))
    items.append(pick.v(_J_NOTICE_KEYS["contact"]))
    numbered = pick.chance(0.6)
    bullet = pick.v(_X_BULLETS)
    lines = [f"{i}. {x}" if numbered else bullet + x for i, x in enumerate(items, 1)]
    return c.say(_J_NOTICE_HEAD) + "\n" + "\n".join(lines)


_J_SCOUT_OPEN = _table("J_SCOUT_OPEN")
_J_SCOUT_CLOSE = _table("J_SCOUT_CLOSE")


def _posting_scout(c: _Ctx) -> str:
    """Held out: a direct message; a phone call or a coffee chat only about work, not for a study."""
    pick = c.pick
    lv = "p" if pick.chance(0.5) else "f"
    cls = _cls(c.a)
    parts = [c.say(_J_SCOUT_OPEN[cls]), _j_want(c, lv)]
    parts += _j_facts(c, lv, 1)
    parts.append(pick.v(_J_SCOUT_CLOSE[cls]))
    return _joined(c, parts, lv)


_J_REGISTERS = _table("J_REGISTERS")
_POSTING_RENDER: dict[str, Callable[[_Ctx], str]] = {
    "board": _posting_board,
    "jobpost": _posting_jobpost,
    "chat": _posting_chat,
    "hashtag": _posting_hashtag,
    "linkedin": _posting_linkedin,
    "notice": _posting_notice,
    "scout": _posting_scout,
}
HELD_OUT_REGISTERS = {"profile": _P_REGISTERS.held, "posting": _J_REGISTERS.held}

_SPACES = re.compile(r"[ \t]{2,}")


def _tidy(text: str) -> str:
    if "  " in text:
        text = _SPACES.sub(" ", text)
    return text.strip()


def _register(pick: Picker, registers: Var) -> str:
    """A register, uniformly among those allowed (held-out variants are not favoured here)."""
    if not pick.unseen:
        return pick.v(registers)
    reg = pick(registers.every)
    if reg in registers.held:
        pick.held = True
    return reg


def render_profile(a: ProfileAttrs, draws: Sequence[int], ph: Phrases, unseen: bool = False) -> Rendered:
    """One profile text; with ``unseen`` it may (and mostly does) use held-out forms."""
    pick = Picker(draws, unseen)
    reg = _register(pick, _P_REGISTERS)
    text = _PROFILE_RENDER[reg](_Ctx(a, pick, ph, _PROFILE_SLOTS))
    return Rendered(_tidy(text), reg, pick.held)


def render_posting(a: PostingAttrs, draws: Sequence[int], ph: Phrases, unseen: bool = False) -> Rendered:
    pick = Picker(draws, unseen)
    reg = _register(pick, _J_REGISTERS)
    text = _POSTING_RENDER[reg](_Ctx(a, pick, ph, _POSTING_SLOTS))
    return Rendered(_tidy(text), reg, pick.held)


def held_out_forms() -> dict[str, list[str]]:
    """The held-out variants by kind (templates with their ``{slot}`` names), for reports and tests."""
    return {v.kind: list(v.held) for v in VARIANTS if v.held}
