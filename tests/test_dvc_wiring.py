"""dvc.yaml declares exactly what each stage runs: every project module it imports (directly or not) is a
dependency, no dependency is code it never imports, its paths are the configured ones, and its params are the
sections it reads. So `dvc repro` reruns a stage when, and only when, something it uses changed."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest
import yaml

from pipeline.config.compose import compose_config, compose_dict

ROOT = Path(__file__).resolve().parent.parent
DVC = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))
STAGES = DVC["stages"]
PARAMS = compose_dict([])  # what params.yaml holds (a test checks that), the values dvc fills in
# Keys of `data` that only the split stage reads: generate must not rerun when they change.
SPLIT_ONLY_DATA = {"split", "triplets", "train_batches"}


def _module_file(module: str) -> Path | None:
    path = ROOT / Path(*module.split("."))
    for candidate in (path / "__init__.py", path.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


@cache
def _imports(file: Path) -> frozenset[str]:
    """Project modules ``file`` imports anywhere (top level or inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "pipeline"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pipeline"):
            module = node.module or ""
            found.add(module)
            found |= {f"{module}.{a.name}" for a in node.names if _module_file(f"{module}.{a.name}")}
    return frozenset(found)


def import_closure(module: str) -> set[Path]:
    """Files of every project module that running ``module`` can execute (parent packages included)."""
    seen: set[Path] = set()
    todo = [module]
    while todo:
        parts = todo.pop().split(".")
        for i in range(1, len(parts) + 1):
            file = _module_file(".".join(parts[:i]))
            if file is not None and file not in seen:
                seen.add(file)
                todo.extend(_imports(file))
    return {f for f in seen if _runs_code(f)}


def _runs_code(file: Path) -> bool:
    """False for a package marker that holds at most a docstring; once it holds code it is declared too."""
    body = ast.parse(file.read_text(encoding="utf-8")).body
    return not all(isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) for n in body)


def _resolve(entry: str) -> str:
    """A dvc.yaml entry with its ``${paths.x}`` / ``${data.x}`` templates filled from the composition."""

    def value(key: str) -> str:
        node = PARAMS
        for part in key.split("."):
            node = node[part]
        return str(node)

    while "${" in entry:
        start = entry.index("${")
        end = entry.index("}", start)
        entry = entry[:start] + value(entry[start + 2 : end]) + entry[end + 1 :]
    return entry


def _deps(stage: dict) -> list[Path]:
    return [ROOT / _resolve(d) for d in stage.get("deps", [])]


def _stage_module(name: str) -> str:
    cmd = STAGES[name]["cmd"]
    assert cmd.startswith("python -m pipeline.stages."), cmd
    return cmd.split()[2]


@pytest.mark.parametrize("name", sorted(STAGES))
def test_every_imported_module_is_a_dependency(name: str) -> None:
    deps = _deps(STAGES[name])
    missing = [
        f.relative_to(ROOT).as_posix()
        for f in sorted(import_closure(_stage_module(name)))
        if not any(f == d or d in f.parents for d in deps)
    ]
    assert not missing, f"dvc.yaml stage {name!r} imports but does not list: {missing}"


@pytest.mark.parametrize("name", sorted(STAGES))
def test_the_data_files_of_imported_modules_are_dependencies(name: str) -> None:
    """A module's own data file (``x.txt`` beside ``x.py``, like the renderer's phrasebook) is part of it."""
    deps = _deps(STAGES[name])
    files = [d for f in import_closure(_stage_module(name)) for d in f.parent.glob(f"{f.stem}.*") if d != f]
    missing = [
        d.relative_to(ROOT).as_posix() for d in files if not any(d == x or x in d.parents for x in deps)
    ]
    assert not missing, f"dvc.yaml stage {name!r} runs code that reads but does not list: {missing}"


@pytest.mark.parametrize("name", sorted(STAGES))
def test_no_dependency_is_code_the_stage_never_imports(name: str) -> None:
    closure = import_closure(_stage_module(name))
    code = [d for d in _deps(STAGES[name]) if (ROOT / "pipeline") in d.parents]
    for dep in code:
        files = [dep] if dep.suffix == ".py" else [f for f in dep.rglob("*.py") if _runs_code(f)]
        unused = [f.relative_to(ROOT).as_posix() for f in files if f not in closure]
        assert not unused, f"dvc.yaml stage {name!r} lists {dep.relative_to(ROOT)} but never runs {unused}"


# Configured paths that no stage writes: files the repository ships, each some stage's dependency.
INPUT_PATHS = {"realtext"}


def test_outputs_are_the_configured_paths() -> None:
    """Every stage output in dvc.yaml is a ``${paths.*}`` of conf/paths (one owner), and every configured
    path is some stage's output (the checkpoints, outside DVC, and the shipped inputs aside)."""
    declared: set[str] = set()
    for name, stage in STAGES.items():
        for kind in ("outs", "metrics", "plots"):
            for entry in stage.get(kind, []):
                path = next(iter(entry)) if isinstance(entry, dict) else entry
                assert path.startswith("${paths."), f"{name}: {kind} {path!r} is not a configured path"
                declared.add(path[len("${paths.") : path.index("}")])
    configured = set(PARAMS["paths"]) - {"checkpoints"} - INPUT_PATHS
    assert declared == configured


def test_shipped_inputs_are_dependencies_and_in_the_repository() -> None:
    deps = {d for stage in STAGES.values() for d in stage.get("deps", [])}
    for key in INPUT_PATHS:
        assert f"${{paths.{key}}}" in deps, f"no stage lists ${{paths.{key}}} as a dependency"
        assert (ROOT / PARAMS["paths"][key]).exists(), key


def test_generate_does_not_read_split_settings() -> None:
    """Changing data.split.* reruns split and what follows, not the 24,000-pair generation."""
    data_keys = set(PARAMS["data"])
    generate = set(STAGES["generate"]["params"])
    assert generate == {f"data.{k}" for k in data_keys - SPLIT_ONLY_DATA}
    assert {f"data.{k}" for k in ("split", "triplets")} <= set(STAGES["split"]["params"])


def test_train_does_not_depend_on_evaluation_settings() -> None:
    assert not [p for p in STAGES["train"]["params"] if p.startswith("eval")]


def test_templated_paths_resolve_from_params_yaml() -> None:
    """dvc fills ``${...}`` from params.yaml: it must hold the same paths the code reads."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    assert params["paths"] == {k: str(v) for k, v in compose_config([]).paths}
