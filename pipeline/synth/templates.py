"""Profile and posting texts: the seed phrasing plus free sentences, tags and forms as people write them.

Every template is a function ``(attrs, pick, phrases) -> str``. ``pick`` chooses among variants with
pre-drawn random numbers, so a text depends only on the entity's attributes and its draws. Particles
come from :class:`~pipeline.synth.korean.Grammar` (Django를, Kotlin으로, 스터디가), lists of stacks and
goals are spoken lists (A와 B) or written ones (A, B), and each side has branches for remote work and for
신입 / 경력 무관, so no slot is ever empty and no phrase doubles a word (…이상 이상).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple, TypeVar

from pipeline.synth.catalog import Catalog
from pipeline.synth.korean import Grammar, sino_number

T = TypeVar("T")


# NamedTuples, not dataclasses: hundreds of thousands are built per run and their creation is cheaper.
class ProfileAttrs(NamedTuple):
    region: str  # official name or the remote marker
    stacks: tuple[str, ...]
    years: int  # 0 = 신입
    work_mode: str
    background: str
    goals: tuple[str, ...]


class PostingAttrs(NamedTuple):
    region: str
    stacks: tuple[str, ...]
    min_years: int  # 0 = 신입 가능
    work_mode: str
    goals: tuple[str, ...]
    requires_cs: bool


DRAW_WORDS = 4  # 64-bit random words per text: 16 picks of 16 bits, then a deterministic mix
_M64 = (1 << 64) - 1


class Picker:
    """Chooses variants with pre-drawn random 64-bit words, 16 bits per choice."""

    __slots__ = ("draws", "i")

    def __init__(self, draws: Sequence[int]) -> None:
        self.draws = draws
        self.i = 0

    def __call__(self, options: Sequence[T]) -> T:
        i = self.i
        self.i = i + 1
        if i < 4 * len(self.draws):
            d = self.draws[i >> 2] >> ((i & 3) << 4)
        else:  # splitmix64 of (draw, i): rarely needed, only by texts with many list items
            z = (self.draws[i % len(self.draws)] + (i + 1) * 0x9E3779B97F4A7C15) & _M64
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
            d = ((z ^ (z >> 27)) * 0x94D049BB133111EB) >> 32
        return options[(d & 0xFFFF) % len(options)]


class Phrases:
    """Surface forms from the catalog plus the grammar that joins them."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.grammar = Grammar(catalog.readings)
        self.remote = catalog.remote.name
        self.remote_short = catalog.remote.short
        self.region_forms = {r.name: (r.name, *r.short) for r in catalog.regions}
        self.region_short = {r.name: r.short for r in catalog.regions}
        # The canonical name twice: people write "Django" more often than any one alias.
        self.stack_forms = {s.name: (s.name, s.name, *s.aliases) for s in catalog.stacks}
        self.goal_nouns = {g.name: g.aliases for g in catalog.goals}
        self.work_mode_words = {t.name: t.aliases for t in catalog.work_modes}
        self.background_words = {t.name: t.aliases for t in catalog.backgrounds}

    def at(self, text: str, pair: str) -> str:
        return self.grammar.attach(text, pair)

    def and_list(self, items: Sequence[str]) -> str:
        return self.grammar.join_and(items)

    def stacks(self, stacks: Sequence[str], pick: Picker) -> list[str]:
        return [pick(self.stack_forms[s]) for s in stacks]

    def goals(self, goals: Sequence[str], pick: Picker) -> list[str]:
        return [pick(self.goal_nouns[g]) for g in goals]

    def region(self, region: str, pick: Picker) -> str:
        return pick(self.region_forms[region])


# Years written the ways people write them; `n` is >= 1 (신입 / 경력 무관 have their own branches).
def _years_adj(n: int, pick: Picker) -> str:
    """Before 개발자: 3년차, 3년 차, 삼 년 차, 경력 3년 차 (신입 for 0)."""
    if n == 0:
        return "신입"
    return pick((f"{n}년차", f"{n}년 차", f"{sino_number(n)} 년 차", f"경력 {n}년 차"))


def _years_short(n: int, pick: Picker) -> str:
    if n == 0:
        return pick(("신입", "경력 없음(신입)"))
    return pick((f"{n}년", f"{n}년차", f"경력 {n}년"))


def _min_years(n: int, pick: Picker) -> str:
    """A posting's requirement as a noun phrase: 3년차 이상, 최소 3년, 신입 가능."""
    if n == 0:
        return pick(("신입 가능", "무관", "신입 환영"))
    return pick((f"{n}년차 이상", f"{n}년 이상", f"최소 {n}년", f"{sino_number(n)} 년 차 이상"))


_BG_SENTENCE = {
    "cs": ("CS 전공자입니다.", "컴퓨터공학을 전공했습니다."),
    "non_cs": ("비전공자입니다.", "비전공이지만 꾸준히 공부하고 있습니다."),
}
_BG_CASUAL = {
    "cs": ("컴공 나왔어요.", "CS 전공이에요."),
    "non_cs": ("비전공이에요.", "전공은 따로 안 했어요."),
}
_WM_NOUN = {
    "online": ("온라인 중심", "비대면 위주"),
    "offline": ("오프라인 중심", "대면 위주"),
    "mixed": ("온·오프라인 혼합", "온오프라인 병행"),
}
_WM_FORMAL = {
    "online": ("모임은 온라인이 편합니다.", "비대면 진행을 선호합니다."),
    "offline": ("오프라인으로 만나는 것을 선호합니다.", "대면 모임이 좋습니다."),
    "mixed": ("온라인과 오프라인 모두 괜찮습니다.", "온·오프라인 병행을 원합니다."),
}
_WM_CASUAL = {
    "online": ("온라인으로 하면 좋겠어요.", "비대면이 편해요."),
    "offline": ("오프라인으로 자주 보면 좋겠어요.", "직접 만나는 게 좋아요."),
    "mixed": ("온라인, 오프라인 다 괜찮아요.", "온오프 섞어서 해도 좋아요."),
}

_WM_STORY = {
    "online": ("온라인 진행을 선호합니다.", "비대면 모임이 편합니다."),
    "offline": ("오프라인 모임을 선호합니다.", "직접 만나서 하는 것을 좋아합니다."),
    "mixed": ("온·오프라인 병행도 좋습니다.", "온라인과 오프라인을 섞어서 하고 싶습니다."),
}
_WM_NOTE = {
    "online": ("온라인 진행", "비대면 진행"),
    "offline": ("오프라인 진행", "대면 모임"),
    "mixed": ("온·오프라인 병행", "온오프라인 혼합 진행"),
}
_WM_RECRUIT = {
    "online": ("모임은 온라인으로 진행합니다.", "모든 과정은 비대면으로 진행합니다."),
    "offline": ("오프라인으로 주 1회 만납니다.", "대면 모임 위주로 진행합니다."),
    "mixed": ("온라인과 오프라인을 병행합니다.", "평일엔 온라인, 주말엔 오프라인으로 만납니다."),
}
_WM_TAG = {
    "online": ("온라인", "비대면"),
    "offline": ("오프라인", "대면"),
    "mixed": ("온오프병행", "온오프라인"),
}
_WM_POST_CASUAL = {
    "online": ("온라인으로 진행해요.", "비대면으로 만나요."),
    "offline": ("오프라인으로 만나요.", "직접 만나서 해요."),
    "mixed": ("온라인, 오프라인 섞어서 해요.", "온오프 병행해요."),
}


# --- profiles -----------------------------------------------------------------------------------


def profile_seed(a: ProfileAttrs, pick: Picker, ph: Phrases) -> str:
    """서울특별시 거주, 5년차 개발자, 스택: Django. 추가: CS 전공자, 온라인 중심, 목표: 스터디"""
    if a.region == ph.remote:
        where = pick(("원격 근무", "재택 근무", "풀리모트 근무")) + " 희망"
    else:
        where = ph.region(a.region, pick) + " 거주"
    return (
        f"{where}, {_years_adj(a.years, pick)} 개발자, 스택: {', '.join(ph.stacks(a.stacks, pick))}. "
        f"추가: {pick(ph.background_words[a.background])}, {pick(_WM_NOUN[a.work_mode])}, "
        f"목표: {', '.join(a.goals)}"
    )


def profile_intro(a: ProfileAttrs, pick: Picker, ph: Phrases) -> str:
    """안녕하세요! 부산에 사는 3년차 개발자입니다. 주로 Django와 React를 사용합니다. …"""
    if a.region == ph.remote:
        who = pick(("재택으로", "원격으로")) + " 일하고 싶은"
    else:
        who = ph.region(a.region, pick) + "에 사는"
    stacks = ph.and_list(ph.stacks(a.stacks, pick))
    return (
        f"안녕하세요! {who} {_years_adj(a.years, pick)} 개발자입니다. "
        f"주로 {ph.at(stacks, '을/를')} 사용합니다. "
        f"{pick(_BG_SENTENCE[a.background])} {pick(_WM_FORMAL[a.work_mode])} "
        f"관심사는 {ph.and_list(ph.goals(a.goals, pick))}입니다."
    )


def profile_tags(a: ProfileAttrs, pick: Picker, ph: Phrases) -> str:
    """[부산] Django/React · 3년 · 비전공 · 온라인 · #스터디 #포트폴리오"""
    region = pick(ph.remote_short if a.region == ph.remote else ph.region_short[a.region])
    tags = " ".join("#" + g.replace(" ", "") for g in a.goals)
    return (
        f"[{region}] {'/'.join(ph.stacks(a.stacks, pick))} · {_years_short(a.years, pick)} · "
        f"{pick(ph.background_words[a.background])} · {pick(ph.work_mode_words[a.work_mode])} · {tags}"
    )


def profile_story(a: ProfileAttrs, pick: Picker, ph: Phrases) -> str:
    """Django와 PostgreSQL로 3년간 개발해 왔습니다. 서울 근처에서 활동할 수 있고, …"""
    stacks = ph.and_list(ph.stacks(a.stacks, pick))
    if a.years == 0:
        first = f"{ph.at(stacks, '을/를')} 공부하고 있는 신입입니다."
    else:
        n = a.years
        span = pick((f"{n}년 동안", f"{n}년간", f"{sino_number(n)} 년 동안"))
        first = f"{ph.at(stacks, '으로/로')} {span} 개발해 왔습니다."
    if a.region == ph.remote:
        where = "원격으로만 참여할 수 있어 온라인 진행을 원합니다."
    else:
        where = f"{ph.region(a.region, pick)} 근처에서 활동할 수 있고, " + pick(_WM_STORY[a.work_mode])
    goals = ph.at(ph.and_list(ph.goals(a.goals, pick)), "을/를")
    return f"{first} {where} {goals} 원합니다. {pick(_BG_SENTENCE[a.background])}"


def profile_form(a: ProfileAttrs, pick: Picker, ph: Phrases) -> str:
    """지역: 서울 / 경력: 3년 / 기술: Django, React / 진행 방식: 온라인 / 전공: CS / 목표: 스터디"""
    if a.region == ph.remote:
        region = pick(("원격(재택)", "무관(원격 희망)", "재택 희망"))
    else:
        region = ph.region(a.region, pick)
    major = pick(("CS", "컴퓨터공학")) if a.background == "cs" else "비전공"
    years = pick(("신입", "없음(신입)")) if a.years == 0 else pick((f"{a.years}년", f"{a.years}년차"))
    return (
        f"지역: {region} / 경력: {years} / "
        f"기술: {', '.join(ph.stacks(a.stacks, pick))} / "
        f"진행 방식: {pick(ph.work_mode_words[a.work_mode])} / 전공: {major} / 목표: {', '.join(a.goals)}"
    )


def profile_casual(a: ProfileAttrs, pick: Picker, ph: Phrases) -> str:
    """경기 남부 사는 신입 React 개발자예요. TypeScript도 조금 다룰 줄 알아요. …"""
    forms = ph.stacks(a.stacks, pick)
    if a.region == ph.remote:
        where = "재택으로 일하고 싶은"
    else:
        where = ph.region(a.region, pick) + " 사는"
    text = f"{where} {_years_adj(a.years, pick)} {forms[0]} 개발자예요."
    if len(forms) > 1:
        text += f" {ph.and_list(forms[1:])}도 조금 다룰 줄 알아요."
    goals = ph.at(ph.and_list(ph.goals(a.goals, pick)), "이/가")
    return f"{text} {pick(_WM_CASUAL[a.work_mode])} {goals} 목표예요. {pick(_BG_CASUAL[a.background])}"


# --- postings -----------------------------------------------------------------------------------


def posting_seed(a: PostingAttrs, pick: Picker, ph: Phrases) -> str:
    """경기도 지역 프로젝트, 요구 스택: React, 필요 경력: 3년차 이상. 특이사항: 스터디, 팀 협업"""
    if a.region == ph.remote:
        where = pick(("원격", "재택", "풀리모트")) + " 프로젝트"
    else:
        where = ph.region(a.region, pick) + " 지역 프로젝트"
    mode = pick(_WM_NOTE[a.work_mode])
    cs = ", CS 전공자 필수" if a.requires_cs else pick(("", ", 전공 무관"))
    return (
        f"{where}, 요구 스택: {', '.join(ph.stacks(a.stacks, pick))}, "
        f"필요 경력: {_min_years(a.min_years, pick)}. "
        f"특이사항: {', '.join(a.goals)}, {mode}{cs}"
    )


def posting_recruit(a: PostingAttrs, pick: Picker, ph: Phrases) -> str:
    """[부산] 스터디를 목표로 함께할 팀원을 모집합니다. React를 다룰 수 있는 3년차 이상인 분을 …"""
    region = pick(ph.remote_short if a.region == ph.remote else ph.region_short[a.region])
    goals = ph.at(ph.and_list(ph.goals(a.goals, pick)), "을/를")
    stacks = ph.at(ph.and_list(ph.stacks(a.stacks, pick)), "을/를")
    n = a.min_years
    if n == 0:
        who = f"{stacks} 다룰 수 있다면 신입도 환영합니다."
    else:
        level = pick((f"경력 {n}년 이상인", f"{n}년차 이상인", f"{sino_number(n)} 년 차 이상인"))
        who = f"{stacks} 다룰 수 있는 {level} 분을 찾습니다."
    mode = pick(_WM_RECRUIT[a.work_mode])
    if a.requires_cs:
        cs = " " + pick(("CS 전공자만 지원 가능합니다.", "컴퓨터공학 전공이 필수입니다."))
    else:
        cs = pick(("", " 전공은 무관합니다.", " 비전공자도 환영합니다."))
    return f"[{region}] {goals} 목표로 함께할 팀원을 모집합니다. {who} {mode}{cs}"


def posting_hashtags(a: PostingAttrs, pick: Picker, ph: Phrases) -> str:
    """팀원 구해요 #부산 #Django #3년이상 #온라인 #스터디 #CS전공필수"""
    region = pick(ph.remote_short if a.region == ph.remote else ph.region_short[a.region])
    n = a.min_years
    years = pick(("신입가능", "경력무관")) if n == 0 else pick((f"{n}년이상", f"경력{n}년이상"))
    mode = pick(_WM_TAG[a.work_mode])
    tags = [region, *ph.stacks(a.stacks, pick), years, mode, *a.goals]
    if a.requires_cs:
        tags.append("CS전공필수")
    elif pick((False, True)):
        tags.append("전공무관")
    lead = pick(("팀원 구해요", "같이 하실 분", "모집 중"))
    return lead + " " + " ".join("#" + t.replace(" ", "") for t in tags)


def posting_form(a: PostingAttrs, pick: Picker, ph: Phrases) -> str:
    """모집 지역: 서울 | 기술 스택: Django, React | 자격 요건: 경력 3년 이상, CS 전공자 | …"""
    region = pick(("전국(원격)", "원격 근무", "재택")) if a.region == ph.remote else ph.region(a.region, pick)
    n = a.min_years
    need = (
        pick(("신입 가능", "경력 무관"))
        if n == 0
        else pick((f"경력 {n}년 이상", f"{n}년차 이상", f"최소 {n}년"))
    )
    cs = ", CS 전공자" if a.requires_cs else pick(("", ", 전공 무관"))
    return (
        f"모집 지역: {region} | 기술 스택: {', '.join(ph.stacks(a.stacks, pick))} | 자격 요건: {need}{cs} | "
        f"진행 방식: {pick(ph.work_mode_words[a.work_mode])} | 목적: {', '.join(a.goals)}"
    )


def posting_casual(a: PostingAttrs, pick: Picker, ph: Phrases) -> str:
    """서울에서 스터디를 목표로 같이 할 React 개발자 구해요! 2년 이상 해 보신 분이면 좋겠어요. …"""
    where = pick(("원격으로", "재택으로")) if a.region == ph.remote else ph.region(a.region, pick) + "에서"
    goals = ph.at(ph.and_list(ph.goals(a.goals, pick)), "을/를")
    stacks = ph.and_list(ph.stacks(a.stacks, pick))
    who = pick((f"{stacks} 개발자", f"{ph.at(stacks, '을/를')} 하시는 분"))
    n = a.min_years
    if n == 0:
        years = pick(("신입도 괜찮아요.", "경력은 상관없어요."))
    else:
        years = pick((f"{n}년 이상 해 보신 분이면 좋겠어요.", f"경력은 {n}년 이상이면 좋아요.",
                      f"{sino_number(n)} 년 차 이상이면 좋아요."))  # fmt: skip
    mode = pick(_WM_POST_CASUAL[a.work_mode])
    if a.requires_cs:
        cs = " " + pick(("CS 전공자만 받아요.", "컴퓨터공학 전공자만 지원해 주세요."))
    else:
        cs = pick(("", " 전공 무관!", " 비전공자도 환영해요."))
    return f"{where} {goals} 목표로 같이 할 {who} 구해요! {years} {mode}{cs}"


PROFILE_TEMPLATES: tuple[Callable[[ProfileAttrs, Picker, Phrases], str], ...] = (
    profile_seed, profile_intro, profile_tags, profile_story, profile_form, profile_casual,
)  # fmt: skip
POSTING_TEMPLATES: tuple[Callable[[PostingAttrs, Picker, Phrases], str], ...] = (
    posting_seed, posting_recruit, posting_hashtags, posting_form, posting_casual,
)  # fmt: skip


def render_profile(a: ProfileAttrs, draws: Sequence[int], ph: Phrases) -> str:
    """One profile text; the first draw picks the template."""
    pick = Picker(draws)
    return pick(PROFILE_TEMPLATES)(a, pick, ph)


def render_posting(a: PostingAttrs, draws: Sequence[int], ph: Phrases) -> str:
    pick = Picker(draws)
    return pick(POSTING_TEMPLATES)(a, pick, ph)
