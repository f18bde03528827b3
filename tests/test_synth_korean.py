"""Particles after vowels, consonants, ㄹ and Latin-letter stack names; Sino-Korean numbers."""

from __future__ import annotations

import pytest

from pipeline.synth.catalog import PROJECT_ROOT, Stack, load_catalog
from pipeline.synth.korean import Grammar, sino_number

CATALOG = load_catalog(PROJECT_ROOT / "catalog" / "ko.yaml")
GRAMMAR = Grammar(CATALOG.readings)


@pytest.mark.parametrize(
    ("word", "pair", "expected"),
    [
        # Hangul: vowel, consonant, and ㄹ (which takes 로 but 을/이/과 like any consonant)
        ("스터디", "을/를", "스터디를"),
        ("창업", "을/를", "창업을"),
        ("스터디", "이/가", "스터디가"),
        ("창업", "이/가", "창업이"),
        ("스터디", "은/는", "스터디는"),
        ("창업", "은/는", "창업은"),
        ("스터디", "과/와", "스터디와"),
        ("창업", "과/와", "창업과"),
        ("부산", "으로/로", "부산으로"),
        ("서울", "으로/로", "서울로"),
        ("서울", "을/를", "서울을"),
        ("제주", "으로/로", "제주로"),
        ("스터디", "이에요/예요", "스터디예요"),
        ("비전공", "이에요/예요", "비전공이에요"),
        ("스터디", "이랑/랑", "스터디랑"),
        # Latin stack names, by how they are read
        ("Django", "을/를", "Django를"),
        ("React", "을/를", "React를"),
        ("Vue", "을/를", "Vue를"),
        ("Spark", "을/를", "Spark를"),
        ("Docker", "과/와", "Docker와"),
        ("Kotlin", "을/를", "Kotlin을"),
        ("Kotlin", "으로/로", "Kotlin으로"),
        ("Terraform", "이/가", "Terraform이"),
        ("Golang", "을/를", "Golang을"),
        ("Spring", "으로/로", "Spring으로"),
        ("Laravel", "으로/로", "Laravel로"),
        ("Laravel", "을/를", "Laravel을"),
        ("PostgreSQL", "으로/로", "PostgreSQL로"),
        ("MySQL", "과/와", "MySQL과"),
        ("AWS", "을/를", "AWS를"),
        ("RN", "으로/로", "RN으로"),
        ("몽고DB", "을/를", "몽고DB를"),
        ("C++", "으로/로", "C++로"),  # read 씨쁠쁠: from the catalog's reading, not the spelling
        ("R", "을/를", "R을"),  # a single letter reads as its name: 알
        ("C", "으로/로", "C로"),
        # the pairs used by the text renderer
        ("강남역 근처", "이면/면", "강남역 근처면"),
        ("판교", "이라면/라면", "판교라면"),
        ("서울", "이라면/라면", "서울이라면"),
        ("경영학", "이지만/지만", "경영학이지만"),
        ("개발자", "이지만/지만", "개발자지만"),
        ("학생", "이라서/라서", "학생이라서"),
        ("신입", "이야/야", "신입이야"),
        ("Kotlin", "이라/라", "Kotlin이라"),
        ("Django와 React", "을/를", "Django와 React를"),  # the last word decides
        # digits read in Sino-Korean: 삼 (consonant), 이 (vowel), 칠 (ㄹ)
        ("3", "을/를", "3을"),
        ("2", "을/를", "2를"),
        ("7", "으로/로", "7로"),
        ("10", "이/가", "10이"),
    ],
)
def test_particle_fits_the_final_sound(word: str, pair: str, expected: str) -> None:
    assert GRAMMAR.attach(word, pair) == expected


# Names the spelling rule misreads (C++ 씨쁠쁠, Oracle 오라클, Combine 컴바인, Unreal Engine 언리얼 엔진,
# C# 씨샵, .NET 닷넷, PostgreSQL 포스트그레스): the catalog's reading decides for them.
NEEDS_READING = {"C++", "C#", ".NET", "Oracle", "Combine", "Unreal Engine", "PostgreSQL"}


@pytest.mark.parametrize("stack", CATALOG.stacks, ids=lambda s: s.name)
def test_spelling_rule_agrees_with_the_catalog_reading(stack: Stack) -> None:
    """The rule used for aliases gets every canonical name right but a few, which use their reading."""
    assert GRAMMAR.final(stack.name) is GRAMMAR.final(stack.reading), f"{stack.name} ({stack.reading})"
    if stack.name not in NEEDS_READING:
        assert Grammar().final(stack.name) is GRAMMAR.final(stack.reading), f"{stack.name} ({stack.reading})"


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (["Django"], "Django"),
        (["Django", "React"], "Django와 React"),
        (["Kotlin", "Django"], "Kotlin과 Django"),
        (["Django", "Kotlin", "Redis"], "Django, Kotlin과 Redis"),
    ],
)
def test_spoken_lists(items: list[str], expected: str) -> None:
    assert GRAMMAR.join_and(items) == expected


@pytest.mark.parametrize(
    ("n", "text"), [(1, "일"), (3, "삼"), (6, "육"), (10, "십"), (12, "십이"), (20, "이십"), (99, "구십구")]
)
def test_sino_numbers(n: int, text: str) -> None:
    assert sino_number(n) == text


@pytest.mark.parametrize("n", [0, 100])
def test_sino_numbers_out_of_range(n: int) -> None:
    with pytest.raises(ValueError, match=r"1\.\.99"):
        sino_number(n)


def test_a_text_without_a_final_sound_is_an_error() -> None:
    with pytest.raises(ValueError, match="cannot tell"):
        GRAMMAR.attach("!!!", "을/를")
