"""Texts: every template of both sides; particles, no doubled words or empty slots, 신입 phrasing."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

import numpy as np
import pytest

from pipeline.synth.catalog import PROJECT_ROOT, load_catalog
from pipeline.synth.korean import PARTICLES, sino_number
from pipeline.synth.templates import (
    POSTING_TEMPLATES,
    PROFILE_TEMPLATES,
    Phrases,
    Picker,
    PostingAttrs,
    ProfileAttrs,
    render_posting,
    render_profile,
)

CATALOG = load_catalog(PROJECT_ROOT / "catalog" / "ko.yaml")
PH = Phrases(CATALOG)


def const(i: int) -> Picker:
    """A picker that takes option ``i`` (modulo its length) at every choice."""
    return Picker([i * 0x0001000100010001] * 4)


def random_pickers(n: int, seed: int = 0) -> list[Picker]:
    words = np.random.default_rng(seed).integers(0, 2**63, (n, 4)).tolist()
    return [Picker(w) for w in words]


STACK_SETS = [("Kotlin",), ("Laravel", "PostgreSQL", "C++"), ("Django", "React"), ("Spring Boot",),
              ("Go", "Vue.js", "scikit-learn"), ("React Native", "Terraform")]  # fmt: skip
GOAL_SETS = [
    ("스터디",),
    ("창업", "팀 협업"),
    ("리서치 중심", "포트폴리오", "해커톤"),
    ("토이 프로젝트", "오픈소스 기여"),
]
REGIONS = ["서울특별시", "경기도", "전북특별자치도", "원격"]
MODES = ["online", "offline", "mixed"]


def profiles() -> list[ProfileAttrs]:
    out = []
    for i, (region, years) in enumerate(itertools.product(REGIONS, [0, 1, 3, 12])):
        mode = "online" if region == "원격" else MODES[i % 3]  # remote work is online (the sampler's rule)
        out.append(ProfileAttrs(region, STACK_SETS[i % len(STACK_SETS)], years, mode, ("cs", "non_cs")[i % 2],
                                GOAL_SETS[i % len(GOAL_SETS)]))  # fmt: skip
    return out


def postings() -> list[PostingAttrs]:
    out = []
    for i, (region, years) in enumerate(itertools.product(REGIONS, [0, 1, 5, 10])):
        mode = "online" if region == "원격" else MODES[i % 3]
        out.append(PostingAttrs(region, STACK_SETS[(i + 1) % len(STACK_SETS)][:2], years, mode,
                                GOAL_SETS[i % len(GOAL_SETS)], i % 3 == 0))  # fmt: skip
    return out


# Every surface form a particle may follow, and what each particle pair must be after it.
VOCAB = sorted(
    {f for forms in PH.stack_forms.values() for f in forms}
    | {g for forms in PH.goal_nouns.values() for g in forms}
    | set(CATALOG.goal_names)
    | {f for forms in PH.region_forms.values() for f in forms}
    | set(CATALOG.remote.short),
    key=len,
    reverse=True,
)


def grammar_errors(text: str) -> list[str]:
    errors = []
    for word in VOCAB:
        if word not in text:
            continue
        for pair, forms in PARTICLES.items():
            right = PH.grammar.particle(word, pair)
            for wrong in set(forms) - {right}:
                if re.search(re.escape(word) + wrong + r"(?=[\s.,!?·/|]|$)", text):
                    errors.append(f"{word}{wrong} (want {word}{right})")
    return errors


_TOKENS = re.compile(r"[^\s,./|·:!?()\[\]#]+")


def shape_errors(text: str) -> list[str]:
    errors = [
        bad for bad in ("None", "{", "}", "  ", " ,", ",,", " .", "..", "이상 이상", "  ") if bad in text
    ]
    if text != text.strip():
        errors.append("surrounding spaces")
    tokens = _TOKENS.findall(text)
    errors += [f"doubled {a!r}" for a, b in itertools.pairwise(tokens) if a == b]
    if re.search(r"(?<![0-9])0\s?년|영 년", text):
        errors.append("0 years written out")
    return errors


def _forms(values: tuple[str, ...], table: dict[str, tuple[str, ...]]) -> list[list[str]]:
    return [
        [f for f in (v, *table.get(v, ()))] + [f.replace(" ", "") for f in (v, *table.get(v, ()))]
        for v in values
    ]


def slot_errors(
    text: str, region: str, stacks: tuple[str, ...], goals: tuple[str, ...], years: int
) -> list[str]:
    errors = []
    region_forms = ("원격", "재택", "리모트") if region == "원격" else PH.region_forms[region]
    if not any(f.replace(" ", "") in text.replace(" ", "") for f in region_forms):
        errors.append(f"region {region} missing")
    for forms in _forms(stacks, PH.stack_forms):
        if not any(f in text for f in forms):
            errors.append(f"stack {forms[0]} missing")
    for forms in _forms(goals, PH.goal_nouns):
        if not any(f in text for f in forms):
            errors.append(f"goal {forms[0]} missing")
    if years and str(years) not in text and sino_number(years) not in text:
        errors.append(f"{years} years missing")
    return errors


ProfileTemplate = Callable[[ProfileAttrs, Picker, Phrases], str]
PostingTemplate = Callable[[PostingAttrs, Picker, Phrases], str]


def test_at_least_five_phrasings_per_side() -> None:
    assert len(PROFILE_TEMPLATES) >= 5 and len(POSTING_TEMPLATES) >= 5


@pytest.mark.parametrize("template", PROFILE_TEMPLATES, ids=lambda t: t.__name__)
def test_profile_template_is_grammatical_and_complete(template: ProfileTemplate) -> None:
    for attrs, pick in zip(profiles() * 4, random_pickers(len(profiles()) * 4), strict=True):
        text = template(attrs, pick, PH)
        problems = grammar_errors(text) + shape_errors(text)
        problems += slot_errors(text, attrs.region, attrs.stacks, attrs.goals, attrs.years)
        assert not problems, f"{text}: {problems}"
        if attrs.years == 0:
            assert "신입" in text


@pytest.mark.parametrize("template", POSTING_TEMPLATES, ids=lambda t: t.__name__)
def test_posting_template_is_grammatical_and_complete(template: PostingTemplate) -> None:
    for attrs, pick in zip(postings() * 4, random_pickers(len(postings()) * 4, 1), strict=True):
        text = template(attrs, pick, PH)
        problems = grammar_errors(text) + shape_errors(text)
        problems += slot_errors(text, attrs.region, attrs.stacks, attrs.goals, attrs.min_years)
        assert not problems, f"{text}: {problems}"
        if attrs.min_years == 0:
            assert any(w in text for w in ("신입", "무관", "상관없")), text
        mentions_cs = any(w in text for w in ("CS 전공자", "CS전공필수", "컴퓨터공학 전공"))
        assert mentions_cs == attrs.requires_cs, text


SEED_PROFILE = ProfileAttrs("서울특별시", ("Django",), 5, "online", "cs", ("스터디", "팀 협업"))
SEED_POSTING = PostingAttrs("경기도", ("React",), 3, "online", ("스터디", "팀 협업"), False)
NEW_REMOTE = ProfileAttrs("원격", ("Kotlin", "PostgreSQL"), 0, "online", "non_cs", ("창업",))
REMOTE_POSTING = PostingAttrs("원격", ("Laravel",), 0, "online", ("해커톤",), True)


@pytest.mark.parametrize(
    ("template", "attrs", "choice", "expected"),
    [
        (PROFILE_TEMPLATES[0], SEED_PROFILE, 0,
         "서울특별시 거주, 5년차 개발자, 스택: Django. 추가: CS 전공, 온라인 중심, 목표: 스터디, 팀 협업"),
        (PROFILE_TEMPLATES[1], SEED_PROFILE, 0,
         "안녕하세요! 서울특별시에 사는 5년차 개발자입니다. 주로 Django를 사용합니다. CS 전공자입니다. "
         "모임은 온라인이 편합니다. 관심사는 스터디와 팀 협업입니다."),
        (PROFILE_TEMPLATES[2], SEED_PROFILE, 0, "[서울] Django · 5년 · CS 전공 · 온라인 · #스터디 #팀협업"),
        (PROFILE_TEMPLATES[3], SEED_PROFILE, 0,
         "Django로 5년 동안 개발해 왔습니다. 서울특별시 근처에서 활동할 수 있고, 온라인 진행을 선호합니다. "
         "스터디와 팀 협업을 원합니다. CS 전공자입니다."),
        (PROFILE_TEMPLATES[4], SEED_PROFILE, 0,
         "지역: 서울특별시 / 경력: 5년 / 기술: Django / 진행 방식: 온라인 / 전공: CS / "
         "목표: 스터디, 팀 협업"),
        (PROFILE_TEMPLATES[5], SEED_PROFILE, 0,
         "서울특별시 사는 5년차 Django 개발자예요. 온라인으로 하면 좋겠어요. 스터디와 팀 협업이 목표예요. "
         "컴공 나왔어요."),
        (PROFILE_TEMPLATES[0], NEW_REMOTE, 1,
         "재택 근무 희망, 신입 개발자, 스택: Kotlin, PostgreSQL. 추가: 비전공자, 비대면 위주, 목표: 창업"),
        (PROFILE_TEMPLATES[3], NEW_REMOTE, 1,
         "Kotlin과 PostgreSQL을 공부하고 있는 신입입니다. 원격으로만 참여할 수 있어 온라인 진행을 원합니다. "
         "스타트업 창업을 원합니다. 비전공이지만 꾸준히 공부하고 있습니다."),
        (POSTING_TEMPLATES[0], SEED_POSTING, 0,
         "경기도 지역 프로젝트, 요구 스택: React, 필요 경력: 3년차 이상. "
         "특이사항: 스터디, 팀 협업, 온라인 진행"),
        (POSTING_TEMPLATES[1], SEED_POSTING, 0,
         "[경기] 스터디와 팀 협업을 목표로 함께할 팀원을 모집합니다. "
         "React를 다룰 수 있는 경력 3년 이상인 분을 찾습니다. 모임은 온라인으로 진행합니다."),
        (POSTING_TEMPLATES[2], SEED_POSTING, 0, "팀원 구해요 #경기 #React #3년이상 #온라인 #스터디 #팀협업"),
        (POSTING_TEMPLATES[3], SEED_POSTING, 0,
         "모집 지역: 경기도 | 기술 스택: React | 자격 요건: 경력 3년 이상 | 진행 방식: 온라인 | "
         "목적: 스터디, 팀 협업"),
        (POSTING_TEMPLATES[4], SEED_POSTING, 0,
         "경기도에서 스터디와 팀 협업을 목표로 같이 할 React 개발자 구해요! "
         "3년 이상 해 보신 분이면 좋겠어요. 온라인으로 진행해요."),
        (POSTING_TEMPLATES[0], REMOTE_POSTING, 1,
         "재택 프로젝트, 요구 스택: Laravel, 필요 경력: 무관. 특이사항: 해커톤, 비대면 진행, CS 전공자 필수"),
        (POSTING_TEMPLATES[4], REMOTE_POSTING, 1,
         "재택으로 해커톤 참가를 목표로 같이 할 Laravel을 하시는 분 구해요! 경력은 상관없어요. "
         "비대면으로 만나요. 컴퓨터공학 전공자만 지원해 주세요."),
    ],
)  # fmt: skip
def test_rendered_examples(template: Callable, attrs: tuple, choice: int, expected: str) -> None:
    assert template(attrs, const(choice), PH) == expected


@pytest.mark.parametrize(
    ("stacks", "expected"),
    [(("Django",), "Django를"), (("React",), "React를"), (("Kotlin",), "Kotlin을"),
     (("Laravel",), "Laravel을"), (("Django", "Kotlin"), "Django와 Kotlin을"),
     (("Kotlin", "Django"), "Kotlin과 Django를")],
)  # fmt: skip
def test_object_particle_after_stack_names(stacks: tuple[str, ...], expected: str) -> None:
    attrs = SEED_PROFILE._replace(stacks=stacks)
    assert expected in PROFILE_TEMPLATES[1](attrs, const(0), PH)


@pytest.mark.parametrize(
    ("stacks", "expected"),
    [(("Django",), "Django로"), (("Kotlin",), "Kotlin으로"), (("Laravel",), "Laravel로")],
)
def test_instrumental_particle_follows_the_rieul_rule(stacks: tuple[str, ...], expected: str) -> None:
    assert PROFILE_TEMPLATES[3](SEED_PROFILE._replace(stacks=stacks), const(0), PH).startswith(expected)


@pytest.mark.parametrize("years", [1, 3, 7])
def test_years_are_written_several_ways(years: int) -> None:
    forms = {
        PROFILE_TEMPLATES[0](SEED_PROFILE._replace(years=years), const(i), PH).split(", ")[1]
        for i in range(4)
    }
    assert forms == {f"{years}년차 개발자", f"{years}년 차 개발자", f"{sino_number(years)} 년 차 개발자",
                     f"경력 {years}년 차 개발자"}  # fmt: skip


def test_render_picks_every_template_and_is_deterministic() -> None:
    pickers = np.random.default_rng(3).integers(0, 2**63, (300, 4)).tolist()
    texts = [render_profile(SEED_PROFILE, w, PH) for w in pickers]
    assert texts == [render_profile(SEED_PROFILE, w, PH) for w in pickers]
    starts = {
        "서울특별시 거주",
        "안녕하세요",
        "[",
        "Django로",
        "지역:",
        "서울특별시 사는",
        "서울 거주",
        "서울 사는",
    }
    assert {next((s for s in starts if t.startswith(s)), t) for t in texts} >= {"안녕하세요", "[", "지역:"}
    postings_ = {render_posting(SEED_POSTING, w, PH)[:4] for w in pickers}
    assert len(postings_) >= len(POSTING_TEMPLATES)


def test_a_picker_keeps_choosing_past_its_draws() -> None:
    pick = Picker([12345, 67890])
    choices = [pick(range(1000)) for _ in range(40)]
    assert len(set(choices)) > 20


@pytest.mark.parametrize(
    "bad",
    ["Kotlin를 씁니다.", "Django을 씁니다.", "Laravel으로 개발", "스터디이 목표예요.", "창업가 목표예요.",
     "필요 경력: 7년차 이상 이상", "경력: 0년", "스택: None", "서울  거주", "관심사는 스터디이에요."],
)  # fmt: skip
def test_the_checks_above_catch_mistakes(bad: str) -> None:
    assert grammar_errors(bad) + shape_errors(bad)
