"""Stage set-up: library notices about our own deliberate settings stay out of the user's console."""

from __future__ import annotations

import logging

from pipeline.runtime import quiet_library_notices
from tests.conftest import LogRecords


def test_default_prompt_notice_is_dropped_and_other_warnings_are_kept() -> None:
    logger = logging.getLogger("sentence_transformers.base.model")
    records = LogRecords()
    logger.addHandler(records)
    try:
        quiet_library_notices()
        quiet_library_notices()  # idempotent: one filter however often a stage sets up
        logger.warning("Default prompt name is set to 'query'. This prompt will be applied to all inference")
        logger.warning("Some weights were not initialized")
    finally:
        logger.removeHandler(records)
    assert records.messages == ["Some weights were not initialized"]
    assert sum(type(f).__name__ == "_DropMessages" for f in logger.filters) == 1


def test_false_mistral_regex_warning_is_dropped_only_for_non_mistral_folders(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    logger = logging.getLogger("transformers.tokenization_utils_base")
    records = LogRecords()
    logger.addHandler(records)
    folders = {}
    for name, model_type in (("e5", "bert"), ("mistral", "mistral")):
        folders[name] = tmp_path / name
        folders[name].mkdir()
        (folders[name] / "config.json").write_text(json.dumps({"model_type": model_type}))
    folders["no_config"] = tmp_path / "missing"
    try:
        quiet_library_notices()
        for folder in folders.values():
            logger.warning(
                f"The tokenizer you are loading from '{folder}' with an incorrect regex pattern: https://..."
            )
    finally:
        logger.removeHandler(records)
    assert len(records.messages) == 2
    assert str(folders["mistral"]) in records.messages[0] and str(folders["no_config"]) in records.messages[1]
