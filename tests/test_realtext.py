"""The hand-written real-text set (realtext/, for #13's evaluation): well-formed, and never echoed by the
generator: no generated text shares a 6-word sequence with it, so a score on it measures reading, not
recall."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import PATHS, ROOT

REALTEXT = ROOT / "realtext"
REGIONS = {"서울", "경기", "인천", "부산", "대구", "광주", "대전", "울산", "세종", "강원", "충북", "충남"}
REGIONS |= {"전북", "전남", "경북", "경남", "제주", None}
ROLES = {"backend", "frontend", "fullstack", "mobile", "data", "ml", "devops", "game", "embedded", "other"}
ALLOWED = {
    "profiles": {
        "region": REGIONS,
        "work_mode": {"remote_only", "offline_ok", "offline_preferred", "any"},
        "role": ROLES,
        "level": {"student", "junior", "mid", "senior"},
        "cs_degree": {True, False, None},
        "register": {"self_intro", "board_post", "chat", "job_site", "linkedin"},
    },
    "postings": {
        "region": REGIONS,
        "work_mode": {"online", "offline", "hybrid"},
        "role": ROLES,
        "goal": {"study", "toy", "side_project", "startup", "job", "freelance", "hackathon"},
        "cs_degree_required": {True, False},
        "register": {"board_post", "job_site", "chat", "linkedin", "notice"},
    },
}
NGRAM = 6


def _rows(name: str) -> list[dict]:
    lines = (REALTEXT / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _ngrams(text: str) -> set[tuple[str, ...]]:
    words = text.split()
    return {tuple(words[i : i + NGRAM]) for i in range(len(words) - NGRAM + 1)}


@pytest.mark.parametrize(("name", "minimum"), [("profiles", 40), ("postings", 80)])
def test_the_set_is_well_formed(name: str, minimum: int) -> None:
    rows = _rows(name)
    assert len(rows) >= minimum
    assert len({r["id"] for r in rows}) == len(rows)
    for row in rows:
        assert row["text"].strip() and unicodedata.is_normalized("NFC", row["text"]), row["id"]
        for key, allowed in ALLOWED[name].items():
            assert row["attrs"][key] in allowed, (row["id"], key, row["attrs"][key])


def test_no_generated_text_shares_six_words_with_it(tiny_split_dir: Path) -> None:
    real = set().union(*(_ngrams(r["text"]) for name in ("profiles", "postings") for r in _rows(name)))
    generated_file = tiny_split_dir.parent.parent / PATHS.generated  # the tiny data's generate output
    pairs = pd.read_parquet(generated_file, columns=["profile_text", "posting_text"])
    generated = set(pairs.profile_text) | set(pairs.posting_text)
    shared = {text for text in generated if _ngrams(text) & real}
    assert not shared, sorted(shared)[:3]
