"""Plots a person can see offline: the ``dvc plots show`` template and the model card's pictures.

The fast tests read what needs no browser: the template, the PNG files, the card's markdown. The slow ones
open the pages as a person would, in Debian's headless Chromium with the network off (a network namespace
of its own where ``unshare -n`` is allowed, and proxy and DNS rules that lead nowhere in any case), and
count what was drawn: Vega's SVG marks per plot, and the non-white pixels of each card picture.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config.compose import compose_config
from pipeline.release.plots import (
    CALIBRATION_CSV,
    SCATTER_CSV,
    TEMPLATE,
    CardImage,
    card_images_md,
    offline_template,
    write_card_images,
)
from tests.conftest import TINY_OVERRIDES

ROOT = Path(__file__).resolve().parent.parent
EVAL_PLOTS = ROOT / "plots" / "eval"
DVC = str(Path(sys.executable).parent / "dvc")
TOP_LEVEL_PLOTS = ("eval_scatter", "eval_calibration", "eval_factor_abs_gap", "eval_factor_gap")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def template() -> str:
    return offline_template()


# --- fast: the template ---------------------------------------------------------------------------------


def test_template_carries_the_libraries_and_loads_nothing(template: str) -> None:
    from dvc_render.html import HTML

    assert "{plot_divs}" in template and "{refresh_tag}" in template
    assert "{scripts}" not in template  # where DVC would put its CDN <script src> tags
    assert "<script src" not in template.lower() and "<link" not in template.lower()
    assert "window.vegaEmbed=" in template and 'renderer:"svg"' in template
    page = HTML(template).with_scripts("<script src='https://cdn.example/vega'></script>").embed()
    assert "https://cdn.example" not in page


def test_dvc_config_names_the_template_setup_wrote(template: str) -> None:
    config = (ROOT / ".dvc" / "config").read_text(encoding="utf-8")
    assert f"html_template = {TEMPLATE.name}" in config.split("[plots]", 1)[-1]
    assert f"/{TEMPLATE.name}" in (ROOT / ".dvc" / ".gitignore").read_text(encoding="utf-8").split()
    written = ROOT / TEMPLATE
    assert written.is_file(), f"{TEMPLATE} is missing: run `bash scripts/setup.sh`"
    assert written.read_text(encoding="utf-8") == template, f"{TEMPLATE} is stale: run scripts/setup.sh"


# --- fast: the card's pictures -----------------------------------------------------------------------------


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE, path
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def test_card_images_from_the_committed_tables(tmp_path: Path) -> None:
    images = write_card_images(EVAL_PLOTS, tmp_path)
    assert [i.file for i in images] == ["images/calibration.png", "images/scatter.png"]
    for image in images:
        width, height = _png_size(tmp_path / image.file)
        assert width > 200 and height > 200
    md = card_images_md(images)
    for image in images:
        assert md.count(f"]({image.file})") == 1 and image.how_to_read in md
    assert card_images_md([]) == ""


def test_a_missing_table_leaves_its_picture_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plots = tmp_path / "plots"
    plots.mkdir()
    shutil.copy(EVAL_PLOTS / CALIBRATION_CSV, plots)
    images = write_card_images(plots, tmp_path / "model")
    assert [i.file for i in images] == ["images/calibration.png"]
    assert f"no {plots / SCATTER_CSV}" in capsys.readouterr().err


def _card_folder(folder: Path, model_dir: Path) -> list[CardImage]:
    """A sentence-transformers folder with the pictures and the card, as the export stage writes them."""
    from pipeline.models.resolve import save_model
    from pipeline.release.card import CardInputs, build_model_card
    from pipeline.serving.matcher import load_model

    save_model(load_model(model_dir, "torch"), folder, create_model_card=False)
    images = write_card_images(EVAL_PLOTS, folder)
    inputs = CardInputs(
        cfg=compose_config([*TINY_OVERRIDES]),
        eval_metrics={"base": {"ndcg@10": 0.5}, "finetuned": {"ndcg@10": 0.6}, "delta": {"ndcg@10": 0.1}},
        data_metrics={},
        split_metrics={},
        parity={},
        onnx_files={},
        versions={},
        model_ref="data/export/model",
        images=images,
    )
    trainer_card = (model_dir / "README.md").read_text(encoding="utf-8")
    (folder / "README.md").write_text(build_model_card(trainer_card, inputs), encoding="utf-8")
    return images


def test_model_card_shows_the_pictures_and_the_folder_still_loads(
    tmp_path: Path, tiny_trained_model_dir: Path
) -> None:
    from sentence_transformers import SentenceTransformer

    folder = tmp_path / "model"
    images = _card_folder(folder, tiny_trained_model_dir)
    card = (folder / "README.md").read_text(encoding="utf-8")
    at = [card.index(f"]({image.file})") for image in images]
    assert card.index("### Base model vs fine-tuned") < card.index("### Plots") < at[0] < at[1]
    assert at[1] < card.index("## Training Details")
    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    assert model.encode(["부산 거주 장고 개발자"]).shape[0] == 1


# --- slow: in a real browser, offline ----------------------------------------------------------------------


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium on PATH; .ci/run installs it (apt-get install chromium) and could not here")


def _offline() -> list[str]:
    """``unshare -n``: a network namespace with no interface up, where the sandbox allows one."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []


def _dom(page: Path, profile: Path) -> str:
    """The DOM after the page's scripts ran (virtual time lets Vega's async rendering finish)."""
    cmd = [
        *_offline(),
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        f"--user-data-dir={profile}",
        # Even outside a namespace nothing is reached: every host fails to resolve, any IP goes to a
        # closed local port.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=127.0.0.1:9",
        "--allow-file-access-from-files",  # lets the card page read its own images' pixels
        "--virtual-time-budget=20000",
        "--dump-dom",
        page.as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0 and "</html>" in proc.stdout, proc.stderr[-2000:]
    return proc.stdout


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Marks(HTMLParser):
    """Per plot ``<div id>`` of DVC's page: the visible data marks Vega drew, by mark type.

    A mark counts when its SVG path has a shape (``d``) and paint: Vega also draws invisible helpers
    (transparent Voronoi cells for hovering, zero-opacity points) that an empty chart would have too.
    """

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str]] = []
        self.plot: str | None = None
        self.marks: dict[str, Counter[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "div" and a.get("id") and not any(t == "div" for t, _ in self.stack):
            self.plot = a["id"]
            self.marks[self.plot] = Counter()
        group = self.stack[-1][1].split() if self.stack else []
        if tag == "path" and "role-mark" in group and self.plot and _visible(a):
            self.marks[self.plot][group[0].removeprefix("mark-")] += 1
        if tag not in VOID:
            self.stack.append((tag, a.get("class") or ""))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop()[0] != tag:
            pass
        if tag == "div" and not any(t == "div" for t, _ in self.stack):
            self.plot = None


def _visible(a: dict[str, str | None]) -> bool:
    painted = any(a.get(k) not in (None, "", "none", "transparent") for k in ("fill", "stroke"))
    return bool(a.get("d")) and painted and a.get("opacity") != "0"


def _marks(dom: str) -> dict[str, Counter[str]]:
    parser = _Marks()
    parser.feed(dom)
    return parser.marks


def _expected_plots(root: Path) -> set[str]:
    """The div ids DVC gives the plots dvc.yaml declares: its top-level plots and the DVCLive curves."""
    from dvc_render.base import Renderer

    curves = [p.relative_to(root).as_posix() for p in (root / "dvclive" / "plots" / "metrics").rglob("*.tsv")]
    assert curves, "no DVCLive curves"
    return {Renderer.remove_special_chars(name) for name in [*TOP_LEVEL_PLOTS, *curves]}


def _dvc(cwd: Path, *args: str) -> None:
    proc = subprocess.run([DVC, *args], cwd=cwd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def _check_every_plot_drew(marks: dict[str, Counter[str]], root: Path, revisions: int) -> None:
    expected = _expected_plots(root)
    assert set(marks) == expected
    print({plot: dict(counts) for plot, counts in marks.items()})  # shown with -s: what was counted
    for plot in expected:
        assert sum(marks[plot].values()) > 0, f"{plot}: nothing drawn"
    # All the data, not just some: a point per scatter row and model, a bar per factor row.
    scatter = pd.read_csv(root / "plots" / "eval" / SCATTER_CSV)
    assert marks["eval_scatter"]["symbol"] == revisions * 2 * len(scatter)
    bars = len(pd.read_csv(root / "plots" / "eval" / "factor_errors.csv"))
    assert marks["eval_factor_abs_gap"]["rect"] == marks["eval_factor_gap"]["rect"] == revisions * bars
    for plot in expected - set(TOP_LEVEL_PLOTS):  # one line per revision and curve
        assert marks[plot]["line"] >= revisions, plot


@pytest.mark.slow
def test_plots_page_draws_every_plot_offline(tmp_path: Path) -> None:
    """``dvc plots show`` on the committed plot files, as .dvc/config has it, opened with no network."""
    _chromium()
    assert (ROOT / TEMPLATE).is_file(), f"{TEMPLATE} is missing: run `bash scripts/setup.sh`"
    _dvc(ROOT, "plots", "show", "-q", "-o", str(tmp_path / "ours"))
    ours = _marks(_dom(tmp_path / "ours" / "index.html", tmp_path / "profile"))
    _check_every_plot_drew(ours, ROOT, revisions=1)

    # The same page through DVC's own template (CDN scripts) draws nothing here: the network is off,
    # and the count above would catch a blank page.
    from dvc_render.html import PAGE_HTML

    (tmp_path / "dvc_default.html").write_text(PAGE_HTML, encoding="utf-8")
    _dvc(
        ROOT,
        "plots",
        "show",
        "-q",
        "-o",
        str(tmp_path / "cdn"),
        "--html-template",
        str(tmp_path / "dvc_default.html"),
    )
    cdn = _marks(_dom(tmp_path / "cdn" / "index.html", tmp_path / "profile"))
    assert set(cdn) == set(ours) and not any(sum(c.values()) for c in cdn.values())


@pytest.mark.slow
def test_plots_diff_of_two_revisions_draws_both_offline(tmp_path: Path) -> None:
    """``dvc plots diff`` between two commits of the plot files: every plot holds both revisions."""
    _chromium()
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("dvc.yaml", "params.yaml"):
        shutil.copy(ROOT / name, repo / name)
    for folder in ("plots/eval", "dvclive/plots"):
        shutil.copytree(ROOT / folder, repo / folder)

    def git(*args: str) -> None:
        ident = ["-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]
        subprocess.run(["git", *ident, *args], cwd=repo, check=True, capture_output=True)

    git("init", "-q")
    _dvc(repo, "init", "-q")
    _dvc(repo, "config", "plots.html_template", str(ROOT / TEMPLATE))
    git("add", "-A")
    git("commit", "-q", "-m", "first")
    # A second "experiment": other cosines and a lower loss curve.
    scatter = pd.read_csv(repo / "plots" / "eval" / SCATTER_CSV)
    scatter.assign(cosine_finetuned=scatter.cosine_finetuned * 0.9).to_csv(
        repo / "plots" / "eval" / SCATTER_CSV, index=False
    )
    loss = repo / "dvclive" / "plots" / "metrics" / "loss.tsv"
    frame = pd.read_csv(loss, sep="\t")
    frame.assign(loss=frame.loss * 0.8).to_csv(loss, sep="\t", index=False)
    git("commit", "-q", "-am", "second")

    _dvc(repo, "plots", "diff", "HEAD~1", "HEAD", "-q", "-o", str(tmp_path / "diff"))
    dom = _dom(tmp_path / "diff" / "index.html", tmp_path / "profile")
    _check_every_plot_drew(_marks(dom), repo, revisions=2)
    assert "HEAD~1" in dom and "rev: HEAD;" in dom  # both revisions in the tooltips


CARD_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>model card</title>
<style>img {{ max-width: 100%; }}</style></head><body>
{body}
<script>
// Per picture: its decoded width and how many of its pixels are not (near) white.
window.addEventListener("load", () => {{
  for (const img of document.images) {{
    img.dataset.naturalWidth = img.naturalWidth;
    img.dataset.ink = 0;
    if (!img.naturalWidth) continue;
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext("2d");
    ctx.drawImage(img, 0, 0);
    const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let ink = 0;
    for (let i = 0; i < px.length; i += 4) {{
      if (px[i + 3] > 0 && Math.min(px[i], px[i + 1], px[i + 2]) < 200) ink++;
    }}
    img.dataset.ink = ink;
  }}
}});
</script>
</body></html>
"""


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            a = dict(attrs)
            self.images[a.get("src") or ""] = a


@pytest.mark.slow
def test_model_card_pictures_draw_offline(tmp_path: Path, tiny_trained_model_dir: Path) -> None:
    """The card's markdown as a viewer renders it (CommonMark), next to its pictures, with no network."""
    _chromium()
    from markdown_it import MarkdownIt

    folder = tmp_path / "model"
    images = _card_folder(folder, tiny_trained_model_dir)
    body = MarkdownIt("commonmark").enable("table").render((folder / "README.md").read_text(encoding="utf-8"))
    (folder / "card.html").write_text(CARD_PAGE.format(body=body), encoding="utf-8")
    parser = _Images()
    parser.feed(_dom(folder / "card.html", tmp_path / "profile"))
    shown = {src: a for src, a in parser.images.items() if src.startswith("images/")}
    print({src: (a.get("data-natural-width"), a.get("data-ink")) for src, a in shown.items()})
    assert set(shown) == {image.file for image in images}
    for src, a in shown.items():
        assert int(a.get("data-natural-width") or 0) > 0, f"{src} did not load"
        assert int(a.get("data-ink") or 0) > 0, f"{src} is blank"
