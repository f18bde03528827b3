"""Schema of ``conf/data/*``: the synthetic generator, its rules, the MNRL view and the split."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from pipeline.config.checks import check, check_choice, check_range


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


@dataclass
class DataConfig:
    source: str
    catalog: str
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

    def validate(self) -> None:
        check_choice("source", self.source, ["synthetic"])
        check_range("seed", self.seed, 0)
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
