"""External data (data=external_pairs / external_triplets): every format loads and normalises, every bad
file fails naming file, row and column, and generate + split keep every text in one split."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline.config import Config, ConfigError, parse_config
from pipeline.config.compose import compose_config, compose_dict
from pipeline.config.schema import ExternalConfig
from pipeline.pairs.external import (
    EXTERNAL_PAIR_SCHEMA,
    TRIPLET_PAIR_SCHEMA,
    ExternalDataError,
    is_external,
    load_external,
)
from pipeline.runtime import run_stage
from pipeline.stages import generate, split
from pipeline.synth.schema import TRIPLET_SCHEMA
from tests.conftest import PATHS, write_params

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "external"
TRIPLET_KEYS = [
    "data.external.columns.anchor=query",
    "data.external.columns.positive=pos",
    "data.external.columns.negative=neg",
]


def config(path: Path | str, *extra: str, kind: str = "pairs") -> Config:
    return compose_config([f"data=external_{kind}", f"data.external.path={path}", *extra])


def ext(path: Path | str, *extra: str, kind: str = "pairs") -> ExternalConfig:
    cfg = config(path, *extra, kind=kind).data.external
    assert cfg is not None
    return cfg


def load(path: Path | str, *extra: str, kind: str = "pairs", root: Path = FIXTURES) -> pd.DataFrame:
    return load_external(ext(path, *extra, kind=kind), root)[0].to_pandas()


# --- formats --------------------------------------------------------------------------------------------


def test_korsts_tsv_reads_quotes_literally_and_maps_0_5_onto_0_1() -> None:
    df = load("korsts_pairs.tsv")
    raw = pd.read_csv(FIXTURES / "korsts_pairs.tsv", sep="\t", quoting=3, dtype=str)
    assert len(df) == len(raw) == 20
    assert df["profile_text"].tolist() == raw["sentence1"].tolist()
    assert df["posting_text"].tolist() == raw["sentence2"].tolist()
    np.testing.assert_allclose(df["score"], raw["score"].astype(float) / 5)
    assert df["score"].iloc[0] == 1.0 and df["score"].iloc[1] == pytest.approx(0.84)
    assert '그는 "좋아요 라고 말했다.' in set(df["profile_text"])  # an unbalanced quote stays text


def test_ids_follow_text_identity_on_both_sides() -> None:
    df = load("korsts_pairs.tsv")
    ids = pd.concat([
        df[["profile_id", "profile_text"]].set_axis(["id", "text"], axis=1),
        df[["posting_id", "posting_text"]].set_axis(["id", "text"], axis=1),
    ])  # fmt: skip
    assert (ids.groupby("text")["id"].nunique() == 1).all() and (
        ids.groupby("id")["text"].nunique() == 1
    ).all()
    shared = "남자가 기타를 연주하고 있다."  # sentence2 of row 1, sentence1 of row 7
    assert df.loc[0, "posting_text"] == df.loc[6, "profile_text"] == shared
    assert df.loc[0, "posting_id"] == df.loc[6, "profile_id"]


def test_csv_keeps_quoted_commas_and_ignores_extra_columns() -> None:
    df = load("pairs.csv", "data.external.score_range=[0,1]")
    raw = pd.read_csv(FIXTURES / "pairs.csv")
    assert list(df.columns) == EXTERNAL_PAIR_SCHEMA.names
    assert df["profile_text"].iloc[0] == "서울, 강남구에서 근무하는 자바 개발자"
    assert df["profile_text"].iloc[2] == '"열정적인" 신입 프론트엔드 개발자'
    np.testing.assert_allclose(df["score"], raw["score"])


def test_jsonl_pairs_on_the_0_5_scale() -> None:
    df = load("pairs.jsonl")
    tsv = load("korsts_pairs.tsv").head(12)
    pd.testing.assert_frame_equal(
        df[["profile_text", "posting_text", "score"]], tsv[["profile_text", "posting_text", "score"]]
    )


def test_parquet_fixture_holds_the_csv_rows() -> None:
    parquet = load("pairs.parquet", "data.external.score_range=[0,1]")
    csv = load("pairs.csv", "data.external.score_range=[0,1]")
    pd.testing.assert_frame_equal(parquet, csv)
    assert pq.read_schema(FIXTURES / "pairs.parquet").field("score").type == "double"


def test_score_range_maps_linearly(tmp_path: Path) -> None:
    (tmp_path / "sick.csv").write_text(
        "sentence1,sentence2,score\n가,나,1\n다,라,5\n마,바,3\n", encoding="utf-8"
    )
    df = load("sick.csv", "data.external.score_range=[1,5]", root=tmp_path)
    assert df["score"].tolist() == [0.0, 1.0, 0.5]


@pytest.mark.parametrize(("name", "extra"), [("triplets.csv", []), ("triplets.jsonl", TRIPLET_KEYS)])
def test_triplets_become_a_positive_and_a_negative_pair(name: str, extra: list[str]) -> None:
    df = load(name, *extra, kind="triplets")
    raw = pd.read_csv(FIXTURES / "triplets.csv")
    assert list(df.columns) == TRIPLET_PAIR_SCHEMA.names and len(df) == 2 * len(raw)
    assert df["triplet"].tolist() == np.repeat(np.arange(len(raw)), 2).tolist()
    assert df["profile_text"].tolist() == np.repeat(raw["anchor"], 2).tolist()
    assert df["posting_text"].iloc[0::2].tolist() == raw["positive"].tolist()
    assert df["posting_text"].iloc[1::2].tolist() == raw["negative"].tolist()
    assert df["score"].tolist() == [1.0, 0.0] * len(raw)


def test_a_folder_reads_its_files_in_name_order(tmp_path: Path) -> None:
    folder = tmp_path / "sts"
    folder.mkdir()
    shutil.copy(FIXTURES / "pairs.jsonl", folder / "b.jsonl")
    shutil.copy(FIXTURES / "korsts_pairs.tsv", folder / "a.tsv")
    (folder / ".DS_Store").write_bytes(b"\0\1")  # hidden files are skipped
    df = load("sts", root=tmp_path)
    assert len(df) == 20 + 12
    assert df["profile_text"].tolist() == (
        load("korsts_pairs.tsv")["profile_text"].tolist() + load("pairs.jsonl")["profile_text"].tolist()
    )


def test_explicit_format_overrides_the_extension(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "korsts_pairs.tsv", tmp_path / "sts.txt")
    df = load("sts.txt", "data.external.format=tsv", root=tmp_path)
    pd.testing.assert_frame_equal(df, load("korsts_pairs.tsv"))


def test_a_0_5_range_over_0_1_scores_warns(capsys: pytest.CaptureFixture[str]) -> None:
    load("pairs.csv")
    err = capsys.readouterr().err
    assert "warning" in err and "score_range=[0,1]" in err
    load("pairs.csv", "data.external.score_range=[0,1]")
    assert capsys.readouterr().err == ""


# --- bad files: file, row, column -------------------------------------------------------------------------


def _write(tmp_path: Path, name: str, text: str) -> str:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return name


def _error(tmp_path: Path, name: str, *extra: str, kind: str = "pairs") -> ExternalDataError:
    with pytest.raises(ExternalDataError) as info:
        load(name, *extra, kind=kind, root=tmp_path)
    err = info.value
    assert str(err).startswith(f"{name}: ") and "\n" not in str(err)
    assert err.key == "data.external.path" and err.file == name
    return err


HEADER = "sentence1\tsentence2\tscore\n"
GOOD = "가는 말이 고와야\t오는 말이 곱다\t4.0\n"


@pytest.mark.parametrize(
    ("body", "row", "column", "message"),
    [
        (GOOD + "나\t다\t5.5\n", 2, "score", "score 5.5 is outside data.external.score_range [0, 5]"),
        (GOOD + "나\t다\t-1\n", 2, "score", "outside"),
        (GOOD + GOOD + "나\t다\t높음\n", 3, "score", "not a number: '높음'"),
        (GOOD + "나\t다\t\n", 2, "score", "empty score"),
        (GOOD + "나\t\t3\n", 2, "sentence2", "empty text"),
        (GOOD + "   \t다\t3\n", 2, "sentence1", "empty text"),
        (GOOD + "나\n", 2, "sentence2", "empty text"),  # a short row
    ],
)
def test_bad_cells_name_file_row_and_column(
    tmp_path: Path, body: str, row: int, column: str, message: str
) -> None:
    err = _error(tmp_path, _write(tmp_path, "bad.tsv", HEADER + body))
    assert (err.row, err.column) == (row, column)
    assert f"bad.tsv: row {row}, column '{column}': " in str(err) and message in str(err)


def test_missing_column_lists_the_file_columns(tmp_path: Path) -> None:
    name = _write(tmp_path, "bad.tsv", "sentence1\tsentence2\tlabel\n가\t나\t1\n")
    err = _error(tmp_path, name)
    assert err.row is None and err.column == "score"
    assert "missing from the header" in str(err) and "'label'" in str(err)
    assert "set data.external.columns.score" in str(err)


def test_misnamed_column_suggests_the_close_name(tmp_path: Path) -> None:
    name = _write(tmp_path, "bad.csv", "sentence_1,sentence2,score\n가,나,1\n")
    err = _error(tmp_path, name)
    assert err.column == "sentence1"
    assert "did you mean 'sentence_1'? (-S data.external.columns.sentence1=sentence_1)" in str(err)


@pytest.mark.parametrize(
    ("name", "kind", "hint"),
    [("triplets.csv", "pairs", "data=external_triplets"), ("pairs.csv", "triplets", "data=external_pairs")],
)
def test_a_file_of_the_other_kind_says_so(name: str, kind: str, hint: str) -> None:
    with pytest.raises(ExternalDataError, match=f"looks like a .* file: -S {hint}"):
        load(name, kind=kind)


def test_a_non_ascii_suggestion_is_quoted_for_hydra(tmp_path: Path) -> None:
    err = _error(
        tmp_path,
        _write(tmp_path, "bad.csv", "sentence1,sentence2,점수들\n가,나,1\n"),
        "data.external.columns.score='점수'",
    )
    assert "did you mean '점수들'? (-S \"data.external.columns.score='점수들'\")" in str(err)


def test_renamed_columns_are_read_through_the_mapping(tmp_path: Path) -> None:
    name = _write(tmp_path, "mine.csv", "질문,문서, 점수 \n가,나,0.5\n")  # header names are stripped
    # Hydra's override grammar takes non-ASCII values only quoted: -S "data.external.columns.score='점수'".
    keys = [
        "columns.sentence1='질문'",
        "columns.sentence2='문서'",
        "columns.score='점수'",
        "score_range=[0,1]",
    ]
    df = load(name, *[f"data.external.{k}" for k in keys], root=tmp_path)
    assert df[["profile_text", "posting_text", "score"]].values.tolist() == [["가", "나", 0.5]]


@pytest.mark.parametrize(
    ("lines", "line", "column", "message"),
    [
        (
            '{"sentence1": "가", "sentence2": "나", "score": 1}\n{"sentence1": "가",',
            2,
            None,
            "not valid JSON",
        ),
        (
            '{"sentence1": "가", "sentence2": "나", "score": 1}\n\n["가", "나", 1]\n',
            3,
            None,
            "not a JSON object",
        ),
        (
            '{"sentence1": "가", "sentence2": "나", "score": 1}\n{"sentence1": "가", "score": 1}\n',
            2,
            "sentence2",
            "missing (the key is absent",
        ),
        ('{"sentence1": null, "sentence2": "나", "score": 1}\n', 1, "sentence1", "empty text (no value)"),
        ('{"sentence1": 7, "sentence2": "나", "score": 1}\n', 1, "sentence1", "expected a text, got int 7"),
        ('{"sentence1": "가", "sentence2": "나", "score": true}\n', 1, "score", "not a number: True"),
        (
            '{"sentence1": "가", "sentence2": "나", "score": 1}\n{"sentence1": "가", "sentence2": "나"}\n',
            2,
            "score",
            "missing (the key is absent",
        ),
    ],
)
def test_bad_jsonl_names_the_line(
    tmp_path: Path, lines: str, line: int, column: str | None, message: str
) -> None:
    err = _error(tmp_path, _write(tmp_path, "bad.jsonl", lines))
    assert (err.row, err.column) == (line, column)
    assert f"bad.jsonl: line {line}" in str(err) and message in str(err)


def test_jsonl_without_a_key_anywhere_is_a_missing_column(tmp_path: Path) -> None:
    err = _error(tmp_path, _write(tmp_path, "bad.jsonl", '{"text1": "가", "sentence2": "나", "score": 1}\n'))
    assert err.column == "sentence1" and "missing from every line" in str(err) and "'text1'" in str(err)


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("가,가,나", "positive", "same text as the anchor ('가')"),
        ("가,나,가", "negative", "same text as the anchor ('가')"),
        ("가,나, 나 ", "negative", "same text as the positive ('나')"),
        ("가,,나", "positive", "empty text"),
    ],
)
def test_bad_triplets_name_row_and_column(tmp_path: Path, row: str, column: str, message: str) -> None:
    name = _write(tmp_path, "bad.csv", f"anchor,positive,negative\n가,나,다\n{row}\n")
    err = _error(tmp_path, name, kind="triplets")
    assert (err.row, err.column) == (2, column) and message in str(err)


def test_parquet_text_column_of_numbers(tmp_path: Path) -> None:
    pd.DataFrame({"sentence1": [1, 2], "sentence2": ["가", "나"], "score": [1.0, 2.0]}).to_parquet(
        tmp_path / "bad.parquet"
    )
    err = _error(tmp_path, "bad.parquet")
    assert (err.row, err.column) == (1, "sentence1") and "expected a text, got int" in str(err)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.parquet", b"PAR1 not really parquet", "cannot be read as parquet"),
        (
            "bad.csv",
            "sentence1,sentence2,score\n가,나,1\n".encode("cp949"),
            "cannot be read as csv (not UTF-8: byte",
        ),
        ("bad.csv", b"", "cannot be read as csv"),
        ("bad.csv", b'sentence1,sentence2,score\n"a,b,1\n', "cannot be read as csv"),
        ("bad.tsv", b"sentence1\tsentence2\tscore\n", "no data rows"),
        ("bad.jsonl", '{"sentence1": "가"}\n'.encode("cp949"), "cannot be read as jsonl"),
    ],
)
def test_unreadable_files_name_the_file(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    (tmp_path / name).write_bytes(content)
    err = _error(tmp_path, name)
    assert err.row is None and message in str(err)


def test_unknown_extension_asks_for_a_format(tmp_path: Path) -> None:
    _write(tmp_path, "pairs.xlsx", "")
    with pytest.raises(ConfigError) as info:
        load("pairs.xlsx", root=tmp_path)
    assert info.value.key == "data.external.format" and "pairs.xlsx" in info.value.allowed
    assert "'.xlsx'" in info.value.allowed


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"data\.external\.path='nope\.tsv'.*does not exist"):
        load("nope.tsv", root=tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="holds no files"):
        load("empty", root=tmp_path)


def test_stage_exits_2_with_one_line_naming_file_row_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path, "bad.tsv", HEADER + GOOD + "나\t다\t9\n")
    err = _stage_error(generate, tmp_path, capsys, "data.external.path=bad.tsv")
    assert err.count("\n") == 1 and err.startswith("error: bad.tsv: row 2, column 'score': score 9")
    assert not (tmp_path / PATHS.generated).exists()


def _stage_error(stage: Any, root: Path, capsys: pytest.CaptureFixture[str], *overrides: str) -> str:
    """What ``stage`` (generate or split) prints when run on external pairs with ``overrides``: it must stop
    with exit 2 (the caller checks the one line)."""
    params = write_params(root / "params.yaml", ["data=external_pairs", *overrides])
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        run_stage(lambda cfg: stage.main(cfg, root), [str(params)])
    assert info.value.code == 2
    return capsys.readouterr().err


# --- settings -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "key", "value", "allowed"),
    [
        ("pairs", "path", "  ", "a file or folder path"),
        ("pairs", "kind", "quads", "'triplets'"),
        ("pairs", "format", "xlsx", "'jsonl'"),
        ("pairs", "columns", {"sentence1": "a", "sentence2": "b"}, "sentence1, sentence2, score"),
        ("triplets", "columns", {"sentence1": "a", "sentence2": "b", "score": "c"}, "anchor, positive"),
        (
            "pairs",
            "columns",
            {"sentence1": "a", "sentence2": "a", "score": "s"},
            "a different column per role",
        ),
        ("pairs", "columns", {"sentence1": "a", "sentence2": "b", "score": ""}, "a column name"),
        ("pairs", "score_range", [5.0, 0.0], "[low, high]"),
        ("pairs", "score_range", [0.0], "[low, high]"),
        ("pairs", "score_range", None, "[low, high]"),
    ],
)
def test_bad_external_settings_name_key_value_and_allowed(
    kind: str, key: str, value: object, allowed: str
) -> None:
    raw = compose_dict([f"data=external_{kind}"])
    raw["data"]["external"][key] = value
    if key == "path":
        raw["data"]["input"] = value
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    assert info.value.key.startswith(f"data.external.{key}") and allowed in info.value.allowed


def test_input_must_be_what_generate_reads() -> None:
    raw = compose_dict(["data=external_pairs", "data.external.path=mine.tsv"])
    assert raw["data"]["input"] == "mine.tsv"  # follows the path: DVC tracks the user's file
    raw["data"]["input"] = "catalog/ko.yaml"
    with pytest.raises(ConfigError, match=r"data\.input='catalog/ko\.yaml'.*external\.path \('mine\.tsv'\)"):
        parse_config(raw)


def test_synthetic_input_must_be_the_catalog(tmp_path: Path) -> None:
    cfg = compose_config()
    cfg.data.input = "mine.tsv"  # a hand-edited params.yaml: DVC would track the wrong file
    with pytest.raises(ConfigError, match=r"data\.input='mine\.tsv'.*data\.catalog \('catalog/ko\.yaml'\)"):
        generate.main(cfg, tmp_path)
    assert not (tmp_path / PATHS.generated).exists()


def test_external_source_needs_the_block() -> None:
    raw = compose_dict()
    raw["data"]["source"] = "external"
    with pytest.raises(ConfigError, match=r"data\.external=None.*-S data=external_pairs"):
        parse_config(raw)


def test_synthetic_data_takes_no_external_block() -> None:
    raw = compose_dict()
    assert raw["data"]["external"] is None and raw["data"]["input"] == raw["data"]["catalog"]
    raw["data"]["external"] = compose_dict(["data=external_pairs"])["data"]["external"]
    with pytest.raises(ConfigError, match=r"data\.external.*null when source is 'synthetic'"):
        parse_config(raw)


# --- generate + split end to end ------------------------------------------------------------------------


def _texts(frame: pd.DataFrame) -> set[str]:
    return set(frame["profile_text"]) | set(frame["posting_text"])


def build(root: Path, cfg: Config) -> dict[str, pd.DataFrame]:
    generate.main(cfg, root)
    split.main(cfg, root)
    return {p.stem: pd.read_parquet(p) for p in sorted((root / PATHS.split_dir).glob("*.parquet"))}


@pytest.fixture(scope="module")
def pairs_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, pd.DataFrame]]:
    root = tmp_path_factory.mktemp("ext_pairs")
    shutil.copy(FIXTURES / "korsts_pairs.tsv", root / "sts.tsv")
    return root, build(root, config("sts.tsv"))


@pytest.fixture(scope="module")
def triplets_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, pd.DataFrame]]:
    root = tmp_path_factory.mktemp("ext_triplets")
    return root, build(root, config(FIXTURES / "triplets.jsonl", *TRIPLET_KEYS, kind="triplets"))


def _assert_leak_free(parts: dict[str, pd.DataFrame]) -> None:
    seen: dict[str, str] = {}
    for name in split.SPLITS:
        texts = _texts(parts[name]) | set(parts[f"{name}_triplets"].to_numpy().ravel())
        assert set(parts[f"{name}_triplets"].to_numpy().ravel()) <= _texts(parts[name])
        for text in texts:  # either side, pairs or triplets
            assert seen.setdefault(text, name) == name, f"{text!r} in {seen[text]} and {name}"


def test_external_pairs_split_without_leaks(pairs_run: tuple[Path, dict[str, pd.DataFrame]]) -> None:
    root, parts = pairs_run
    generated = pd.read_parquet(root / PATHS.generated)
    assert is_external(pq.read_schema(root / PATHS.generated))
    _assert_leak_free(parts)
    together = pd.concat([parts[n] for n in split.SPLITS]).sort_values(["profile_id", "posting_id"])
    expected = generated.sort_values(["profile_id", "posting_id"])
    pd.testing.assert_frame_equal(together.reset_index(drop=True), expected.reset_index(drop=True))
    assert all(len(parts[n]) > 0 for n in split.SPLITS)
    # Rows sharing a text (row 1's sentence2 is row 7's sentence1) land in one split.
    shared = "남자가 기타를 연주하고 있다."
    assert sum(shared in _texts(parts[n]) for n in split.SPLITS) == 1
    metrics = json.loads((root / PATHS.data_metrics).read_text())
    assert metrics["counts"]["pairs"] == 20 and metrics["counts"]["texts"] == len(_texts(generated))
    assert sum(b["count"] for b in metrics["score_histogram"].values()) == 20


def test_external_pairs_triplets_follow_the_thresholds(tmp_path: Path) -> None:
    # An anchor with a good and a bad partner gives a triplet; its texts stay in the anchor's split.
    rows = ["a\tgood\t5", "a\tbad\t0", "a\tmeh\t3"] + [f"x{i}\ty{i}\t{i % 6}" for i in range(30)]
    _write(tmp_path, "sts.tsv", HEADER + "\n".join(rows) + "\n")
    parts = build(tmp_path, config("sts.tsv"))
    triplets = pd.concat([parts[f"{n}_triplets"] for n in split.SPLITS])
    assert triplets.values.tolist() == [["a", "good", "bad"]]
    _assert_leak_free(parts)


def test_external_triplets_split_by_components(triplets_run: tuple[Path, dict[str, pd.DataFrame]]) -> None:
    root, parts = triplets_run
    _assert_leak_free(parts)
    raw = pd.read_csv(FIXTURES / "triplets.csv")
    triplets = pd.concat([parts[f"{n}_triplets"] for n in split.SPLITS])
    assert sorted(map(tuple, triplets.values.tolist())) == sorted(map(tuple, raw.values.tolist()))
    for name in split.SPLITS:
        t, pairs = parts[f"{name}_triplets"], parts[name]
        assert (
            pq.read_schema(root / PATHS.split_dir / f"{name}_triplets.parquet").remove_metadata()
            == TRIPLET_SCHEMA
        )
        assert list(pairs.columns) == EXTERNAL_PAIR_SCHEMA.names and len(pairs) == 2 * len(t) > 0
        pos = set(zip(t["anchor"], t["positive"], strict=True))
        good = pairs[pairs["score"] == 1]
        assert pos == set(zip(good["profile_text"], good["posting_text"], strict=True))
    # Triplets 1 and 2 share a text (the positive of one is the negative of the other): one split.
    shared = raw["positive"].iloc[0]
    assert raw["negative"].iloc[1] == shared
    assert sum(shared in _texts(parts[n]) for n in split.SPLITS) == 1
    metrics = json.loads((root / PATHS.data_metrics).read_text())
    assert metrics["counts"]["triplets"] == len(raw) and metrics["counts"]["pairs"] == 2 * len(raw)


def test_same_file_same_bytes(triplets_run: tuple[Path, dict[str, pd.DataFrame]], tmp_path: Path) -> None:
    root, _ = triplets_run
    build(tmp_path, config(FIXTURES / "triplets.jsonl", *TRIPLET_KEYS, kind="triplets"))
    for rel in (PATHS.generated, PATHS.data_metrics, PATHS.split_metrics):
        assert (tmp_path / rel).read_bytes() == (root / rel).read_bytes(), rel
    for path in sorted((root / PATHS.split_dir).iterdir()):
        assert (tmp_path / PATHS.split_dir / path.name).read_bytes() == path.read_bytes(), path.name


@pytest.mark.parametrize("loss", ["cosent", "mnrl"])
def test_train_and_evaluate_read_the_splits(
    triplets_run: tuple[Path, dict[str, pd.DataFrame]], loss: str
) -> None:
    from pipeline.stages.evaluate import load_test_pairs
    from pipeline.training.views import load_train_dataset

    root, parts = triplets_run
    cfg = compose_config([f"loss={loss}", "data=external_triplets"])
    ds = load_train_dataset(cfg, root / PATHS.split_dir)
    assert ds.num_rows == len(parts["train_triplets" if loss == "mnrl" else "train"])
    frame, source = load_test_pairs(root / PATHS.split_dir / "test.parquet")
    assert source == "external" and len(frame) == len(parts["test"])
    if loss == "cosent":  # the generated-data default on a split of external data: no blocks to train on
        assert len(parts["train_blocks"]) == 0
        with pytest.raises(ValueError, match="rule blocks exist for generated data only"):
            load_train_dataset(compose_config([f"loss={loss}"]), root / PATHS.split_dir)


# --- found by the bad-input audit (#12) ------------------------------------------------------------------

REPEATED = HEADER + GOOD + "하늘이 맑다\t날씨가 좋다\t5\n" + GOOD + "하늘이 맑다\t날씨가 좋다\t1\n"


def test_duplicates_and_conflicting_scores_warn_with_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Used to be accepted silently: a row given twice, the same pair scored 5 and 1."""
    generate.main(config(_write(tmp_path, "rep.tsv", REPEATED)), tmp_path)
    metrics = json.loads((tmp_path / PATHS.data_metrics).read_text())
    err = capsys.readouterr().err
    assert "warning: rep.tsv: 1 duplicate row(s) and 1 pair(s) scored differently" in err
    assert "rep.tsv row 1 is repeated in rep.tsv row 3" in err
    assert "rep.tsv row 2 (1), rep.tsv row 4 (0.2)" in err and "data.external.duplicates=error" in err
    assert metrics["counts"]["duplicate_rows"] == 1 and metrics["counts"]["conflicting_pairs"] == 1


def test_duplicates_can_be_made_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path, "rep.tsv", REPEATED)
    overrides = ("data.external.path=rep.tsv", "data.external.duplicates=error")
    err = _stage_error(generate, tmp_path, capsys, *overrides)
    assert err.count("\n") == 1 and err.startswith("error: rep.tsv: 1 duplicate row(s)"), err
    assert not (tmp_path / PATHS.generated).exists()


def test_clean_file_has_no_duplicate_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    generate.main(config(FIXTURES / "korsts_pairs.tsv"), tmp_path)
    assert "duplicate" not in capsys.readouterr().err
    counts = json.loads((tmp_path / PATHS.data_metrics).read_text())["counts"]
    assert counts["duplicate_rows"] == 0 and counts["conflicting_pairs"] == 0


def test_a_single_component_file_fails_split_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every row shares one text: generate passes, split used to exit 1 with a traceback."""
    rows = "".join(f"같은 문장\t다른 문장 {i}\t{i % 5}\n" for i in range(30))
    _write(tmp_path, "star.tsv", HEADER + rows)
    generate.main(config("star.tsv"), tmp_path)
    err = _stage_error(split, tmp_path, capsys, "data.external.path=star.tsv")
    assert err.count("\n") == 1 and err.startswith("error: invalid config: data.input='star.tsv'"), err
    assert "1 connected component(s)" in err and "cannot fill split(s) dev, test" in err
    assert not (tmp_path / PATHS.split_dir).exists()
