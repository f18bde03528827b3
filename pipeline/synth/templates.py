"""Profile and posting texts composed from clauses, in several registers, as people write them.

A text is built from *facts* (one per attribute: where, how long, which stacks, ...). Each fact has many
surface forms per speech level (``f`` 합니다체, ``p`` 해요체, ``c`` 음슴체/반말, plus short values for
``key: value`` lines and tags), the order of the facts varies, and irrelevant detail (project topics,
schedules, tools, pay, team) is mixed in. A *register* decides the frame: a formal self-introduction, a
board post with a ``[지역]`` header and ``- 키: 값`` lines, a resume line, a chat message, a LinkedIn
headline, hashtags; for postings a recruitment post, a job ad with sections, an official notice.

Label contract: a text states exactly what its attributes say and nothing about empty/unknown ones
(``location=""`` names no place, ``background="unknown"`` no major, ``goals=()`` no goal, a posting with
``max_years=-1`` no upper bound).

Variants live in one text per side below (``_PROFILE_VARIANTS``, ``_POSTING_VARIANTS``): a header
``NAME key ...`` per clause kind, then its variants split by `` ; ``; the code looks them up with
``_table("NAME")`` (a dict by the header keys). Held-out forms: the variants after ``held out:`` (about a
fifth of each kind) and one register per side (:data:`HELD_OUT_REGISTERS`). ``unseen=False`` never uses
them; ``unseen=True`` uses everything, a held-out variant at least a fifth of the time, and
:class:`Rendered` says whether the text used one (about 95% do). Every list is a :class:`Var` recorded in
:data:`VARIANTS`; :func:`held_out_forms` lists the held-out ones.

Randomness: a :class:`Picker` reads 16-bit choices off pre-drawn 64-bit words, so a text is a function of
(attrs, draws, catalog, unseen) only. Slots are filled lazily by ``str.format_map`` on a :class:`_Ctx`,
which draws a slot's surface form the first time a template asks for it; ``{x_을}`` is slot ``x`` with
the particle 을/를 that fits it (korean.Grammar, cached per word).
"""

from __future__ import annotations

import itertools
import re
import sys
from array import array
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple, TypeVar

from pipeline.synth.catalog import Catalog
from pipeline.synth.korean import PARTICLES, Grammar, sino_number

T = TypeVar("T")


# NamedTuples, not dataclasses: hundreds of thousands are built per run and their creation is cheaper.
class ProfileAttrs(NamedTuple):
    location: str  # catalog location name; "" = the text does not say where
    stacks: tuple[str, ...]  # >= 1 canonical stack names, main one first
    not_stacks: tuple[str, ...]  # stacks the person has not used (negated in the text); may be empty
    years: int  # 0 = 신입 / 학생 / 1년 미만
    role: str  # catalog role name
    work_mode: str  # remote | any | offline
    background: str  # cs | non_cs | unknown (not mentioned)
    goals: tuple[str, ...]  # catalog goal names; () = not mentioned


class PostingAttrs(NamedTuple):
    location: str  # catalog location name; "" only for online postings
    stacks: tuple[str, ...]  # required stacks, >= 1
    preferred: tuple[str, ...]  # 우대 stacks; may be empty
    min_years: int  # 0 = 신입 가능 / 경력 무관
    max_years: int  # -1 = no upper bound
    role: str
    work_mode: str  # online | offline | hybrid
    goal: str  # catalog goal name
    requires_cs: bool


class Rendered(NamedTuple):
    text: str
    register: str
    unseen: bool  # the text used at least one held-out form


DRAW_WORDS = 8  # 64-bit random words per text: 32 choices of 16 bits, then splitmix64
_M64 = (1 << 64) - 1
_BIG_ENDIAN = sys.byteorder == "big"
_HELD_BIAS = 0.2 * 65536  # unseen texts: a draw below this takes a held-out variant


# --- variants and the picker -------------------------------------------------------------------------


class Var(NamedTuple):
    """Variants of one clause kind: ``every[:n]`` are seen in training texts, ``every[n:]`` held out."""

    every: tuple[str, ...]
    n: int
    kind: str

    @property
    def seen(self) -> tuple[str, ...]:
        return self.every[: self.n]

    @property
    def held(self) -> tuple[str, ...]:
        return self.every[self.n :]


VARIANTS: list[Var] = []  # every variant list of the module, for tests and the held-out report


def _lines(variants: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(variants, str):
        return tuple(line.strip() for line in variants.splitlines() if line.strip())
    return tuple(variants)


def _var(kind: str, seen: str | Sequence[str], held: str | Sequence[str] = ()) -> Var:
    """A variant list, given as tuples or as text with one variant per line; ``kind`` starts with ``p.``
    (profiles), ``j.`` (postings) or ``x.`` (both)."""
    seen, held = _lines(seen), _lines(held)
    var = Var((*seen, *held), len(seen), kind)
    VARIANTS.append(var)
    return var


_PERMS = {n: tuple(itertools.permutations(range(n))) for n in range(8)}


def _parse_variants(text: str) -> dict[str, Var]:
    """Variant text: a header ``NAME key ...`` per clause kind, then indented lines of variants split by
    `` ; ``; the variants after ``held out:`` are held out."""
    out: dict[str, Var] = {}
    head, seen, held = "", [], []
    for line in [*text.splitlines(), "END"]:
        if not line.strip():
            continue
        if not line.startswith(" "):
            if head:
                out[head] = Var((*seen, *held), len(seen), head.replace(" ", "."))
            head, seen, held = line.strip(), [], []
            continue
        if line.startswith("     "):
            raise ValueError(f"variant line indented more than 4 spaces (a wrapped held-out line?): {line!r}")
        body = line.strip()
        target = seen
        if body.startswith("held out:"):
            body, target = body[len("held out:") :], held
        target += [v.strip() for v in body.split(" ; ")]
    return out


def _table(name: str) -> Any:
    """The variant lists of ``NAME``: one list, or a dict by its header keys (``True``/``False`` as bools)."""
    found: dict[object, Var] = {}
    for head, var in _VARIANT_TABLES.items():
        words = head.split()
        if words[0] != name:
            continue
        keys = tuple({"True": True, "False": False}.get(w, w) for w in words[1:])
        if not keys:
            return var
        found[keys if len(keys) > 1 else keys[0]] = var
    if not found:
        raise KeyError(name)
    return found


# --- the variants --------------------------------------------------------------------------------------
# ``P_`` profiles, ``J_`` postings, ``X_`` both; keys ``f`` 합니다체, ``p`` 해요체, ``c`` 음슴체,
# ``val`` a value for ``key: value`` lines and fields, ``key`` the key, ``tag`` a hashtag, ``en`` English.
# Slots: see _PROFILE_SLOTS / _POSTING_SLOTS; ``{x_을}`` is slot x with the particle that fits it (``_은``,
# ``_이``, ``_으로``, ``_이에요``, ...). The variants after ``held out:`` never appear in training texts.

_PROFILE_VARIANTS = """
P_YEARS_ADJ any
    {n}년 차 ; {n}년차 ; 경력 {n}년 차 ; 실무 {n}년 차 ; {n}년차
    held out: {n}연차 ; 만 {n}년 차
P_YEARS_ADJ junior
    주니어 {n}년 차
P_YEARS_ADJ senior
    시니어 {n}년 차
P_YEARS_VAL any
    {n}년 ; {n}년차 ; {n}년 차 ; 경력 {n}년 ; 만 {n}년 ; 실무 {n}년
    held out: {n}년 경력
P_YEARS_VAL junior
    {n}년 (주니어)
P_YEARS_VAL mid
    {n}년 (미드레벨) ; {n}년차 미들
P_YEARS_VAL senior
    {n}년 (시니어)
P_YEARS_VAL zero
    신입 ; 경력 없음 ; 1년 미만 ; 신입 (실무 경험 없음)
    held out: 갓 입문한 신입
P_YEARS_EN any
    {n} yrs ; {n} years ; {n}y exp ; {n}yrs
    held out: {n} YOE
P_YEARS_EN one
    1 yr ; 1 year
    held out: 1 YOE
P_YEARS_EN zero
    Entry-level ; New grad ; 신입 (Entry-level)
    held out: 신입 · 0 YOE
P_GREET f
    안녕하세요. ; 안녕하세요! ; 반갑습니다. ; 안녕하세요, 반갑습니다.
    held out: 처음 인사드립니다.
P_GREET p
    안녕하세요! ; 안녕하세요 :) ; 안녕하세요~ ; 안녕하세요ㅎㅎ ; 반가워요!
    held out: 다들 반가워요!
P_GREET c
    하이요 ; 안녕하세요~ ; ㅎㅇㅎㅇ
    held out: 반갑습니당
P_ID f exp
    {yrs} {rp}입니다 ; {rf} 쪽에서 {n}년째 일하고 있는 개발자입니다 ; {rp_으로} {n}년째 일하고 있습니다
    현재 {yrs} {dev_으로} 근무하고 있습니다
    held out: {rf} 분야에서 {n}년간 경력을 쌓아 온 개발자입니다
P_ID f exp_at
    {place}에서 일하는 {yrs} {rp}입니다 ; {place}에 사는 {yrs} {dev}입니다
    {near}에서 근무 중인 {yrs} {rp}입니다
    held out: {near}에 거주 중인 {yrs} {rp}입니다
P_ID f new
    신입 {rp}입니다 ; {rp_을} 준비하고 있는 신입입니다 ; 아직 실무 경력이 없는 신입 {rp}입니다
    이제 막 개발을 시작한 {rf} 신입입니다
    held out: 경력 1년 미만의 예비 {rp}입니다
P_ID f new_at
    {place}에 사는 신입 {rp}입니다 ; {near}에서 지내고 있는 신입 {dev}입니다
    held out: {near}에 살고 있는 예비 {rp}입니다
P_ID p exp
    {yrs} {rc_이에요} ; {rf} {n}년 차예요 ; {rf} 쪽에서 {n}년째 일하고 있어요
    {rp_으로} 일한 지 {n}년 됐어요 ; {yrs} {dev_이에요}
    held out: 개발 시작한 지 {n}년 된 {rc_이에요} ; {rf} 일 {n}년 했어요
P_ID p exp_at
    {place} 사는 {yrs} {rc_이에요} ; {place}에서 일하는 {yrs} {rc_이에요}
    {near}에서 일하는 {rf} {n}년 차예요
    held out: {near} 살고 {rf} {n}년 차예요
P_ID p new
    신입 {rc_이에요} ; {rf} 쪽 신입이에요 ; 아직 실무 경험 없는 신입이에요
    {rp_을} 준비 중인 신입이에요
    held out: 개발 입문한 지 얼마 안 된 뉴비예요
P_ID p new_at
    {place} 사는 신입 {rc_이에요} ; {near} 사는 신입 {dev_이에요}
    held out: {near} 사는 예비 {rp_이에요}
P_ID c exp
    {yrs} {rc} ; {rf} {n}년차 ; {rf} {n}년째 하는 중 ; {yrs} {rc}임
    held out: {rf} 밥 {n}년째
P_ID c exp_at
    {place} 사는 {yrs} {rc} ; {place} {yrs} {rc}임 ; {near} 거주 {rf} {n}년차
    held out: {near} 사는 {rf} {n}년차 직장인
P_ID c new
    신입 {rc} ; {rf} 신입임 ; {rf} 준비 중인 신입
    held out: 코린이 {rf} 지망생
P_ID c new_at
    {place} 사는 신입 {rc}
    held out: {near} 사는 코린이
P_ID f jobseek
    {rf} 분야로 취업을 준비하고 있는 신입입니다 ; 취업을 준비 중인 {rf} 취준생입니다
    held out: 첫 직장을 찾고 있는 예비 {rp}입니다
P_ID p jobseek
    {rf} 취준생이에요 ; {rp_으로} 취업 준비 중인 취준생이에요
    held out: 취업 준비 중인 {rc} 지망생이에요
P_ID c jobseek
    {rf} 취준생 ; {rp} 준비 중인 취준생
    held out: 취준 중인 {rc} 지망생
P_NEW f
    인턴으로 {mo}개월 일해 본 경험이 있습니다 ; 실무 경력은 1년 미만입니다
    held out: 현업 경험은 아직 없습니다
P_NEW p
    인턴 {mo}개월 해봤어요 ; 경력은 1년 미만이에요 ; 아직 학생이에요
    held out: 현업 경험은 아직 없어요
P_NEW c
    인턴 {mo}개월 ; 경력 1년 미만 ; 아직 학생
    held out: 현업 경험 X
P_BOOTCAMP f
    부트캠프를 수료하고 개발을 시작했습니다
P_BOOTCAMP p
    부트캠프 수료하고 준비 중이에요
    held out: 부트캠프 끝나고 포트폴리오 만드는 중이에요
P_BOOTCAMP c
    부트캠프 수료
P_STACK f any
    주력 스택은 {st}입니다 ; {sa_으로} 개발하고 있습니다 ; 주로 {sa_을} 씁니다 ; {sa}에 익숙합니다
    held out: {sa} 위주로 작업해 왔습니다
P_STACK f multi
    {main_을} 주력으로 쓰고, {rest}도 다룰 수 있습니다 ; 메인은 {main_이고} {rest}도 사용합니다
    held out: {main_을} 중심으로 {rest}까지 써 봤습니다
P_STACK f exp
    업무에서는 {sa_을} 쓰고 있습니다 ; 실무에서 {sa_을} 써 왔습니다
P_STACK f new
    {sa_을} 공부하고 있습니다 ; 개인 프로젝트에서 {sa_을} 써 봤습니다
P_STACK p any
    주로 {sa_을} 써요 ; {sa_으로} 개발하고 있어요 ; 스택은 {st_이에요} ; {sa_을} 제일 많이 써요
    요즘은 {sa_으로} 작업해요
    held out: 손에 익은 건 {sa_이에요} ; {sa} 위주로 하고 있어요
P_STACK p multi
    {main_이} 주력이고 {rest}도 써요 ; 메인은 {main_이고} {rest}도 할 줄 알아요
    held out: {main_을} 제일 오래 썼고 {rest}도 어느 정도 해요
P_STACK p exp
    회사에서는 {sa_을} 써요 ; 실무에서는 {sa_을} 쓰고 있어요
    held out: 업무로는 {sa_을} 만지고 있어요
P_STACK p new
    {sa_을} 공부하고 있어요 ; 요즘 {sa_으로} 개인 프로젝트 하고 있어요
    held out: {sa_을} 혼자 파고 있어요
P_STACK c any
    주로 {sa} 씀 ; 스택은 {st} ; {sa_으로} 개발함 ; {st} 위주
    held out: {st} 만지는 중
P_STACK c multi
    {main} 메인, {rest}도 조금 함
    held out: {main_이} 주력이고 {rest_은} 서브
P_STACK c exp
    회사에선 {sa} 씀
P_STACK c new
    {sa} 공부 중
P_NO f
    {no_은} 사용해 본 적이 없습니다 ; {no} 경험은 없습니다 ; {no_은} 아직 다뤄 보지 못했습니다
    held out: {no_은} 실무에서 써 본 적이 없습니다
P_NO p
    {no_은} 안 써봤어요 ; {no_은} 잘 몰라요 ; {no_은} 못 해요 ; {no} 경험은 없어요
    {no_은} 아직 안 해봤어요
    held out: {no_은} 거의 모르는 수준이에요 ; {no_은} 써 본 적 없어요
P_NO c
    {no_은} 안 써봄 ; {no_은} 못함 ; {no_은} 모름 ; {no_은} X
    held out: {no_은} 아예 안 만져봄
P_NO key
    안 써본 것 ; 경험 없음 ; 못 하는 것
    held out: 미경험
P_NO field
    {nol} 경험 없음 ; {nol_은} X ; {nol_은} 안 써봄
    held out: {nol} 미경험
P_PLACE f any
    {place}에 살고 있습니다 ; 거주지는 {place}입니다 ; {near}에서 활동하고 있습니다
    held out: 사는 곳은 {near}입니다
P_PLACE f exp
    직장은 {place}에 있습니다
P_PLACE f area
    {place}에 거주하며 {area} 안에서는 이동할 수 있습니다
P_PLACE p any
    {place} 살아요 ; {place}에 살고 있어요 ; 집은 {near_이에요} ; {near}에서 활동해요
    held out: {near}에 자취 중이에요
P_PLACE p exp
    회사가 {place}에 있어요 ; {place}에서 일해요
P_PLACE p area
    {place} 사는데 {area} 안이면 다 갈 수 있어요
P_PLACE c any
    {place} 거주 ; {place} 삶 ; 사는 곳 {near}
    held out: {near} 주민
P_PLACE c exp
    {place}에서 일함 ; 회사 {place}
P_PLACE c area
    {place} 거주 ({area} 이동 가능)
P_PLACE key any
    지역 ; 위치 ; 거주지 ; 사는 곳 ; 활동 지역
    held out: 거주 지역
P_PLACE val any
    {place} ; {place} ; {near}
P_MODE f remote
    원격으로만 참여할 수 있습니다 ; 온라인으로만 활동 가능합니다
    오프라인 참여는 어렵고 원격만 가능합니다 ; 풀재택(원격) 방식만 가능합니다
    held out: 비대면으로만 함께할 수 있습니다
P_MODE p remote
    원격만 가능해요 ; 온라인으로만 할 수 있어요 ; 오프라인은 어렵고 온라인만 돼요 ; 풀재택만 가능해요
    만나는 건 힘들어서 온라인으로만 하고 싶어요
    held out: 비대면만 가능해요 ; 100% 리모트로만 하고 싶어요
P_MODE c remote
    원격만 가능 ; 온라인만 ; 오프 불가, 온라인만 ; 풀재택만 ㄱㄴ
    held out: 비대면 only
P_MODE f nowhere
    지방에 살고 있어 원격으로만 참여할 수 있습니다
P_MODE p nowhere
    지방이라 온라인만 가능해요 ; 지방 살아서 원격으로만 할 수 있어요
    어디서든 접속은 되는데 오프라인은 어려워요
    held out: 멀리 살아서 온라인으로만 해야 해요
P_MODE c nowhere
    지방러라 온라인만
P_MODE f any
    온라인과 오프라인 모두 가능합니다 ; 진행 방식은 온·오프라인 상관없습니다
    오프라인 모임도 괜찮습니다
    held out: 대면·비대면 어느 쪽이든 맞출 수 있습니다
P_MODE p any
    온오프 상관없어요 ; 오프라인도 괜찮아요 ; 온라인이든 오프라인이든 다 좋아요
    만나서 해도 되고 온라인도 좋아요 ; 진행 방식은 온·오프 편하게 맞출게요
    held out: 대면/비대면 다 괜찮아요
P_MODE c any
    온오프 무관 ; 온·오프 다 가능 ; 오프도 ㄱㄴ
    held out: 대면/비대면 상관 X
P_MODE f any_at
    온라인도 좋고, {near_이라면} 오프라인 모임도 가능합니다
P_MODE p any_at
    {near_이면} 오프라인도 괜찮아요 ; 온라인도 좋고 {near_이면} 만나서 해도 돼요
    held out: {near}까지는 나갈 수 있어요, 온라인도 좋고요
P_MODE c any_at
    온라인 ok, {near_이면} 오프도 ㄱㄴ
P_MODE f offline
    직접 만나서 진행하는 것을 선호합니다 ; 오프라인 위주로 활동하고 싶습니다
    대면으로 만나 작업하는 편을 선호합니다
    held out: 얼굴을 보고 협업하는 방식을 좋아합니다
P_MODE p offline
    직접 만나는 걸 선호해요 ; 오프라인 위주가 좋아요 ; 얼굴 보고 하는 게 편해요
    온라인보다는 만나서 하고 싶어요
    held out: 모각코처럼 만나서 하는 게 좋아요 ; 오프 모임 위주면 좋겠어요
P_MODE c offline
    오프라인 선호 ; 대면 선호 ; 만나서 하는 게 좋음
    held out: 오프 위주 희망
P_MODE f offline_at
    {near}에서 직접 만나 진행하고 싶습니다
P_MODE p offline_at
    {near}에서 오프라인으로 만날 수 있으면 좋겠어요 ; {near}에서 직접 만나서 하고 싶어요
    held out: {near} 카페에서 모여서 하면 좋겠어요
P_MODE c offline_at
    {near}에서 오프 모임 희망
P_MODE val remote
    원격만 ; 온라인 only ; 풀재택 ; 100% 원격 ; 온라인만 가능
    held out: 비대면만 ; 리모트 온리
P_MODE val any
    온·오프 무관 ; 온오프 다 가능 ; 온라인/오프라인 모두 OK
    held out: 대면·비대면 무관
P_MODE val offline
    오프라인 선호 ; 대면 선호 ; 오프라인 위주
    held out: 오프라인 모임 위주
P_MODE key any
    진행 방식 ; 선호 방식 ; 온/오프 ; 활동 방식
    held out: 모임 방식
P_MODE tag remote
    원격만 ; 풀재택 ; 온라인only ; 100%원격
    held out: 비대면만
P_MODE tag any
    온오프무관 ; 온오프다가능
    held out: 대면비대면무관
P_MODE tag offline
    오프라인선호 ; 대면선호
    held out: 오프모임위주
P_MODE en remote
    Remote only ; 100% remote ; Online only
    held out: Fully remote
P_MODE en any
    Remote or in-person ; 온/오프 모두 OK ; Flexible: online/offline
    held out: Open to both online & offline
P_MODE en offline
    Prefers in-person ; In-person preferred ; 오프라인 선호
    held out: Offline first
P_BG f cs
    대학에서 컴퓨터공학을 공부했습니다 ; 컴퓨터공학과 출신입니다 ; 전공은 컴퓨터공학입니다
    held out: 컴퓨터공학 학사 학위가 있습니다
P_BG p cs
    컴공 출신이에요 ; 전공은 컴퓨터공학이에요 ; CS 전공했어요 ; 컴공과 나왔어요
    held out: 학부 전공이 컴공이에요
P_BG c cs
    컴공 출신 ; 전공 컴공 ; CS 전공
    held out: 컴공과 졸업
P_BG val cs
    컴공 ; 컴퓨터공학 ; CS 전공 ; 컴퓨터공학과 ; 컴공 전공
    held out: 컴퓨터공학 학사
P_BG f non_cs
    비전공 출신으로 독학으로 개발을 시작했습니다 ; 전공은 {major}이지만 개발로 진로를 바꿨습니다
    문과 출신입니다
    held out: 인문계열을 전공하고 개발로 전향했습니다
P_BG p non_cs
    비전공 출신이에요 ; 문과 출신이에요 ; 전공은 {major}인데 개발로 넘어왔어요
    전공은 따로 안 했고 독학했어요
    held out: 전공이랑 상관없는 일 하다가 넘어왔어요
P_BG c non_cs
    비전공 ; 문과 출신 ; 비전공 독학러
    held out: 전공 {major}, 개발은 독학
P_BG val non_cs
    비전공 ; 비전공 (독학) ; 비전공(부트캠프) ; 문과 출신 ; {major} 전공 (비전공)
    held out: 인문계열 출신
P_BG key any
    전공 ; 전공 ; 학부
    held out: 전공 여부
P_BG tag cs
    컴공 ; CS전공 ; 컴퓨터공학
    held out: 컴퓨터공학전공
P_BG tag non_cs
    비전공 ; 문과출신 ; 비전공개발자
    held out: 비전공출신
P_BG en cs
    B.S. Computer Science ; CS major ; 컴공 출신
    held out: CS degree holder
P_BG en non_cs
    Non-CS background ; Self-taught (비전공) ; 비전공 · bootcamp grad
    held out: Career switcher (비전공)
P_BG_NEW_CS p
    컴공 재학 중이에요 ; 컴공 졸업반이에요
P_BG_NEW_CS f
    컴퓨터공학과 졸업을 앞두고 있습니다
P_BG_NEW_CS c
    컴공 재학 중
P_GOAL f
    {goal_을} 찾고 있습니다 ; {gint}에 관심이 있습니다 ; {goal_을} 알아보고 있습니다
    held out: {gint} 기회를 찾고 있습니다
P_GOAL p
    {goal} 찾고 있어요 ; {goal_을} 구하고 있어요 ; {gint}에 관심 있어요 ; 요즘 {gint} 쪽에 관심이 많아요
    held out: {gint} 쪽으로 알아보는 중이에요
P_GOAL c
    {goal} 구함 ; {goal} 찾는 중 ; 관심: {gl}
    held out: {goal} 있으면 ㄱㄱ
P_GOAL key
    관심 ; 희망 ; 찾는 것 ; 목표 ; 관심 분야
    held out: 원하는 것
P_GOAL en
    Open to {ge} ; Looking for {ge} ; Interested in {ge} ; open to {gl}
    held out: Exploring {ge}
P_GOAL_ONE side_project p
    사프 같이 하실 분 구해요 ; 같이 사이드 프로젝트 할 팀 찾아요
P_GOAL_ONE side_project f
    함께 사이드 프로젝트를 진행할 팀을 찾고 있습니다
P_GOAL_ONE study p
    같이 공부할 스터디 찾고 있어요 ; 꾸준히 할 스터디 그룹 구해요
P_GOAL_ONE study f
    함께 공부할 스터디를 찾고 있습니다
P_GOAL_ONE toy p
    가볍게 토이 프로젝트 해보고 싶어요 ; 부담 없이 토이플젝 하실 분 찾아요
P_GOAL_ONE toy f
    부담 없이 진행할 토이 프로젝트를 찾고 있습니다
P_GOAL_ONE startup p
    초기 창업팀에 합류하고 싶어요 ; 창업에 관심 많아서 초기 멤버 자리 찾고 있어요
P_GOAL_ONE startup f
    초기 스타트업에 합류하고 싶습니다
P_GOAL_ONE job p
    이직 준비 중이에요 ; 정규직 자리 알아보고 있어요
P_GOAL_ONE job f
    이직을 준비하고 있습니다 ; 정규직 포지션을 찾고 있습니다
P_GOAL_ONE job p0
    신입 채용 자리 알아보고 있어요 ; 정규직으로 취업하고 싶어요
P_GOAL_ONE job f0
    정규직 취업을 준비하고 있습니다
P_GOAL_ONE freelance p
    외주 받고 있어요 ; 프리랜서로 일할 수 있어요
P_GOAL_ONE freelance f
    외주 작업도 가능합니다 ; 프리랜서로 참여할 수 있습니다
P_GOAL_ONE freelance p0
    작은 외주부터 해보고 싶어요
P_GOAL_ONE freelance f0
    작은 외주부터 경험해 보고 싶습니다
P_GOAL_ONE hackathon p
    해커톤 같이 나갈 팀 구해요 ; 공모전 같이 나갈 분 찾아요
P_GOAL_ONE hackathon f
    함께 해커톤에 나갈 팀을 찾고 있습니다
P_EXTRA f any
    {topic} 같은 서비스에 관심이 있습니다 ; 평일 저녁과 주말에 참여할 수 있습니다
    주 {h}시간 정도 시간을 낼 수 있습니다 ; 포트폴리오는 요청 주시면 공유드리겠습니다
    꾸준히 기술 블로그를 쓰고 있습니다 ; 협업과 코드 리뷰를 중요하게 생각합니다
    held out: 작은 것도 문서로 남기는 습관이 있습니다
P_EXTRA f exp
    퇴근 후 저녁 시간에 참여할 수 있습니다
P_EXTRA p any
    요즘은 {topic}에 관심이 많아요 ; 평일 저녁이랑 주말에 시간 돼요 ; 주 {h}시간 정도 투자할 수 있어요
    깃허브 잔디 꾸준히 심고 있어요 ; 포트폴리오는 DM 주시면 보내드릴게요
    코드 리뷰 주고받는 거 좋아해요 ; 문서화는 꼼꼼하게 하는 편이에요
    노션이랑 슬랙으로 협업하는 거 익숙해요 ; 다음 달부터 바로 시작할 수 있어요
    held out: 코딩은 주로 카페에서 해요 ; 요즘 {topic} 같은 거 만들어 보고 싶어요
P_EXTRA p exp
    퇴근하고 저녁에 시간 돼요 ; 회사 일 끝나면 주로 밤에 작업해요
P_EXTRA c any
    평일 저녁/주말 가능 ; 주 {h}시간 정도 가능 ; 관심사: {topic} ; 깃헙 잔디 심는 중 ; 포폴은 DM
    held out: 카공 자주 함
P_EXTRA c exp
    퇴근 후 가능
P_EXTRA kv any
    가능 시간: 평일 저녁, 주말 ; 가능 시간: 주 {h}시간 정도 ; 관심 주제: {topic} ; 연락: 쪽지 or 댓글
    시작 가능: 바로
    held out: 요즘 꽂힌 것: {topic}
P_BYE f
    잘 부탁드립니다. ; 편하게 연락 주세요. ; 관심 있으시면 쪽지 부탁드립니다. ; 연락 기다리겠습니다.
    held out: 좋은 인연 기다리겠습니다.
P_BYE p
    편하게 연락 주세요! ; 댓글이나 쪽지 주세요~ ; DM 환영이에요 :) ; 관심 있으시면 연락 주세요 🙌
    같이 하실 분 연락 주세요!
    held out: 오픈카톡 주시면 바로 답드릴게요!
P_BYE c
    연락 ㄱㄱ ; 쪽지 주세요 ; DM 주세요~ ; 관심 있으면 댓글 ㄱ
    held out: 편하게 찔러주세요
P_ASK
    혹시 같이 하실 분 계실까요? ; 같이 하실 분 있으면 연락 주세요 🙌 ; 관심 있으시면 댓글 주세요!
    편하게 연락 주세요 ㅎㅎ
    held out: 저랑 맞을 것 같으면 찔러주세요!
P_REPLY_OPEN
    held out: 저요! ; 저 관심 있어요! ; 혹시 아직 구하시나요? ; 지원해 봅니다 🙋 ; 댓글로 지원합니다!
P_REPLY_CLOSE
    held out: 괜찮으시면 연락 주세요! ; 자세한 얘기는 쪽지로 나눠요! ; 가능할까요? ; 검토 부탁드려요 🙏
P_BOARD_HEAD
    [{tag}] {rf} {yv} {tail} ; 【{tag}】 {yv} {rf} / {tail} ; [{tag}] {tail} ({rf}, {yv})
    [{tag}] {yv} {rc} {tail}
    held out: ({tag}) {rf} {yv} - {tail}
P_BOARD_TAIL_GOAL
    {goal} 구해요 ; {goal} 찾아요 ; {goal} 구합니다 ; {goal} 희망
    held out: {goal} 구하는 중
P_BOARD_TAIL
    팀 찾아요 ; 같이 하실 분 찾아요 ; 프로필 올려요 ; 자기소개합니다
    held out: 함께할 팀 구해요
P_BOARD_CAT
    프로필 ; 자기소개 ; 팀 구함
    held out: 구인 환영
P_KEYS years
    경력 ; 연차 ; 경력 사항
    held out: 개발 경력
P_KEYS stack
    스택 ; 기술 스택 ; 사용 기술 ; 주력 ; 기술
    held out: 다루는 기술
P_RESUME_TITLE
    {rp} ({yv}) ; {yv} {rp} ; {rc} · {yv} ; {dev} | {yv}
    held out: {rp} — {yv}
P_RESUME_TITLE0
    신입 {rp} ; {rp} (신입) ; {rc} · {yv}
    held out: {rp} 지망 · 신입
P_RESUME_STACK
    {st} ; {st} ; 스택: {st} ; Skills: {st} ; 기술: {st}
    held out: 보유 기술: {st}
P_RESUME_PLACE
    {place} ; 거주: {place} ; 📍{place} ; {near} 거주
    held out: {place} 거주 중
P_RESUME_GOAL
    희망: {gl} ; {gl} 희망 ; 관심: {gl} ; 찾는 것: {gl}
    held out: {gl} 위주로 탐색 중
P_LI_TITLE
    {re} @ {place} ; {re} | {ye} ; {re} based in {place} ; {re} · {ye}
    held out: {re} — {place}, {ye}
P_LI_TITLE_NOWHERE
    {re} | {ye} ; {re} · {ye}
    held out: {re} — {ye}
P_LI_STACK
    {st} ; Skills: {st} ; Stack: {st} ; 🛠 {st}
    held out: Tech: {st}
P_LI_NO
    No {nol} experience ; {nol}: not yet ; no {nol}
    held out: Not familiar with {nol}
P_TAGS_LEAD
    {yrs} {rc} 프로필 ; 프로필 남겨요 ; 같이 하실 분 찾아요! ; {rc} 소개
    held out: 팀 합류 희망!
P_TAGS_LEAD0
    신입 {rc} 프로필 ; 프로필 남겨요 ; 같이 하실 분 찾아요!
    held out: 팀 합류 희망!
P_TAGS_YEARS
    {n}년차 ; 경력{n}년 ; {n}년
    held out: {n}연차
P_TAGS_YEARS0
    신입 ; 1년미만 ; 경력없음
P_REGISTERS
    intro ; board ; resume ; chat ; linkedin ; tags
    held out: reply
"""

_POSTING_VARIANTS = """
J_REQ A f
    신입도 지원 가능합니다 ; 경력은 무관합니다 ; 신입 지원도 환영합니다
    held out: 경력 여부는 보지 않습니다
J_REQ A p
    신입도 편하게 지원하세요 ; 경력 무관이에요 ; 경력 없어도 괜찮아요 ; 신입 환영해요
    held out: 연차는 안 봐요
J_REQ A c
    경력 무관 ; 신입 가능 ; 신입 환영
    held out: 경력 안 봄
J_REQ A val
    경력 무관 ; 신입 가능 ; 신입 환영 ; 신입도 OK ; 신입/경력 무관
    held out: 연차 무관
J_REQ A en
    Entry-level welcome ; No experience required ; 신입 OK
    held out: Juniors & new grads welcome
J_REQ B f
    신입부터 {m}년 차까지 지원 가능합니다 ; 경력 {m}년 이하인 분을 찾습니다
    held out: 최대 {m}년 차까지 모집합니다
J_REQ B p
    신입부터 {m}년 차까지 환영해요 ; {m}년 차 이하 분들 찾아요 ; 신입~{m}년 차면 좋겠어요
    held out: 연차는 {m}년 이하면 돼요
J_REQ B c
    신입~{m}년 ; {m}년 이하
    held out: 0~{m}년 차
J_REQ B val
    신입~{m}년 ; {m}년 이하 ; 경력 {m}년 이하 ; 신입 ~ {m}년 차
    held out: 0~{m}년 차 ; 최대 {m}년
J_REQ B en
    0~{m} yrs ; 신입~{m} yrs
    held out: up to {m} YOE
J_REQ C f
    {n}년 이상의 실무 경력이 필요합니다 ; 실무 경력 {n}년 이상이 필요합니다
    경력 {n}년 이상인 분을 모십니다
    held out: 최소 {n}년 이상 현업 경험이 있어야 합니다
J_REQ C p
    실무 {n}년 이상이신 분 찾아요 ; 경력은 최소 {n}년은 있으셨으면 해요 ; {n}년 차 이상이면 좋겠어요
    연차는 {n}년 이상이요
    held out: 현업 경험 {n}년 이상인 분이면 좋아요
J_REQ C c
    {n}년 이상 ; 경력 {n}년+ ; 최소 {n}년
    held out: {n}년↑
J_REQ C val
    {n}년 이상 ; 경력 {n}년+ ; {n}yrs+ ; 최소 {n}년 ; {n}년차 이상 ; 경력 {n}년 이상
    held out: {n}년↑
J_REQ C en
    {n}+ yrs ; {n}+ years ; {n}yrs+
    held out: {n}+ YOE
J_REQ D f
    경력 {n}~{m}년 차를 찾습니다 ; {n}년 이상 {m}년 이하의 경력이 필요합니다
    held out: 연차는 {n}년에서 {m}년 사이로 생각하고 있습니다
J_REQ D p
    경력 {n}~{m}년 차 분을 찾아요 ; {n}~{m}년 차면 좋겠어요
    held out: {n}년에서 {m}년 사이 경력이면 좋아요
J_REQ D c
    {n}~{m}년 ; 경력 {n}~{m}년
    held out: {n}-{m}년 차
J_REQ D val
    {n}~{m}년 ; 경력 {n}~{m}년 ; {n}~{m}년 차 ; {n}-{m} yrs
    held out: {n}~{m}년 사이
J_REQ D en
    {n}~{m} yrs ; {n}-{m} years
    held out: {n}-{m} YOE
J_REQ E f
    경력 {n}년 차 분을 찾습니다
J_REQ E p
    {n}년 차 분을 찾아요
J_REQ E c
    {n}년 차
J_REQ E val
    {n}년 차 ; 경력 {n}년 차
    held out: 딱 {n}년 차
J_REQ E en
    {n} yrs
J_REQ Z f
    신입만 모집합니다
J_REQ Z p
    신입분들만 찾아요
J_REQ Z c
    신입만
J_REQ Z val
    신입 한정 ; 신입만
    held out: 경력 없는 분만
J_REQ Z en
    New grads only
J_REQ_LEVEL junior
    주니어({n}~{m}년)
J_REQ_LEVEL junior0
    주니어(신입~{m}년)
J_REQ_LEVEL mid
    미드레벨({n}~{m}년)
J_REQ_LEVEL senior
    시니어({n}년 이상)
J_SUBJECTS
    알고리즘 ; 코딩테스트 ; 운영체제 ; 네트워크 ; 시스템 디자인 ; 클린 코드 ; 디자인 패턴 ; 기술 면접
    자료구조 ; 리팩터링
    held out: 테스트 코드 작성 ; 도메인 주도 설계
J_SCHED
    평일 저녁 9시 ; 주말 오전 ; 매주 토요일 오후 ; 화·목 저녁 ; 일요일 오후 2시 ; 평일 저녁 1~2시간
    held out: 수요일 밤 10시
J_SCHED_WORK
    10시~19시 ; 유연근무제 ; 코어타임 11~16시 ; 주 40시간
    held out: 시차 출퇴근제
J_PAY freelance
    금액 협의 ; 단가 협의 ; 월 600~800 (협의) ; 건당 협의 ; 계약 기간 3개월, 금액 협의
    held out: 예산 범위 내 협의
J_PAY startup
    지분 협의 ; 초기라 급여는 적고 지분으로 보상 ; 스톡옵션 협의
    held out: 초기 멤버 지분 보장
J_PAY side_project
    무급 ; 수익 나면 배분 ; 무급이지만 포트폴리오로 좋아요
    held out: 수익은 기여도대로 나눠요
J_PAY toy
    무급 ; 비용 없음
    held out: 서버비는 n빵
J_PAY study
    참가비 없음 ; 보증금 1만 원 (완주 시 환급)
    held out: 회비 없음
J_PAY hackathon
    상금은 똑같이 나눠요 ; 참가비 없음
    held out: 상금 n빵
J_STACK f
    필수 기술은 {st}입니다 ; {sa} 경험이 필요합니다 ; {sa_을} 다루실 줄 알아야 합니다
    {sa} 사용 경험이 있으신 분을 찾습니다
    held out: {sa}에 능숙하신 분을 모십니다
J_STACK p
    {sa} 써보신 분 찾아요 ; {sa_은} 꼭 다룰 줄 아셔야 해요 ; {sa} 필수예요
    {sa} 쓰실 줄 아는 분이면 돼요 ; 스택은 {st_이에요} (필수)
    held out: {sa} 경험은 필수로 봐요
J_STACK c
    {st} 필수 ; 필수: {st} ; {sa} 쓸 줄 아는 분
    held out: {st} 못 쓰시면 어려워요
J_STACK key
    필수 스택 ; 기술 스택 ; 필수 기술 ; 사용 기술 ; 스택
    held out: 필수 역량
J_STACK line
    {st} 경험 ; {st} 사용 가능 ; {sa_을} 다룰 줄 아는 분
    held out: {st} 능숙자
J_PREF f
    {pa} 경험이 있으면 우대합니다 ; {pa_을} 다뤄 보신 분은 우대합니다 ; 우대 사항: {pl}
    held out: {pa} 활용 경험자 우대
J_PREF p
    {pa} 경험 있으면 우대해요 ; {pa_을} 써보셨으면 더 좋아요 (필수 아님) ; {pa}까지 하시면 우대해요
    + {pa} 써보신 분 환영(필수 아님)
    held out: {pa} 아시면 가산점 있어요
J_PREF c
    {pl} 우대 ; 우대: {pl} ; + {pl} 가능하면 우대
    held out: {pl_은} 있으면 땡큐
J_PREF key
    우대 ; 우대 사항 ; 우대 스택
    held out: 가산점
J_PREF line
    {pl} 경험자 우대 ; {pl} 사용 경험 ; {pa_을} 써 보신 분
    held out: {pl} 다뤄 본 분
J_PREF en
    Nice to have: {pl} ; Bonus: {pl} ; 우대: {pl}
    held out: Plus: {pl}
J_REQ_KEY
    경력 ; 연차 ; 경력 요건
    held out: 요구 연차
J_MODE f online work
    전면 재택으로 근무합니다 ; 풀리모트 근무입니다 ; 원격 근무로 진행됩니다
    held out: 100% 원격 근무를 원칙으로 합니다
J_MODE p online work
    풀리모트예요 ; 전면 재택이에요 ; 출근 없이 원격으로 일해요
    held out: 사무실 없이 100% 원격이에요
J_MODE f online club
    전 과정 온라인으로 진행합니다 ; 디스코드로 주 1회 회의합니다 ; 줌으로 진행합니다
    held out: 게더타운에서 모입니다
J_MODE p online club
    온라인으로만 진행해요 ; 디스코드로 모여요 ; 100% 비대면이에요 ; 줌으로 주 1회 회의해요
    게더에서 만나요
    held out: 슬랙으로 비동기로 진행해요
J_MODE c online work
    풀리모트 ; 전면 재택 ; 원격 근무
    held out: 100% 원격
J_MODE c online club
    온라인 진행 ; 디코로 진행 ; 100% 비대면
    held out: 전면 온라인
J_MODE f online_at work
    사무실은 {place}에 있지만 전면 재택입니다
J_MODE p online_at work
    사무실은 {near}에 있는데 출근 없이 원격으로 일해요 ; {place} 기반 팀이지만 풀리모트예요
J_MODE f online_at club
    {place} 기반 모임이며 모든 진행은 온라인입니다
J_MODE p online_at club
    {place} 기반이지만 모임은 전부 온라인이에요
J_MODE c online_at work
    {place} 기반, 풀리모트
J_MODE c online_at club
    {place} 기반, 진행은 온라인
J_MODE f nowhere any
    지역 제한 없이 온라인으로 진행합니다
J_MODE p nowhere any
    지역 상관없이 온라인으로 해요 ; 전국 어디서든 온라인으로 참여 가능해요
    held out: 사는 곳 상관없이 다 온라인이에요
J_MODE c nowhere any
    지역 무관, 온라인
J_MODE f offline work
    {near} 사무실로 출근합니다 ; 사무실 출근 근무입니다 ; 상주 근무입니다
    held out: {near} 오피스 상주 근무입니다
J_MODE p offline work
    {near} 사무실로 출근해요 ; 사무실 출근이에요 ; 재택 없이 출근해요
    held out: 매일 {near_으로} 출근하는 조건이에요
J_MODE f offline club
    오프라인으로 진행합니다 ; 매주 {near}에서 모입니다 ; 대면 모임으로 진행합니다
    held out: 주말마다 {near}에서 얼굴 보고 진행합니다
J_MODE p offline club
    매주 토요일 {near}에서 만나요 ; 오프라인으로 만나서 해요 ; 주 1회 {near} 카페에서 모여요
    직접 만나서 진행해요
    held out: {near}에서 모각코 형식으로 해요
J_MODE c offline work
    사무실 출근 ; {near} 출근 ; 상주 근무
    held out: 출근 필수
J_MODE c offline club
    오프라인 ; {near}에서 주 1회 모임 ; 대면 진행
    held out: 오프 모임 위주 ({near})
J_MODE f hybrid work
    주 2회 출근, 나머지는 재택입니다 ; 주 3일 출근과 재택을 병행합니다
    하이브리드 근무(주 2~3회 출근)입니다
    held out: 재택 3일, 출근 2일로 운영합니다
J_MODE p hybrid work
    주 2회만 {near_으로} 출근해요 ; 주 3일 출근, 나머진 재택이에요 ; 출근이랑 재택 섞어서 해요
    held out: 출근은 주 1~2회 정도예요
J_MODE f hybrid club
    온·오프라인을 섞어서 진행합니다 ; 격주로 오프라인 모임을 갖습니다
    평소에는 온라인, 월 1회 {near}에서 만납니다
    held out: 온라인 위주로 하되 필요할 때 {near}에서 모입니다
J_MODE p hybrid club
    평소엔 온라인, 한 달에 한 번은 {near}에서 만나요 ; 온라인 위주에 가끔 오프라인으로 봐요
    격주로 오프라인 모임 있어요 ; 온오프 같이 해요
    held out: 월 1회 오프라인 + 나머지는 디스코드로 해요
J_MODE c hybrid work
    주 2회 출근 ; 하이브리드 (주 3일 출근) ; 출근+재택
    held out: 재택 3 + 출근 2
J_MODE c hybrid club
    온오프 병행 ; 격주 오프 ; 온라인+가끔 오프
    held out: 월 1 오프 + 온라인
J_MODE val online work
    전면 재택 ; 원격 근무 ; 풀리모트
    held out: 100% 원격
J_MODE val online club
    온라인 ; 비대면 ; 온라인 (디스코드) ; 온라인 (줌)
    held out: 전면 온라인
J_MODE val offline work
    사무실 출근 ; 상주 근무 ; 출근 ({near})
    held out: 출근 필수
J_MODE val offline club
    오프라인 ; 대면 ; 오프라인 ({near})
    held out: 오프 모임 위주 ({near})
J_MODE val hybrid work
    주 2회 출근 ; 주 3일 출근 + 재택 ; 하이브리드 (주 2~3회 출근)
    held out: 재택 3 + 출근 2
J_MODE val hybrid club
    온오프 병행 ; 격주 오프라인 ; 온라인 + 월 1회 오프라인
    held out: 월 1 오프 + 온라인
J_MODE key work
    근무 형태 ; 근무 방식 ; 근무 조건
    held out: 일하는 방식
J_MODE key club
    진행 방식 ; 방식 ; 모임 방식
    held out: 진행 형태
J_MODE en online work
    Remote ; Fully remote ; 100% remote
    held out: Remote (anywhere in Korea)
J_MODE en online club
    Online ; 100% online ; Online (Discord)
    held out: Online-only, async
J_MODE en offline work
    On-site ; Onsite ({near}) ; In-office
    held out: Office-based
J_MODE en offline club
    In-person ; Offline ({near}) ; Meetups in person
    held out: Face-to-face only
J_MODE en hybrid work
    Hybrid (주 2회 출근) ; Hybrid ; Hybrid, 2 days in office
    held out: Hybrid (재택 3 + 출근 2)
J_MODE en hybrid club
    Hybrid (온오프 병행) ; Online + monthly meetup ; Hybrid
    held out: Mostly online, 가끔 오프
J_MODE tag online work
    풀리모트 ; 재택 ; 원격근무
    held out: 100%재택
J_MODE tag online club
    온라인 ; 비대면 ; 디스코드
    held out: 전면온라인
J_MODE tag offline work
    출근 ; 사무실출근 ; 오프라인
    held out: 상주근무
J_MODE tag offline club
    오프라인 ; 대면 ; 오프모임
    held out: 대면모임
J_MODE tag hybrid work
    하이브리드 ; 주2회출근 ; 출근재택병행
    held out: 주3일출근
J_MODE tag hybrid club
    온오프병행 ; 격주오프
    held out: 월1회오프
J_PLACE f work
    근무지는 {near}입니다 ; 사무실은 {near}에 있습니다
    held out: {place} 소재 팀입니다
J_PLACE p work
    근무지는 {near_이에요} ; 사무실은 {near}에 있어요
    held out: 회사는 {near}에 있어요
J_PLACE c work
    근무지 {near} ; 위치 {near}
J_PLACE f club
    장소는 {near}입니다 ; 활동 지역은 {place}입니다
    held out: 모임 장소는 {near}입니다
J_PLACE p club
    장소는 {near_이에요} ; {near}에서 봬요 ; 모이는 곳은 {near_이에요}
    held out: {place} 쪽 분들이면 편해요
J_PLACE c club
    장소 {near} ; {near}에서 모임
J_PLACE f online
    팀은 {place}에 기반을 두고 있습니다
J_PLACE p online
    팀은 {place}에 있어요 ; 멤버들은 주로 {place} 쪽이에요
J_PLACE c online
    팀 위치 {place}
J_PLACE key work
    근무지 ; 위치 ; 근무 지역
    held out: 오피스
J_PLACE key club
    장소 ; 지역 ; 모임 장소
    held out: 주 활동지
J_CS f True
    컴퓨터공학 전공 필수입니다 ; 전공자만 지원 가능합니다 (컴퓨터공학 및 관련 학과)
    held out: 관련 학과(컴퓨터공학 등) 졸업자만 지원 가능합니다
J_CS p True
    컴공 전공자만 받아요 ; 전공자 필수예요 ; 컴퓨터공학 전공하신 분만 지원해 주세요
    held out: 컴공 출신이셔야 해요
J_CS c True
    전공자 필수 ; 컴공 필수 ; CS 전공 필수
    held out: 비전공 X
J_CS val True
    컴퓨터공학 전공 필수 ; 전공자 필수 ; 컴공 필수 ; CS 전공자
    held out: CS 학위 필수
J_CS f False
    전공 제한은 없습니다 ; 비전공자도 지원 가능합니다
J_CS p False
    전공 무관이에요 ; 비전공자도 환영이에요
    held out: 전공은 안 봐요
J_CS c False
    전공 무관 ; 비전공 환영
    held out: 전공 상관 X
J_CS val False
    전공 무관 ; 비전공 가능
J_CS en True
    CS degree required ; 컴공 전공 필수
    held out: BS in CS required
J_CS en False
    Any major welcome ; 전공 무관
J_CS tag True
    전공자필수 ; 컴공필수
J_CS tag False
    전공무관 ; 비전공환영
J_WANT side_project p
    {gtag_으로} {topic_을} 같이 만들 {rp} 구해요 ; {gtag} 같이 하실 {dev} 찾아요
    {topic} 만드는 {gtag}에서 {rp_을} 구하고 있어요
    held out: 퇴근 후에 {gtag} 같이 굴려 보실 {rc} 구해요
J_WANT side_project f
    {topic_을} 만드는 {gtag}에서 {rp_을} 모집합니다 ; {gtag}에 함께할 {dev_을} 찾습니다
J_WANT toy p
    {gtag} 같이 하실 {rc} 구해요 ; {gtag_으로} 가볍게 {topic} 만들어 볼 {rp} 찾아요
    held out: 부담 없이 {gtag} 해 보실 {rc} 계세요?
J_WANT toy f
    {topic_을} 주제로 한 {gtag}에 참여할 {rp_을} 모집합니다
J_WANT study p
    {subj} 스터디 같이 하실 {rc} 구해요 ; {rp} 대상 {subj} 스터디원 모집해요
    held out: {subj} 같이 파실 {rc} 스터디원 구해요
J_WANT study f
    {rp_을} 대상으로 {subj} 스터디원을 모집합니다 ; {subj} 스터디에 함께할 {rp_을} 찾습니다
J_WANT startup p
    {topic} 아이템으로 창업 준비 중인데 {rp_을} 찾고 있어요 ; 초기 창업팀에서 함께할 {dev} 구해요
    공동창업자로 함께할 {rp} 구해요
    held out: 창업 멤버로 같이 가실 {rc} 찾아요
J_WANT startup f
    초기 스타트업에서 함께할 {rp_을} 모십니다 ; {topic} 서비스로 창업을 준비하며 {rp_을} 찾고 있습니다
J_WANT job p
    저희 팀 {rp} 채용해요 ; {dev} 정규직으로 모셔요
    held out: {rp} 정규직 한 분 모십니다
J_WANT job f
    {rp_을} 채용합니다 ; {rp} 정규직 채용 공고입니다 ; 저희 팀에서 함께할 {dev_을} 정규직으로 채용합니다
    held out: {rp} 포지션 채용을 진행합니다
J_WANT freelance p
    {topic} 외주 맡아 주실 {rp} 찾아요 ; 프리랜서 {dev} 구해요 ; 계약직 {rp} 구하고 있어요
    held out: {topic} 외주 같이 하실 프리랜서 {rc} 구해요
J_WANT freelance f
    {topic} 외주 개발을 맡아 주실 {rp_을} 찾습니다 ; 프리랜서 {rp_을} 모집합니다
J_WANT hackathon p
    {gtag} 같이 나갈 {rc} 구해요 ; {gtag} 팀원 구해요 ({rf})
    held out: 이번 {gtag} 함께 나가실 {rc} 찾아요
J_WANT hackathon f
    {gtag}에 함께 참가할 {rp_을} 모집합니다
J_WANT_ANY p
    {member} 구해요 ({rf})
J_WANT_ANY f
    {member_을} 모집합니다
J_EXTRA p club
    일정은 {sched} ; 주제는 {topic_이에요} ; 현재 팀은 {team} 있어요 ; 협업 툴은 노션이랑 깃허브 써요
    {pay} ; 기간은 2~3개월 정도 생각해요 ; 노션으로 문서 정리해요
    held out: 팀 분위기는 편해요, 다들 직장인이에요
J_EXTRA p work
    {pay} ; 현재 팀은 {team} 있어요 ; 근무 시간은 {sched} ; 슬랙이랑 지라로 일해요
    코드 리뷰 문화 있어요
    held out: 점심 제공돼요
J_EXTRA f club
    일정: {sched} ; 현재 팀 구성: {team} ; 협업 도구는 노션과 깃허브를 사용합니다 ; {pay}
    약 2~3개월간 진행할 예정입니다
    held out: 회고는 2주마다 진행합니다
J_EXTRA f work
    {pay} ; 현재 팀 구성: {team} ; 근무 시간: {sched} ; 코드 리뷰와 문서화를 중요하게 생각합니다
    held out: 전형: 서류 → 과제 → 면접
J_EXTRA kv club
    일정: {sched} ; 주제: {topic} ; 팀 구성: {team} ; 기타: {pay} ; 협업 툴: 노션, 깃허브, 디스코드
    held out: 모집 마감: 인원 차면 마감
J_EXTRA kv work
    처우: {pay} ; 팀 구성: {team} ; 근무 시간: {sched} ; 협업 툴: 슬랙, 지라, 깃허브
    held out: 전형 절차: 서류 → 코딩테스트 → 면접
J_BYE f
    관심 있으신 분은 댓글 남겨 주세요. ; 문의는 쪽지로 부탁드립니다. ; 많은 지원 바랍니다.
    held out: 편하게 문의 주시면 자세히 안내드리겠습니다.
J_BYE p
    관심 있으시면 댓글 주세요! ; 오픈채팅으로 연락 주세요~ ; 편하게 DM 주세요 🙌 ; 쪽지 주세요!
    held out: 궁금한 거 있으면 언제든 물어보세요!
J_BYE c
    댓글 ㄱㄱ ; DM 주세요 ; 관심 있으면 쪽지
    held out: 편하게 찔러주세요
J_BOARD_HEAD
    [{gtag}] {rp} 모집 ({hloc}) ; [{hloc}] {gtag} {rc} 구합니다 ; 【{gtag}】 {rp} 구해요 / {hloc}
    {gtag} 팀원 모집 - {rf} ({hloc}) ; [{hloc}/{gtag}] {rc} 1명 구해요
    held out: <{gtag}> {rc} 구인 | {hloc}
J_BOARD_HEAD_WORK
    [{gtag}] {rp} 모집 ({hloc}) ; 【{gtag}】 {rp} 구합니다 / {hloc} ; {member} 모집 - {rf} ({hloc})
    [{hloc}] {rc} {member} 구합니다
    held out: <{gtag}> {rc} 구인 | {hloc}
J_SECTION
    [{t}] ; ■ {t} ; <{t}> ; ✔ {t} ; ## {t}
    held out: ▣ {t}
J_SEC_TITLES req work
    자격요건 ; 지원 자격 ; 필수 요건
    held out: 이런 분과 일하고 싶어요
J_SEC_TITLES req club
    참여 조건 ; 지원 자격 ; 이런 분을 찾아요
    held out: 함께하고 싶은 분
J_SEC_TITLES pref work
    우대사항 ; 우대 조건
    held out: 있으면 더 좋은 점
J_SEC_TITLES pref club
    우대 ; 있으면 좋아요
    held out: 플러스 요소
J_SEC_TITLES mode work
    근무형태 ; 근무 조건 ; 근무 환경
    held out: 일하는 방식
J_SEC_TITLES mode club
    진행 방식 ; 운영 방식
    held out: 활동 방식
J_SEC_TITLES etc work
    기타 ; 처우 및 기타
    held out: 그 외
J_SEC_TITLES etc club
    기타 ; 참고
    held out: 덧붙임
J_JOB_TITLE work
    [{gtag}] {rp} 모집 ; {hloc} | {rp} ({gtag}) ; [{hloc}] {member} 모집 ({rf})
    held out: {rp} 포지션 오픈 ({gtag}, {hloc})
J_JOB_TITLE club
    [{gtag}] {rf} 팀원 모집 ; {member} 모집 ({hloc}) ; [{hloc}] {gtag} - {rp} 모집
    held out: {gtag} 멤버 모십니다 ({hloc})
J_YEARS_LINE
    {req} ; 경력 {req} ; {req}
    held out: 연차: {req}
J_YEARS_LINE0
    {req} ; {req}
    held out: 연차: {req}
J_CHAT_OPEN at
    혹시 {near}에서 {gtag} 같이 하실 분 계세요? ; {place} 쪽 {rc} 계신가요? ({gtag})
    {place}에서 {gtag} 하실 {rc} 구해요!
    held out: {near} 사시는 {rc}분 계시면 {gtag} 같이 해요!
J_CHAT_OPEN any
    {gtag} 같이 하실 {rc} 구해요! ; 혹시 {gtag} 관심 있는 {rc} 계세요? ; {rc} 한 분 모셔요~ ({gtag})
    held out: {gtag} 자리 하나 남았어요! {rc}분 오세요
J_CHAT_OPEN at_work
    {place} 쪽 {rc} 계신가요? ({gtag}) ; {place}에서 같이 일하실 {rc} 구해요! ({gtag})
    held out: {near} 사시는 {rc}분, {gtag} 자리 있어요!
J_CHAT_OPEN any_work
    혹시 {gtag} 자리 관심 있는 {rc} 계세요? ; {rc} 한 분 모셔요~ ({gtag}) ; {member} 구해요! ({rc})
    held out: {gtag} 포지션 하나 열렸어요! {rc}분 연락 주세요
J_TAGS_LEAD
    {member} 구해요 ; {rp} 구합니다! ; {gtag} 같이 하실 분 🙌 ; {member} 모집 중
    held out: {gtag} 합류하실 분!
J_TAGS_LEAD_WORK
    {member} 구합니다 ; {rp} 구합니다! ; {member} 모집 중 ; {gtag} · {rp} 모집
    held out: {gtag} 포지션 열렸어요!
J_TAGS_PREF
    (우대: {pl}) ; + {pl} 우대 ; 우대 {pl}
    held out: (가산점: {pl})
J_TAGS_ONLINE_AT
    팀은 {place} 기반, 진행은 온라인 ; {place} 기반 팀 · 100% 온라인 ; 온라인 진행, 팀은 {place}
    held out: 사는 곳 무관, 팀은 {place}
J_LI_HEAD work
    We're hiring! 🚀 {re} ; [Hiring] {re} ; Looking for {are}
    held out: Join us as {are} 🚀
J_LI_HEAD job
    We're hiring! 🚀 {re} ; [Hiring] {re} ; {re} 채용 (We're hiring)
    held out: Join us as {are} 🚀
J_LI_HEAD club
    Looking for {are} for {ge} 🙌 ; [{gtag}] {re} wanted ; {gtag} 팀에서 {re} 찾아요
    held out: Building {ge} — need {are}!
J_NOTICE_HEAD
    {member} 모집 안내 ; [공지] {member} 모집 ; {member} 모집 공고
    held out: {gtag} 모집 요강
J_NOTICE_KEYS role
    모집 분야 ; 모집 포지션 ; 모집 대상
    held out: 모집 직군
J_NOTICE_KEYS req
    자격 요건 ; 지원 자격
    held out: 필요 역량
J_NOTICE_KEYS contact
    문의: 댓글 또는 쪽지 ; 지원 방법: 쪽지로 간단한 소개 부탁드립니다 ; 마감: 인원 충원 시
    held out: 접수: 오픈채팅
J_SCOUT_OPEN
    held out: 안녕하세요, 프로필 보고 연락드립니다. ; 안녕하세요! 올려주신 글 보고 DM 드려요.
    held out: 갑작스러운 연락 죄송합니다. ; 안녕하세요, 혹시 {gtag} 관심 있으실까 해서 연락드려요.
J_SCOUT_CLOSE
    held out: 관심 있으시면 편하게 답장 주세요. ; 짧게 통화 가능하실까요?
    held out: 괜찮으시면 커피챗 한번 하시죠!
J_REGISTERS
    board ; jobpost ; chat ; hashtag ; linkedin ; notice
    held out: scout
"""

_SHARED_VARIANTS = """
X_TOPICS
    반려동물 산책 앱 ; 중고거래 플랫폼 ; 가계부 앱 ; 여행 일정 공유 서비스 ; 독서 기록 앱 ; 습관 트래커
    동네 맛집 지도 ; 운동 루틴 기록 앱 ; 레시피 추천 서비스 ; 캠핑장 예약 서비스 ; 일정 관리 툴
    팀 회고 툴 ; 주식 포트폴리오 대시보드 ; 날씨 기반 코디 추천 앱 ; 식단 관리 앱 ; 전시회 정보 큐레이션
    개발자 커뮤니티 ; 코드 리뷰 봇 ; 음악 추천 서비스 ; 자취생 레시피 앱 ; 분리수거 안내 챗봇
    러닝 크루 앱 ; 공연 티켓 양도 플랫폼 ; 중고책 거래 서비스
    held out: 육아 일기 앱 ; 택배 공동구매 서비스 ; 기숙사 룸메이트 매칭 앱 ; 식물 물 주기 알림 앱
    held out: 동네 분실물 찾기 서비스 ; 반찬 구독 서비스
"""

_VARIANT_TABLES = _parse_variants(_PROFILE_VARIANTS + _POSTING_VARIANTS + _SHARED_VARIANTS)
VARIANTS.extend(_VARIANT_TABLES.values())


def _splitmix(draws: Sequence[int]) -> Iterator[int]:
    """16-bit choices past the pre-drawn words: splitmix64 of (draw, i)."""
    n = len(draws)
    i = 4 * n
    while True:
        z = (draws[i % n] + (i + 1) * 0x9E3779B97F4A7C15) & _M64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
        yield (((z ^ (z >> 27)) * 0x94D049BB133111EB) >> 40) & 0xFFFF
        i += 1


class Picker:
    """Chooses variants with pre-drawn random 64-bit words, 16 bits per choice (low bits first), then
    splitmix64 numbers when a long text needs more."""

    __slots__ = ("held", "next", "unseen")

    def __init__(self, draws: Sequence[int], unseen: bool = False) -> None:
        try:
            words = array("Q", draws)
        except OverflowError:  # signed words
            words = array("Q", [w & _M64 for w in draws])
        if _BIG_ENDIAN:
            words.byteswap()
        self.next = itertools.chain(memoryview(words).cast("B").cast("H"), _splitmix(draws)).__next__
        self.unseen = unseen
        self.held = False  # a held-out variant was used

    def bits(self) -> int:
        return self.next()

    def __call__(self, options: Sequence[T]) -> T:
        return options[self.next() % len(options)]

    def chance(self, p: float) -> bool:
        return self.next() < p * 65536.0

    def v(self, var: Var) -> str:
        """A variant of ``var``: seen ones only, unless this text may use held-out forms."""
        if self.unseen:
            return var.every[self._unseen_index(self.next(), var)]
        return var.every[self.next() % var.n]

    def vr(self, var: Var) -> tuple[str, int]:
        """A variant and 8 more random bits from the same draw (for a sentence and its ending)."""
        r = self.next()
        if self.unseen:
            return var.every[self._unseen_index(r, var)], r >> 8
        return var.every[r % var.n], r >> 8

    def _unseen_index(self, r: int, var: Var) -> int:
        """Any variant, a held-out one at least a fifth of the time (so most unseen texts use one)."""
        every = len(var.every)
        k = var.n + r % (every - var.n) if r < _HELD_BIAS and every > var.n else r % every
        if k >= var.n:
            self.held = True
        return k

    def order(self, items: list[T]) -> list[T]:
        """``items`` in a random order."""
        n = len(items)
        if n < 2:
            return items
        if n < 8:
            perm = _PERMS[n]
            return [items[j] for j in perm[self.bits() % len(perm)]]
        items = list(items)
        for j in range(n - 1, 0, -1):
            k = self.bits() % (j + 1)
            items[j], items[k] = items[k], items[j]
        return items


# --- the phrase tables built from the catalog ---------------------------------------------------------

# Latin aliases the spelling rule in korean.py would misread (the catalog has readings for names only).
_ALIAS_READINGS = {
    "ASP.NET": "에이에스피닷넷",
    "SvelteKit": "스벨트킷",
    "ONNX Runtime": "오닉스 런타임",
    "JSP/Servlet": "제이에스피 서블릿",
    "csharp": "씨샵",
    "dotnet": "닷넷",
}
# Aliases fine for reading people's texts but not for writing them: another product (MariaDB for MySQL,
# Keras for TensorFlow, Hibernate for JPA), ambiguous (PG, ES) or nobody writes them (쿼리 for SQL).
_NOT_WRITTEN = {"쿼리", "MariaDB", "Keras", "Hibernate", "하이버네이트", "PG", "ES", "csharp", "dotnet"}
# Stacks that name a developer: "React 개발자", "Spring 개발자" (never "Redis 개발자").
_DEV_TITLE = {
    "Python",
    "Django",
    "Java",
    "Kotlin",
    "Spring",
    "Spring Boot",
    "Node.js",
    "NestJS",
    "PHP",
    "Laravel",
    "Ruby on Rails",
    "C#",
    ".NET",
    "Go",
    "JavaScript",
    "TypeScript",
    "React",
    "Vue",
    "Angular",
    "Next.js",
    "Swift",
    "Android",
    "Flutter",
    "React Native",
    "Unity",
    "Unreal Engine",
    "C",
    "C++",
    "Rust",
}
# Station names people put 역 after (강남역 근처).
_STATIONS = {
    "강남",
    "역삼",
    "선릉",
    "성수",
    "마곡",
    "여의도",
    "잠실",
    "판교",
    "수원",
    "동탄",
    "평택",
    "안양",
    "과천",
    "광명",
    "의정부",
    "부평",
    "서면",
    "해운대",
    "전포",
    "천안",
    "구미",
    "포항",
}


class _RoleWords(NamedTuple):
    field: tuple[str, ...]  # 백엔드, 서버, BE: "백엔드 쪽", "분야: 서버"
    person: tuple[str, ...]  # 백엔드 개발자, 서버 개발자: "… 개발자입니다"
    casual: tuple[str, ...]  # 백엔드, BE, 프론트: "3년차 백엔드예요"
    english: tuple[str, ...]  # Backend Engineer


# Words per role beyond the catalog's forms (which are all used: field forms as fields, the ones ending in
# 개발자/엔지니어 as persons).
_ROLE_EXTRA: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "backend": (
        ("백엔드 엔지니어",),
        ("백엔드", "BE", "서버 개발자"),
        ("Backend Engineer", "Backend Developer", "Server Engineer"),
    ),
    "frontend": (
        ("프론트 개발자", "FE 개발자"),
        ("프론트", "프론트엔드", "FE"),
        ("Frontend Engineer", "Frontend Developer"),
    ),
    "fullstack": ((), ("풀스택", "풀스택 개발자"), ("Full-stack Developer", "Fullstack Engineer")),
    "mobile": (("모바일 개발자",), ("앱 개발자", "모바일 개발자"), ("Mobile Developer", "App Developer")),
    "data": ((), ("데이터 엔지니어",), ("Data Engineer",)),
    "ml": (
        ("머신러닝 엔지니어",),
        ("ML 엔지니어", "AI 엔지니어"),
        ("ML Engineer", "Machine Learning Engineer", "AI Engineer"),
    ),
    "devops": (
        ("데브옵스 엔지니어", "인프라 엔지니어", "SRE"),
        ("데브옵스", "인프라 엔지니어", "SRE"),
        ("DevOps Engineer", "SRE", "Cloud Engineer"),
    ),
    "game": (
        ("게임 클라이언트 개발자",),
        ("게임 개발자", "게임 클라 개발자"),
        ("Game Developer", "Game Client Programmer"),
    ),
    "embedded": (
        ("임베디드 엔지니어",),
        ("임베디드 개발자", "펌웨어 개발자"),
        ("Embedded Software Engineer", "Firmware Engineer"),
    ),
    "qa": (
        ("테스트 자동화 엔지니어",),
        ("QA", "QA 엔지니어"),
        ("QA Engineer", "SDET", "Test Automation Engineer"),
    ),
}
_FAMILY_PERSON = {  # a mobile developer whose main stack is iOS / Android
    "ios": (("iOS 개발자",), ("iOS Developer", "iOS Engineer")),
    "android": (("안드로이드 개발자",), ("Android Developer", "Android Engineer")),
}


class _GoalWords(NamedTuple):
    find: tuple[str, ...]  # what one looks for: 사이드 프로젝트, 해커톤 팀, 정규직 자리
    find_new: tuple[str, ...]  # the same for someone without experience (no 이직)
    interest: tuple[str, ...]  # what one is interested in: 창업, 이직, 외주
    interest_new: tuple[str, ...]
    english: tuple[str, ...]
    tag: tuple[str, ...]  # a posting's header tag: [사이드 프로젝트]
    member: tuple[str, ...]  # a posting's member noun: 스터디원, 팀원, 공동창업자


_GOALS: dict[str, _GoalWords] = {
    "study": _GoalWords(
        ("스터디", "스터디 그룹", "공부 모임"),
        ("스터디", "스터디 그룹", "공부 모임"),
        ("스터디", "공부 모임", "스터디 그룹"),
        ("스터디", "공부 모임", "스터디 그룹"),
        ("study groups", "a study group"),
        ("스터디",),
        ("스터디원", "스터디 멤버"),
    ),
    "toy": _GoalWords(
        ("토이 프로젝트", "토이플젝", "가벼운 토이 프로젝트"),
        ("토이 프로젝트", "토이플젝", "가벼운 토이 프로젝트"),
        ("토이 프로젝트", "토이플젝"),
        ("토이 프로젝트", "토이플젝"),
        ("toy projects", "a toy project"),
        ("토이 프로젝트", "토이플젝"),
        ("토이 프로젝트 팀원", "토이플젝 멤버"),
    ),
    "side_project": _GoalWords(
        ("사이드 프로젝트", "사이드플젝", "사프", "사이드 프로젝트 팀"),
        ("사이드 프로젝트", "사이드플젝", "사프"),
        ("사이드 프로젝트", "사이드플젝", "사프"),
        ("사이드 프로젝트", "사이드플젝", "사프"),
        ("side projects", "a side project"),
        ("사이드 프로젝트", "사프", "사이드플젝"),
        ("사이드 프로젝트 팀원", "사프 멤버", "사이드플젝 팀원"),
    ),
    "startup": _GoalWords(
        ("초기 스타트업", "창업 팀", "초기 창업팀"),
        ("초기 스타트업", "창업 팀", "초기 창업팀"),
        ("창업", "초기 스타트업"),
        ("창업", "초기 스타트업"),
        ("early-stage startups", "an early-stage startup"),
        ("창업", "초기 스타트업", "창업 팀"),
        ("창업 멤버", "공동창업자", "창업 팀원"),
    ),
    "job": _GoalWords(
        ("정규직 자리", "이직할 곳", "정규직 포지션"),
        ("정규직 자리", "정규직 포지션"),
        ("정규직", "이직"),
        ("정규직", "신입 채용"),
        ("full-time roles", "a full-time role"),
        ("채용", "정규직", "정규직 채용"),
        ("정규직 직원", "정규직 개발자"),
    ),
    "freelance": _GoalWords(
        ("외주", "외주 일", "프리랜서 일", "계약직 자리"),
        ("외주", "외주 일", "프리랜서 일"),
        ("외주", "프리랜서", "계약직"),
        ("외주", "프리랜서"),
        ("freelance work", "a freelance project"),
        ("외주", "프리랜서", "계약직"),
        ("외주 개발자", "프리랜서 개발자"),
    ),
    "hackathon": _GoalWords(
        ("해커톤 팀", "공모전 팀", "해커톤 나갈 팀"),
        ("해커톤 팀", "공모전 팀", "해커톤 나갈 팀"),
        ("해커톤", "공모전"),
        ("해커톤", "공모전"),
        ("hackathons", "a hackathon team"),
        ("해커톤", "공모전"),
        ("해커톤 팀원", "공모전 팀원"),
    ),
}
_WORK_GOALS = {"job", "freelance", "startup"}  # postings about work: 출근, 근무; the others meet: 모임, 진행

# Non-CS majors (all end in a consonant: "경영학인데", "디자인이지만").
_MAJORS = (
    "경영학",
    "경제학",
    "국문학",
    "영문학",
    "기계공학",
    "심리학",
    "화학",
    "행정학",
    "디자인",
    "산업공학",
)

_SHORT = {pair.split("/")[0]: pair for pair in PARTICLES}  # "을" -> "을/를"


class _Place(NamedTuple):
    forms: tuple[str, ...]
    landmarks: tuple[str, ...]
    combos: tuple[str, ...]  # 부산 해운대
    areas: tuple[str, ...]  # area words for color next to the place; () where the area is this place only


class Phrases:
    """Surface forms from the catalog plus the grammar that joins them."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.grammar = Grammar({**catalog.readings, **_ALIAS_READINGS})
        self.family_of = {s.name: s.family for s in catalog.stacks}
        family_role = {f.name: f.role for f in catalog.families}
        self.stack_role = {s.name: family_role[s.family] for s in catalog.stacks}
        # The canonical name three times: people write "Django" more often than any one alias.
        self.stack_forms = {
            s.name: (s.name, s.name, s.name, *(a for a in s.aliases if a not in _NOT_WRITTEN))
            for s in catalog.stacks
        }
        per_area = {a.name: sum(loc.area == a.name for loc in catalog.locations) for a in catalog.areas}
        # Area words that name no location themselves (수도권, 부울경; not 대구·경북).
        place_words = [w for loc in catalog.locations for w in (*loc.forms, *loc.landmarks)]
        area_forms = {
            a.name: tuple(f for f in a.forms if not any(w in f for w in place_words)) for a in catalog.areas
        }
        self.places = {
            loc.name: _Place(
                loc.forms,
                loc.landmarks,
                tuple(
                    f"{loc.forms[0]} {lm}"
                    for lm in loc.landmarks
                    if " " not in loc.name and loc.forms[0] not in lm and not lm.endswith(("시", "청사"))
                ),
                area_forms.get(loc.area, ()) if per_area.get(loc.area, 0) > 1 else (),
            )
            for loc in catalog.locations
        }
        self.roles: dict[str, _RoleWords] = {}
        for r in catalog.roles:
            person = tuple(f for f in r.forms if f.endswith(("개발자", "엔지니어")))
            field = tuple(f for f in r.forms if f not in person) or (r.forms[0],)
            extra_person, casual, english = _ROLE_EXTRA.get(r.name, ((), field, (field[0],)))
            person = (*person, *extra_person) or tuple(f"{f} 개발자" for f in field)
            self.roles[r.name] = _RoleWords(field, person, casual, english)
        self.goals = {
            g.name: _GOALS.get(g.name)
            or _GoalWords(g.forms, g.forms, g.forms, g.forms, g.forms, g.forms, g.forms)
            for g in catalog.goals
        }
        self._years: dict[tuple[int, str], Var] = {}
        self._req: dict[tuple[int, int, str], Var] = {}

    def role(self, name: str) -> _RoleWords:
        return self.roles.get(name) or _RoleWords(("개발",), ("개발자",), ("개발자",), ("Software Engineer",))

    def years(self, n: int, kind: str) -> Var:
        """A profile's years (``kind``: adj 3년 차, val 경력 3년, en 3 yrs) with the number filled in."""
        key = (n, kind)
        var = self._years.get(key)
        if var is None:
            table = {"adj": _P_YEARS_ADJ, "val": _P_YEARS_VAL, "en": _P_YEARS_EN}[kind]
            var = self._years[key] = _years_var(table, n)
        return var

    def requirement(self, lo: int, hi: int, kind: str) -> Var:
        """A posting's experience requirement (``kind``: f, p, c, val, en) with the numbers filled in."""
        key = (lo, hi, kind)
        var = self._req.get(key)
        if var is None:
            var = self._req[key] = _req_var(lo, hi, kind)
        return var


# --- years ---------------------------------------------------------------------------------------------

# Profile years before a role noun (n >= 1): "3년 차 백엔드 개발자".
_P_YEARS_ADJ = _table("P_YEARS_ADJ")
# Profile years as a value ("경력: 3년", "| 3년차 |").
_P_YEARS_VAL = _table("P_YEARS_VAL")
_P_YEARS_EN = _table("P_YEARS_EN")


def _level(n: int) -> str:
    return "zero" if n == 0 else "junior" if n <= 3 else "mid" if n <= 7 else "senior"


def _years_var(table: dict[str, Var], n: int) -> Var:
    if n == 0:
        return table.get("zero") or Var(("신입",), 1, "p.years.zero")
    parts = [table["one"] if n == 1 and "one" in table else table["any"]]
    if _level(n) in table:
        parts.append(table[_level(n)])
    seen = [t.format(n=n) for p in parts for t in p.seen]
    held = [t.format(n=n) for p in parts for t in p.held]
    return Var((*seen, *held), len(seen), parts[0].kind)


# A posting's requirement, per shape of (min, max): A 경력 무관, B 신입~m, C n 이상, D n~m, E n 차, Z 신입만.
_J_REQ = _table("J_REQ")
_J_REQ_LEVEL = _table("J_REQ_LEVEL")


def _req_shape(lo: int, hi: int) -> str:
    if hi < 0:
        return "A" if lo == 0 else "C"
    if lo == 0:
        return "Z" if hi == 0 else "B"
    return "E" if lo == hi else "D"


def _req_var(lo: int, hi: int, kind: str) -> Var:
    shape = _req_shape(lo, hi)
    parts = [_J_REQ[shape, kind]]
    if kind == "val":
        if shape == "B" and hi <= 3:
            parts.append(_J_REQ_LEVEL["junior0"])
        elif shape == "D" and hi <= 3:
            parts.append(_J_REQ_LEVEL["junior"])
        elif shape == "D" and 4 <= lo and hi <= 7:
            parts.append(_J_REQ_LEVEL["mid"])
        elif shape == "C" and lo >= 8:
            parts.append(_J_REQ_LEVEL["senior"])
    seen = [t.format(n=lo, m=hi) for p in parts for t in p.seen]
    held = [t.format(n=lo, m=hi) for p in parts for t in p.held]
    return Var((*seen, *held), len(seen), parts[0].kind)


# --- the lazily filled slots ---------------------------------------------------------------------------


class _Ctx(dict):
    """Slot values of one text, drawn when a template first asks for them; ``x_을`` adds a particle."""

    __slots__ = ("a", "make", "ph", "pick", "tails")

    def __init__(self, a: tuple, pick: Picker, ph: Phrases, make: dict[str, Callable[[_Ctx], str]]) -> None:
        self.a = a
        self.pick = pick
        self.ph = ph
        self.make = make
        self.tails: dict[str, str] = {}  # slot -> the word whose sound decides its particle (a list's last)

    def __missing__(self, key: str) -> str:
        make = self.make.get(key)
        if make is not None:
            value = make(self)
        else:
            base, _, short = key.rpartition("_")
            word = self[base]
            value = word + self.ph.grammar.particle(self.tails.get(base, word), _SHORT[short])
        self[key] = value
        return value

    def fill(self, template: str) -> str:
        return template.format_map(self)

    def say(self, var: Var) -> str:
        return self.pick.v(var).format_map(self)


def _surfaces(c: _Ctx, stacks: Sequence[str]) -> list[str]:
    forms = c.ph.stack_forms
    pick = c.pick
    return [pick(forms[s]) for s in stacks]


def _written(c: _Ctx, items: list[str], slot: str) -> str:
    c.tails[slot] = items[-1]
    if len(items) == 1:
        return items[0]
    return c.pick((", ", ", ", "/", ", ")).join(items)


def _spoken(c: _Ctx, items: list[str], slot: str) -> str:
    c.tails[slot] = items[-1]
    if len(items) > 1 and c.pick.chance(0.2):  # A랑 B: casual; A, B: written
        return c.ph.grammar.attach(items[0], "이랑/랑") + " " + ", ".join(items[1:])
    return c.ph.grammar.join_and(items)


def _or_list(c: _Ctx, items: list[str], slot: str) -> str:
    """A나 B: alternatives (goals)."""
    c.tails[slot] = items[-1]
    if len(items) == 1:
        return items[0]
    g = c.ph.grammar
    return ", ".join([*items[:-2], g.attach(items[-2], "이나/나")]) + " " + items[-1]


def _stack_list(c: _Ctx) -> list[str]:
    sf = c.get("\0sf")
    if sf is None:
        sf = c["\0sf"] = _surfaces(c, c.a.stacks)  # type: ignore[assignment]
    return sf  # type: ignore[return-value]


def _place_parts(c: _Ctx) -> tuple[str, bool]:
    """The place named in this text and whether it is a landmark (drawn once per text)."""
    got = c.get("\0pl")
    if got is None:
        p = c.ph.places[c.a.location]
        r = c.pick.bits() % 100
        if p.landmarks and r < 50:
            got = (c.pick(p.landmarks), True)
        elif p.combos and r >= 90:
            got = (c.pick(p.combos), True)
        else:
            got = (c.pick(p.forms), False)
        c["\0pl"] = got  # type: ignore[assignment]
    return got  # type: ignore[return-value]


def _s_place(c: _Ctx) -> str:
    return _place_parts(c)[0]


def _s_near(c: _Ctx) -> str:
    place, landmark = _place_parts(c)
    if landmark:
        last = place.split()[-1]
        if last in _STATIONS and c.pick.chance(0.3):
            return f"{place}역 근처"
        return place + c.pick((" 근처", " 쪽", " 근처", ""))
    if place.endswith("쪽"):  # 경기 남쪽
        return place
    return place + c.pick((" 쪽", ""))


def _s_area(c: _Ctx) -> str:
    return c.pick(c.ph.places[c.a.location].areas)


def _s_rf(c: _Ctx) -> str:
    return c.pick(c.ph.role(c.a.role).field)


def _s_rp(c: _Ctx) -> str:
    words = c.ph.role(c.a.role).person
    fam = _FAMILY_PERSON.get(c.ph.family_of.get(c.a.stacks[0], ""))
    if fam and c.a.role == "mobile" and c.pick.chance(0.5):
        words = fam[0]
    return c.pick(words)


def _s_rc(c: _Ctx) -> str:
    return c.pick(c.ph.role(c.a.role).casual)


def _s_re(c: _Ctx) -> str:
    words = c.ph.role(c.a.role).english
    fam = _FAMILY_PERSON.get(c.ph.family_of.get(c.a.stacks[0], ""))
    if fam and c.a.role == "mobile" and c.pick.chance(0.5):
        words = fam[1]
    return c.pick(words)


def _s_dev(c: _Ctx) -> str:
    """A developer named by the main stack when it is a language/framework of the role (React 개발자)."""
    main = c.a.stacks[0]
    if main in _DEV_TITLE and c.ph.stack_role.get(main) == c.a.role and c.pick.chance(0.6):
        return _stack_list(c)[0] + " 개발자"
    return c["rp"]


def _s_st(c: _Ctx) -> str:
    return _written(c, _stack_list(c), "st")


def _s_sa(c: _Ctx) -> str:
    return _spoken(c, _stack_list(c), "sa")


def _s_main(c: _Ctx) -> str:
    return _stack_list(c)[0]


def _s_rest(c: _Ctx) -> str:
    return _spoken(c, _stack_list(c)[1:], "rest")


def _s_tags(c: _Ctx) -> str:
    return " ".join("#" + s.replace(" ", "") for s in _stack_list(c))


def _s_topic(c: _Ctx) -> str:
    return c.pick.v(_X_TOPICS)


def _s_hours(c: _Ctx) -> str:
    return c.pick(("5", "6", "8", "10", "10", "12", "15"))


def _s_major(c: _Ctx) -> str:
    return c.pick(_MAJORS)


# profile slots


def _p_n(c: _Ctx) -> str:
    return str(c.a.years)


def _p_yrs(c: _Ctx) -> str:
    n = c.a.years
    pick = c.pick
    if n <= 2 and pick.chance(0.1):
        return f"{12 * n + pick.bits() % 12}개월 차"
    if 3 <= n <= 9 and pick.unseen and pick.chance(0.03):  # read badly; a held-out rarity
        pick.held = True
        return f"{sino_number(n)} 년 차"
    return pick.v(c.ph.years(n, "adj"))


def _p_yv(c: _Ctx) -> str:
    n = c.a.years
    pick = c.pick
    if n <= 2 and pick.chance(0.1):
        return f"{12 * n + 2 + pick.bits() % 9}개월" if n == 0 else f"{12 * n + pick.bits() % 12}개월"
    return pick.v(c.ph.years(n, "val"))


def _p_ye(c: _Ctx) -> str:
    return c.pick.v(c.ph.years(c.a.years, "en"))


def _p_mo(c: _Ctx) -> str:
    return str(3 + c.pick.bits() % 9)


def _p_no(c: _Ctx) -> str:
    return _spoken(c, _surfaces(c, c.a.not_stacks), "no")


def _p_nol(c: _Ctx) -> str:
    return _written(c, _surfaces(c, c.a.not_stacks), "nol")


def _goal_nouns(c: _Ctx, field: str) -> list[str]:
    new = c.a.years == 0
    out = []
    for g in c.a.goals:
        words = c.ph.goals[g]
        out.append(c.pick(getattr(words, field + "_new" if new else field)))
    return out


def _p_goal(c: _Ctx) -> str:
    return _or_list(c, _goal_nouns(c, "find"), "goal")


def _p_gint(c: _Ctx) -> str:
    return _or_list(c, _goal_nouns(c, "interest"), "gint")


def _p_gl(c: _Ctx) -> str:
    return _written(c, _goal_nouns(c, "interest"), "gl")


def _p_ge(c: _Ctx) -> str:
    words = [c.ph.goals[g].english[0] for g in c.a.goals]
    return (", " if len(words) > 2 else c.pick((", ", " & ", " / "))).join(words)


def _p_gtags(c: _Ctx) -> str:
    return " ".join("#" + w.replace(" ", "") for w in _goal_nouns(c, "interest"))


_PROFILE_SLOTS: dict[str, Callable[[_Ctx], str]] = {
    "n": _p_n,
    "yrs": _p_yrs,
    "yv": _p_yv,
    "ye": _p_ye,
    "mo": _p_mo,
    "place": _s_place,
    "near": _s_near,
    "area": _s_area,
    "rf": _s_rf,
    "rp": _s_rp,
    "rc": _s_rc,
    "re": _s_re,
    "dev": _s_dev,
    "st": _s_st,
    "sa": _s_sa,
    "main": _s_main,
    "rest": _s_rest,
    "tags": _s_tags,
    "no": _p_no,
    "nol": _p_nol,
    "goal": _p_goal,
    "gint": _p_gint,
    "gl": _p_gl,
    "ge": _p_ge,
    "gtags": _p_gtags,
    "topic": _s_topic,
    "h": _s_hours,
    "major": _s_major,
}


# --- shared detail -------------------------------------------------------------------------------------

_X_TOPICS = _table("X_TOPICS")

# Sentence endings per speech level; a template ending in one of _NO_END gets none.
_END = {
    "f": (".", ".", ".", ".", ".", ".", ".", "!"),
    "p": (".", ".", "!", "~", ".", "!", " :)", "ㅎㅎ"),
    "c": ("", ".", "", " ㅎㅎ", "!", "", "."),
}
_NO_END = set("?!)~.") | {"ㅠ", "ㅎ", "ㅋ"}


def _emoji(ch: str) -> bool:
    o = ord(ch)
    return 0x2600 <= o < 0x2800 or o >= 0x1F000


_EMOJI = ("🙌", "🔥", "😊", "🙏", "👍", "✨", "😄")


def _sentence(c: _Ctx, var: Var, lv: str) -> str:
    template, r = c.pick.vr(var)
    text = template.format_map(c)
    last = text[-1]
    if last in _NO_END or _emoji(last):
        return text
    ends = _END[lv]
    return text + ends[r % len(ends)]


def _sentence_of(c: _Ctx, template: str, lv: str) -> str:
    text = template.format_map(c)
    last = text[-1]
    if last in _NO_END or _emoji(last):
        return text
    return text + c.pick(_END[lv])


def _joined(c: _Ctx, parts: list[str], lv: str) -> str:
    """Sentences on one line or several; 음슴체 without final dots reads better line by line."""
    if c.pick.chance(0.22):
        return "\n".join(p.rstrip(".") if lv == "c" else p for p in parts)
    out = []
    for p in parts:
        last = p[-1]
        if (last == ")" and not p.endswith(":)")) or (lv == "c" and last not in _NO_END and not _emoji(last)):
            p += "."  # "(주 3일 출근) 필수: …" would read as one phrase
        out.append(p)
    return " ".join(out)


# --- profile clauses -----------------------------------------------------------------------------------

_P_GREET = _table("P_GREET")

# Who: role and years (exp = years >= 1; new = 0), optionally with the place ("at").
_P_ID = _table("P_ID")
# More about a newcomer (years 0), optional.
_P_NEW = _table("P_NEW")
_P_BOOTCAMP = _table("P_BOOTCAMP")

# Stacks: any count / two or more (main + rest) / with experience / without.
_P_STACK = _table("P_STACK")
_P_NO = _table("P_NO")
_P_PLACE = _table("P_PLACE")
_P_MODE = _table("P_MODE")
_P_BG = _table("P_BG")
_P_BG_NEW_CS = _table("P_BG_NEW_CS")
_P_GOAL = _table("P_GOAL")
# One goal, said the way that goal is said (p, f); exp = said only with experience.
_P_GOAL_ONE = _table("P_GOAL_ONE")
_P_EXTRA = _table("P_EXTRA")
_P_BYE = _table("P_BYE")
_P_ASK = _table("P_ASK")


def _p_identity(c: _Ctx, lv: str, at: bool) -> str:
    if (
        not c.a.years and not at and "job" in c.a.goals and c.pick.chance(0.35)
    ):  # 취준생 says it looks for a job
        return _sentence(c, _P_ID[lv, "jobseek"], lv)
    key = ("exp" if c.a.years else "new") + ("_at" if at else "")
    return _sentence(c, _P_ID[lv, key], lv)


def _p_stack(c: _Ctx, lv: str) -> str:
    a = c.a
    r = c.pick.bits() % 10
    if r < 3 and len(a.stacks) > 1:
        var = _P_STACK[lv, "multi"]
    elif r >= 8:
        var = _P_STACK[lv, "exp" if a.years else "new"]
    else:
        var = _P_STACK[lv, "any"]
    return _sentence(c, var, lv)


def _p_place_mode(c: _Ctx, lv: str, place: bool) -> list[str]:
    """The place (when ``place`` and the text names one) and the work mode, together or apart."""
    a = c.a
    mode = a.work_mode
    out = []
    if place and mode != "remote" and c.pick.chance(0.35):
        return [_sentence(c, _P_MODE[lv, mode + "_at"], lv)]
    if place:
        r = c.pick.bits() % 10
        if r < 2 and a.years:
            out.append(_sentence(c, _P_PLACE[lv, "exp"], lv))
        elif r == 9 and mode != "remote" and c.ph.places[a.location].areas:
            out.append(_sentence(c, _P_PLACE[lv, "area"], lv))
        else:
            out.append(_sentence(c, _P_PLACE[lv, "any"], lv))
    if mode == "remote" and not a.location and c.pick.chance(0.4):
        out.append(_sentence(c, _P_MODE[lv, "nowhere"], lv))
    else:
        out.append(_sentence(c, _P_MODE[lv, mode], lv))
    return out


def _p_background(c: _Ctx, lv: str) -> str:
    a = c.a
    if a.background == "cs" and a.years == 0 and c.pick.chance(0.3):
        return _sentence(c, _P_BG_NEW_CS[lv], lv)
    return _sentence(c, _P_BG[lv, a.background], lv)


def _p_goal_sentence(c: _Ctx, lv: str) -> str:
    a = c.a
    if len(a.goals) == 1 and lv != "c" and c.pick.chance(0.45):
        goal = a.goals[0]
        var = None
        if a.years == 0:
            var = _P_GOAL_ONE.get((goal, lv + "0"))
        var = var or _P_GOAL_ONE.get((goal, lv))
        if var is not None:
            return _sentence(c, var, lv)
    return _sentence(c, _P_GOAL[lv], lv)


def _p_extras(c: _Ctx, lv: str, most: int) -> list[str]:
    k = c.pick((0, 0, 1, 1, 1, 2))
    out = []
    used = set()
    for _ in range(min(k, most)):
        exp = c.a.years > 0 and c.pick.chance(0.2)
        template = c.pick.v(_P_EXTRA[lv, "exp" if exp else "any"])
        if template not in used:
            used.add(template)
            out.append(_sentence_of(c, template, lv))
    return out


def _p_facts(c: _Ctx, lv: str, place: bool, extras: int) -> list[str]:
    """Every attribute but who (role, years) as sentences at speech level ``lv``, in a random order."""
    a = c.a
    body = [_p_stack(c, lv)]
    if a.not_stacks:
        body.append(_sentence(c, _P_NO[lv], lv))
    body += _p_place_mode(c, lv, place)
    if a.background != "unknown":
        body.append(_p_background(c, lv))
    if a.goals:
        body.append(_p_goal_sentence(c, lv))
    if a.years == 0 and c.pick.chance(0.3):
        if a.background != "cs" and c.pick.chance(0.5):
            body.append(_sentence(c, _P_BOOTCAMP[lv], lv))
        else:
            body.append(_sentence(c, _P_NEW[lv], lv))
    body += _p_extras(c, lv, extras)
    return c.pick.order(body)


def _profile_intro(c: _Ctx) -> str:
    """합니다체 self-introduction: greeting, who, the rest in any order, sign-off."""
    pick = c.pick
    parts = []
    if pick.chance(0.75):
        parts.append(pick.v(_P_GREET["f"]))
    at = bool(c.a.location) and pick.chance(0.4)
    parts.append(_p_identity(c, "f", at))
    parts += _p_facts(c, "f", bool(c.a.location) and not at, 2)
    if pick.chance(0.5):
        parts.append(pick.v(_P_BYE["f"]))
    return _joined(c, parts, "f")


def _profile_chat(c: _Ctx) -> str:
    """A casual message (해요체 or 음슴체), emoji and a question sometimes."""
    pick = c.pick
    lv = "p" if pick.chance(0.65) else "c"
    parts = []
    if pick.chance(0.4):
        parts.append(pick.v(_P_GREET[lv]))
    at = bool(c.a.location) and pick.chance(0.5)
    parts.append(_p_identity(c, lv, at))
    parts += _p_facts(c, lv, bool(c.a.location) and not at, 1)
    if pick.chance(0.4):
        parts.append(pick.v(_P_ASK) if lv == "p" else pick.v(_P_BYE["c"]))
    text = _joined(c, parts, lv)
    if pick.chance(0.25) and not _emoji(text[-1]):
        text += " " + pick(_EMOJI)
    return text


def _profile_reply(c: _Ctx) -> str:
    """Held out: a comment answering a recruitment post."""
    pick = c.pick
    parts = [pick.v(_P_REPLY_OPEN)]
    at = bool(c.a.location) and pick.chance(0.5)
    parts.append(_p_identity(c, "p", at))
    parts += _p_facts(c, "p", bool(c.a.location) and not at, 1)
    parts.append(pick.v(_P_REPLY_CLOSE))
    return _joined(c, parts, "p")


_P_REPLY_OPEN = _table("P_REPLY_OPEN")
_P_REPLY_CLOSE = _table("P_REPLY_CLOSE")

_X_BULLETS = _var("x.bullet", ("- ", "- ", "· ", "• ", "▶ ", "* "), ("→ ",))
_X_KV_SEP = _var("x.kvsep", (": ", ": ", " : ", "\uff1a"))
_P_BOARD_HEAD = _table("P_BOARD_HEAD")
_P_BOARD_TAIL_GOAL = _table("P_BOARD_TAIL_GOAL")
_P_BOARD_TAIL = _table("P_BOARD_TAIL")
_P_BOARD_CAT = _table("P_BOARD_CAT")
_P_KEYS = _table("P_KEYS")


def _kv(c: _Ctx, bullet: str, sep: str, key: Var, value: str) -> str:
    return bullet + c.pick.v(key) + sep + value


def _profile_board(c: _Ctx) -> str:
    """A board post: a [지역] header, then ``- 키: 값`` lines."""
    a = c.a
    pick = c.pick
    if a.location:
        place, landmark = _place_parts(c)
        forms = c.ph.places[a.location].forms
        tag = f"{forms[0]}/{place}" if landmark and forms[0] not in place and pick.chance(0.5) else place
    elif a.work_mode == "remote":
        tag = pick(("온라인", "원격", "지역무관"))
    else:
        tag = ""
    with_goal = bool(a.goals) and pick.chance(0.6)
    if a.years == 0:
        c["yv"] = "신입"
    c["tail"] = c.say(_P_BOARD_TAIL_GOAL if with_goal else _P_BOARD_TAIL)
    if not tag:  # a category instead of a place, not the word of the title: [자기소개] 프로필 올려요
        held = pick.held
        tag = pick.v(_P_BOARD_CAT)
        if tag in c["tail"] or tag[:2] in c["tail"]:
            tag = "프로필" if "프로필" not in c["tail"] else "자기소개"
            pick.held = held  # the drawn category is not used
    c["tag"] = tag
    head = c.say(_P_BOARD_HEAD)
    bullet = pick.v(_X_BULLETS)
    sep = pick.v(_X_KV_SEP)
    lines = [_kv(c, bullet, sep, _P_KEYS["stack"], c["st"])]
    if pick.chance(0.3):  # the header's years again, as a line
        key = pick.v(_P_KEYS["years"])
        years = c["yv"][3:] if c["yv"].startswith("경력 ") and "경력" in key else c["yv"]
        lines.append(bullet + key + sep + years)
    if a.not_stacks:
        lines.append(_kv(c, bullet, sep, _P_NO["key"], c["nol"]))
    if a.location and (tag != c["place"] or pick.chance(0.3)):
        lines.append(_kv(c, bullet, sep, _P_PLACE["key", "any"], c.say(_P_PLACE["val", "any"])))
    lines.append(_kv(c, bullet, sep, _P_MODE["key", "any"], c.say(_P_MODE["val", a.work_mode])))
    if a.background != "unknown":
        lines.append(_kv(c, bullet, sep, _P_BG["key", "any"], c.say(_P_BG["val", a.background])))
    if a.goals and (not with_goal or len(a.goals) > 1 or pick.chance(0.3)):
        lines.append(_kv(c, bullet, sep, _P_GOAL["key"], c["gl"]))
    if pick.chance(0.4):
        lines.append(bullet + c.say(_P_EXTRA["kv", "any"]))
    lines = pick.order(lines)
    if pick.chance(0.4):
        lines.append(pick.v(_P_BYE["p" if pick.chance(0.6) else "f"]))
    return head + "\n" + "\n".join(lines)


_P_RESUME_TITLE = _table("P_RESUME_TITLE")
_P_RESUME_TITLE0 = _table("P_RESUME_TITLE0")
_P_RESUME_STACK = _table("P_RESUME_STACK")
_P_RESUME_PLACE = _table("P_RESUME_PLACE")
_P_RESUME_GOAL = _table("P_RESUME_GOAL")
_P_RESUME_PREFIX = _var(
    "p.resume.prefix", ("", "", "", "[프로필] ", "요약) ", "이력 요약: "), ("한 줄 소개: ",)
)
_X_FIELD_SEP = _var("x.fieldsep", (" / ", " | ", " · ", " / "), (" ▸ ",))


def _profile_resume(c: _Ctx) -> str:
    """A job-site line: fields joined by / or |."""
    a = c.a
    pick = c.pick
    title = c.say(_P_RESUME_TITLE if a.years else _P_RESUME_TITLE0)
    fields = [c.say(_P_RESUME_STACK)]
    if a.location:
        fields.append(c.say(_P_RESUME_PLACE))
    fields.append(c.say(_P_MODE["val", a.work_mode]))
    if a.background != "unknown":
        fields.append(c.say(_P_BG["val", a.background]))
    if a.goals:
        fields.append(c.say(_P_RESUME_GOAL))
    if a.not_stacks:
        fields.append(c.say(_P_NO["field"]))
    sep = pick.v(_X_FIELD_SEP)
    return pick.v(_P_RESUME_PREFIX) + sep.join([title, *pick.order(fields)])


_P_LI_TITLE = _table("P_LI_TITLE")
_P_LI_TITLE_NOWHERE = _table("P_LI_TITLE_NOWHERE")
_P_LI_STACK = _table("P_LI_STACK")
_P_LI_NO = _table("P_LI_NO")


def _profile_linkedin(c: _Ctx) -> str:
    """A LinkedIn-style headline, English mixed in."""
    a = c.a
    pick = c.pick
    level = _level(a.years)
    if level in ("junior", "senior") and pick.chance(0.3):
        c["re"] = ("Junior " if level == "junior" else "Senior ") + c["re"]
    tpl = pick.v(_P_LI_TITLE if a.location else _P_LI_TITLE_NOWHERE)
    title = c.fill(tpl)
    fields = []
    if "{ye}" not in tpl:
        fields.append(c["ye"])
    fields.append(c.say(_P_LI_STACK))
    rest = []
    if a.location and "{place}" not in tpl:
        rest.append("📍" + c["place"])
    rest.append(c.say(_P_MODE["en", a.work_mode]))
    if a.background != "unknown":
        rest.append(c.say(_P_BG["en", a.background]))
    if a.goals:
        rest.append(c.say(_P_GOAL["en"]))
    if a.not_stacks:
        rest.append(c.say(_P_LI_NO))
    fields += pick.order(rest)
    if pick.chance(0.35):
        return title + "\n" + "\n".join(fields)
    return " | ".join([title, *fields])


_P_TAGS_LEAD = _table("P_TAGS_LEAD")
_P_TAGS_LEAD0 = _table("P_TAGS_LEAD0")
_P_TAGS_YEARS = _table("P_TAGS_YEARS")
_P_TAGS_YEARS0 = _table("P_TAGS_YEARS0")


def _profile_tags(c: _Ctx) -> str:
    """A short line and hashtags; what a tag cannot say (not used, …) goes in words."""
    a = c.a
    pick = c.pick
    tpl = pick.v(_P_TAGS_LEAD if a.years else _P_TAGS_LEAD0)
    lead = c.fill(tpl)
    tags = ["#" + c.say(_P_TAGS_YEARS if a.years else _P_TAGS_YEARS0), c["tags"]]
    if "{rc}" not in tpl and "{rf}" not in tpl:
        tags.append("#" + c["rf"].replace(" ", ""))
    if a.location:
        tags.append("#" + c["place"].replace(" ", ""))
    tags.append("#" + c.say(_P_MODE["tag", a.work_mode]))
    if a.background != "unknown":
        tags.append("#" + c.say(_P_BG["tag", a.background]))
    if a.goals:
        tags.append(c["gtags"])
    out = lead + pick(("\n", " ", "\n")) + " ".join(pick.order(tags))
    if a.not_stacks:
        note = _sentence(c, _P_NO["p" if pick.chance(0.6) else "c"], "p")
        out = out + pick(("\n", " ")) + (f"({note})" if pick.chance(0.4) else note)
    return out


_P_REGISTERS = _table("P_REGISTERS")
_PROFILE_RENDER: dict[str, Callable[[_Ctx], str]] = {
    "intro": _profile_intro,
    "board": _profile_board,
    "resume": _profile_resume,
    "chat": _profile_chat,
    "linkedin": _profile_linkedin,
    "tags": _profile_tags,
    "reply": _profile_reply,
}


# --- posting slots -------------------------------------------------------------------------------------


def _j_n(c: _Ctx) -> str:
    return str(c.a.min_years)


def _j_m(c: _Ctx) -> str:
    return str(c.a.max_years)


def _j_req(c: _Ctx) -> str:
    return c.pick.v(c.ph.requirement(c.a.min_years, c.a.max_years, "val"))


def _j_reqe(c: _Ctx) -> str:
    return c.pick.v(c.ph.requirement(c.a.min_years, c.a.max_years, "en"))


def _pref_list(c: _Ctx) -> list[str]:
    pf = c.get("\0pf")
    if pf is None:
        pf = c["\0pf"] = _surfaces(c, c.a.preferred)  # type: ignore[assignment]
    return pf  # type: ignore[return-value]


def _j_pl(c: _Ctx) -> str:
    return _written(c, _pref_list(c), "pl")


def _j_pa(c: _Ctx) -> str:
    return _spoken(c, _pref_list(c), "pa")


def _j_gtag(c: _Ctx) -> str:
    return c.pick(c.ph.goals[c.a.goal].tag)


def _j_member(c: _Ctx) -> str:
    return c.pick(c.ph.goals[c.a.goal].member)


def _j_ge(c: _Ctx) -> str:
    return c.ph.goals[c.a.goal].english[-1]


def _s_are(c: _Ctx) -> str:
    """The English role with its article: an ML Engineer, a Backend Engineer."""
    re_ = c["re"]
    vowel = re_[0] in "AEIOU" or re_.startswith(("ML", "SRE", "SDET", "iOS"))
    return ("an " if vowel else "a ") + re_


def _j_subj(c: _Ctx) -> str:
    if c.pick.chance(0.3):
        return _stack_list(c)[0]
    return c.pick.v(_J_SUBJECTS)


def _j_sched(c: _Ctx) -> str:
    return c.pick.v(_J_SCHED_WORK if c.a.goal in ("job", "freelance") else _J_SCHED)


def _j_pay(c: _Ctx) -> str:
    a = c.a
    if a.goal == "job":
        lo = (3500, 4000, 5000, 6500, 8000)[min(4, (a.min_years + 1) // 2)]
        hi = lo + c.pick((1500, 2000, 2500))
        return c.pick(
            (f"연봉 {lo:,}~{hi:,}", f"연봉 {lo:,}~{hi:,}만 원 (협의)", "연봉은 경력에 따라 협의", "연봉 협의")
        )
    return c.pick.v(_J_PAY.get(a.goal, _J_PAY["side_project"]))


def _j_team(c: _Ctx) -> str:
    members = [m for m, role in _TEAM_MEMBERS if role != c.a.role]
    k = 1 + c.pick.bits() % 3
    return ", ".join(f"{m} {1 + c.pick.bits() % 2}" for m in c.pick.order(members)[:k])


_TEAM_MEMBERS = (
    ("기획", ""),
    ("디자이너", ""),
    ("PM", ""),
    ("FE", "frontend"),
    ("BE", "backend"),
    ("마케터", ""),
    ("앱", "mobile"),
)

_POSTING_SLOTS: dict[str, Callable[[_Ctx], str]] = {
    "n": _j_n,
    "m": _j_m,
    "req": _j_req,
    "reqe": _j_reqe,
    "place": _s_place,
    "near": _s_near,
    "rf": _s_rf,
    "rp": _s_rp,
    "rc": _s_rc,
    "re": _s_re,
    "dev": _s_dev,
    "st": _s_st,
    "sa": _s_sa,
    "main": _s_main,
    "tags": _s_tags,
    "pl": _j_pl,
    "pa": _j_pa,
    "gtag": _j_gtag,
    "member": _j_member,
    "ge": _j_ge,
    "are": _s_are,
    "topic": _s_topic,
    "subj": _j_subj,
    "sched": _j_sched,
    "pay": _j_pay,
    "team": _j_team,
}

_J_SUBJECTS = _table("J_SUBJECTS")
_J_SCHED = _table("J_SCHED")
_J_SCHED_WORK = _table("J_SCHED_WORK")
_J_PAY = _table("J_PAY")


# --- posting clauses -----------------------------------------------------------------------------------

_J_STACK = _table("J_STACK")
_J_PREF = _table("J_PREF")
_J_REQ_KEY = _table("J_REQ_KEY")
_J_MODE = _table("J_MODE")
_J_PLACE = _table("J_PLACE")
_J_CS = _table("J_CS")
# The recruiting line (who for what), per goal; f and p.
_J_WANT = _table("J_WANT")
_J_WANT_ANY = _table("J_WANT_ANY")
_J_EXTRA = _table("J_EXTRA")
_J_BYE = _table("J_BYE")
_J_BOARD_HEAD = _table("J_BOARD_HEAD")
_J_BOARD_HEAD_WORK = _table("J_BOARD_HEAD_WORK")


def _cls(a: PostingAttrs) -> str:
    return "work" if a.goal in _WORK_GOALS else "club"


def _j_mode_place(c: _Ctx, lv: str, place: bool = True) -> list[str]:
    """The work mode, and the place when the mode sentence does not name it (unless ``place`` is off:
    the text named it already)."""
    a = c.a
    cls = _cls(a)
    mode = a.work_mode
    if mode == "online":
        if not a.location:
            if c.pick.chance(0.5):
                return [_sentence(c, _J_MODE[lv, "nowhere", "any"], lv)]
            return [_sentence(c, _J_MODE[lv, "online", cls], lv)]
        if place and c.pick.chance(0.4):
            return [_sentence(c, _J_MODE[lv, "online_at", cls], lv)]
    tpl = c.pick.v(_J_MODE[lv, mode, cls])
    out = [_sentence_of(c, tpl, lv)]
    if place and a.location and "{near" not in tpl and "{place" not in tpl:
        out.append(_sentence(c, _J_PLACE[lv, "online" if mode == "online" else cls], lv))
    return out


def _j_years(c: _Ctx, lv: str) -> str:
    return _sentence(c, c.ph.requirement(c.a.min_years, c.a.max_years, lv), lv)


def _j_facts(c: _Ctx, lv: str, extras: int, place: bool = True) -> list[str]:
    a = c.a
    pick = c.pick
    body = [_sentence(c, _J_STACK[lv], lv), _j_years(c, lv)]
    if a.preferred:
        body.append(_sentence(c, _J_PREF[lv], lv))
    body += _j_mode_place(c, lv, place)
    if a.requires_cs or pick.chance(0.2):
        body.append(_sentence(c, _J_CS[lv, a.requires_cs], lv))
    cls = _cls(a)
    k = min(extras, pick((0, 1, 1, 2)))
    seen = set()
    for _ in range(k):
        tpl = pick.v(_J_EXTRA["p" if lv == "c" else lv, cls])
        if tpl not in seen:
            seen.add(tpl)
            body.append(_sentence_of(c, tpl, lv))
    return pick.order(body)


def _j_want(c: _Ctx, lv: str) -> str:
    var = _J_WANT.get((c.a.goal, lv)) or _J_WANT_ANY[lv]
    return _sentence(c, var, lv)


def _hloc(c: _Ctx) -> str:
    a = c.a
    if a.location:
        place = c["place"]
        if a.work_mode == "online" and c.pick.chance(0.5):
            return place + c.pick(("/온라인", "/원격", "/온라인"))
        return place
    return c.pick(("온라인", "전국", "지역무관", "비대면"))


def _posting_board(c: _Ctx) -> str:
    """A recruitment board post: a header, the recruiting line, facts in sentences, a closing."""
    pick = c.pick
    lv = "p" if pick.chance(0.6) else "f"
    c["hloc"] = _hloc(c)
    head = c.say(_J_BOARD_HEAD if _cls(c.a) == "club" else _J_BOARD_HEAD_WORK)
    parts = [_j_want(c, lv)] if pick.chance(0.6) else []
    parts += _j_facts(c, lv, 2)
    if pick.chance(0.5):
        parts.append(pick.v(_J_BYE[lv]))
    return head + "\n" + _joined(c, parts, lv)


_J_SECTION = _table("J_SECTION")
_J_SEC_TITLES = _table("J_SEC_TITLES")
_J_JOB_TITLE = _table("J_JOB_TITLE")
_J_YEARS_LINE = _table("J_YEARS_LINE")
_J_YEARS_LINE0 = _table("J_YEARS_LINE0")


def _posting_jobpost(c: _Ctx) -> str:
    """A job ad with sections: 자격요건 / 우대사항 / 근무형태 (or the club words for them)."""
    a = c.a
    pick = c.pick
    cls = _cls(a)
    c["hloc"] = _hloc(c)
    sec = pick.v(_J_SECTION)
    bullet = pick.v(_X_BULLETS)
    out = [c.say(_J_JOB_TITLE[cls])]
    if pick.chance(0.5):
        out.append(_j_want(c, "f"))
    req = [bullet + c.say(_J_STACK["line"])]
    years = c.say(_J_YEARS_LINE if a.min_years else _J_YEARS_LINE0)
    years = years.replace("경력 경력", "경력").replace("연차: 연차", "연차:")
    req.append(bullet + years)
    if a.requires_cs:
        req.append(bullet + c.say(_J_CS["val", True]))
    out.append(sec.format(t=pick.v(_J_SEC_TITLES["req", cls])))
    out += req
    if a.preferred:
        out.append(sec.format(t=pick.v(_J_SEC_TITLES["pref", cls])))
        out.append(bullet + c.say(_J_PREF["line"]))
    out.append(sec.format(t=pick.v(_J_SEC_TITLES["mode", cls])))
    mode = c.say(_J_MODE["val", a.work_mode, cls])
    if a.location and c["place"] not in mode and c["near"] not in mode:
        mode += f" · {c['near']}" if a.work_mode != "online" else f" · 팀 위치: {c['place']}"
    out.append(bullet + mode)
    if not a.requires_cs and pick.chance(0.2):
        out.append(bullet + c.say(_J_CS["val", False]))
    if pick.chance(0.5):
        out.append(sec.format(t=pick.v(_J_SEC_TITLES["etc", cls])))
        out.append(bullet + c.say(_J_EXTRA["kv", cls]))
    return "\n".join(out)


_J_CHAT_OPEN = _table("J_CHAT_OPEN")


def _posting_chat(c: _Ctx) -> str:
    """A casual message: a question, then the facts in 해요체/음슴체."""
    a = c.a
    pick = c.pick
    lv = "p" if pick.chance(0.65) else "c"
    at = bool(a.location) and a.work_mode != "online" and pick.chance(0.5)
    if at:
        tpl = pick.v(_J_CHAT_OPEN["at" if _cls(a) == "club" else "at_work"])
        parts = [_sentence_of(c, tpl, lv)]
    else:
        parts = [_sentence(c, _J_CHAT_OPEN["any" if _cls(a) == "club" else "any_work"], lv)]
    parts += _j_facts(c, lv, 1, place=not at)
    if pick.chance(0.4):
        parts.append(pick.v(_J_BYE[lv]))
    text = _joined(c, parts, lv)
    if pick.chance(0.3) and not _emoji(text[-1]):
        text += " " + pick(_EMOJI)
    return text


_J_TAGS_LEAD = _table("J_TAGS_LEAD")
_J_TAGS_ONLINE_AT = _table("J_TAGS_ONLINE_AT")
_J_TAGS_LEAD_WORK = _table("J_TAGS_LEAD_WORK")
_J_TAGS_PREF = _table("J_TAGS_PREF")


def _posting_hashtag(c: _Ctx) -> str:
    a = c.a
    pick = c.pick
    tpl = pick.v(_J_TAGS_LEAD if _cls(a) == "club" else _J_TAGS_LEAD_WORK)
    lead = c.fill(tpl)
    tags = [c["tags"], "#" + c["req"].replace(" ", ""), "#" + c.say(_J_MODE["tag", a.work_mode, _cls(a)])]
    if "{rp}" not in tpl:
        tags.append("#" + c["rf"].replace(" ", ""))
    if "{gtag}" not in tpl and c["gtag"] not in lead:
        tags.append("#" + c["gtag"].replace(" ", ""))
    online_at = bool(a.location) and a.work_mode == "online"
    if a.location and not online_at:
        tags.append("#" + c["place"].replace(" ", ""))
    elif not a.location and pick.chance(0.5):
        tags.append("#지역무관")
    if a.requires_cs or pick.chance(0.3):
        tags.append("#" + c.say(_J_CS["tag", a.requires_cs]))
    out = lead + pick(("\n", " ")) + " ".join(pick.order(tags))
    if a.preferred:
        out += pick(("\n", " ")) + c.say(_J_TAGS_PREF)
    if online_at:  # a place tag would read as where the team meets
        out += pick(("\n", " ")) + "(" + c.fill(pick.v(_J_TAGS_ONLINE_AT)) + ")"
    return out


_J_LI_HEAD = _table("J_LI_HEAD")


def _posting_linkedin(c: _Ctx) -> str:
    """English-mixed hiring post: a headline and fields split by | or lines."""
    a = c.a
    pick = c.pick
    cls = _cls(a)
    head = c.say(_J_LI_HEAD["job" if a.goal == "job" else cls])
    if a.goal == "freelance" or (cls == "work" and a.goal != "job"):
        head += f" ({c['gtag']})"
    elif a.goal == "job" and "채용" not in head:
        head += pick((" · 정규직", " (정규직)", " · 채용"))
    elif cls == "club" and c["gtag"] not in head and pick.chance(0.5):
        head += f" · {c['gtag']}"
    fields = [pick(("", "Stack: ", "Must: ", "🛠 ")) + c["st"], c["reqe"]]
    mode = c.say(_J_MODE["en", a.work_mode, cls])
    if a.location and "(" not in mode:
        mode += pick((" @ ", " · 📍")) + c["place"]
    elif a.location and c["near"] not in mode:
        fields.append("📍" + c["place"])
    fields.append(mode)
    if a.preferred:
        fields.append(c.say(_J_PREF["en"]))
    if a.requires_cs or pick.chance(0.2):
        fields.append(c.say(_J_CS["en", a.requires_cs]))
    fields = [fields[0], *pick.order(fields[1:])]
    if pick.chance(0.4):
        return head + "\n" + "\n".join("- " + f for f in fields)
    return head + " | " + " | ".join(fields)


_J_NOTICE_HEAD = _table("J_NOTICE_HEAD")
_J_NOTICE_KEYS = _table("J_NOTICE_KEYS")


def _posting_notice(c: _Ctx) -> str:
    """An official notice: numbered items."""
    a = c.a
    pick = c.pick
    cls = _cls(a)
    items = [
        f"{pick.v(_J_NOTICE_KEYS['role'])}: {c['rp']} {1 + pick.bits() % 2}명",
        f"{pick.v(_J_NOTICE_KEYS['req'])}: {c['st']} 경험, {c['req']}"
        + (", " + c.say(_J_CS["val", True]) if a.requires_cs else ""),
    ]
    if a.preferred:
        items.append(f"{pick.v(_J_PREF['key'])}: {c['pl']}")
    mode = c.say(_J_MODE["val", a.work_mode, cls])
    items.append(f"{pick.v(_J_MODE['key', cls])}: {mode}")
    if a.location and c["place"] not in mode and c["near"] not in mode:
        key = "팀 위치" if a.work_mode == "online" else pick.v(_J_PLACE["key", cls])
        items.append(f"{key}: {c['near']}")
    if not a.requires_cs and pick.chance(0.25):
        cs = c.say(_J_CS["val", False])
        items.append(cs if cs.startswith("전공") else "전공: " + cs)
    if pick.chance(0.5):
        items.append(c.say(_J_EXTRA["kv", cls]))
    items.append(pick.v(_J_NOTICE_KEYS["contact"]))
    numbered = pick.chance(0.6)
    bullet = pick.v(_X_BULLETS)
    lines = [f"{i}. {x}" if numbered else bullet + x for i, x in enumerate(items, 1)]
    return c.say(_J_NOTICE_HEAD) + "\n" + "\n".join(lines)


_J_SCOUT_OPEN = _table("J_SCOUT_OPEN")
_J_SCOUT_CLOSE = _table("J_SCOUT_CLOSE")


def _posting_scout(c: _Ctx) -> str:
    """Held out: a recruiter's direct message."""
    pick = c.pick
    lv = "p" if pick.chance(0.5) else "f"
    parts = [c.say(_J_SCOUT_OPEN), _j_want(c, lv)]
    parts += _j_facts(c, lv, 1)
    parts.append(pick.v(_J_SCOUT_CLOSE))
    return _joined(c, parts, lv)


_J_REGISTERS = _table("J_REGISTERS")
_POSTING_RENDER: dict[str, Callable[[_Ctx], str]] = {
    "board": _posting_board,
    "jobpost": _posting_jobpost,
    "chat": _posting_chat,
    "hashtag": _posting_hashtag,
    "linkedin": _posting_linkedin,
    "notice": _posting_notice,
    "scout": _posting_scout,
}
HELD_OUT_REGISTERS = {"profile": _P_REGISTERS.held, "posting": _J_REGISTERS.held}

_SPACES = re.compile(r"[ \t]{2,}")


def _tidy(text: str) -> str:
    if "  " in text:
        text = _SPACES.sub(" ", text)
    return text.strip()


def _register(pick: Picker, registers: Var) -> str:
    """A register, uniformly among those allowed (held-out variants are not favoured here)."""
    if not pick.unseen:
        return pick.v(registers)
    reg = pick(registers.every)
    if reg in registers.held:
        pick.held = True
    return reg


def render_profile(a: ProfileAttrs, draws: Sequence[int], ph: Phrases, unseen: bool = False) -> Rendered:
    """One profile text; with ``unseen`` it may (and mostly does) use held-out forms."""
    pick = Picker(draws, unseen)
    reg = _register(pick, _P_REGISTERS)
    text = _PROFILE_RENDER[reg](_Ctx(a, pick, ph, _PROFILE_SLOTS))
    return Rendered(_tidy(text), reg, pick.held)


def render_posting(a: PostingAttrs, draws: Sequence[int], ph: Phrases, unseen: bool = False) -> Rendered:
    pick = Picker(draws, unseen)
    reg = _register(pick, _J_REGISTERS)
    text = _POSTING_RENDER[reg](_Ctx(a, pick, ph, _POSTING_SLOTS))
    return Rendered(_tidy(text), reg, pick.held)


def held_out_forms() -> dict[str, list[str]]:
    """The held-out variants by kind (templates with their ``{slot}`` names), for reports and tests."""
    return {v.kind: list(v.held) for v in VARIANTS if v.held}
