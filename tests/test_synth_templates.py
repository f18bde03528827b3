"""Texts: every attribute said when set and never when empty, in the right particles and several registers;
held-out forms only in unseen texts; no echo of the hand-written evaluation set."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from functools import cache

import numpy as np
import pytest

from pipeline.synth.catalog import PROJECT_ROOT, load_catalog
from pipeline.synth.korean import PARTICLES
from pipeline.synth.templates import (
    _J_MODE,
    _J_SCHED,
    _J_SCHED_WORK,
    _J_SUBJECTS,
    _RARE_WRITTEN,
    _SLANG,
    _X_DUTY,
    _X_TOPICS,
    DRAW_WORDS,
    HELD_OUT_REGISTERS,
    VARIANTS,
    Phrases,
    Picker,
    PostingAttrs,
    ProfileAttrs,
    Rendered,
    _parse_variants,
    held_out_forms,
    render_posting,
    render_profile,
)

CATALOG = load_catalog(PROJECT_ROOT / "catalog" / "ko.yaml")
PH = Phrases(CATALOG)
STACKS = [s.name for s in CATALOG.stacks]
LOCATIONS = [loc.name for loc in CATALOG.locations]
ROLES = [r.name for r in CATALOG.roles]
GOALS = [g.name for g in CATALOG.goals]
N = 1500  # texts per side and mode in the attribute checks


# --- realistic random attributes ----------------------------------------------------------------------


def _profiles(n: int, seed: int) -> list[ProfileAttrs]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        k = int(rng.integers(1, 4))
        chosen = rng.choice(len(STACKS), k + 2, replace=False)
        stacks = tuple(STACKS[i] for i in chosen[:k])
        not_stacks = tuple(STACKS[i] for i in chosen[k : k + int(rng.choice([0, 0, 0, 1, 2]))])
        mode = str(rng.choice(["remote", "any", "offline"]))
        no_place = rng.random() < (0.5 if mode == "remote" else 0.1)
        location = "" if no_place else str(rng.choice(LOCATIONS))
        years = int(rng.choice([0, 0, 1, 2, 3, 4, 5, 7, 8, 10, 12, 15]))
        goals = tuple(str(g) for g in rng.choice(GOALS, int(rng.choice([0, 1, 1, 2])), replace=False))
        bg = str(rng.choice(["cs", "non_cs", "unknown"]))
        out.append(ProfileAttrs(location, stacks, not_stacks, years, str(rng.choice(ROLES)), mode, bg, goals))
    return out


def _postings(n: int, seed: int) -> list[PostingAttrs]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        k = int(rng.integers(1, 4))
        chosen = rng.choice(len(STACKS), k + 2, replace=False)
        stacks = tuple(STACKS[i] for i in chosen[:k])
        preferred = tuple(STACKS[i] for i in chosen[k : k + int(rng.choice([0, 0, 1, 2]))])
        mode = str(rng.choice(["online", "offline", "hybrid"]))
        location = "" if mode == "online" and rng.random() < 0.5 else str(rng.choice(LOCATIONS))
        lo = int(rng.choice([0, 0, 0, 1, 2, 3, 5, 8]))
        hi = int(rng.choice([-1, -1, lo, lo + 1, lo + 2, lo + 4]))
        out.append(
            PostingAttrs(location, stacks, preferred, lo, hi, str(rng.choice(ROLES)), mode,
                         str(rng.choice(GOALS)), bool(rng.random() < 0.3))
        )  # fmt: skip
    return out


def _draws(n: int, seed: int) -> list[list[int]]:
    return np.random.default_rng(seed).integers(0, 2**63, (n, DRAW_WORDS), dtype=np.int64).tolist()


@cache
def profile_texts(unseen: bool) -> list[tuple[ProfileAttrs, Rendered]]:
    attrs = _profiles(N, 1 + unseen)
    return [(a, render_profile(a, d, PH, unseen)) for a, d in zip(attrs, _draws(N, 11 + unseen), strict=True)]


@cache
def posting_texts(unseen: bool) -> list[tuple[PostingAttrs, Rendered]]:
    attrs = _postings(N, 3 + unseen)
    return [(a, render_posting(a, d, PH, unseen)) for a, d in zip(attrs, _draws(N, 13 + unseen), strict=True)]


MODES = pytest.mark.parametrize("unseen", [False, True], ids=["seen", "unseen"])


# --- what the checks look for -------------------------------------------------------------------------

PLACES = {loc.name: (*loc.forms, *loc.landmarks) for loc in CATALOG.locations}
ALL_PLACES = sorted({w for words in PLACES.values() for w in words}, key=len, reverse=True)
STACK_FORMS = {s.name: (s.name, *s.aliases) for s in CATALOG.stacks}
GOAL_FORMS = {g.name: g.forms for g in CATALOG.goals}
GOAL_WORDS = {
    name: tuple({*GOAL_FORMS[name], *(w for field in words for w in field)})
    for name, words in ((g, PH.goals[g]) for g in GOALS)
}
GOAL_WORDS["job"] += ("취준", "취업", "첫 직장")  # a 취준생 says the job search once, as who they are
NEGATION = re.compile(
    r"모르|못 하는|안 써|안 해|못 ?해|못함|몰라|모름|없|X|no |No |"
    r"not yet|Not familiar|new to|Haven.t|Learning|미경험|다뤄 보지 못|안 만져"
)
PREFERRED = re.compile(
    r"땡큐|더 좋은|플러스|우대|환영|가산점|Nice to have|Bonus|Plus|"
    r"더 좋아요|필수 아님|있으면 좋은|있으면 좋아요"
)
PROFILE_MODE = {
    "remote": re.compile(r"오프라인은 어려|원격|온라인|재택|비대면|리모트|[Rr]emote|Online"),
    "any": re.compile(
        r"해도 돼|온라인도 좋|다가능|해도 되고|상관없|상관 X|무관|모두|다 가능|"
        r"다 좋|괜찮|OK|ok|ㄱㄴ|or in-person|Flexible|both|어느 쪽이든|"
        r"편하게 맞출"
    ),
    "offline": re.compile(r"오프|대면|만나|얼굴|[Ii]n-person|모각코|Offline|카페에서"),
}
POSTING_MODE = {
    "online": re.compile(r"온라인|비대면|디스코드|디코|줌|게더|리모트|재택|원격|[Rr]emote|[Oo]nline|슬랙"),
    "offline": re.compile(
        r"얼굴|모임|Offline|오프|대면|출근|만나|모여|모입니다|상주|On-?site|"
        r"In-person|In-office|Office|모각코|Face-to-face|Meetups"
    ),
    "hybrid": re.compile(
        r"온오프|위주로 하되|온라인 위주|병행|격주|하이브리드|Hybrid|출근|"
        r"섞어|가끔|월 ?1|한 달에 한 번|monthly|재택 3"
    ),
}
CS_REQUIRED = re.compile(
    r"전공 필수|전공자 필수|컴공 필수|전공자만|CS 전공|degree required|"
    r"BS in CS|학위 필수|비전공 X|컴공 전공자만|컴공 출신이셔야|"
    r"전공하신 분만|관련 학과|전공자필수|컴공필수"
)
BACKGROUND_WORDS = re.compile(
    r"전공|컴공|컴퓨터공학|CS|Computer Science|문과|인문계열|Non-CS|학부|Career switcher|독학"
)
ZERO_YEARS = re.compile(
    r"지망생|취업 준비|신입|취준|학생|1년 ?미만|경력 ?없|부트캠프|\d+개월|"
    r"Entry|New grad|뉴비|코린이|예비|0 YOE|현업 경험"
)
HANGUL_YEARS = re.compile(r"[일이삼사오육칠팔구십]+ 년 차")


def _has_any(text: str, words: tuple[str, ...]) -> bool:
    """Some word occurs, as written or without its spaces (#SpringBoot, #경기남부)."""
    return any(w in text or (" " in w and w.replace(" ", "") in text) for w in words)


def _places_in(text: str) -> set[str]:
    """Locations whose forms or landmarks occur in the text."""
    return {name for name, words in PLACES.items() if _has_any(text, words)}


def profile_years(text: str) -> set[int]:
    """Years the text states: N년 / N년차 / N yrs / N개월 (as whole years)."""
    text = re.sub(r"1년 ?미만", "", text)
    found = {int(m) // 12 for m in re.findall(r"(\d+)\s*개월", text)}
    found |= {int(m) for m in re.findall(r"(\d+)\s*(?:년|연차|yrs?\b|years?\b|y exp|YOE)", text)}
    return found


UPPER = [  # patterns of a posting's upper bound; the group is the bound
    r"(?:\d+|신입)\s*[~\-]\s*(\d+)\s*(?:년|yrs|years|YOE)",
    r"(\d+)년(?: 차)? ?이하",
    r"최대 ?(\d+)년",
    r"up to (\d+)",
    r"\d+년에서 (\d+)년 사이",
    r"(\d+)년 차까지",
]
ONLY_NEW = re.compile(r"신입만|신입 ?한정|신입분들만|경력 ?없는 ?분만|New grads only")


def posting_bounds(text: str) -> tuple[set[int], set[int]]:
    """(lower bounds, upper bounds) a posting's text states."""
    upper = {int(m) for p in UPPER for m in re.findall(p, text)}
    lower = {int(m) for m in re.findall(r"(\d+)\s*[~\-]\s*\d+\s*(?:년|yrs|years|YOE)", text)}
    lower |= {int(m) for m in re.findall(r"(\d+)\s*(?:년|yrs|years|YOE)(?:차| 차)?(?:\s*이상|\+|↑)", text)}
    lower |= {int(m) for m in re.findall(r"(\d+)(?:\+|yrs\+)", text)}
    lower |= {int(m) for m in re.findall(r"최소 ?(\d+)년", text)}
    lower |= {int(m) for m in re.findall(r"(\d+)년에서 \d+년 사이", text)}
    exact = {int(m) for m in re.findall(r"(?<![~\-\d])(?<!입 ~ )(\d+)년 ?차(?! ?이상| ?이하|까지)", text)}
    exact |= {int(m) for m in re.findall(r"(?<![~\-\d+])(\d+) yrs(?!\+)", text)}
    return lower | exact, upper | exact


# --- determinism and the picker -----------------------------------------------------------------------

P1 = ProfileAttrs(
    "경기 남부", ("Spring Boot", "Kotlin"), ("Java",), 5, "backend", "remote", "cs", ("side_project",)
)
J1 = PostingAttrs("서울", ("React", "TypeScript"), ("Next.js",), 2, 5, "frontend", "hybrid", "job", True)


def test_rendering_is_deterministic_and_varied() -> None:
    draws = _draws(300, 5)
    for unseen in (False, True):
        first = [render_profile(P1, d, PH, unseen) for d in draws]
        assert first == [render_profile(P1, list(d), PH, unseen) for d in draws]
        assert len({r.text for r in first}) > 280
        posts = [render_posting(J1, d, PH, unseen) for d in draws]
        assert posts == [render_posting(J1, d, PH, unseen) for d in draws]
        assert len({r.text for r in posts}) > 280
    # a new Phrases from the same catalog renders the same texts
    assert render_profile(P1, draws[0], Phrases(CATALOG)) == render_profile(P1, draws[0], PH)


def test_a_picker_keeps_choosing_past_its_draws() -> None:
    pick = Picker([12345, 67890])
    choices = [pick(range(1000)) for _ in range(60)]
    assert len(set(choices)) > 40
    pick = Picker([7, 9, 11])
    assert 0.2 < sum(pick.chance(0.3) for _ in range(2000)) / 2000 < 0.4
    assert sorted(Picker([3]).order(list("abcde"))) == list("abcde")


@pytest.mark.parametrize("side", ["profile", "posting"])
def test_at_least_five_registers_appear(side: str) -> None:
    attrs = _profiles(2000, 7) if side == "profile" else _postings(2000, 7)
    render = render_profile if side == "profile" else render_posting
    seen = Counter(render(a, d, PH).register for a, d in zip(attrs, _draws(2000, 8), strict=True))  # type: ignore[arg-type]
    assert len(seen) >= 5 and min(seen.values()) > 150, seen
    assert not set(seen) & set(HELD_OUT_REGISTERS[side])


# --- the label contract: profiles ---------------------------------------------------------------------


@MODES
def test_profile_location(unseen: bool) -> None:
    for a, r in profile_texts(unseen):
        places = _places_in(r.text)
        if a.location:
            assert places == {a.location}, (a, r.text)
        else:
            assert not places, (a, r.text)
            assert "지방" not in r.text or a.work_mode == "remote", r.text


@MODES
def test_profile_years(unseen: bool) -> None:
    for a, r in profile_texts(unseen):
        years = profile_years(r.text)
        if a.years == 0:
            assert years <= {0}, (a.years, r.text)
            assert ZERO_YEARS.search(r.text), r.text
        else:
            assert years == {a.years} or HANGUL_YEARS.search(r.text), (a.years, years, r.text)
        assert not re.search(r"(?<!\d)0 ?(년|yrs|years)", r.text), r.text
        levels = {
            "주니어": (1, 3),
            "Junior": (1, 3),
            "미드레벨": (4, 7),
            "미들": (4, 7),
            "중니어": (4, 7),
            "시니어": (8, 99),
            "Senior": (8, 99),
        }
        for word, (lo, hi) in levels.items():
            if word in r.text:
                assert lo <= a.years <= hi, (word, a.years, r.text)


@MODES
def test_profile_stacks_and_negations(unseen: bool) -> None:
    for a, r in profile_texts(unseen):
        for s in a.stacks + a.not_stacks:
            assert _has_any(r.text, STACK_FORMS[s]), (s, r.text)
        if a.not_stacks:
            assert NEGATION.search(r.text), r.text


@MODES
def test_profile_mode_background_goals(unseen: bool) -> None:
    stated_role = 0
    for a, r in profile_texts(unseen):
        text = r.text
        assert PROFILE_MODE[a.work_mode].search(text), (a.work_mode, text)
        if a.background == "unknown":
            assert not BACKGROUND_WORDS.search(text), text
        elif a.background == "cs":
            assert re.search(r"컴공|컴퓨터공학|CS|Computer Science", text), text
            assert "비전공" not in text and "문과" not in text, text
        else:
            assert re.search(r"비전공|문과|Non-CS|인문계열|전공은|전공 [가-힣]+,|상관없는 일", text), text
        for g in GOALS:
            said = _has_any(text, GOAL_WORDS[g])
            assert said == (g in a.goals), (g, a.goals, text)
        words = PH.role(a.role)
        stated_role += _has_any(text, (*words.field, *words.person, *words.casual, *words.english))
    assert stated_role > 0.9 * N


# --- the label contract: postings ---------------------------------------------------------------------


@MODES
def test_posting_location(unseen: bool) -> None:
    for a, r in posting_texts(unseen):
        places = _places_in(r.text)
        assert places == ({a.location} if a.location else set()), (a, r.text)


@MODES
def test_posting_years(unseen: bool) -> None:
    for a, r in posting_texts(unseen):
        lower, upper = posting_bounds(r.text)
        lo, hi = a.min_years, a.max_years
        if hi < 0:
            assert not upper, (lo, hi, upper, r.text)
        elif hi == 0:
            assert ONLY_NEW.search(r.text), r.text
        else:
            assert upper == {hi}, (lo, hi, upper, r.text)
        if lo == 0:
            assert not lower - {0}, (lo, hi, lower, r.text)
            assert re.search(
                r"신입|무관|경력 ?없|Entry|No experience|경력 안 봄|안 봐요|"
                r"경력 여부|0~|up to|이하|최대|[Nn]ew grad",
                r.text,
            ), r.text
        else:
            assert lower == {lo}, (lo, hi, lower, r.text)


@MODES
def test_posting_stacks_preferred_mode_cs_goal(unseen: bool) -> None:
    stated_role = 0
    for a, r in posting_texts(unseen):
        text = r.text
        for s in a.stacks + a.preferred:
            assert _has_any(text, STACK_FORMS[s]), (s, text)
        assert bool(PREFERRED.search(text)) or not a.preferred, text
        assert POSTING_MODE[a.work_mode].search(text), (a.work_mode, text)
        assert bool(CS_REQUIRED.search(text)) == a.requires_cs, (a.requires_cs, text)
        for g in GOALS:
            said = _has_any(text, GOAL_FORMS[g]) or _has_any(text, PH.goals[g].english)
            assert said == (g == a.goal), (g, a.goal, text)
        words = PH.role(a.role)
        stated_role += _has_any(text, (*words.field, *words.person, *words.casual, *words.english))
    assert stated_role > 0.95 * N


def test_online_postings_without_a_place_say_no_place_and_offline_ones_name_it() -> None:
    for a, r in posting_texts(False):
        if a.work_mode != "online":
            assert a.location and _places_in(r.text) == {a.location}


# --- grammar and shape --------------------------------------------------------------------------------

# Every surface form a particle may follow, longest first.
VOCAB = sorted(
    {f for forms in (*PH.stack_forms.values(), *PH.stack_rare.values()) for f in forms}
    | {w for words in PH.goals.values() for field in words for w in field}
    | {w for words in PH.roles.values() for field in words for w in field}
    | {w for p in PH.places.values() for w in (*p.forms, *p.landmarks, *p.combos)},
    key=len,
    reverse=True,
)
_PARTICLE_RE = {
    pair: re.compile("(" + "|".join(re.escape(f) for f in forms) + r")(?=[\s.,!?~)]|$)")
    for pair, forms in PARTICLES.items()
}


def grammar_errors(text: str) -> list[str]:
    errors = []
    for word in VOCAB:
        start = text.find(word)
        while start >= 0:
            end = start + len(word)
            before = text[start - 1 : start]
            if not (before.isascii() and before.isalnum()):  # a whole word, not the tail of a longer one
                for pair, pattern in _PARTICLE_RE.items():
                    m = pattern.match(text, end)
                    if m and m.group(1) != PH.grammar.particle(word, pair):
                        longer = [
                            p for p in PARTICLES[pair] if text.startswith(p, end) and len(p) > len(m.group(1))
                        ]
                        if not longer:
                            errors.append(
                                f"{word}{m.group(1)} (want {word}{PH.grammar.particle(word, pair)})"
                            )
            start = text.find(word, start + 1)
    return errors


_LIST_WORDS = {s.split()[0] for s in STACKS if " " in s}  # Spring, Spring Boot; React, React Native
_TOKENS = re.compile(r"[^\s,./|·:!?()\[\]#【】<>~\-•▶*]+")


def shape_errors(text: str) -> list[str]:
    bad = (
        "None",
        "{",
        "}",
        "  ",
        " ,",
        ",,",
        " . ",
        "..",
        "()",
        "[]",
        "( )",
        "\n\n",
        " \n",
        "\n ",
        "!.",
        "?.",
    )
    errors = [b for b in bad if b in text]
    if text != text.strip():
        errors.append("surrounding spaces")
    for line in re.split(r"[\n.!?]", text):
        tokens = line.split()
        errors += [f"doubled {a!r}" for a, b in itertools.pairwise(tokens) if a == b]
        errors += [
            f"doubled {a!r}"
            for a, b in itertools.pairwise(_TOKENS.findall(line))
            if a == b
            and len(a) > 1
            and re.search(re.escape(a) + r"[\s:/·,]+" + re.escape(b), line)
            and a not in _LIST_WORDS
        ]
    return errors


@MODES
def test_texts_are_well_formed_and_grammatical(unseen: bool) -> None:
    for _, r in profile_texts(unseen) + posting_texts(unseen):  # type: ignore[operator]
        problems = shape_errors(r.text) + grammar_errors(r.text)
        assert not problems, f"{r.text}: {problems}"


@pytest.mark.parametrize(
    ("word", "pair", "expected"),
    [("Django", "을/를", "Django를"), ("Kotlin", "을/를", "Kotlin을"),
     ("Spring Boot", "으로/로", "Spring Boot로"), ("Spring Boot", "을/를", "Spring Boot를"),
     ("React", "을/를", "React를"), ("React", "으로/로", "React로"),
     ("스프링 부트", "을/를", "스프링 부트를"), ("장고", "과/와", "장고와"), ("쿠버", "을/를", "쿠버를"),
     ("k8s", "을/를", "k8s를"), ("Laravel", "으로/로", "Laravel로"), ("PostgreSQL", "이/가", "PostgreSQL이"),
     ("C++", "으로/로", "C++로"), ("C#", "은/는", "C#은"), (".NET", "이랑/랑", ".NET이랑"),
     ("ASP.NET", "을/를", "ASP.NET을"), ("SvelteKit", "을/를", "SvelteKit을"), ("R", "을/를", "R을"),
     ("RN", "으로/로", "RN으로"), ("Unreal Engine", "으로/로", "Unreal Engine으로"), ("Go", "을/를", "Go를"),
     ("Golang", "이에요/예요", "Golang이에요"), ("GitHub Actions", "을/를", "GitHub Actions를"),
     ("ONNX Runtime", "이/가", "ONNX Runtime이"), ("강남역 근처", "이에요/예요", "강남역 근처예요"),
     ("판교", "이면/면", "판교면"), ("서울 쪽", "이라면/라면", "서울 쪽이라면")],
)  # fmt: skip
def test_particles_after_stack_names(word: str, pair: str, expected: str) -> None:
    assert PH.grammar.attach(word, pair) == expected


def test_particles_in_rendered_lists() -> None:
    """The particle after a spoken list fits its last item: Django와 Kotlin을, Kotlin과 Django를."""
    a = P1._replace(stacks=("Django", "Kotlin"), not_stacks=("React", "Spring Boot"))
    texts = [render_profile(a, d, PH).text for d in _draws(400, 21)]
    joined = "\n".join(texts)
    assert "Kotlin을" in joined or "Kotlin으로" in joined or "Kotlin이" in joined
    assert not re.search(r"Kotlin(를|로|가|는|와)(?=[\s.,!?~]|$)", joined)
    assert not re.search(r"Spring Boot(을|으로|이|은|과)(?=[\s.,!?~]|$)", joined)
    assert not re.search(r"Django(을|으로|이|은|과)(?=[\s.,!?~]|$)", joined)


def test_stacks_are_never_named_as_jobs() -> None:
    """'Redis 개발자' is wrong; 'React 개발자' is fine for a frontend developer."""
    for a, r in profile_texts(False) + posting_texts(False):  # type: ignore[operator]
        for m in re.finditer(r"(\S+) 개발자", r.text):
            word = m.group(1)
            owner = next((s for s, forms in STACK_FORMS.items() if word in forms), None)
            if owner is not None and m.group(0) not in (*PH.role(a.role).person, "안드로이드 개발자"):
                assert PH.stack_role[owner] == a.role and owner in a.stacks[:1], (word, a.role, r.text)


# --- held-out forms -----------------------------------------------------------------------------------


def _pattern(template: str) -> str:
    parts = re.split(r"(\{[^}]*\})", template)
    out = []
    for p in parts:
        if p.startswith("{"):
            out.append(r"\d+" if p[1:-1] in ("n", "m", "mo", "h") else r"[^.!?\n|/]{1,40}?")
        else:
            out.append(re.escape(p))
    return "".join(out)


def _held_patterns(side: str) -> list[tuple[str, re.Pattern[str]]]:
    prefixes = {"profile": ("p.", "P_", "x.", "X_"), "posting": ("j.", "J_", "x.", "X_")}[side]
    out = []
    for var in VARIANTS:
        if var.kind.startswith(prefixes):
            for template in var.held:
                out.append((template, re.compile(_pattern(template))))
    return out


@pytest.mark.parametrize("side", ["profile", "posting"])
def test_no_held_out_form_in_training_texts(side: str) -> None:
    texts = profile_texts(False) if side == "profile" else posting_texts(False)
    patterns = _held_patterns(side)
    assert len(patterns) > 60
    for _, r in texts:
        assert not r.unseen and r.register not in HELD_OUT_REGISTERS[side]
        hits = [t for t, p in patterns if p.search(r.text)]
        assert not hits, (hits, r.text)


@pytest.mark.parametrize("side", ["profile", "posting"])
def test_unseen_texts_mostly_use_held_out_forms_and_say_so(side: str) -> None:
    texts = profile_texts(True) if side == "profile" else posting_texts(True)
    patterns = _held_patterns(side)
    flagged = 0
    for _, r in texts:
        visible = [t for t, p in patterns if p.search(r.text)]
        if not r.unseen:
            assert not visible and r.register not in HELD_OUT_REGISTERS[side], (visible, r.text)
        flagged += r.unseen
    assert flagged > 0.8 * len(texts)


def test_variant_text_format() -> None:
    """One header per clause kind, variants split by ' ; ', held-out ones after 'held out:' on each line."""
    text = "T_X a\n    one ; two\n    held out: three\n    held out: four\nT_X b\n    five\n"
    tables = _parse_variants(text)
    assert tables["T_X a"].seen == ("one", "two") and tables["T_X a"].held == ("three", "four")
    assert tables["T_X b"].seen == ("five",) and not tables["T_X b"].held
    with pytest.raises(ValueError, match="indented"):
        _parse_variants("T_X a\n    held out: one\n              two\n")


def test_held_out_share_per_clause_kind() -> None:
    """Roughly a fifth of each clause kind's variants is held out, and one register per side."""
    forms = held_out_forms()
    held = sum(len(v) for v in forms.values())
    total = sum(len(v.every) for v in VARIANTS)
    assert 0.15 < held / total < 0.3
    assert all(len(regs) == 1 for regs in HELD_OUT_REGISTERS.values())


# --- length and no echo of the evaluation set ---------------------------------------------------------


def test_lengths_suit_a_small_model() -> None:
    prof = sorted(len(r.text) for _, r in profile_texts(False))
    post = sorted(len(r.text) for _, r in posting_texts(False))
    assert 50 <= prof[len(prof) // 2] <= 130, prof[len(prof) // 2]
    assert 70 <= post[len(post) // 2] <= 170, post[len(post) // 2]
    assert prof[-1] < 400 and post[-1] < 450


def _ngrams(text: str, n: int = 6) -> set[tuple[str, ...]]:
    words = text.split()
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_no_six_word_overlap_with_the_hand_written_set() -> None:
    real: set[tuple[str, ...]] = set()
    for name in ("profiles", "postings"):
        path = PROJECT_ROOT / "realtext" / f"{name}.jsonl"
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                real |= _ngrams(json.loads(line)["text"])
    if not real:
        pytest.skip("no realtext/ set")
    texts = [r.text for unseen in (False, True) for _, r in profile_texts(unseen) + posting_texts(unseen)]  # type: ignore[operator]
    shared = sorted({" ".join(g) for t in texts for g in _ngrams(t) & real})
    assert not shared, shared[:5]


# --- what a fluent reader flagged: no artifacts, no leaks, no contradictions ---------------------------


def _all_texts() -> list[tuple[ProfileAttrs | PostingAttrs, Rendered]]:
    return [x for unseen in (False, True) for x in (*profile_texts(unseen), *posting_texts(unseen))]


def test_no_bracket_inside_a_bracket() -> None:
    """(백엔드, 13년 (시니어)) and 앱 개발자 (1년 (주니어)) read as artifacts."""
    for _, r in _all_texts():
        depth = 0
        for ch in r.text:
            depth += {"(": 1, ")": -1}.get(ch, 0)
            assert depth <= 1, r.text
        assert "((" not in r.text, r.text


# - 키: 값 lines (the colon may be a full-width one)
_KV_LINE = re.compile(r"^[^\w(]*([^:\uff1a\n]+?)\s*[:\uff1a]\s*(.+)$", re.M)


def test_key_value_lines_do_not_repeat_their_key() -> None:
    """전공: 컴공 전공, 경력: 12년 경력, and 기타 • 기타: … say the key twice (전공: 비전공 is fine)."""
    for _, r in _all_texts():
        for key, value in _KV_LINE.findall(r.text):
            for word in ("전공", "경력", "기타", "처우"):
                if word in key:
                    assert not re.search(f"(?<!비){word}", value), (key, value, r.text)
        assert not re.search(r"(기타|처우)[^\n]*\n[^\n\w]*\1\s*[:\uff1a]", r.text), r.text


def test_no_service_service() -> None:
    """레시피 추천 서비스 서비스로 / 음악 추천 서비스 같은 서비스."""
    for _, r in _all_texts():
        assert not re.search(r"서비스 (같은 )?서비스", r.text), r.text


ROLE_WORDS = sorted({w for words in PH.roles.values() for f in words[:3] for w in f}, key=len, reverse=True)
MEMBER = r"(?:정규직|외주|프리랜서|계약직|창업) (?:개발자|직원|멤버|팀원)"
JOB_NOUN_AFTER_ROLE = re.compile("(?:" + "|".join(map(re.escape, ROLE_WORDS)) + ") " + MEMBER)


def test_no_two_job_nouns_in_a_row() -> None:
    """ML 엔지니어 정규직 개발자 구합니다; 취업을 준비 중인 DevOps 취준생입니다."""
    for _, r in _all_texts():
        assert not JOB_NOUN_AFTER_ROLE.search(r.text), r.text
        assert not re.search(r"취업[^.!?\n]*취준생", r.text), r.text


COMPLEXES = sorted(
    {w for loc in CATALOG.locations for w in loc.landmarks if w.endswith(("청사", "단지"))},
    key=len,
    reverse=True,
)


def test_buildings_and_complexes_are_places_one_is_near() -> None:
    """정부세종청사 근처에 살아요, never 정부세종청사에 사는 / 정부세종청사에서 사이드 프로젝트 (a hashtag may
    name it)."""
    assert "정부세종청사" in COMPLEXES and "대덕연구단지" in COMPLEXES
    said = 0
    for _, r in _all_texts():
        words = " ".join(w for w in r.text.split() if not w.startswith("#"))
        for place in COMPLEXES:
            for m in re.finditer(re.escape(place), words):
                said += 1
                assert words.startswith((" 근처", " 인근"), m.end()), (place, r.text)
    assert said > 20


@MODES
def test_bootcamp_only_for_a_non_cs_background(unseen: bool) -> None:
    """부트캠프 implies 비전공: never said when the background is unknown (or CS)."""
    said = 0
    for a, r in profile_texts(unseen):
        if a.background != "non_cs":
            assert not re.search("부트캠프|bootcamp", r.text), (a.background, r.text)
        else:
            said += "부트캠프" in r.text
    assert said > 0


ONLINE_PART = re.compile(r"온라인|온오프|온·오프|재택|원격|디스코드|[Oo]nline|[Hh]ybrid|하이브리드")
OFFLINE_PART = re.compile(r"오프|출근|만나|만납|모여|모입니다|대면|meetup|office|[Hh]ybrid|하이브리드")


def test_every_hybrid_form_says_both_parts() -> None:
    """격주 오프라인 alone reads as offline: every hybrid form names the online and the offline part."""
    forms = [t for key, var in _J_MODE.items() if "hybrid" in key for t in var.every]
    assert len(forms) > 30
    for form in forms:
        assert ONLINE_PART.search(form) and OFFLINE_PART.search(form), form
    for a, r in posting_texts(False) + posting_texts(True):  # type: ignore[operator]
        if a.work_mode == "hybrid" and "격주" in r.text:
            assert re.search("격주[^.!\n]*(온라인|나머지)", r.text), r.text


def test_study_posts_list_no_team_and_no_service_topic() -> None:
    """Team composition and service topics are for projects; a study has a subject."""
    topics = [t for var in _X_TOPICS.values() for t in var.every]
    studies = 0
    for a, r in posting_texts(False) + posting_texts(True):  # type: ignore[operator]
        if a.goal == "study":
            studies += 1
            assert not re.search(r"팀 구성|현재 팀은|마케터|디자이너 \d|PM \d", r.text), r.text
            assert not any(t in r.text for t in topics), r.text
    assert studies > 200


@pytest.mark.parametrize(("table", "default"), [(_X_TOPICS, "web"), (_X_DUTY, "other")])
def test_a_topic_or_duty_fits_the_role(table: dict, default: str) -> None:
    """A firmware developer is not recruited for a restaurant map, nor an ML engineer for 결제 API 개발."""
    own = {role: set(var.every) for role, var in table.items()}
    seen = 0
    for a, r in posting_texts(False) + posting_texts(True) + profile_texts(False):  # type: ignore[operator]
        mine = own.get(a.role, own[default])
        others = {t for ts in own.values() if ts is not mine for t in ts if not any(t in m for m in mine)}
        assert not any(t in r.text for t in others), (a.role, r.text)
        seen += any(t in r.text for t in mine)
    assert seen > 40


def test_slang_and_misspellings_only_in_casual_texts() -> None:
    """자스, 씨쁠쁠, 리엑트 and 사이드플젝 are written in chat and tags, not in a formal intro or job ad."""
    casual = {"chat", "tags", "hashtag", "reply", "board"}
    words = "|".join(re.escape(w) for w in [*_SLANG, *_RARE_WRITTEN, "사이드플젝", "토이플젝"])
    written = re.compile(rf"(^|[\s,/#(])({words})($|[\s,/)을를이가은는과와도랑])")
    found = {True: 0, False: 0}
    for _, r in profile_texts(False) + posting_texts(False) + profile_texts(True):  # type: ignore[operator]
        found[r.register in casual] += bool(written.search(r.text))
    assert found[False] == 0
    assert found[True] > 20


def test_a_smiley_or_laugh_ends_one_sentence_of_a_text_at_most() -> None:
    """ "생각해요 :) … 해요 :) … 가능해요 :)" reads as a tic."""
    for _, r in profile_texts(False) + posting_texts(False):  # type: ignore[operator]
        assert len(re.findall(r":\)", r.text)) <= 1 and len(re.findall("ㅎㅎ", r.text)) <= 1, r.text


def test_a_study_of_a_cs_subject_requires_a_language() -> None:
    """ "알고리즘 스터디" that requires Spark and Flink reads as nonsense; one in Python or Java does not."""
    subjects = [*_J_SUBJECTS.every, *_J_SUBJECTS.held]
    seen = 0
    for a, r in posting_texts(False) + posting_texts(True):  # type: ignore[operator]
        if a.goal == "study" and any(f"{x} 스터디" in r.text for x in subjects):
            assert a.stacks[0] in PH.languages, r.text
            seen += 1
    assert seen > 0


def test_a_duty_is_said_once() -> None:
    duties = {d for var in _X_DUTY.values() for d in (*var.every, *var.held)}
    for _, r in posting_texts(False) + profile_texts(False):  # type: ignore[operator]
        assert all(r.text.count(d) <= 1 for d in duties if not any(d in e and d != e for e in duties)), r.text


def test_a_board_list_uses_one_kind_of_colon() -> None:
    """ "- 가능 시간: … / - 온/오프\uff1a…" mixes half- and full-width colons in one list."""
    boards = [r.text for _, r in profile_texts(False) if r.register == "board"]
    assert boards and not any("\uff1a" in t and ": " in t.split("\n", 1)[1] for t in boards)


def test_office_perks_only_where_people_come_in() -> None:
    """점심 제공 (or a station nearby) in a remote job reads wrong."""
    for a, r in posting_texts(False) + posting_texts(True):  # type: ignore[operator]
        if a.work_mode == "online":
            assert not re.search("점심|식대|간식|역에서", r.text), r.text


def test_one_schedule_per_text_and_working_hours_for_work() -> None:
    """매주 토요일 … 만나요 / 일정은 평일 저녁 9시 contradicts itself; a job's hours are not
    매주 토요일 오후."""
    club = sorted(_J_SCHED.every, key=len, reverse=True)
    work = _J_SCHED_WORK.every
    for a, r in posting_texts(False) + posting_texts(True):  # type: ignore[operator]
        text = r.text
        found = [s for s in club if s in text]
        assert len(found) <= 1 and text.count(found[0] if found else "\0") <= 1, (found, text)
        assert not ("토요일" in text and "평일" in text), text
        if a.goal in ("job", "freelance", "startup"):
            assert not found and not re.search("토요일|일요일|주말", text), text
        else:
            assert not any(s in text for s in work), text


def test_a_tool_is_named_once_per_post() -> None:
    """노션으로 문서 정리해요 + 협업 툴은 노션이랑 깃허브 써요 repeats itself."""
    for _, r in posting_texts(False) + posting_texts(True):  # type: ignore[operator]
        text = r.text.replace("깃허브 액션즈", "")  # a stack, not the tool
        for tool in ("노션", "깃허브", "슬랙", "지라", "디스코드"):
            assert text.count(tool) <= 1, (tool, r.text)


HANGUL_ALIASES = sorted(
    {a for s in CATALOG.stacks for a in s.aliases if re.search("[가-힣]", a)}, key=len, reverse=True
)


def test_english_phrases_use_latin_stack_names() -> None:
    """No 엘라스틱서치 experience / Skills: 리액트: English-register lines write React, Elasticsearch."""
    checked = 0
    for _, r in _all_texts():
        if r.register == "linkedin":
            checked += 1
            assert not any(a in r.text for a in HANGUL_ALIASES), r.text
        for m in re.finditer(r"Skills: (.+?)(?= [/|·▸] |\n|$)", r.text):
            assert not re.search("[가-힣]", m.group(1)), r.text
    assert checked > 300


def test_transliterations_nobody_writes_are_never_written() -> None:
    """거대언어모델 / 대형 언어 모델 (LLM), 엑스지부스트: kept for reading texts, never written."""
    for word in ("거대언어모델", "대형 언어 모델", "엑스지부스트", "아마존 웹 서비스", "딥스피드"):
        assert not any(word in forms for forms in PH.stack_forms.values()), word
    a = P1._replace(stacks=("LLM", "XGBoost"), not_stacks=("AWS", "DeepSpeed"))
    j = J1._replace(stacks=("LLM", "XGBoost"), preferred=("AWS", "DeepSpeed"))
    for d in _draws(300, 31):
        text = render_profile(a, d, PH).text + "\n" + render_posting(j, d, PH).text
        assert not re.search("거대언어모델|대형 언어 모델|엑스지부스트|아마존 웹 서비스|딥스피드", text), text


def test_no_hangul_numerals_nor_spellings_nobody_writes() -> None:
    """삼 년 차 (read badly; 이 년 차 reads as "this year"), 패스트API, 그래프QL, 프로메테우스/그라파나."""
    a = P1._replace(stacks=("FastAPI", "GraphQL", "Prometheus"), years=7)
    j = J1._replace(stacks=("FastAPI", "GraphQL"), preferred=("Prometheus",))
    for d in _draws(600, 37):
        for unseen in (False, True):
            text = render_profile(a, d, PH, unseen).text + "\n" + render_posting(j, d, PH, unseen).text
            assert not re.search("패스트API|그래프QL|그라파나", text), text
            assert not HANGUL_YEARS.search(text), text


@pytest.mark.parametrize(
    ("stack", "misspelt"),
    [("React", "리엑트"), ("Python", "파이선"), ("Node.js", "노드JS"),
     ("Next.js", "넥스트JS")],
)  # fmt: skip
def test_misspellings_are_rare_and_the_usual_forms_dominate(stack: str, misspelt: str) -> None:
    """리엑트, 파이선, 패스트API: possible, but at most ~5% of a stack's mentions."""
    forms = sorted(STACK_FORMS[stack], key=len, reverse=True)
    counts: Counter[str] = Counter()
    a, j = P1._replace(stacks=(stack,), not_stacks=()), J1._replace(stacks=(stack,), preferred=())
    for d in _draws(800, 41):
        for text in (render_profile(a, d, PH).text, render_posting(j, d, PH).text):
            for form in forms:  # longest first: 노드JS before 노드
                n = text.count(form)
                counts[form] += n
                text = text.replace(form, "\0")
    total = sum(counts.values())
    assert 0 < counts[misspelt] < 0.06 * total, (counts, total)
    assert counts.most_common(1)[0][0] == stack, counts


PROVINCES = {loc.name: loc.forms for loc in CATALOG.locations if not any(f.endswith("시") for f in loc.forms)}


def test_one_commutes_to_a_city_or_a_landmark_not_to_a_province() -> None:
    """ "충남으로 출근", "매주 경기 남부에서 모입니다": one goes to 천안, to 판교."""
    forms = sorted({f for fs in PROVINCES.values() for f in fs}, key=len, reverse=True)
    places = "|".join(map(re.escape, forms))
    go = re.compile(rf"({places})( 쪽)?(으로|로|에서|까지)? ?(출근|사무실|오피스|매주|모여|만나)")
    # a province alone (경남, 경기 남부 쪽), not one before its city (경북 구미)
    alone = r"(?=$|[\s.,!)~]|에|으로|로|입니|이에|예요)(?! (?!쪽)[가-힣])"
    office = re.compile(rf"(?:장소|근무지|사무실은|위치|Onsite|Offline)[:\s(]+({places}){alone}")
    commutes = 0
    for a, r in posting_texts(False) + posting_texts(True) + profile_texts(False):  # type: ignore[operator]
        assert not go.search(r.text), r.text
        assert isinstance(a, ProfileAttrs) or a.work_mode == "online" or not office.search(r.text), r.text
        commutes += a.location in PROVINCES and "출근" in r.text
    assert commutes > 20


def test_tools_are_used_not_developed_with() -> None:
    """ "Prometheus로 개발하고 있어요" is wrong: one develops with Python, and runs Prometheus."""
    tools = sorted((f for s in PH.tools for f in STACK_FORMS[s]), key=len, reverse=True)
    with_tool = re.compile("(" + "|".join(map(re.escape, tools)) + r")(으로|로) 개발")
    for a, r in profile_texts(False) + profile_texts(True):  # type: ignore[operator]
        assert not (a.stacks[0] in PH.tools and with_tool.search(r.text)), r.text


def test_an_opener_is_said_once() -> None:
    """ "요즘은 React로 작업해요. … 요즘 이직에 관심이 많아요" reads as a template seam."""
    for _, r in profile_texts(False) + posting_texts(False):  # type: ignore[operator]
        openers = re.findall(r"(?:^|[.!~\n]\s*)(요즘)", r.text)
        assert len(openers) <= 1, r.text


def test_a_job_seeker_lists_no_spare_hours() -> None:
    """ "정규직 자리 구합니다 … 가능 시간: 평일 저녁" is a side-project field."""
    for a, r in profile_texts(False) + profile_texts(True):  # type: ignore[operator]
        if "job" in a.goals:
            assert not re.search(r"평일 저녁|주말|주 \d+시간|퇴근", r.text), r.text


def test_a_platform_title_only_for_one_platform() -> None:
    """ "안드로이드 개발자 | 기술: 컴포즈/Swift" names one platform for two."""
    titles = re.compile("안드로이드 개발자|iOS 개발자|Android Developer|iOS Developer")
    both = ProfileAttrs("서울", ("Jetpack Compose", "Swift"), (), 3, "mobile", "any", "cs", ("job",))
    one = both._replace(stacks=("Jetpack Compose", "Android"))
    draws = _draws(400, 5)
    assert not any(titles.search(render_profile(both, d, PH).text) for d in draws)
    assert sum(bool(titles.search(render_profile(one, d, PH).text)) for d in draws) > 20


def test_a_team_has_the_fields_of_its_project() -> None:
    """A game team has 아트 and 기획, not FE 2; a toy project has no PM nor 마케터."""
    game = PostingAttrs("서울", ("Unity",), (), 0, -1, "game", "offline", "side_project", False)
    toy = PostingAttrs("서울", ("React",), (), 0, -1, "frontend", "online", "toy", False)
    teams = 0
    for d in _draws(600, 9):
        text = render_posting(game, d, PH).text
        assert not re.search(r"\b(?:FE|BE|마케터|디자이너) \d", text), text
        teams += bool(re.search(r"(?:아트|기획|사운드) \d", text))
        text = render_posting(toy, d, PH).text
        assert not re.search(r"(?:PM|마케터) \d|(?:기획|디자이너|BE|앱) 2", text), text
    assert teams > 10


def test_a_remote_job_names_where_the_team_is_not_an_office() -> None:
    """ "Fully remote @ 광주광역시" reads as an office address."""
    for a, r in posting_texts(False) + posting_texts(True):  # type: ignore[operator]
        if a.work_mode == "online" and r.register == "linkedin":
            assert not re.search(r"(?i)remote[^|\n]*@", r.text), r.text


def test_a_sentence_is_drawn_again_when_it_ends_like_an_earlier_one() -> None:
    """ "… 써보신 분 찾아요. 2년 이상이신 분 찾아요." reads as a template seam; with other endings to draw,
    a second 찾아요 is rare (three draws of ten variants)."""
    from pipeline.synth.templates import _POSTING_SLOTS, Picker, Var, _Ctx, _sentence

    var = Var(("사람 찾아요", *(f"분 {k}번 모셔요" for k in range(9))), 10, "j.test")
    a = PostingAttrs("서울", ("React",), (), 0, -1, "frontend", "online", "job", False)
    repeats = 0
    for d in _draws(300, 21):
        c = _Ctx(a, Picker(d), PH, _POSTING_SLOTS)
        _sentence(c, Var(("같이 할 분 찾아요",), 1, "j.test"), "p")
        repeats += _sentence(c, var, "p").startswith("사람 찾아요")
    assert repeats <= 3


def test_a_field_inside_prose_ends_plainly() -> None:
    """ "현재 팀 구성: PM 1!" reads as a form pasted into a sentence."""
    for _, r in posting_texts(False) + posting_texts(True):  # type: ignore[operator]
        assert not re.search(r"(?:팀 구성|주요 업무|일정|근무 시간): [^\n.!]*[!~](?:\s|$)", r.text), r.text


def test_a_job_seeker_signs_off_without_asking_for_teammates() -> None:
    """ "… 정규직 자리 구합니다 … 같이 하실 분 연락 주세요!" asks for the wrong thing."""
    seen = 0
    for a, r in profile_texts(False) + profile_texts(True):  # type: ignore[operator]
        if a.goals == ("job",):
            seen += 1
            assert not re.search("같이 하실 분|팀 찾아요|관심 분야", r.text), r.text  # 관심 분야: 이직
    assert seen > 50


def test_a_direct_message_about_a_study_asks_for_no_call() -> None:
    """ "갑작스러운 연락 죄송합니다 … 짧게 통화 가능하실까요?" is a recruiter's letter, not a study's."""
    club = work = 0
    for a, r in posting_texts(True):  # type: ignore[operator]
        if r.register == "scout":
            if a.goal in ("job", "freelance", "startup"):
                work += bool(re.search("통화|커피챗|갑작스러운", r.text))
            else:
                club += 1
                assert not re.search("통화|커피챗|갑작스러운", r.text), r.text
    assert club > 5 and work > 0


STUDY_ONLINE = re.compile(r"/온라인|100% 온라인|온라인 진행|진행은 온라인|[\[【(]온라인")


def test_a_remote_job_is_written_remote_not_online() -> None:
    """ "【정규직】 … / 온라인" for a salaried post: a job is 원격 or 재택; 온라인 is for a study."""
    jobs = 0
    for a, r in posting_texts(False) + posting_texts(True):  # type: ignore[operator]
        if a.work_mode == "online" and a.goal in ("job", "freelance", "startup"):
            jobs += 1
            assert not STUDY_ONLINE.search(r.text), r.text
    assert jobs > 30


PROVINCE_MEETUP = re.compile(
    r"(?:남도|북도|강원도|경기도|충남|충북|전남|전북|경남|경북|강원|경기(?: 남부| 북부)?)"
    r"(?:이라면|라면|이면|면) (?:오프|만나서)"
)


def test_one_meets_at_a_place_not_a_province() -> None:
    """ "충청남도라면 오프라인도 가능합니다": a meetup is at 천안, not in a whole province."""
    seen = 0
    for _, r in profile_texts(False) + profile_texts(True):  # type: ignore[operator]
        if re.search(r"(?:이라면|이면|라면|면) (?:오프|만나서)", r.text):
            seen += 1
            assert not re.search(PROVINCE_MEETUP, r.text), r.text
    assert seen > 10


def test_a_field_names_its_place_once() -> None:
    """ "근무형태: 출근 (성남) · 성남" names the place twice."""
    for _, r in posting_texts(False) + posting_texts(True):  # type: ignore[operator]
        assert not re.search(r"\(([^()\n]+)\) · \1", r.text), r.text


def test_a_hashtag_variant_has_no_space() -> None:
    """ "#온라인 전용" breaks the tag: every variant written after a # is one word."""
    from pipeline.synth.templates import VARIANTS

    tags = [(v.kind, e) for v in VARIANTS if "tag" in v.kind.split(".") for e in v.every]
    assert len(tags) > 30 and not [t for t in tags if " " in t[1]]


def test_no_bootcamp_behind_a_long_career_nor_a_monthly_rate_for_a_newcomer() -> None:
    """비전공(부트캠프) with 13 years, 월 600~800 with 경력 무관: neither goes with the other."""
    for a, r in profile_texts(False) + profile_texts(True):  # type: ignore[operator]
        assert a.years <= 7 or "부트캠프" not in r.text, r.text
    for a, r in posting_texts(False) + posting_texts(True):  # type: ignore[operator]
        assert a.min_years >= 3 or not re.search(r"월 \d+~\d+", r.text), r.text
