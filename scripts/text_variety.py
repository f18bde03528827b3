"""How formulaic the generated texts are: distinct sentence patterns once slot values are masked.

    .venv/bin/python scripts/text_variety.py data/generated/pairs.parquet

Each distinct profile and posting text is cut into sentences (at . ! ? line breaks and " / " or " | "
fields); catalog surface forms (stacks and aliases, places and landmarks, areas, roles, goals) become ``<S>``,
``<P>``, ``<A>``, ``<R>``, ``<G>`` and digits ``<N>``. Prints, per side, the number of distinct masked
patterns, the share of all sentences that the 20 most frequent cover, and the most frequent ones.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.synth.catalog import load_catalog  # noqa: E402

_SPLIT = re.compile(r"(?<=[^\d][.!?。])\s+|\n+| / | \| ")  # not after "1." list numbers


def masker(catalog_path: str) -> dict[str, str]:
    """Surface form -> its placeholder."""
    catalog = load_catalog(catalog_path)
    forms: dict[str, str] = {}
    for s in catalog.stacks:
        for f in (s.name, *s.aliases):
            forms[f] = "<S>"
    for loc in catalog.locations:
        for f in (loc.name, *loc.forms, *loc.landmarks):
            forms[f] = "<P>"
    for a in catalog.areas:
        for f in (a.name, *a.forms):
            forms[f] = "<A>"
    for r in catalog.roles:
        for f in r.forms:
            forms[f] = "<R>"
    for g in catalog.goals:
        for f in g.forms:
            forms[f] = "<G>"
    return forms


def patterns(texts: list[str], forms: dict[str, str]) -> Counter[str]:
    ordered = sorted(forms, key=len, reverse=True)
    rx = re.compile("|".join(re.escape(f) for f in ordered))
    out: Counter[str] = Counter()
    for text in texts:
        for sentence in _SPLIT.split(text):
            sentence = sentence.strip()
            if sentence:
                masked = rx.sub(lambda m: forms[m.group(0)], sentence)
                out[re.sub(r"\d+", "<N>", masked)] += 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pairs", type=Path, nargs="?", default=ROOT / "data/generated/pairs.parquet")
    ap.add_argument("--catalog", default=str(ROOT / "catalog/ko.yaml"))
    ap.add_argument("--top", type=int, default=20)
    args = ap.parse_args()
    frame = pd.read_parquet(args.pairs, columns=["profile_text", "posting_text"])
    forms = masker(args.catalog)
    for side in ("profile_text", "posting_text"):
        texts = frame[side].drop_duplicates().tolist()
        counts = patterns(texts, forms)
        total = sum(counts.values())
        top = counts.most_common(args.top)
        share = sum(c for _, c in top) / total
        print(
            f"{side}: {len(texts)} texts, {total} sentences, {len(counts)} masked patterns, "
            f"top {args.top} cover {share:.1%}"
        )
        for pattern, count in top[:5]:
            print(f"  {count:6d}  {pattern}")


if __name__ == "__main__":
    main()
