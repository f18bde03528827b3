"""Plots a person can see without a network: the ``dvc plots show`` page and the model card's pictures.

* :func:`offline_template` builds the HTML template that ``.dvc/config`` names (``plots.html_template``):
  DVC's page with Vega, Vega-Lite and Vega-Embed inline, taken from the ``vl-convert-python`` wheel, so
  ``dvc plots show`` and ``dvc plots diff`` write a page that draws every plot offline. DVC's own page
  loads those libraries from a CDN and stays blank offline. ``scripts/setup.sh`` writes the template
  (``python -m pipeline.release.plots template``); it is generated from the installed wheel, not committed.
* :func:`write_card_images` draws the evaluate stage's calibration and cosine-vs-score tables as PNG files
  (with vl-convert, no browser) for the exported model folder; :func:`card_images_md` shows them in its
  README.md, with one line each on how to read them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "CALIBRATION_CSV",
    "SCATTER_CSV",
    "TEMPLATE",
    "CardImage",
    "card_images_md",
    "main",
    "offline_template",
    "vegalite_version",
    "write_card_images",
    "write_offline_template",
]

TEMPLATE = Path(".dvc/offline_plots.html")  # .dvc/config: plots.html_template = offline_plots.html
CALIBRATION_CSV = "calibration.csv"  # under plots/eval/, written by the evaluate stage
SCATTER_CSV = "scatter.csv"
IMAGE_DIR = "images"  # inside the exported model folder
SCALE = 2  # PNG pixels per CSS pixel: sharp on high-density screens
# What DVC's page placeholders must not meet inside the inlined JavaScript: DVC substitutes them everywhere.
PLACEHOLDERS = ("{plot_divs}", "{refresh_tag}", "{scripts}")

# DVC's default page (dvc_render.html.PAGE_HTML) without the {scripts} placeholder, which is where DVC
# puts its CDN <script> tags, and with the libraries inline. Its plot <div>s call vegaEmbed(el, spec) in
# plain <script>s while the page parses, so the bundle must be a plain script too, placed before them.
PAGE = """<!DOCTYPE html>
<html>
<head>
    <meta charset="utf-8">
    <meta name="generator" content="pipeline.release.plots: {versions}, inline (no network)">
    {refresh_tag}
    <title>DVC Plot</title>
    <script>
(function () {
__BUNDLE__
})();
    </script>
    <style>
        table {
            border-spacing: 15px;
        }
    </style>
</head>
<body>
    {plot_divs}
</body>
</html>
"""
# SVG rather than the default canvas: sharp at any zoom, and each mark is an element a test can count.
SNIPPET = (
    "window.vegaEmbed = (el, spec, opts) => vegaEmbed(el, spec, {renderer: 'svg', ...opts});"
    " window.vega = vega; window.vegaLite = vegaLite;"
)


def vegalite_version() -> str:
    """The newest Vega-Lite 5 that vl-convert bundles: DVC's plot templates declare the v5 schema."""
    import vl_convert as vlc

    fives = [v for v in vlc.get_vegalite_versions() if v.startswith("5.")]
    return max(fives, key=lambda v: tuple(int(p) for p in v.split(".")))


def offline_template() -> str:
    """The ``dvc plots show`` HTML template with the Vega libraries inline."""
    import vl_convert as vlc

    version = vegalite_version()
    bundle = vlc.javascript_bundle(SNIPPET, vl_version=version)
    # A literal "</script" would end the inline <script>; a placeholder would be replaced by DVC.
    bad = [p for p in PLACEHOLDERS if p in bundle] + re.findall(r"</script", bundle, flags=re.I)
    if bad:
        raise RuntimeError(f"vl-convert's bundle contains {bad!r}: it cannot be inlined in DVC's page")
    versions = (
        f"vega {vlc.get_vega_version()}, vega-lite {version}, vega-embed {vlc.get_vega_embed_version()}"
    )
    return PAGE.replace("{versions}", versions).replace("__BUNDLE__", bundle)


def write_offline_template(path: Path = TEMPLATE) -> Path:
    from pipeline.io import write_text

    write_text(path, offline_template())
    return path


# --- model card pictures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardImage:
    file: str  # relative to the model folder, e.g. "images/calibration.png"
    title: str
    how_to_read: str


MODELS = {"base": "base model", "finetuned": "fine-tuned"}


def _records(frame: Any) -> list[dict[str, Any]]:
    """Rows as JSON values; NaN (an empty calibration bin) becomes null, a gap in the line."""
    return json.loads(frame.to_json(orient="records"))


def calibration_spec(frame: Any) -> dict[str, Any]:
    """Mean cosine per rule-score bin for base and fine-tuned, against the bin's mean rule score."""
    series = {"mean_cosine_base": MODELS["base"], "mean_cosine_finetuned": MODELS["finetuned"]}
    series["mean_score"] = "rule score (perfect calibration)"
    cols = ["mid", *[c for c in series if c in frame.columns]]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": "Mean cosine per rule-score bin (test split)",
        "width": 420,
        "height": 300,
        "data": {"values": _records(frame[cols])},
        "transform": [
            {"fold": cols[1:], "as": ["column", "value"]},
            {"calculate": f"{json.dumps(series)}[datum.column]", "as": "series"},
        ],
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "mid", "type": "quantitative", "title": "rule score (bin middle)"},
            "y": {"field": "value", "type": "quantitative", "title": "mean cosine"},
            "color": {"field": "series", "type": "nominal", "sort": list(series.values()), "title": None},
            "strokeDash": {
                "condition": {"test": "datum.column == 'mean_score'", "value": [6, 4]},
                "value": [1, 0],
            },
        },
        "config": {"legend": {"orient": "bottom"}},
    }


def scatter_spec(frame: Any) -> dict[str, Any]:
    """Cosine vs rule score, one panel per model, on shared axes."""
    present = [m for m in MODELS if f"cosine_{m}" in frame.columns]
    names = {f"cosine_{m}": MODELS[m] for m in present}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": {
            "text": "Cosine vs rule score (sample of test profile x posting pairs)",
            "anchor": "middle",
        },
        "data": {"values": _records(frame[["score", *[f"cosine_{m}" for m in present]]])},
        "transform": [
            {"fold": [f"cosine_{m}" for m in present], "as": ["column", "cosine"]},
            {"calculate": f"{json.dumps(names)}[datum.column]", "as": "model"},
        ],
        "facet": {
            "column": {
                "field": "model",
                "type": "nominal",
                "sort": [MODELS[m] for m in present],
                "title": None,
            }
        },
        "spec": {
            "width": 300,
            "height": 260,
            "mark": {"type": "circle", "size": 12, "opacity": 0.35},
            "encoding": {
                "x": {"field": "score", "type": "quantitative", "title": "rule score"},
                "y": {"field": "cosine", "type": "quantitative", "title": "cosine"},
                "color": {"field": "model", "type": "nominal", "legend": None},
            },
        },
    }


CARD_IMAGES = (
    (
        CALIBRATION_CSV,
        calibration_spec,
        CardImage(
            f"{IMAGE_DIR}/calibration.png",
            "Calibration: mean cosine per rule-score bin, base vs fine-tuned",
            "Each line is a model's mean cosine over the test pairs in a rule-score bin; the steeper and "
            "closer to the dashed rule-score line, the better cosine tracks match quality (a flat line "
            "cannot tell a good match from a poor one).",
        ),
    ),
    (
        SCATTER_CSV,
        scatter_spec,
        CardImage(
            f"{IMAGE_DIR}/scatter.png",
            "Cosine vs rule score, base vs fine-tuned",
            "One dot per sampled test profile-posting pair, rule score across and cosine up; a narrow band "
            "rising left to right means the model ranks pairs as the rules do, a flat or wide cloud means "
            "its cosine says little about the match.",
        ),
    ),
)


def write_card_images(plots_dir: Path, model_dir: Path) -> list[CardImage]:
    """PNG pictures of ``plots_dir``'s calibration and scatter tables in ``model_dir/images/``.

    A missing table (an evaluate stage from before these files) leaves its picture out, with a note.
    """
    import pandas as pd
    import vl_convert as vlc

    version = vegalite_version()
    made = []
    for csv, spec, image in CARD_IMAGES:
        if not (plots_dir / csv).is_file():
            print(f"model card: no {plots_dir / csv}, so no {image.file}", file=sys.stderr)
            continue
        png = vlc.vegalite_to_png(spec(pd.read_csv(plots_dir / csv)), vl_version=version, scale=SCALE)
        out = model_dir / image.file
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(png)
        made.append(image)
    return made


def card_images_md(images: Sequence[CardImage]) -> str:
    """The card's "Plots" section: each picture with its line on how to read it ("" without pictures)."""
    if not images:
        return ""
    parts = ["### Plots (test split)", "", "From `plots/eval/` (the evaluate stage).", ""]
    for image in images:
        parts += [f"![{image.title}]({image.file})", "", image.how_to_read, ""]
    return "\n".join(parts)


# --- command line ---------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    summary = __doc__.split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m pipeline.release.plots", description=summary)
    sub = parser.add_subparsers(dest="command", required=True)
    tpl = sub.add_parser("template", help="write the offline `dvc plots show` template")
    tpl.add_argument("path", nargs="?", type=Path, default=TEMPLATE, help=f"default {TEMPLATE}")
    card = sub.add_parser("card-images", help="draw the model card's pictures from plots/eval/")
    card.add_argument("out_dir", type=Path, help="folder that receives images/")
    card.add_argument("--plots-dir", type=Path, default=Path("plots/eval"))
    args = parser.parse_args(argv)
    if args.command == "template":
        print(f"wrote {write_offline_template(args.path)}")
    else:
        for image in write_card_images(args.plots_dir, args.out_dir):
            print(f"wrote {args.out_dir / image.file}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
