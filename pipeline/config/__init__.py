"""Typed configuration: ``params.yaml`` (composed by Hydra from ``conf/``) validated by the pydantic schema.

Every stage starts with :func:`load_config`, which validates the whole tree before the stage touches a file.
Any problem becomes a :class:`ConfigError` naming the dotted key, the value and what is allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from pipeline.config.errors import ConfigError, check
from pipeline.config.schema import MAX_SEED, Config, PathsConfig

__all__ = ["MAX_SEED", "Config", "ConfigError", "default_paths", "load_config", "parse_config", "to_dict"]

DEFAULT_PARAMS = Path("params.yaml")
# What a value of the wrong type should have been, by the first word of pydantic's error type.
_EXPECTED = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "string": "a string",
    "path": "a path (a string)",
    "list": "a list",
    "dict": "a mapping",
    "model": "a mapping of settings",
    "finite": "finite numbers (no .inf or .nan)",
}
_BOUNDS = (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))


def _section(annotation: Any) -> type[BaseModel] | None:
    """The model class in a field's annotation (``X`` or ``X | None``), if any."""
    for t in (annotation, *get_args(annotation)):
        if isinstance(t, type) and issubclass(t, BaseModel):
            return t
    return None


def _model_at(loc: list[Any]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Config
    for part in loc:
        info = model.model_fields.get(part) if model is not None and isinstance(part, str) else None
        model = _section(info.annotation) if info is not None else None
    return model


def _allowed(error: dict[str, Any], loc: list[Any]) -> str:
    """What the field at ``loc`` allows, in words, from its declaration (or else from pydantic's error)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    model = _model_at(loc[:-1])
    info: FieldInfo | None = model.model_fields.get(loc[-1]) if model is not None and loc else None
    if kind == "extra_forbidden":
        return "one of " + ", ".join(model.model_fields) if model is not None else "a key of the schema"
    if kind == "missing":
        return "a value (required; defaults live in conf/)"
    if kind == "literal_error":
        if info is not None and get_origin(info.annotation) is Literal:
            return "one of " + ", ".join(map(repr, get_args(info.annotation)))
        return "one of " + ctx["expected"]
    if any(name in ctx for name, _ in _BOUNDS):
        found = {
            name: getattr(m, name)
            for m in (info.metadata if info else [])
            for name, _ in _BOUNDS
            if hasattr(m, name)
        }
        found = found or {name: ctx[name] for name, _ in _BOUNDS if name in ctx}
        return "a number " + " and ".join(f"{op} {found[name]}" for name, op in _BOUNDS if name in found)
    expected = _EXPECTED.get(kind.split("_")[0], error["msg"])
    return expected + (" in every item" if len(error["loc"]) > len(loc) and kind != "finite_number" else "")


def _at(raw: Any, loc: list[Any]) -> Any:
    for part in loc:
        raw = raw[part]
    return raw


def _config_error(err: ValidationError, raw: dict[str, Any]) -> ConfigError:
    """The first of pydantic's errors as a :class:`ConfigError`."""
    error = err.errors(include_url=False)[0]
    loc, inner = list(error["loc"]), (error.get("ctx") or {}).get("error")
    key = ".".join(map(str, loc))
    if isinstance(inner, ConfigError):  # a model_validator's rule: its key is relative to its section
        return inner.under(key)
    if isinstance(inner, ValueError):  # a field's own rule (schema._must): the message says what is allowed
        return ConfigError(key, error["input"], str(inner))
    while loc and isinstance(loc[-1], int):  # a list item: report the list, as the list's own rules do
        loc.pop()
    key = ".".join(map(str, loc))
    value = {"missing": "(missing)", "extra_forbidden": "(unknown key)"}.get(error["type"], error["input"])
    if len(loc) < len(error["loc"]):
        value = _at(raw, loc)
    return ConfigError(key, value, _allowed(error, loc))


def parse_config(raw: dict[str, Any]) -> Config:
    """Validate a plain mapping (the content of ``params.yaml``) into a :class:`Config`."""
    raw = raw or {}
    try:
        return Config.model_validate(raw)
    except ValidationError as err:
        raise _config_error(err, raw) from None


def load_config(path: Path | str = DEFAULT_PARAMS) -> Config:
    """Read and validate ``params.yaml``; raises :class:`ConfigError` on any bad value."""
    path = Path(path)
    check(path.exists(), "params file", str(path), "an existing file (run `dvc exp run` or compose conf/)")
    with path.open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    check(isinstance(raw, dict), "params file", str(path), "a YAML mapping at the top level")
    return parse_config(raw)


def default_paths() -> PathsConfig:
    """``conf/paths/default.yaml`` alone, for tools outside a stage (the matching CLI's defaults)."""
    from pipeline.config.compose import CONF_DIR

    raw = yaml.safe_load((CONF_DIR / "paths" / "default.yaml").read_text(encoding="utf-8"))
    try:
        return PathsConfig.model_validate(raw)
    except ValidationError as err:
        raise _config_error(err, {"paths": raw}) from None


def to_dict(obj: BaseModel) -> dict[str, Any]:
    """A config (or section) as plain JSON/YAML-able data."""
    return obj.model_dump()
