"""catalog/ko.yaml: official region names, stacks in families, unique aliases; malformed files fail."""

from __future__ import annotations

import copy
import dataclasses
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.config import ConfigError
from pipeline.synth.catalog import PROJECT_ROOT, Catalog, load_catalog, parse_catalog

CATALOG_PATH = PROJECT_ROOT / "catalog" / "ko.yaml"
OFFICIAL = {
    "서울특별시", "부산광역시", "대구광역시", "인천광역시", "광주광역시", "대전광역시", "울산광역시",
    "세종특별자치시", "경기도", "강원특별자치도", "충청북도", "충청남도", "전북특별자치도", "전라남도",
    "경상북도", "경상남도", "제주특별자치도",
}  # fmt: skip


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(CATALOG_PATH)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(CATALOG_PATH.read_text(encoding="utf-8"))


def test_seventeen_regions_under_current_official_names(catalog: Catalog) -> None:
    assert len(catalog.regions) == 17
    assert {r.name for r in catalog.regions} == OFFICIAL
    # Renamed divisions keep their old names only as what people still write.
    assert "강원도" not in {r.name for r in catalog.regions} and "전라북도" not in {
        r.name for r in catalog.regions
    }


@pytest.mark.parametrize(
    ("official", "short"),
    [("서울특별시", "서울"), ("부산광역시", "부산"), ("경기도", "경기"), ("경기도", "경기 남부"),
     ("강원특별자치도", "강원"), ("전북특별자치도", "전북"), ("제주특별자치도", "제주")],
)  # fmt: skip
def test_regions_have_the_short_forms_people_write(catalog: Catalog, official: str, short: str) -> None:
    assert short in next(r for r in catalog.regions if r.name == official).short


def test_remote_work_is_a_region_choice(catalog: Catalog) -> None:
    assert catalog.remote.name == "원격"
    assert {"재택", "원격"} <= set(catalog.remote.short)
    assert catalog.region_names[catalog.remote_code] == "원격"


def test_at_least_30_stacks_each_in_exactly_one_family(catalog: Catalog) -> None:
    assert len(catalog.stacks) >= 30
    families = {f.name: f for f in catalog.families}
    assert len(families) >= 9
    for stack in catalog.stacks:
        assert stack.name in families[stack.family].stacks
    listed = [s for f in catalog.families for s in f.stacks]
    assert sorted(listed) == sorted(catalog.stack_names) and len(set(listed)) == len(listed)


@pytest.mark.parametrize(
    ("stack", "alias"),
    [("Django", "장고"), ("React", "리액트"), ("Spring Boot", "스프링부트"), ("PyTorch", "파이토치"),
     ("Node.js", "노드"), ("Kubernetes", "쿠버네티스"), ("Vue.js", "Vue"), ("Go", "Golang")],
)  # fmt: skip
def test_stacks_have_aliases_and_transliterations(catalog: Catalog, stack: str, alias: str) -> None:
    assert alias in next(s for s in catalog.stacks if s.name == stack).aliases


def test_aliases_are_unique_across_stacks(catalog: Catalog) -> None:
    owner: dict[str, str] = {}
    for stack in catalog.stacks:
        for form in {stack.name.casefold(), *(a.casefold() for a in stack.aliases)}:
            assert owner.setdefault(form, stack.name) == stack.name, f"{form} names two stacks"


def test_related_family_map_is_consistent(catalog: Catalog) -> None:
    names = {f.name for f in catalog.families}
    for f in catalog.families:
        for other in f.related:
            assert other in names and other != f.name
            assert f.name in next(g for g in catalog.families if g.name == other).related
    rel = catalog.related_stacks
    assert (rel == rel.T).all() and rel.diagonal().all()
    index = {s: i for i, s in enumerate(catalog.stack_names)}
    assert rel[index["Django"], index["Flask"]]  # same family
    assert rel[index["Django"], index["PostgreSQL"]]  # related families
    assert not rel[index["Django"], index["Swift"]]


def test_experience_goes_from_new_to_ten_years_and_more(catalog: Catalog) -> None:
    levels = catalog.experience_levels
    assert levels[0].name == "신입" and levels[0].min_years == levels[0].max_years == 0
    assert levels[-1].name == "10년 이상" and levels[-1].min_years == 10
    assert all(a.max_years + 1 == b.min_years for a, b in itertools.pairwise(levels))


def test_preferences(catalog: Catalog) -> None:
    assert [t.name for t in catalog.work_modes] == ["online", "offline", "mixed"]
    assert "온라인" in catalog.work_modes[0].aliases and "오프라인" in catalog.work_modes[1].aliases
    assert [t.name for t in catalog.backgrounds] == ["cs", "non_cs"]
    assert {
        "스터디",
        "토이 프로젝트",
        "포트폴리오",
        "창업",
        "리서치 중심",
        "프로덕트 중심",
        "팀 협업",
    } <= set(catalog.goal_names)


def test_catalog_is_frozen(catalog: Catalog) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        catalog.regions = ()  # type: ignore[misc]


def _set(path: str, value: Any) -> Callable[[dict], None]:
    def edit(raw: dict) -> None:
        node: Any = raw
        *parents, last = path.split(".")
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        if isinstance(node, list):
            node[int(last)] = value
        elif value is _DELETE:
            del node[last]
        else:
            node[last] = value

    return edit


_DELETE = object()


@pytest.mark.parametrize(
    ("edit", "entry", "allowed"),
    [
        (_set("goals", _DELETE), "goals", "a value"),
        (_set("colours", ["red"]), "colours", "one of regions"),
        (_set("regions.1.name", "서울특별시"), "regions[1].name", "not already used"),
        (_set("regions.2.short", ["서울"]), "regions[2].short[0]", "not already used"),
        (_set("regions.0.short", []), "regions[0].short", "non-empty list"),
        (_set("regions.0.name", " 서울특별시"), "regions[0].name", "without surrounding spaces"),
        (_set("stack_families.0.stacks.0.reading", "Django"), "stack_families[0].stacks[0].reading",
         "Hangul"),
        (_set("stack_families.4.stacks.0.aliases", ["장고"]), "stack_families[4].stacks[0].aliases[0]",
         "not already used by stack_families[0].stacks[0].aliases[0]"),
        (_set("stack_families.0.stacks.0", "Django"), "stack_families[0].stacks[0]", "a mapping"),
        (_set("stack_families.0.stacks", []), "stack_families[0].stacks", "non-empty list"),
        (_set("stack_families.0.related", ["blockchain"]), "stack_families[0].related",
         "names of other families"),
        (_set("stack_families.0.related", ["ml"]), "stack_families[0].related", "symmetric"),
        (_set("experience_levels.1.min_years", 2), "experience_levels[1].min_years", "contiguous"),
        (_set("experience_levels.0.max_years", "zero"), "experience_levels[0].max_years", "an integer"),
        (_set("work_modes.2.name", "hybrid"), "work_modes", "exactly the names"),
        (_set("backgrounds.0.aliases", "CS"), "backgrounds[0].aliases", "non-empty list"),
        (_set("goals.1.name", "스터디"), "goals", "distinct names"),
    ],
)  # fmt: skip
def test_malformed_catalog_names_file_and_entry(
    tmp_path: Path, raw: dict, edit: Callable[[dict], None], entry: str, allowed: str
) -> None:
    bad = copy.deepcopy(raw)
    edit(bad)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_catalog(path)
    assert info.value.key == f"{path}: {entry}"
    assert allowed in info.value.allowed


def test_missing_catalog_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_catalog(tmp_path / "nope.yaml")
    assert info.value.key == "data.catalog" and "nope.yaml" in str(info.value)


@pytest.mark.parametrize(
    ("text", "allowed"), [("regions: [unclosed", "valid UTF-8 YAML"), ("- a\n- b\n", "a mapping")]
)
def test_unreadable_catalog(tmp_path: Path, text: str, allowed: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_catalog(path)
    assert str(path) in info.value.key and allowed in info.value.allowed


def test_relative_catalog_path_falls_back_to_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_catalog("catalog/ko.yaml").regions == load_catalog(CATALOG_PATH).regions


def test_parse_catalog_accepts_the_raw_mapping(raw: dict) -> None:
    assert parse_catalog(raw).stack_names == load_catalog(CATALOG_PATH).stack_names
