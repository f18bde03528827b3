"""Entity pools, the candidate pool and the block-seeded sampler."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import pytest

from pipeline.config.compose import compose_config
from pipeline.pairs.bins import score_bin
from pipeline.synth.catalog import PROJECT_ROOT, load_catalog
from pipeline.synth.rules import near_miss_kind, score_codes, tables
from pipeline.synth.sampling import (
    CandidatePool,
    EntityPool,
    PairSampler,
    _Vocab,
    build_candidates,
    build_postings,
    build_profiles,
    draw_themes,
    group_starts,
)
from pipeline.synth.templates import Phrases

CATALOG = load_catalog(PROJECT_ROOT / "catalog" / "ko.yaml")
CFG = compose_config(["data.num_profiles=300", "data.num_postings=240", "data.num_groups=40"])
DATA = CFG.data
TABLES = tables(CATALOG, DATA.rules)
PHRASES = Phrases(CATALOG)


def test_a_posting_never_requires_two_stacks_that_do_the_same_job(built: tuple) -> None:
    """Angular and Svelte, Spring and Gin, Next.js and Vue (through React): one of each kind is required."""
    _, postings, _ = built
    index = {name: i for i, name in enumerate(CATALOG.stack_names)}
    rivals = _Vocab(CATALOG).rivals
    assert {"Svelte", "Next.js", "Vue"} <= {CATALOG.stack_names[i] for i in rivals[index["Angular"]]}
    assert index["Spring"] not in rivals[index["Spring Boot"]]  # one is built on the other
    # One backend language: Kotlin goes with Java (Spring Boot is built on both), not with Go or Python.
    assert {index["Go"], index["Python"]} <= rivals[index["Kotlin"]]
    assert not {index["Java"], index["Spring Boot"]} & rivals[index["Kotlin"]]
    required = postings.columns["j_stacks"].to_pylist()
    preferred = postings.columns["j_preferred"].to_pylist()
    assert sum(len(r) > 1 for r in required) > 80
    for stacks, extra in zip(required, preferred, strict=True):
        codes = [index[s] for s in stacks]
        assert not any(b in rivals[a] for a in codes for b in codes), stacks
        # nor 우대 Zustand beside a required Angular
        assert not any(index[b] in rivals[a] for a in codes for b in extra), (stacks, extra)


def test_a_refused_stack_is_a_rival_or_of_the_same_job(built: tuple) -> None:
    """ "Vue는 안 써봤어요" from a React developer, "Azure 안 써봄" beside AWS; not "리눅스" from an SRE."""
    profiles, _, _ = built
    index = {name: i for i, name in enumerate(CATALOG.stack_names)}
    v = _Vocab(CATALOG)
    used, refused = profiles.columns["p_stacks"].to_pylist(), profiles.columns["p_not_stacks"].to_pylist()
    assert sum(map(bool, refused)) > 20
    for own, nots in zip(used, refused, strict=True):
        codes = [index[s] for s in own]
        for r in (index[n] for n in nots):
            assert any(r in v.rivals[c] for c in codes) or r in v.related_required[codes[0]], (own, nots)
            assert v.role_of[r] == v.role_of[codes[0]], (own, nots)  # not Pinia from a backend developer
            assert v.lead[r], (own, nots)  # not SQL from a backend developer, nor TypeORM from a Python one


def test_only_hiring_posts_require_a_cs_degree(built: tuple) -> None:
    """A study or a side project does not ask for a CS degree; a job or a contract may."""
    _, postings, _ = built
    goals, cs = postings.columns["j_goal"].to_pylist(), postings.columns["j_requires_cs"].to_pylist()
    assert any(cs) and {g for g, c in zip(goals, cs, strict=True) if c} <= {"job", "freelance"}


def test_a_freelance_post_never_takes_newcomers_only(built: tuple) -> None:
    _, postings, _ = built
    goals, hi = postings.columns["j_goal"].to_pylist(), postings.columns["j_max_years"].to_pylist()
    assert "freelance" in goals and not any(
        g == "freelance" and m == 0 for g, m in zip(goals, hi, strict=True)
    )


def test_required_stacks_are_of_one_job(built: tuple) -> None:
    """SwiftUI is not required for a BE post, nor FreeRTOS for DevOps; backend + frontend (풀스택) is."""
    _, postings, _ = built
    role_of = {s.name: CATALOG.family_role[CATALOG.family_of[i]] for i, s in enumerate(CATALOG.stacks)}
    web = {CATALOG.role_names.index(r) for r in ("backend", "frontend")}
    uses = CATALOG.uses  # built on (BigQuery on SQL): goes with its base, whatever the base's job
    index = {name: i for i, name in enumerate(CATALOG.stack_names)}
    mixed = 0
    for stacks in postings.columns["j_stacks"].to_pylist():
        main = role_of[stacks[0]]
        for s in stacks[1:]:
            linked = any(uses[index[s], index[t]] for t in stacks if t != s)
            assert role_of[s] == main or {role_of[s], main} <= web or linked, stacks
        mixed += len({role_of[s] for s in stacks}) > 1
    assert mixed > 0


@pytest.mark.parametrize(("side", "prefix"), [(0, "p"), (1, "j")])
def test_backend_and_frontend_stacks_together_are_fullstack(built: tuple, side: int, prefix: str) -> None:
    """A BE post does not require React Query, nor is a "Backend Engineer" one who lists Svelte: 풀스택."""
    pool = built[side]
    role_of = {s.name: CATALOG.family_role[CATALOG.family_of[i]] for i, s in enumerate(CATALOG.stacks)}
    web = {CATALOG.role_names.index(r) for r in ("backend", "frontend")}
    roles = pool.columns[f"{prefix}_role"].to_pylist()
    mixed = [r for st, r in zip(pool.columns[f"{prefix}_stacks"].to_pylist(), roles, strict=True)
             if web <= {role_of[s] for s in st}]  # fmt: skip
    assert mixed and set(mixed) == {"fullstack"}


def test_no_stack_is_built_on_a_rival_of_the_main_one(built: tuple) -> None:
    """AR Foundation (Unity) beside a main Unreal, Prisma (Node.js) beside a main Spring: never."""
    profiles, postings, _ = built
    v = _Vocab(CATALOG)
    index = {name: i for i, name in enumerate(CATALOG.stack_names)}
    assert index["Unity"] in v.rivals[index["Unreal Engine"]]
    assert index["Java"] in v.rivals[index["Python"]] and index["Java"] in v.rivals[index["Prisma"]]
    for column in (profiles.columns["p_stacks"], postings.columns["j_stacks"]):
        for stacks in column.to_pylist():
            codes = [index[s] for s in stacks]
            # The main stack is first, or second behind its own base (main_first).
            assert any(all(not v.bases[s] & v.rivals[m] for s in codes) for m in codes[:2]), stacks


def test_a_library_or_a_tool_is_never_the_main_stack(built: tuple) -> None:
    """ "주력 스택은 figma/AWS", "리액트 쿼리 메인": Redux, Redis, Figma go beside a main stack."""
    profiles, postings, _ = built
    lead = {s.name: s.lead for s in CATALOG.stacks}
    assert not lead["Figma"] and not lead["Redux"] and lead["React"]
    for column in (profiles.columns["p_stacks"], postings.columns["j_stacks"]):
        firsts = [stacks[0] for stacks in column.to_pylist()]
        assert all(lead[s] for s in firsts)


def test_a_library_goes_beside_what_it_is_built_on(built: tuple) -> None:
    """Pinia beside Vue, Redux beside React, AR Foundation beside Unity; not "Angular, Pinia"."""
    profiles, postings, _ = built
    lead = {s.name: s.lead for s in CATALOG.stacks}
    uses = {s.name: set(s.uses) for s in CATALOG.stacks}
    libraries = 0
    for column in (profiles.columns["p_stacks"], postings.columns["j_stacks"]):
        for stacks in column.to_pylist():
            for s in stacks:
                if not lead[s] and uses[s]:
                    libraries += 1
                    assert uses[s] & set(stacks), stacks
    assert libraries > 20


def test_a_profile_knows_two_rival_stacks_at_most(built: tuple) -> None:
    """ "주력: 닷넷, PHP, Ruby on Rails" reads padded: one stack at most does the job of an earlier one."""
    profiles, _, _ = built
    rivals = _Vocab(CATALOG).rivals
    index = {name: i for i, name in enumerate(CATALOG.stack_names)}
    two = 0
    for stacks in profiles.columns["p_stacks"].to_pylist():
        codes = [index[s] for s in stacks]
        clashes = sum(any(s in rivals[t] for t in codes[:i]) for i, s in enumerate(codes) if i)
        assert clashes <= 1, stacks
        two += clashes == 1
    assert two > 0


def test_tools_built_on_nothing_are_drawn(built: tuple) -> None:
    """A tool built on nothing (Redis, SQL, Figma, LLM) goes beside a main stack: the library rule once left
    every one of them out of the data."""
    profiles, postings, _ = built
    columns = (profiles.columns["p_stacks"], postings.columns["j_stacks"], postings.columns["j_preferred"])
    drawn = {s for column in columns for stacks in column.to_pylist() for s in stacks}
    tools = {s.name for s in CATALOG.stacks if not s.lead and not s.uses}
    assert {"Redis", "SQL", "Figma", "LLM"} <= tools
    assert tools - drawn == set()


def test_preferred_stacks_are_of_the_main_requirement_s_job(built: tuple) -> None:
    """No Zustand 우대 for a backend post, no Prisma 우대 for a frontend one; infrastructure for a server-side
    job is fine."""
    _, postings, _ = built
    v = _Vocab(CATALOG)
    index = {name: i for i, name in enumerate(CATALOG.stack_names)}
    devops = CATALOG.role_names.index("devops")
    seen = 0
    for required, preferred in zip(
        postings.columns["j_stacks"].to_pylist(), postings.columns["j_preferred"].to_pylist(), strict=True
    ):
        job = v.role_of[index[required[0]]]
        for p in preferred:
            built_on = any(index[r] in v.bases[index[p]] for r in required)  # Redux beside React: same job
            assert v.role_of[index[p]] in (job, devops) or built_on, (required, preferred)
            seen += 1
    assert seen > 50


def test_the_base_of_the_main_stack_comes_first() -> None:
    """Kubernetes before Helm, React before Redux: "Helm이 주력이고 Kubernetes도" reads backwards."""
    v = _Vocab(CATALOG)
    index = {name: i for i, name in enumerate(CATALOG.stack_names)}
    helm, k8s, aws = index["Helm"], index["Kubernetes"], index["AWS"]
    assert v.main_first([helm, aws, k8s]) == [k8s, helm, aws]
    redux, react, ts = index["Redux"], index["React"], index["TypeScript"]
    assert v.main_first([redux, react]) == [react, redux]
    nest = index["NestJS"]  # TypeScript is of another family: NestJS stays the main stack
    assert v.main_first([nest, ts]) == [nest, ts]


def test_only_a_junior_hire_asks_for_exact_years(built: tuple) -> None:
    """딱 3년 차 is a junior hire's condition; a study, a contract or a senior post says a range."""
    _, postings, _ = built
    lo, hi = postings.columns["j_min_years"].to_pylist(), postings.columns["j_max_years"].to_pylist()
    goals = postings.columns["j_goal"].to_pylist()
    exact = [(g, a) for a, b, g in zip(lo, hi, goals, strict=True) if a == b > 0]
    assert all(g == "job" and a <= 5 for g, a in exact), exact


def pools(seed: int = 7) -> tuple[EntityPool, EntityPool, CandidatePool]:
    themes = draw_themes(seed, DATA, CATALOG)
    p = build_profiles(seed, DATA, CATALOG, themes, TABLES, PHRASES)
    j = build_postings(seed, DATA, CATALOG, themes, PHRASES)
    return p, j, build_candidates(p, j, DATA.rules, DATA.score_bins, TABLES, seed)


@pytest.fixture(scope="module")
def built() -> tuple[EntityPool, EntityPool, CandidatePool]:
    return pools()


@pytest.mark.parametrize(
    ("n", "groups", "starts"), [(10, 3, [0, 3, 6, 10]), (6, 6, [0, 1, 2, 3, 4, 5, 6]), (7, 2, [0, 3, 7])]
)
def test_groups_are_contiguous_and_near_equal(n: int, groups: int, starts: list[int]) -> None:
    assert group_starts(n, groups).tolist() == starts


@pytest.mark.parametrize(
    ("score", "bin_"), [(0.0, 0), (0.1999, 0), (0.2, 1), (0.5, 2), (0.7999, 3), (0.8, 4), (0.99, 4), (1.0, 4)]
)
def test_score_bins_are_half_open_with_one_in_the_last(score: float, bin_: int) -> None:
    assert score_bin(np.array([score]), DATA.score_bins)[0] == bin_


def test_entity_attributes(built: tuple[EntityPool, EntityPool, CandidatePool]) -> None:
    profiles, postings, _ = built
    assert len(profiles) == 300 and len(postings) == 240
    for pool, stacks, max_stacks in ((profiles, "p_stacks", 4), (postings, "j_stacks", 3)):
        lists = pool.columns[stacks].to_pylist()
        assert all(1 <= len(s) <= max_stacks and len(set(s)) == len(s) for s in lists)
        assert np.all(np.diff(pool.group) >= 0)  # groups are contiguous ranges
    goals = profiles.columns["p_goals"].to_pylist()
    assert all(len(g) <= DATA.max_goals and len(set(g)) == len(g) for g in goals)
    assert any(not g for g in goals) and any(g for g in goals)
    region = np.array(profiles.columns["p_region"].to_pylist())
    mode = np.array(profiles.columns["p_work_mode"].to_pylist())
    assert (region == "").any() and (mode == "remote").any()
    # only remote-only profiles and a few others leave the place out; only online postings have none
    assert (region[mode != "remote"] == "").mean() < 0.25
    j_region = np.array(postings.columns["j_region"].to_pylist())
    j_mode = np.array(postings.columns["j_work_mode"].to_pylist())
    assert (j_mode[j_region == ""] == "online").all()
    years = np.array(profiles.columns["p_years"].to_pylist())
    assert years.min() == 0 and years.max() <= 15
    assert max(postings.columns["j_min_years"].to_pylist()) <= 10
    # light goals (study, toy, hackathon) seldom ask for years
    light = np.isin(postings.columns["j_goal"].to_pylist(), ["study", "toy", "hackathon"])
    assert (np.array(postings.columns["j_min_years"].to_pylist())[light] <= 2).all()
    assert pc.count_distinct(profiles.columns["profile_text"]).as_py() == 300


def test_themes_cycle_through_families_and_hold_out_the_last_groups() -> None:
    themes = draw_themes(1, DATA, CATALOG)
    homes = [i for i, f in enumerate(CATALOG.families) if len(f.stacks) > 1]
    assert sorted(set(themes.family.tolist())) == homes
    assert themes.unseen.sum() == round(DATA.unseen_group_fraction * DATA.num_groups)
    assert themes.unseen[-1] and not themes.unseen[0]


def test_pools_depend_on_the_seed_only() -> None:
    a, b = pools(3), pools(3)
    assert a[0].columns["profile_text"].equals(b[0].columns["profile_text"])
    assert a[1].columns["posting_text"].equals(b[1].columns["posting_text"])
    np.testing.assert_array_equal(a[2].ids, b[2].ids)
    assert not a[0].columns["profile_text"].equals(pools(4)[0].columns["profile_text"])


def test_candidates_are_every_same_group_pair_filed_by_bin(built: tuple) -> None:
    profiles, postings, cands = built
    sizes = np.diff(profiles.starts) * np.diff(postings.starts)
    assert len(cands.ids) == sizes.sum() == len(np.unique(cands.ids))
    p, j = cands.decode(np.arange(len(cands.ids)))
    assert (profiles.group[p] == postings.group[j]).all()
    s = score_codes(profiles.codes, postings.codes, DATA.rules, TABLES, p, j)
    near = near_miss_kind(s.region_match, s.stack_match, s.experience_match, s.capped) > 0
    cell = 2 * score_bin(s.score, DATA.score_bins).astype(np.int64) + near
    expected = np.repeat(np.arange(len(cands.sizes)), cands.sizes)
    np.testing.assert_array_equal(cell, expected)


def test_rows_do_not_depend_on_how_many_are_drawn(built: tuple) -> None:
    _, _, cands = built
    sampler = PairSampler(cands, DATA.near_miss_fraction, seed=1)
    short = np.concatenate(list(sampler.blocks(1500, 256)))
    long = np.concatenate(list(sampler.blocks(4000, 256)))
    np.testing.assert_array_equal(short, long[:1500])
    assert not np.array_equal(
        long[:256], np.concatenate(list(PairSampler(cands, 0.3, seed=2).blocks(256, 256)))
    )


def test_pairs_repeat_only_when_a_cell_runs_out(built: tuple) -> None:
    _, _, cands = built
    rows = np.concatenate(list(PairSampler(cands, DATA.near_miss_fraction, seed=1).blocks(2000, 300)))
    cell = np.searchsorted(cands.starts, rows, side="right") - 1
    for c in np.unique(cell):
        taken = rows[cell == c]
        assert len(np.unique(taken)) == min(len(taken), cands.sizes[c])


def test_bins_are_uniform_and_near_misses_as_configured(built: tuple) -> None:
    _, _, cands = built
    rows = np.concatenate(list(PairSampler(cands, 0.3, seed=5).blocks(6000, 1000)))
    cell = np.searchsorted(cands.starts, rows, side="right") - 1
    shares = np.bincount(cell // 2, minlength=cands.num_bins) / len(rows)
    assert np.all(np.abs(shares - 1 / cands.num_bins) < 0.03), shares
    assert abs((cell % 2).mean() - 0.3) < 0.03


def test_an_empty_bin_sends_its_rows_to_the_nearest_bin(built: tuple) -> None:
    _, _, cands = built
    sizes = cands.sizes.copy()
    sizes[8:] = 0  # no candidate scores in [0.8, 1]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    ids = np.concatenate([cands.ids[cands.starts[c] : cands.starts[c] + sizes[c]] for c in range(len(sizes))])
    pruned = CandidatePool(ids, starts, cands.num_bins, cands.group_offsets, cands.profile_starts,
                           cands.posting_starts)  # fmt: skip
    rows = np.concatenate(list(PairSampler(pruned, 0.3, seed=5).blocks(5000, 1000)))
    shares = np.bincount((np.searchsorted(starts, rows, side="right") - 1) // 2, minlength=5) / len(rows)
    assert shares[4] == 0 and shares[3] == pytest.approx(0.4, abs=0.04)


def test_what_a_stack_builds_on_is_never_preferred_beside_it_nor_refused(built: tuple) -> None:
    """Django required with Python 우대, or Compose used with "no Android": a reader finds these absurd."""
    profiles, postings, _ = built
    base = {s.name: set(s.uses) for s in CATALOG.stacks}

    def implied(stacks: list[str]) -> set[str]:
        out, todo = set(), list(stacks)
        while todo:
            for b in base[todo.pop()] - out:
                out.add(b)
                todo.append(b)
        return out

    required, preferred = (
        postings.columns["j_stacks"].to_pylist(),
        postings.columns["j_preferred"].to_pylist(),
    )
    assert any(preferred) and not any(set(p) & implied(r) for r, p in zip(required, preferred, strict=True))
    used, refused = profiles.columns["p_stacks"].to_pylist(), profiles.columns["p_not_stacks"].to_pylist()
    assert any(refused) and not any(set(n) & implied(s) for s, n in zip(used, refused, strict=True))
    # required stacks come from one field: the main stack's family or related ones, or built on one another
    fam = {s.name: s.family for s in CATALOG.stacks}
    related = {f.name: {f.name, *f.related} for f in CATALOG.families}
    for r in required:
        assert all(fam[s] in related[fam[r[0]]] or s in base[r[0]] or r[0] in base[s] for s in r), r
