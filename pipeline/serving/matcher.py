"""Rank project postings for a developer profile with an exported model (the CLI is :mod:`pipeline.match`).

Python::

    from pipeline.serving.matcher import Matcher
    matcher = Matcher("data/export/model", postings, backend="onnx-int8")
    for m in matcher.top_k("부산 거주 3년차 장고 개발자", k=5):
        print(m.rank, m.score, m.text)

Both sides go through plain ``model.encode``: the model folder carries the prefix convention as its
default prompt (see ``pipeline.models.resolve.apply_model_settings``), exactly as the evaluate stage
encodes them. The postings' embeddings are cached on disk, keyed by the sha256 of the content of the
model files the backend loads and of the postings (hashed on every call: a retrained model can never be
served stale embeddings), so a second call encodes only the query. A cache entry of the wrong shape or
dtype, or with non-finite or non-unit rows, is discarded and recomputed with a one-line notice. A folder
with the export's ``manifest.json`` is checked against it: a file that differs (a partial copy, an edit)
stops the call. Texts longer than the model's ``max_seq_length`` tokens are ranked on their beginning,
with a notice (for postings, when they are encoded).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipeline.config import default_paths
from pipeline.cpu import detect_quantization
from pipeline.io import atomic_path, file_sha256, remove_dead_temporaries

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = [
    "BACKENDS",
    "Match",
    "MatchError",
    "Matcher",
    "backend_file",
    "default_cache_dir",
    "load_model",
    "load_postings",
]

BACKENDS = ("torch", "onnx", "onnx-int8")
_PATHS = default_paths()  # conf/paths/default.yaml, the stages' paths
DEFAULT_MODEL = _PATHS.export_model
DEFAULT_POSTINGS = _PATHS.split_dir / "test.parquet"
ONNX_FILE = "onnx/model.onnx"
INT8_GLOB = "onnx/model_*int8_*.onnx"  # qint8, or quint8 weights for the avx2 preset
TEXT_COLUMNS = ("text", "posting_text")
MANIFEST = "manifest.json"  # written by the export stage inside the folder: every file's sha256
# Files that do not change the embeddings: editing the card must not invalidate cached postings.
NOT_MODEL_FILES = {"README.md", MANIFEST}
UNIT_NORM_TOL = 1e-3  # cached rows are L2-normalised float32


class MatchError(ValueError):
    """A problem with the user's input (model folder, postings, query, k): one line, exit code 2."""


@dataclass(frozen=True)
class Match:
    rank: int
    score: float  # cosine similarity of the query and the posting
    index: int  # position of the posting in the corpus
    text: str


# --- models ---------------------------------------------------------------------------------------------


def backend_file(model_path: Path | str, backend: str) -> str | None:
    """The ONNX file (relative to the folder) that ``backend`` loads; None for torch.

    For int8 the preset that suits this CPU wins when the folder holds several
    (``model_qint8_avx512_vnni.onnx``, ``model_quint8_avx2.onnx``, ...).
    """
    model_path = Path(model_path)
    if backend not in BACKENDS:
        raise MatchError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend == "torch":
        return None
    if backend == "onnx":
        if not (model_path / ONNX_FILE).is_file():
            raise MatchError(
                f"no {ONNX_FILE} in model folder {model_path} (run the export stage: dvc repro export)"
            )
        return ONNX_FILE
    found = sorted(p.relative_to(model_path).as_posix() for p in model_path.glob(INT8_GLOB))
    if not found:
        raise MatchError(
            f"no int8 ONNX model ({INT8_GLOB}) in model folder {model_path} "
            "(run the export stage: dvc repro export)"
        )
    # This CPU's preset first; the 7-bit avx2 file (what export writes by default) suits any x86 CPU.
    for preset in (detect_quantization(), "avx2"):
        preferred = [f for f in found if f.endswith(f"int8_{preset}.onnx")]
        if preferred:
            return preferred[0]
    return found[0]


def check_model_dir(model_path: Path | str) -> Path:
    from pipeline.models.resolve import is_model_folder

    model_path = Path(model_path)
    if not model_path.is_dir():
        raise MatchError(f"model folder not found: {model_path} (run `dvc repro export` or pass --model)")
    if not is_model_folder(model_path, sentence_transformers=True):
        raise MatchError(f"not a sentence-transformers folder (no modules.json): {model_path}")
    return model_path


def load_model(
    model_path: Path | str, backend: str = "torch", *, num_threads: int = 1, file_name: str | None = None
) -> SentenceTransformer:
    """The model folder on CPU with ``backend``; never asks the Hub (local files only).

    ``file_name`` overrides which ONNX file an ONNX backend loads (default: :func:`backend_file`).
    """
    model_path = check_model_dir(model_path)
    file_name = file_name or backend_file(model_path, backend)
    from pipeline.runtime import hf_environment, set_threads

    hf_environment()
    set_threads(num_threads)
    from sentence_transformers import SentenceTransformer

    if backend == "torch":
        from pipeline.models.resolve import NotSafetensorsError, load_folder

        try:
            return load_folder(model_path)
        except NotSafetensorsError as err:
            raise MatchError(str(err)) from None
    import onnxruntime as ort

    # One intra-op thread per configured core; ORT's default takes them all, which on this 2-core
    # machine is slower than one (the same reason runtime.num_threads is 1 for torch).
    options = ort.SessionOptions()
    options.intra_op_num_threads = num_threads
    options.inter_op_num_threads = 1
    return SentenceTransformer(
        str(model_path),
        backend="onnx",
        device="cpu",
        local_files_only=True,
        model_kwargs={"file_name": file_name, "provider": "CPUExecutionProvider", "session_options": options},
    )


def encode(
    model: SentenceTransformer, texts: Sequence[str], batch_size: int = 32, desc: str = "encode"
) -> np.ndarray:
    """L2-normalised float32 embeddings; plain ``encode`` so the model's default prompt applies."""
    from pipeline.progress import encode_texts

    return encode_texts(model, texts, desc, batch_size=batch_size, normalize_embeddings=True)


# --- postings -----------------------------------------------------------------------------------------


def load_postings(path: Path | str | None = None) -> list[str]:
    """Unique non-empty posting texts, in file order.

    ``None``: the posting texts of the generated test split. Otherwise a .txt file (one posting a line)
    or a .csv/.tsv/.jsonl/.parquet file with a ``text`` or ``posting_text`` column.
    """
    if path is None:
        if not DEFAULT_POSTINGS.is_file():
            raise MatchError(
                f"no postings: {DEFAULT_POSTINGS} not found (run `dvc repro split` or pass --postings FILE)"
            )
        path = DEFAULT_POSTINGS
    path = Path(path)
    if not path.is_file():
        raise MatchError(f"postings file not found: {path}")
    from pipeline.pairs.reader import SUFFIXES, TableError, read_table

    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise MatchError(f"unsupported postings file {path}: use one of {', '.join(SUFFIXES)}")
    try:
        table = read_table(path, fmt, key="--postings", wanted=TEXT_COLUMNS)
    except TableError as err:
        raise MatchError(f"postings file {err}") from None
    column = next((c for c in TEXT_COLUMNS if c in table.columns), None)
    if column is None:
        have = ", ".join(table.available) or "none"
        raise MatchError(f"postings file {path} needs a 'text' or 'posting_text' column (it has: {have})")
    texts = [t.strip() for t in table.columns[column] if isinstance(t, str) and t.strip()]
    if not texts:
        raise MatchError(f"no postings in {path}")
    return list(dict.fromkeys(texts))


# --- cache --------------------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """``$KMATCH_CACHE_DIR``, else ``$XDG_CACHE_HOME/kmatch/embeddings`` (``~/.cache/kmatch/embeddings``)."""
    if env := os.environ.get("KMATCH_CACHE_DIR"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "kmatch" / "embeddings"


def loaded_files(model_path: Path, backend: str, file_name: str | None) -> list[str]:
    """The files (relative, sorted) that ``backend`` reads: other ONNX files, the card and the manifest
    excluded, and the PyTorch weights for ONNX (the graph holds its own)."""
    out = []
    for file in sorted(model_path.rglob("*")):
        rel = file.relative_to(model_path).as_posix()
        if not file.is_file() or rel in NOT_MODEL_FILES or rel.startswith("."):
            continue
        if rel.endswith(".onnx") and rel != file_name:
            continue
        if backend != "torch" and rel.endswith((".safetensors", ".bin")):
            continue
        out.append(rel)
    return out


def model_fingerprint(model_path: Path, backend: str, file_name: str | None) -> str:
    """sha256 over the content of the files this backend loads, checked against the folder's manifest.

    The content is hashed on every call (0.8 s for the 470 MB safetensors file here, 0.2 s for the int8
    graph): a memo keyed by size and mtime would serve a retrained model's postings stale.
    """
    manifest = _manifest_hashes(model_path)
    digest = hashlib.sha256(backend.encode())
    for rel in loaded_files(model_path, backend, file_name):
        sha = file_sha256(model_path / rel)
        if manifest is not None and manifest.get(rel) != sha:
            what = "is not listed in" if rel not in manifest else "differs from"
            raise MatchError(
                f"{model_path / rel} {what} {model_path / MANIFEST} (a partial copy or an edited folder): "
                "copy the exported folder again or rerun `dvc repro export`"
            )
        digest.update(f"{rel}\0{sha}\n".encode())
    return digest.hexdigest()


def _manifest_hashes(model_path: Path) -> dict[str, str] | None:
    """``files_sha256`` of the folder's manifest, or None for a folder without one (e.g. data/model)."""
    path = model_path / MANIFEST
    if not path.is_file():
        return None
    try:
        return dict(json.loads(path.read_text(encoding="utf-8"))["model"]["files_sha256"])
    except (ValueError, KeyError, TypeError) as err:
        raise MatchError(f"{path} is not an export manifest ({type(err).__name__}: {err})") from None


def corpus_hash(texts: Sequence[str]) -> str:
    return hashlib.sha256(json.dumps(list(texts), ensure_ascii=False).encode()).hexdigest()


def cache_problem(cached: np.ndarray, rows: int, dim: int) -> str | None:
    """Why a cached embedding matrix cannot be served (None: it can)."""
    if cached.dtype != np.float32 or cached.shape != (rows, dim):
        return f"{cached.dtype} {cached.shape}, expected float32 ({rows}, {dim})"
    if not np.isfinite(cached).all():
        return "non-finite values"
    norms = np.linalg.norm(cached, axis=1)
    if rows and np.abs(norms - 1).max() > UNIT_NORM_TOL:
        return f"rows are not unit vectors (norms {norms.min():.3g} to {norms.max():.3g})"
    return None


def _notice(message: str) -> None:
    print(f"notice: {message}", file=sys.stderr)


# --- matcher ------------------------------------------------------------------------------------------


class Matcher:
    """Postings encoded once (and cached on disk); :meth:`top_k` ranks them for a query by cosine."""

    def __init__(
        self,
        model_path: Path | str = DEFAULT_MODEL,
        postings: Sequence[str] | None = None,
        *,
        backend: str = "torch",
        cache_dir: Path | str | None = None,
        batch_size: int = 32,
        num_threads: int = 1,
        use_cache: bool = True,
        notice: Callable[[str], None] = _notice,
    ) -> None:
        self.model_path = check_model_dir(model_path)
        self.backend = backend
        self.file_name = backend_file(self.model_path, backend)
        self.postings = list(postings) if postings is not None else load_postings()
        if not self.postings or not all(isinstance(t, str) and t.strip() for t in self.postings):
            raise MatchError("postings must be a non-empty list of non-empty texts")
        self.batch_size = batch_size
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.notice = notice
        self.model = load_model(self.model_path, backend, num_threads=num_threads, file_name=self.file_name)
        self.cache_hit = False
        self.cache_path: Path | None = None
        self.embeddings = self._corpus_embeddings(use_cache)

    def _corpus_embeddings(self, use_cache: bool) -> np.ndarray:
        fingerprint = model_fingerprint(self.model_path, self.backend, self.file_name)
        if not use_cache:
            return self._encode_postings()
        key = hashlib.sha256(f"{fingerprint}\0{corpus_hash(self.postings)}".encode()).hexdigest()
        self.cache_path = self.cache_dir / f"{key}.npy"
        remove_dead_temporaries(self.cache_dir)
        dim = self.model.get_embedding_dimension()
        if self.cache_path.is_file():
            try:
                cached = np.load(self.cache_path, allow_pickle=False)
                problem = cache_problem(cached, len(self.postings), dim)
            except (OSError, ValueError, EOFError) as err:
                problem = f"unreadable ({type(err).__name__})"
            if problem is None:
                self.cache_hit = True
                return cached
            self.notice(f"discarding cached posting embeddings {self.cache_path}: {problem}; encoding again")
        emb = self._encode_postings()
        with contextlib.suppress(OSError), atomic_path(self.cache_path) as tmp:
            with tmp.open("wb") as fh:
                np.save(fh, emb)
        return emb

    def _encode_postings(self) -> np.ndarray:
        # Counted when they are encoded: a cache hit does not tokenize the corpus again just to repeat it.
        self._warn_truncated(self.postings, "posting")
        return encode(self.model, self.postings, self.batch_size)

    def _warn_truncated(self, texts: Sequence[str], what: str) -> None:
        from pipeline.models.resolve import count_truncated

        n = count_truncated(self.model, texts)
        if n:
            many = f"{n} of {len(texts)} {what}s are" if len(texts) > 1 else f"the {what} is"
            limit = self.model.max_seq_length
            self.notice(f"{many} longer than the model's {limit} tokens: ranked on the first {limit} only")

    def top_k(self, query: str, k: int = 5) -> list[Match]:
        """The ``k`` postings most similar to ``query``, best first (fewer if the corpus is smaller)."""
        check_query(query)
        check_k(k)
        self._warn_truncated([query.strip()], "query")
        q = encode(self.model, [query.strip()], self.batch_size)[0]
        scores = self.embeddings @ q
        # Stable sort: equal scores keep corpus order, so results are deterministic.
        order = np.argsort(-scores, kind="stable")[:k]
        return [
            Match(rank=r + 1, score=float(scores[i]), index=int(i), text=self.postings[i])
            for r, i in enumerate(order)
        ]


def check_query(query: str) -> None:
    if not isinstance(query, str) or not query.strip():
        raise MatchError('empty query: give a profile text, e.g. "부산 거주 3년차 장고 개발자"')


def check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise MatchError(f"--top-k must be an integer >= 1 (got {k!r})")
