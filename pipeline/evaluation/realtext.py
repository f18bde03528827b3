"""The hand-written evaluation set (``paths.realtext``: ``profiles.jsonl`` and ``postings.jsonl``,
described in its README): the texts, their attributes mapped onto the rule columns through the catalog,
and the rule score of every profile x posting as the relevance both models are judged by.

Evaluation only: no stage trains, calibrates or selects anything on it. Its texts were written by hand
without sight of the generator, so a score on it measures reading Korean as developers write it, not
recall of the templates. Every problem is a :class:`~pipeline.pairs.reader.TableError` naming the file,
the line, the attribute (``attrs.stacks``) and the item id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.config import Config, ConfigError
from pipeline.evaluation.data import EvalData, rule_scores
from pipeline.evaluation.retrieval import graded_gains
from pipeline.pairs.reader import Table, read_table, short
from pipeline.synth.catalog import PROJECT_ROOT, Catalog, load_catalog
from pipeline.synth.rules import POSTING_COLUMNS, PROFILE_COLUMNS

__all__ = [
    "PROFILE_MODES",
    "REALTEXT",
    "RealText",
    "find_realtext",
    "load_realtext",
    "posting_columns",
    "profile_columns",
    "read_realtext",
    "realtext_eval_data",
]

KEY = "paths.realtext"
REALTEXT = "realtext"  # the prefix of its metrics and its block in the metrics' info
FILES = ("profiles.jsonl", "postings.jsonl")
# The writer's profile modes -> the rules': "offline_ok" is someone who can meet but need not.
PROFILE_MODES = {"remote_only": "remote", "offline_ok": "any", "any": "any", "offline_preferred": "offline"}
POSTING_MODES = ("online", "offline", "hybrid")
BACKGROUNDS = {True: "cs", False: "non_cs", None: "unknown"}


class AttrError(ValueError):
    """An attribute that cannot be mapped; the reader turns it into a TableError with file and line."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(problem)
        self.key, self.problem = key, problem


@dataclass(frozen=True)
class RealText:
    """The set read and mapped: texts in file order and one rule-column row per item."""

    profile_ids: list[str]
    profile_texts: list[str]
    posting_ids: list[str]
    posting_texts: list[str]
    profiles: pd.DataFrame  # rules.PROFILE_COLUMNS
    postings: pd.DataFrame  # rules.POSTING_COLUMNS


def find_realtext(path: Path | str) -> Path:
    """``paths.realtext`` as a folder: looked up in the working directory (a stage runs in the project root),
    then, for a relative path, in the project root itself (tests that run a stage elsewhere)."""
    path = Path(path)
    for candidate in (path,) if path.is_absolute() else (path, PROJECT_ROOT / path):
        if all((candidate / name).is_file() for name in FILES):
            return candidate
    raise ConfigError(KEY, str(path), f"a folder holding {' and '.join(FILES)} (realtext/ in the repository)")


# --- attributes -> rule columns ---------------------------------------------------------------------------


def _get(attrs: Mapping[str, Any], key: str, check: Callable[[Any], bool], expected: str) -> Any:
    if key not in attrs:
        raise AttrError(key, "missing")
    value = attrs[key]
    if not check(value):
        raise AttrError(key, f"{short(value)} is not {expected}")
    return value


def _years(attrs: Mapping[str, Any], key: str, *, nullable: bool = False) -> int:
    def ok(v: Any) -> bool:
        return (nullable and v is None) or (isinstance(v, int) and not isinstance(v, bool) and v >= 0)

    value = _get(attrs, key, ok, "whole years >= 0" + (" or null" if nullable else ""))
    return -1 if value is None else int(value)  # -1: the rules' "no upper bound"


def _choice(attrs: Mapping[str, Any], key: str, allowed: Mapping[Any, str] | tuple[str, ...]) -> str:
    table = allowed if isinstance(allowed, Mapping) else {v: v for v in allowed}
    value = _get(attrs, key, lambda v: v in table, "one of " + ", ".join(map(str, table)))
    return table[value]


def _stacks(attrs: Mapping[str, Any], key: str, catalog: Catalog) -> list[str]:
    values = _get(attrs, key, lambda v: isinstance(v, list), "a list of stack names")
    out: list[str] = []
    for value in values:
        i = catalog.stack_index.get(value.casefold()) if isinstance(value, str) else None
        if i is None:
            raise AttrError(
                key,
                f"unknown stack {short(value)}: not a name or alias in {catalog.path} "
                "(add it there if it is a real stack, or use its catalog name)",
            )
        out.append(catalog.stacks[i].name)
    return list(dict.fromkeys(out))  # an alias and its name listed together count once


def _location(attrs: Mapping[str, Any], catalog: Catalog) -> str:
    """The catalog location of region/district: a district the catalog knows wins (경기 spans two locations,
    경기 남부 and 경기 북부); else the region itself; "" when neither is stated."""
    region, district = attrs.get("region"), attrs.get("district")
    for key, value in (("region", region), ("district", district)):
        if value is not None and not (isinstance(value, str) and value.strip()):
            raise AttrError(key, f"{short(value)} is not a place name or null")
    places, names = catalog.place_index, catalog.location_names
    by_region = places.get(region) if region else None
    by_district = places.get(district) if district else None
    if by_district is not None:
        if by_region is not None and by_region != by_district:
            problem = f"{district!r} is in {names[by_district]} in {catalog.path}, not in region {region!r}"
            raise AttrError("district", problem)
        return names[by_district]
    if by_region is not None:
        return names[by_region]  # a district the catalog does not know (울산 동구): the region is enough
    if region is None and district is None:
        return ""
    if region is not None:
        problem = (
            f"region {region!r} is not one location of {catalog.path} and district {district!r} is not a "
            "landmark there either (add the district to the landmarks of its location)"
        )
        raise AttrError("region", problem)
    raise AttrError("district", f"{district!r} (with no region) is not a place of {catalog.path}")


def _role(attrs: Mapping[str, Any], catalog: Catalog) -> str:
    # role_names ends with the unknown role "other", which the rules keep neutral: it stays as it is.
    return _choice(attrs, "role", catalog.role_names)


def profile_columns(attrs: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    """One profile's attributes as rules.PROFILE_COLUMNS; raises AttrError naming the key."""
    goals = attrs.get("goals") or []  # the set states none; a profile without goals is "unstated"
    for goal in goals:
        if goal not in catalog.goal_names:
            raise AttrError("goals", f"unknown goal {short(goal)}; allowed: {', '.join(catalog.goal_names)}")
    return {
        "p_region": _location(attrs, catalog),
        "p_stacks": _stacks(attrs, "stacks", catalog),
        "p_not_stacks": _stacks(attrs, "not_stacks", catalog),
        "p_years": _years(attrs, "years"),
        "p_role": _role(attrs, catalog),
        "p_work_mode": _choice(attrs, "work_mode", PROFILE_MODES),
        "p_background": _choice(attrs, "cs_degree", BACKGROUNDS),
        "p_goals": list(goals),
    }


def posting_columns(attrs: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    """One posting's attributes as rules.POSTING_COLUMNS; raises AttrError naming the key."""
    min_years, max_years = _years(attrs, "min_years"), _years(attrs, "max_years", nullable=True)
    if 0 <= max_years < min_years:
        raise AttrError("max_years", f"{max_years} is below min_years ({min_years})")
    return {
        "j_region": _location(attrs, catalog),
        "j_stacks": _stacks(attrs, "required_stacks", catalog),
        "j_preferred": _stacks(attrs, "preferred_stacks", catalog),
        "j_min_years": min_years,
        "j_max_years": max_years,
        "j_role": _role(attrs, catalog),
        "j_work_mode": _choice(attrs, "work_mode", POSTING_MODES),
        "j_goal": _choice(attrs, "goal", catalog.goal_names),
        "j_requires_cs": _choice(attrs, "cs_degree_required", {True: True, False: False}),
    }


# --- files ------------------------------------------------------------------------------------------------


def _read(file: Path, catalog: Catalog, columns: Callable[..., dict[str, Any]]) -> tuple[Table, list[dict]]:
    table = read_table(file, "jsonl", key=KEY, wanted=("id", "text", "attrs"))
    table.require(("id", "text", "attrs"), lambda _: "each line is {id, text, attrs} (realtext/README.md)")
    ids = table.texts("id")
    table.texts("text")  # checked here, so that a blank text is reported with its line
    seen: dict[str, int] = {}
    rows: list[dict] = []
    for i, (item, attrs) in enumerate(zip(ids, table.columns["attrs"], strict=True)):
        if item in seen:
            raise table.fail(i, "id", f"{item!r} is also the id on line {seen[item]}")
        seen[item] = int(table.rows[i])
        if not isinstance(attrs, dict):
            raise table.fail(i, "attrs", f"{item}: expected an object, got {short(attrs)}")
        try:
            rows.append(columns(attrs, catalog))
        except AttrError as err:
            raise table.fail(i, f"attrs.{err.key}", f"{item}: {err.problem}") from None
    return table, rows


def read_realtext(folder: Path | str, catalog: Catalog) -> RealText:
    """Both files read and mapped (``folder`` as given: see :func:`find_realtext`)."""
    folder = Path(folder)
    p_table, p_rows = _read(folder / FILES[0], catalog, profile_columns)
    j_table, j_rows = _read(folder / FILES[1], catalog, posting_columns)
    return RealText(
        profile_ids=list(p_table.texts("id")),
        profile_texts=list(p_table.texts("text")),
        posting_ids=list(j_table.texts("id")),
        posting_texts=list(j_table.texts("text")),
        profiles=pd.DataFrame(p_rows, columns=list(PROFILE_COLUMNS)),
        postings=pd.DataFrame(j_rows, columns=list(POSTING_COLUMNS)),
    )


def realtext_eval_data(rt: RealText, cfg: Config) -> EvalData:
    """Queries = the profiles, corpus = the postings, relevance = the rule score of every cell (data.rules);
    every cell is an analysed row, the STS pairs of the set."""
    n_q, n_d = len(rt.profile_ids), len(rt.posting_ids)
    scores = rule_scores(rt.profiles, rt.postings, cfg)["score"].to_numpy(dtype=np.float64).reshape(n_q, n_d)
    qi, di = np.repeat(np.arange(n_q), n_d), np.tile(np.arange(n_d), n_q)
    analysis = pd.DataFrame(
        {
            "qi": qi,
            "di": di,
            "query_id": np.asarray(rt.profile_ids, dtype=object)[qi],
            "doc_id": np.asarray(rt.posting_ids, dtype=object)[di],
            "score": scores.ravel(),
        }
    )
    relevant = graded_gains(scores, cfg.eval.relevance_threshold) > 0
    info = {
        "n_profiles": n_q,
        "n_postings": n_d,
        "n_queries_with_relevant": int(relevant.any(axis=1).sum()),
        "n_relevant": int(relevant.sum()),
    }
    return EvalData(
        REALTEXT, rt.profile_ids, rt.profile_texts, rt.posting_ids, rt.posting_texts, scores, analysis, info
    )


def load_realtext(path: Path | str, cfg: Config) -> EvalData:
    """The set under ``path`` (``paths.realtext``), mapped by ``data.catalog``, scored by ``data.rules``."""
    return realtext_eval_data(read_realtext(find_realtext(path), load_catalog(cfg.data.catalog)), cfg)
