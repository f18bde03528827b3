"""Schema of ``conf/data/*``: the synthetic generator and its rules, or a user's files; MNRL view; split."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from pipeline.config.checks import ConfigError, check, check_choice, check_range
from pipeline.config.train import BATCHES


@dataclass
class RulesConfig:
    # Factor weights; the total is the weighted mean of factor scores (then capped by hard constraints).
    weight_region: float
    weight_stack: float
    weight_experience: float
    weight_work_mode: float
    weight_goals: float
    region_same: float
    region_remote: float
    region_other: float
    stack_exact: float
    stack_related: float
    stack_unrelated: float
    experience_meets: float
    experience_slightly_short: float
    experience_far_short: float
    slightly_short_years: int
    work_mode_same: float
    work_mode_mixed: float
    work_mode_other: float
    hard_constraint_cap: float

    def validate(self) -> None:
        for name, value in vars(self).items():
            if name != "slightly_short_years":
                check_range(name, value, 0.0, 1.0)
        check_range("slightly_short_years", self.slightly_short_years, 0)
        weights = [v for k, v in vars(self).items() if k.startswith("weight_")]
        check(
            sum(weights) > 0,
            "weight_*",
            weights,
            "non-negative weights with a positive sum",
        )


@dataclass
class TripletConfig:
    positive_min_score: float
    negative_max_score: float

    def validate(self) -> None:
        check_range("positive_min_score", self.positive_min_score, 0.0, 1.0)
        check_range("negative_max_score", self.negative_max_score, 0.0, 1.0)
        check(
            self.negative_max_score < self.positive_min_score,
            "negative_max_score",
            self.negative_max_score,
            f"a score below positive_min_score ({self.positive_min_score})",
        )


@dataclass
class SplitConfig:
    train: float
    dev: float
    test: float

    def validate(self) -> None:
        for name in ("train", "dev", "test"):
            check_range(name, getattr(self, name), 0.0, 1.0, lo_open=True)
        total = self.train + self.dev + self.test
        check(
            abs(total - 1.0) < 1e-6,
            "train",
            self.train,
            f"a fraction that sums to 1 with dev={self.dev} and test={self.test}",
        )


EXTERNAL_KINDS = ("pairs", "triplets")
EXTERNAL_FORMATS = ("auto", "csv", "tsv", "jsonl", "parquet")
DUPLICATE_POLICIES = ("warn", "error")
# Roles of the file's columns per kind: ``columns`` maps each role to the file's column name.
EXTERNAL_ROLES = {
    "pairs": ("sentence1", "sentence2", "score"),
    "triplets": ("anchor", "positive", "negative"),
}


@dataclass
class ExternalConfig:
    """A user's scored pairs or triplets (``source: external``); read by pipeline/external.py."""

    # A file, or a folder whose files are read in name order; relative to the repository root.
    path: str
    kind: str
    format: str  # auto: from each file's extension
    columns: dict[str, str]
    # [low, high] of the file's score scale, mapped onto [0, 1]: [0, 5] for KorSTS/STS-B, [0, 1] for
    # 0-1 files. Explicit rather than guessed from the scores: a guess flips with a file's subset.
    score_range: list[float] | None
    # Rows repeated exactly, and the same pair scored differently in different rows: warn (with counts) or
    # error (naming the rows).
    duplicates: str

    def validate(self) -> None:
        check(bool(self.path.strip()), "path", self.path, "a file or folder path")
        check_choice("duplicates", self.duplicates, DUPLICATE_POLICIES)
        check_choice("kind", self.kind, EXTERNAL_KINDS)
        check_choice("format", self.format, EXTERNAL_FORMATS)
        roles = EXTERNAL_ROLES[self.kind]
        check(
            sorted(self.columns) == sorted(roles),
            "columns",
            dict(self.columns),
            f"a column name for each of {', '.join(roles)} (kind {self.kind!r})",
        )
        for role, name in self.columns.items():
            check(bool(name.strip()), f"columns.{role}", name, "a column name")
        names = list(self.columns.values())
        check(len(set(names)) == len(names), "columns", dict(self.columns), "a different column per role")
        if self.kind == "pairs":
            rng = self.score_range
            check(
                rng is not None and len(rng) == 2 and rng[0] < rng[1],
                "score_range",
                rng,
                "[low, high] of the file's scores, e.g. [0, 5] (KorSTS) or [0, 1]",
            )


@dataclass
class DataConfig:
    source: str
    catalog: str
    # The file or folder the generate stage reads, a DVC dependency of it: the catalog for synthetic
    # data, external.path for external data (the conf/data options set it; dvc.yaml needs one key).
    input: str
    seed: int
    num_pairs: int
    num_profiles: int
    num_postings: int
    # Pairs only join a profile and a posting of the same group, so the split can keep groups whole.
    num_groups: int
    # Probability that an entity's region and each of its stacks follow its group's theme (home region,
    # home stack families): higher means more good matches inside a group.
    group_affinity: float
    remote_fraction: float  # entities that want / offer remote work (always online)
    requires_cs_fraction: float  # postings that require a CS background
    score_bins: list[float]
    near_miss_fraction: float
    max_stacks_per_profile: int
    max_stacks_per_posting: int
    max_goals: int
    # Rows generated and written per parquet row group: bounds memory, never changes the rows.
    shard_size: int
    rules: RulesConfig
    triplets: TripletConfig
    split: SplitConfig
    external: ExternalConfig | None  # null unless source is external
    # What train.batches defaults to for this data (conf/train/default.yaml interpolates it): generated
    # pairs can be scored in rule blocks, a user's pairs cannot.
    train_batches: str

    def validate(self) -> None:
        check_choice("source", self.source, ["synthetic", "external"])
        check_choice("train_batches", self.train_batches, BATCHES)
        ext = self.external
        if self.source == "external":
            if ext is None:
                raise ConfigError(
                    "external",
                    None,
                    "a block of settings: use -S data=external_pairs or data=external_triplets",
                )
            reads = f"external.path ({ext.path!r}), the file that the generate stage reads"
            check(self.input == ext.path, "input", self.input, reads)
        else:
            # input == catalog is checked by the generate stage, after a missing catalog (a clearer error).
            check(ext is None, "external", "(set)", "null when source is 'synthetic'")
        check_range("seed", self.seed, 0, 2**32 - 1)  # numpy's bound
        check_range("num_pairs", self.num_pairs, 1)
        check_range("num_profiles", self.num_profiles, 1)
        check_range("num_postings", self.num_postings, 1)
        check_range("num_groups", self.num_groups, 3)
        for side in ("num_profiles", "num_postings"):
            value = getattr(self, side)
            check(value >= self.num_groups, side, value, f"at least num_groups ({self.num_groups})")
        check_range("group_affinity", self.group_affinity, 0.0, 1.0)
        check_range("remote_fraction", self.remote_fraction, 0.0, 1.0)
        check_range("requires_cs_fraction", self.requires_cs_fraction, 0.0, 1.0)
        check_range("near_miss_fraction", self.near_miss_fraction, 0.0, 1.0)
        check_range("max_stacks_per_profile", self.max_stacks_per_profile, 1)
        check_range("max_stacks_per_posting", self.max_stacks_per_posting, 1)
        check_range("max_goals", self.max_goals, 1)
        check_range("shard_size", self.shard_size, 1)
        bins = self.score_bins
        check(
            len(bins) >= 2
            and bins[0] == 0.0
            and bins[-1] == 1.0
            and all(a < b for a, b in itertools.pairwise(bins)),
            "score_bins",
            bins,
            "increasing edges from 0.0 to 1.0",
        )
