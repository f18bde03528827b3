"""catalog/ko.yaml: official region names, stacks in families, unique aliases; malformed files fail."""

from __future__ import annotations

import copy
import dataclasses
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


def test_locations_are_suamdogwon_heavy_and_each_in_an_area(catalog: Catalog) -> None:
    names = catalog.location_names
    assert {"서울", "경기 남부", "경기 북부", "인천", "부산", "대전", "제주"} <= set(names)
    w = dict(zip(names, catalog.location_weights, strict=True))
    capital = sum(w[n] for n in ("서울", "경기 남부", "경기 북부", "인천"))
    assert 0.5 < capital < 0.8 and w["서울"] > w["세종"]
    assert catalog.location_weights.sum() == pytest.approx(1.0)
    areas = {a.name for a in catalog.areas}
    assert {"수도권", "부울경", "충청", "호남", "대경"} <= areas
    assert {loc.area for loc in catalog.locations} == areas


@pytest.mark.parametrize(
    ("place", "location"),
    [("판교", "경기 남부"), ("분당", "경기 남부"), ("수원", "경기 남부"), ("일산", "경기 북부"), ("해운대",
        "부산"),
     ("센텀", "부산"), ("송도", "인천"), ("청라", "인천"), ("유성", "대전"), ("대덕", "대전"), ("강남",
         "서울"),
     ("성수", "서울"), ("마곡", "서울"), ("서울시", "서울")],
)  # fmt: skip
def test_districts_and_landmarks_name_their_location(catalog: Catalog, place: str, location: str) -> None:
    assert catalog.location_names[catalog.place_index[place]] == location


def test_at_least_60_stacks_each_in_exactly_one_family(catalog: Catalog) -> None:
    assert len(catalog.stacks) >= 60
    named = [s for f in catalog.families for s in f.stacks]
    assert sorted(named) == sorted(catalog.stack_names) and len(set(named)) == len(named)
    for needed in ("Python", "JavaScript", "C#", "Unity", "PHP", "JPA", "MyBatis", "GCP", "Azure",
                   "Elasticsearch", "GraphQL"):  # fmt: skip
        assert needed in catalog.stack_names, needed


@pytest.mark.parametrize(
    ("stack", "alias"),
    [("Django", "장고"), ("React", "리엑트"), ("Spring Boot", "스프링 부트"), ("Kubernetes", "쿠버"),
     ("Kubernetes", "k8s"), ("Vue", "Vue.js"), ("Go", "Golang")],
)  # fmt: skip
def test_stacks_have_the_aliases_people_write(catalog: Catalog, stack: str, alias: str) -> None:
    assert catalog.stack_names[catalog.stack_index[alias.casefold()]] == stack


def test_no_ambiguous_or_unnatural_aliases(catalog: Catalog) -> None:
    aliases = {a for s in catalog.stacks for a in s.aliases}
    # TF is TensorFlow to some and Terraform to others; nobody writes these transliterations
    assert not aliases & {"TF", "패스트에이피아이", "마이에스큐엘", "타스트"}


def test_frameworks_are_linked_to_what_they_are_built_on(catalog: Catalog) -> None:
    index = {name: i for i, name in enumerate(catalog.stack_names)}
    for a, b in (("Next.js", "React"), ("Spring Boot", "Java"), ("Spring Boot", "Kotlin"), ("Django",
        "Python"),
                 ("Unity", "C#"), ("Flutter", "Dart")):  # fmt: skip
        assert catalog.uses[index[a], index[b]] and catalog.uses[index[b], index[a]]
    assert not catalog.uses[index["Django"], index["Flask"]]


def test_family_relations_are_symmetric_and_backends_relate(catalog: Catalog) -> None:
    rel = catalog.related_families
    assert (rel == rel.T).all() and not rel.diagonal().any()
    names = [f.name for f in catalog.families]
    for a, b in (("go", "jvm"), ("devops", "python_web"), ("node", "frontend")):
        assert rel[names.index(a), names.index(b)], (a, b)


def test_roles_goals_and_levels(catalog: Catalog) -> None:
    assert catalog.role_names[-1] == "other"
    assert {"backend", "frontend", "fullstack", "mobile", "data", "ml", "devops"} <= set(catalog.role_names)
    assert {f.role for f in catalog.families} <= set(catalog.role_names)
    assert {g.name for g in catalog.goals if g.light} >= {"study", "toy"}
    levels = catalog.experience_levels
    assert levels[0].min_years == 0 and levels[0].max_years == 0 and levels[-1].max_years >= 10


def test_catalog_is_frozen(catalog: Catalog) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        catalog.path = "x"  # type: ignore[misc]


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


def _no_lead(raw: dict) -> None:
    for family in raw["stack_families"]:
        for stack in family["stacks"]:
            stack["lead"] = False


@pytest.mark.parametrize(
    ("edit", "entry", "allowed"),
    [
        (_set("goals", _DELETE), "goals", "Field required"),
        (_set("colours", ["red"]), "colours", "Extra inputs"),
        (_set("locations.1.name", "서울"), "locations.1.name", "not already used by locations.0"),
        (_set("locations.2.landmarks", ["판교"]), "locations.2.landmarks.0",
            "not already used by locations.1"),
        (_set("locations.0.forms", []), "locations.0.forms", "at least 1"),
        (_set("locations.0.name", " 서울"), "locations.0.name", "pattern"),
        (_set("locations.0.area", "달나라"), "locations.0.area", "an area of this catalog"),
        (_set("locations.0.weight", 0), "locations.0.weight", "greater than 0"),
        (_set("stack_families.0.stacks.0.reading", "Python"), "stack_families.0.stacks.0.reading", "pattern"),
        (_set("stack_families.4.stacks.0.aliases", ["장고"]), "stack_families.4.stacks.0.aliases.0",
         "not already used by stack_families.0.stacks.1"),
        (_set("stack_families.0.stacks.0", "Django"), "stack_families.0.stacks.0", "valid dictionary"),
        (_set("stack_families.0.stacks", []), "stack_families.0.stacks", "at least 1"),
        (_set("stack_families.0.related", ["blockchain"]), "stack_families.0.related.0", "another family"),
        (_set("stack_families.0.related", ["ml"]), "stack_families.0.related", "symmetric"),
        (_set("stack_families.0.role", "cto"), "stack_families.0.role", "a role of this catalog"),
        (_set("stack_families.0.stacks.1.uses", ["Cobol"]), "stack_families.0.stacks.1.uses.0",
            "another stack"),
        (_set("roles.0.name", "other"), "roles", "the unknown role"),
        (_set("experience_levels.1.min_years", 2), "experience_levels.1.min_years", "contiguous"),
        (_set("experience_levels.0.max_years", "zero"), "experience_levels.0.max_years", "integer"),
        (_set("goals.1.name", "study"), "goals.1.name", "not already used by goals.0"),
        (_set("alternatives.0", ["Django", "Cobol"]), "alternatives.0.1", "a stack of this catalog"),
        (_set("alternatives.0", ["Django", "Django"]), "alternatives.0", "at least two different stacks"),
        (_set("stack_families.0.stacks.0.lead", "maybe"), "stack_families.0.stacks.0.lead", "valid boolean"),
        (_set("stack_families.0.tools", "maybe"), "stack_families.0.tools", "valid boolean"),
        (_no_lead, "stack_families", "at least one stack that can lead"),
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
    ("text", "allowed"), [("regions: [unclosed", "valid UTF-8 YAML"), ("- a\n- b\n", "valid dictionary")]
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
    assert load_catalog("catalog/ko.yaml").locations == load_catalog(CATALOG_PATH).locations


def test_parse_catalog_accepts_the_raw_mapping(raw: dict) -> None:
    assert parse_catalog(raw).stack_names == load_catalog(CATALOG_PATH).stack_names
