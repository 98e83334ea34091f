"""Release dates from sentences: pure calculation, dataclasses in, a result with its breakdown out.

No database, no files: the caller gives a :class:`ReleaseCase` (custody start, remand, sentences,
adjustments) and the jurisdiction's :class:`SentenceRules` (normally read from the rules file by
:mod:`habeas.legal.rules`), and :func:`calculate` returns a :class:`ReleaseResult` whose
``lines`` a records officer can check one by one. docs/release-dates.md explains the same rules
with worked examples.

The rules, in the order they are applied
=========================================

1. **Days.** Every date is a whole day. A term counts its first day: a sentence that starts on
   day S and runs for L days has S as day 1 and ``S + L - 1`` as its last day.

2. **Adding a term** (years, months, days) to a start date: first the years and months are added
   to the calendar date (the day of the month is kept), then the days. When the day does not
   exist in the target month (31 January + 1 month, 29 February + 1 year), ``month_end`` in the
   rules decides: ``clamp`` (default) takes the last day of that month (28 or 29 February),
   ``next_day`` takes the first day of the following month (1 March).
   The result is the *anniversary*; the term's **last day** (sentence expiry) is the day before
   it, and its length in days is ``anniversary - start``. So 1 year from 2024-03-01 ends on
   2025-02-28 (365 days), and 1 month from 2023-01-31 ends on 2023-02-27 under ``clamp``
   (anniversary 2023-02-28) or on 2023-02-28 under ``next_day`` (anniversary 2023-03-01).

3. **Start of a sentence.**
   * *concurrent* (the default): it starts on its sentence date, or on the custody start when it
     was imposed before the person came into custody (time at liberty is not served), or on a
     ``start_date`` ordered by the court (which may not precede the sentence date or the
     custody start);
   * *consecutive* to sentence K: it starts the day after K's last day. It may not start before
     its own sentence date (that would count days before the conviction): that is an error.
     A sentence cannot follow a life sentence (a life sentence has no last day).

4. **Terms.** Sentences linked by consecutive links form one aggregate *term*, from the start of
   the first to the last day of the last: each path from a sentence that follows no other to a
   sentence that nothing follows is a term (when B and C both follow A, the terms are A+B and
   A+C). A concurrent sentence alone is a term of its own.

5. **Release point.** For each determinate term of L days the custodial part is
   ``N = release_point x L`` days, rounded ``up`` (default) or ``down`` to whole days, at least
   1 day. The unadjusted release date is day N of the term: ``start + N - 1``. With a release
   point of 1 it is the term's last day.

6. **Remand credit** (when the rules count it): the number of days on remand, given as a count
   or as periods (first and last day, both counted; periods may not overlap), is deducted from
   every term's release date.

7. **Adjustments** of the kinds the rules define: each kind either deducts days (remission,
   credits) or adds days (added days). The days of one kind are summed over the case, then capped
   by the kind's ``max_days`` and by ``max_fraction_of_term`` x the term's days (rounded down),
   whichever is smaller. Caps are worked out per term. Unknown kinds are an error.

8. **Adjusted date** = unadjusted release date - deductions + additions. It is then kept within
   bounds:
   * never after the term's last day (added days cannot make anyone serve beyond the sentence);
   * never before the **floor**: the custody start and the latest sentence date in the term.
     When deductions would put the date before the floor, the person is due for release now
     (``immediate``): the release date is the floor itself, the first day they could lawfully be
     released on the information given (nobody is released before coming into custody, nor
     before the sentence was passed).

9. **Governing term.** The release date is the latest of the terms' dates; that term governs.
   On a tie, the term whose last day is later governs, then the one listed first. The sentence
   expiry is the last day of the latest-ending sentence; adjustments do not move it.

10. **Life sentences.** A life sentence has no last day: the result has no release date and no
    sentence expiry, but an **eligibility date** (earliest review / parole eligibility): the last
    day of the minimum term (tariff) counted from the sentence's start, less remand credit,
    never before the floor. Other adjustments do not change a minimum term. A life sentence may
    follow a determinate one: its minimum term then starts the day after that one's last day.
    When determinate
    terms run alongside, the eligibility date is the latest of the life dates and the determinate
    release dates. A life sentence without a minimum term (and no default in the rules) gives no
    eligibility date (``no_minimum_term``).

11. **Beyond the calendar.** Dates are worked out as day numbers on the proleptic Gregorian
    calendar (day 1 = 0001-01-01, the numbering of :meth:`datetime.date.toordinal`), which has no
    upper end, so terms of thousands of years never overflow. A date after 9999-12-31 cannot be
    held in a ``date``: it is then ``None``, its day number and year are still given
    (``release_ordinal``, ``release_year``...), ``beyond_calendar`` is set, and a line says the
    date falls after 9999-12-31.

Errors raise :class:`ReleaseError` (a ValidationFailed, HTTP 422) with a machine code and one
detail naming the sentence (or None) and the field: ``no_sentences``, ``duplicate_sentence``,
``missing_term``, ``life_with_term``, ``minimum_without_life``, ``bad_term``, ``negative_term``,
``empty_term``, ``start_and_consecutive``, ``unknown_sentence``, ``consecutive_to_life``,
``consecutive_cycle``, ``starts_before_sentence_date``, ``starts_before_custody``,
``negative_remand``, ``bad_remand``, ``remand_twice``, ``remand_period_reversed``,
``remand_overlap``, ``unknown_adjustment``, ``negative_adjustment``, ``bad_adjustment``.

Speed: the calculation works on day numbers and small lists, reads no files and compiles no
patterns; the breakdown (``ReleaseResult.lines`` or :func:`explain`) is built only when read.
:func:`calculate_many` recalculates a population in one call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from types import MappingProxyType
from typing import Iterable, Mapping

from habeas.kit import collector
from habeas.kit.errors import ValidationFailed

__all__ = [
    "Adjustment", "AdjustmentKind", "ReleaseCase", "ReleaseError", "ReleaseResult", "RemandPeriod",
    "Sentence", "SentenceDates", "SentenceRules", "Term", "add_term", "calculate", "calculate_many", "explain", "format_fraction",
    "term_end",
]

MAXORD = date.max.toordinal()  # 3,652,059 = 9999-12-31
_DAYS_BEFORE_MONTH = (0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)
_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_fromordinal = date.fromordinal
_date = date
_DAYS_PER_YEAR = 365.2425


# --------------------------------------------------------------------------------------- inputs


@dataclass(slots=True)
class Term:
    """A length of time as a court states it: years, months and days (each zero or more)."""

    years: int = 0
    months: int = 0
    days: int = 0

    def __str__(self) -> str:
        parts = []
        for n, one, many in ((self.years, "year", "years"), (self.months, "month", "months"), (self.days, "day", "days")):
            if n:
                parts.append(f"{n:,} {one if n == 1 else many}")
        return " ".join(parts) or "0 days"


@dataclass(slots=True)
class Sentence:
    """One sentence. ``term`` for a determinate sentence, or ``life=True`` (with an optional
    ``minimum_term``). ``consecutive_to`` names the sentence it follows; otherwise it is
    concurrent and starts on its sentence date (or on ``start_date`` when the court set one)."""

    key: str
    sentence_date: date
    term: Term | None = None
    life: bool = False
    minimum_term: Term | None = None
    consecutive_to: str | None = None
    start_date: date | None = None


@dataclass(slots=True)
class RemandPeriod:
    """Days on remand, first and last day both counted."""

    start: date
    end: date


@dataclass(slots=True)
class Adjustment:
    """Days of one adjustment kind (named in the rules), always zero or more; the kind gives the sign."""

    kind: str
    days: int
    reason: str = ""


@dataclass(slots=True)
class ReleaseCase:
    """Everything the calculation needs about one person's custody episode."""

    custody_start: date
    sentences: tuple[Sentence, ...]
    remand_periods: tuple[RemandPeriod, ...] = ()
    remand_days: int | None = None
    adjustments: tuple[Adjustment, ...] = ()


# ---------------------------------------------------------------------------------------- rules


@dataclass(frozen=True, slots=True)
class AdjustmentKind:
    """An adjustment the jurisdiction allows: ``sign`` -1 deducts days, +1 adds days; optional caps
    on the total of this kind in a case (``max_days``) and as a fraction of the term's days."""

    name: str
    sign: int
    label: str = ""
    max_days: int | None = None
    max_fraction_of_term: Fraction | None = None

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


def _default_kinds() -> Mapping[str, AdjustmentKind]:
    return MappingProxyType({
        "remission": AdjustmentKind("remission", -1, "Remission"),
        "added_days": AdjustmentKind("added_days", +1, "Added days"),
        "credits": AdjustmentKind("credits", -1, "Credits"),
    })


@dataclass(frozen=True, slots=True)
class SentenceRules:
    """How sentences are counted (the ``sentences`` section of the jurisdiction rules file)."""

    release_point: Fraction = Fraction(1)
    rounding: str = "up"  # up | down
    remand_credit: bool = True
    month_end: str = "clamp"  # clamp | next_day
    adjustments: Mapping[str, AdjustmentKind] = field(default_factory=_default_kinds, hash=False)
    life_default_minimum: Term | None = None

    def __post_init__(self) -> None:
        rp = self.release_point
        if not isinstance(rp, Fraction):
            rp = Fraction(rp)
            object.__setattr__(self, "release_point", rp)
        if not 0 < rp <= 1:
            raise ValueError(f"release_point must be more than 0 and at most 1, not {rp}")
        if self.rounding not in ("up", "down"):
            raise ValueError(f"rounding must be up or down, not {self.rounding!r}")
        if self.month_end not in ("clamp", "next_day"):
            raise ValueError(f"month_end must be clamp or next_day, not {self.month_end!r}")
        if not isinstance(self.adjustments, MappingProxyType):
            object.__setattr__(self, "adjustments", MappingProxyType(dict(self.adjustments)))
        for name, kind in self.adjustments.items():
            if kind.sign not in (-1, 1) or kind.name != name:
                raise ValueError(f"adjustment kind {name!r}: sign must be -1 or +1 and name must match")


# --------------------------------------------------------------------------------------- result


@dataclass(slots=True)
class SentenceDates:
    """Where one sentence falls, as day numbers (``date.toordinal()``); the ``start``, ``end`` and
    ``minimum_end`` dates are None when they fall after 9999-12-31."""

    key: str
    start_ordinal: int
    end_ordinal: int | None  # last day of the term; None for a life sentence
    consecutive_to: str | None = None
    life: bool = False
    minimum_end_ordinal: int | None = None  # life: last day of the minimum term, before remand credit

    @property
    def start(self) -> date | None:
        return _opt_date(self.start_ordinal)

    @property
    def end(self) -> date | None:
        return _opt_date(self.end_ordinal) if self.end_ordinal is not None else None

    @property
    def days(self) -> int | None:
        """Length of the term in days (None for a life sentence)."""
        return self.end_ordinal - self.start_ordinal + 1 if self.end_ordinal is not None else None

    @property
    def minimum_end(self) -> date | None:
        return _opt_date(self.minimum_end_ordinal) if self.minimum_end_ordinal is not None else None


@dataclass(slots=True)
class ReleaseResult:
    """The outcome of :func:`calculate`. ``lines`` (a property) is the breakdown for a records
    officer, worked out again from the case when it is read, so bulk recalculation does not pay
    for text nobody reads."""

    release_date: date | None  # None for life, or beyond the calendar
    sentence_expiry: date | None  # last day of the latest-ending sentence; None for life
    eligibility_date: date | None  # life: earliest review / parole eligibility
    governing: tuple[str, ...]  # keys of the governing term, first sentence first
    sentences: tuple[SentenceDates, ...]  # in the order given
    term_days: int | None  # length of the governing term (None when a life sentence governs)
    release_point_days: int | None  # N: day of the governing term reached before adjustments
    remand_credit: int  # days deducted for remand (0 when the rules do not count it)
    adjustments: tuple[tuple[str, int], ...]  # (kind, signed days applied) to the governing term, after caps
    total_adjustment: int  # signed days applied to the governing term: remand credit and adjustments
    immediate: bool  # deductions reach past the floor: due for release (or review) now
    capped_at_expiry: bool  # added days would pass the sentence expiry: release on the expiry date
    life: bool
    no_minimum_term: bool  # a life sentence without a minimum term: no eligibility date
    beyond_calendar: bool  # some date of the result falls after 9999-12-31
    release_ordinal: int | None  # day number of the release (or eligibility) date
    expiry_ordinal: int | None  # day number of the sentence expiry
    case: ReleaseCase = field(repr=False, compare=False)
    rules: SentenceRules = field(repr=False, compare=False)

    @property
    def release_year(self) -> int | None:
        """Year of the release (or eligibility) date, also beyond 9999."""
        return _year(self.release_ordinal) if self.release_ordinal is not None else None

    @property
    def expiry_year(self) -> int | None:
        return _year(self.expiry_ordinal) if self.expiry_ordinal is not None else None

    @property
    def term_years(self) -> float | None:
        """The governing term in years (days / 365.2425, two decimals)."""
        return round(self.term_days / _DAYS_PER_YEAR, 2) if self.term_days is not None else None

    @property
    def lines(self) -> tuple[str, ...]:
        return explain(self.case, self.rules)


class ReleaseError(ValidationFailed):
    """A case that cannot be calculated. ``sentence`` and ``field`` say where the problem is."""

    code = "release_invalid"

    def __init__(self, code: str, message: str, *, sentence: str | None = None, field: str | None = None):
        where = f"sentence {sentence}: " if sentence is not None else ""
        super().__init__(f"{where}{message}", code=code,
                         details=[{"row": None, "sentence": sentence, "field": field, "message": message}])
        self.sentence = sentence
        self.field = field


# ------------------------------------------------------------------------------ calendar helpers


def _leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def _dim(y: int, m: int) -> int:
    if m == 2 and _leap(y):
        return 29
    return _DAYS_IN_MONTH[m]


def _ord(y: int, m: int, d: int) -> int:
    """Day number of a proleptic Gregorian date, for any year >= 1 (= date.toordinal within range)."""
    y1 = y - 1
    n = y1 * 365 + y1 // 4 - y1 // 100 + y1 // 400 + _DAYS_BEFORE_MONTH[m] + d
    if m > 2 and _leap(y):
        n += 1
    return n


def _ymd(o: int) -> tuple[int, int, int]:
    """Year, month, day of a day number >= 1, also beyond 9999-12-31."""
    if o <= MAXORD:
        d = _fromordinal(o)
        return d.year, d.month, d.day
    n400, n = divmod(o - 1, 146_097)  # days in 400 years
    n100, n = divmod(n, 36_524)
    n4, n = divmod(n, 1_461)
    n1, n = divmod(n, 365)
    y = n400 * 400 + n100 * 100 + n4 * 4 + n1 + 1
    if n1 == 4 or n100 == 4:  # 31 December of the leap year that closes a 4- or 400-year cycle
        return y - 1, 12, 31
    m = 1
    while True:
        dim = _dim(y, m)
        if n < dim:
            return y, m, n + 1
        n -= dim
        m += 1


def _add(o: int, years: int, months: int, days: int, next_day: bool) -> int:
    """Day number of ``o + years + months + days`` (the anniversary), by the month-end rule."""
    if years or months:
        if o <= MAXORD:
            d = _fromordinal(o)
            y, m, dd = d.year, d.month, d.day
        else:
            y, m, dd = _ymd(o)
        m += months - 1
        y += years + m // 12
        m = m % 12 + 1
        if dd > 28:
            dim = _dim(y, m)
            if dd > dim:
                if next_day:
                    return _ord(y, m, dim) + 1 + days
                dd = dim
        o = _date(y, m, dd).toordinal() if y <= 9999 else _ord(y, m, dd)
    return o + days


def add_term(start: date, term: Term, month_end: str = "clamp") -> date:
    """The anniversary: ``start`` plus the term by the month-end rule (2 in the module docstring).
    Raises OverflowError when it falls after 9999-12-31."""
    o = _add(start.toordinal(), term.years, term.months, term.days, month_end == "next_day")
    if o > MAXORD:
        raise OverflowError(f"{start} + {term} falls after 9999-12-31")
    return _fromordinal(o)


def term_end(start: date, term: Term, month_end: str = "clamp") -> date:
    """The last day of a term starting on ``start`` (the day before the anniversary).
    Raises OverflowError when it falls after 9999-12-31."""
    o = _add(start.toordinal(), term.years, term.months, term.days, month_end == "next_day") - 1
    if o > MAXORD:
        raise OverflowError(f"a term of {term} from {start} ends after 9999-12-31")
    return _fromordinal(o)


def _opt_date(o: int) -> date | None:
    return _fromordinal(o) if 0 < o <= MAXORD else None


def _year(o: int) -> int:
    return _fromordinal(o).year if 0 < o <= MAXORD else _ymd(o)[0] if o > 0 else 0


def _fmt(o: int) -> str:
    if 0 < o <= MAXORD:
        return _fromordinal(o).isoformat()
    if o <= 0:
        return "before 0001-01-01"
    y, m, d = _ymd(o)
    return f"{y}-{m:02d}-{d:02d} (after 9999-12-31, beyond the calendar)"


def format_fraction(f: Fraction) -> str:
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"



# ---------------------------------------------------------------------------------- calculation


# A sentence being worked on is a list [sentence, sentence date, start, last day, last day of the
# minimum term, minimum term] (day numbers; start is None until placed). Lists, not objects:
# bulk recalculation makes hundreds of thousands of them.
_SENT, _SD, _START, _END, _MIN_END, _MIN_TERM = range(6)


class _Term(tuple):
    """One term (a path of consecutive sentences), worked out. The calculation keeps terms as
    plain tuples; the breakdown reads them through these names."""

    __slots__ = ()
    path = property(lambda t: t[0])  # the sentence records, first sentence first
    start = property(lambda t: t[1])
    end = property(lambda t: t[2])  # last day; None for life
    floor = property(lambda t: t[3])  # custody start or latest sentence date in the term
    length = property(lambda t: t[4])  # days; None for life
    n = property(lambda t: t[5])  # release point in days; None for life
    net = property(lambda t: t[6])  # signed days: remand credit and adjustments
    applied = property(lambda t: t[7])  # capped kinds: (kind, days given, days counted)
    raw = property(lambda t: t[8])  # adjusted date before the bounds; None: no minimum term
    date = property(lambda t: t[9])  # the term's release (or eligibility) date
    immediate = property(lambda t: t[10])
    capped = property(lambda t: t[11])
    life = property(lambda t: t[12])


class _Work:
    __slots__ = ("sentences", "terms", "gov", "remand", "remand_text", "credit", "totals")


def _check_term(t: Term, key: str, name: str) -> None:
    if not (type(t.years) is int and type(t.months) is int and type(t.days) is int):
        raise ReleaseError("bad_term", f"{name} must be whole numbers of years, months and days", sentence=key, field=name)
    if t.years < 0 or t.months < 0 or t.days < 0:
        part = "years" if t.years < 0 else "months" if t.months < 0 else "days"
        raise ReleaseError("negative_term", f"{name} {part} is negative ({getattr(t, part)})", sentence=key, field=f"{name}.{part}")
    if not (t.years or t.months or t.days):
        raise ReleaseError("empty_term", f"{name} is zero: a term is at least one day", sentence=key, field=name)


def _place(r: list, start: int, rules: SentenceRules, next_day: bool) -> None:
    """Set the start of a sentence and work out its last day (or the last day of its minimum term)."""
    r[_START] = start
    s = r[_SENT]
    if s.life:
        mt = s.minimum_term if s.minimum_term is not None else rules.life_default_minimum
        if mt is not None:
            r[_MIN_TERM] = mt
            r[_MIN_END] = _add(start, mt.years, mt.months, mt.days, next_day) - 1
    else:
        t = s.term
        r[_END] = _add(start, t.years, t.months, t.days, next_day) - 1


def _resolve(recs: dict[str, list], r: list, rules: SentenceRules) -> None:
    """Place a consecutive sentence after the sentences it follows, placing those first."""
    chain = [r]
    cur = r[_SENT]
    while cur.consecutive_to is not None:
        parent_key = cur.consecutive_to
        parent = recs.get(parent_key)
        if parent is None:
            raise ReleaseError("unknown_sentence", f"consecutive to {parent_key!r}, which is not a sentence of this case",
                               sentence=cur.key, field="consecutive_to")
        if parent[_SENT].life:
            raise ReleaseError("consecutive_to_life", f"consecutive to life sentence {parent_key}, which has no last day",
                               sentence=cur.key, field="consecutive_to")
        if parent[_START] is not None:
            break
        if any(c is parent for c in chain):
            cycle = [c[_SENT].key for c in chain[[c is parent for c in chain].index(True):]] + [parent_key]
            raise ReleaseError("consecutive_cycle", "consecutive sentences form a cycle: " + " → ".join(cycle),
                               sentence=cur.key, field="consecutive_to")
        chain.append(parent)
        cur = parent[_SENT]
    next_day = rules.month_end == "next_day"
    for c in reversed(chain):
        s = c[_SENT]
        parent = recs[s.consecutive_to]
        start = parent[_END] + 1
        if start < c[_SD]:
            raise ReleaseError(
                "starts_before_sentence_date",
                f"consecutive to {s.consecutive_to}, it would start on {_fmt(start)}, before its sentence date "
                f"{_fmt(c[_SD])} ({s.consecutive_to} ends on {_fmt(parent[_END])})",
                sentence=s.key, field="consecutive_to")
        _place(c, start, rules, next_day)


def _work(case: ReleaseCase, rules: SentenceRules) -> _Work:
    cs = case.custody_start.toordinal()
    sentences = case.sentences
    if not sentences:
        raise ReleaseError("no_sentences", "the case has no sentence", field="sentences")

    # 1. each sentence alone; concurrent sentences are placed at once
    next_day = rules.month_end == "next_day"
    recs: dict[str, list] = {}
    consecutive = False
    for s in sentences:
        key = s.key
        if key in recs:
            raise ReleaseError("duplicate_sentence", f"sentence key {key!r} is used twice", sentence=key, field="key")
        if s.life:
            if s.term is not None:
                raise ReleaseError("life_with_term", "a life sentence has no term (give minimum_term for the tariff)", sentence=key, field="term")
            if s.minimum_term is not None:
                _check_term(s.minimum_term, key, "minimum_term")
        else:
            t = s.term
            if t is None:
                raise ReleaseError("missing_term", "a determinate sentence needs a term (or life)", sentence=key, field="term")
            ty, tm, td = t.years, t.months, t.days
            if type(ty) is not int or type(tm) is not int or type(td) is not int or ty < 0 or tm < 0 or td < 0 or not (ty or tm or td):
                _check_term(t, key, "term")
            if s.minimum_term is not None:
                raise ReleaseError("minimum_without_life", "a minimum term applies to life sentences only", sentence=key, field="minimum_term")
        sd = s.sentence_date.toordinal()
        r = recs[key] = [s, sd, None, None, None, None]
        if s.consecutive_to is not None:
            if s.start_date is not None:
                raise ReleaseError("start_and_consecutive", "give either a start date or consecutive_to, not both", sentence=key, field="start_date")
            consecutive = True
            continue
        if s.start_date is not None:
            start = s.start_date.toordinal()
            if start < sd:
                raise ReleaseError("starts_before_sentence_date", f"start date {_fmt(start)} is before the sentence date {_fmt(sd)}",
                                   sentence=key, field="start_date")
            if start < cs:
                raise ReleaseError("starts_before_custody", f"start date {_fmt(start)} is before the custody start {_fmt(cs)}",
                                   sentence=key, field="start_date")
        else:
            start = sd if sd >= cs else cs
        if s.life:
            _place(r, start, rules, next_day)
        else:
            r[_START] = start
            r[_END] = _add(start, ty, tm, td, next_day) - 1

    # 2. consecutive sentences, after the ones they follow
    if consecutive:
        for r in recs.values():
            if r[_START] is None:
                _resolve(recs, r, rules)
        followed = {s.consecutive_to for s in sentences if s.consecutive_to is not None}
    else:
        followed = ()

    # 3. remand credit
    remand_text = ""
    if case.remand_days is not None:
        if case.remand_periods:
            raise ReleaseError("remand_twice", "give remand periods or a remand day count, not both", field="remand_days")
        remand = case.remand_days
        if type(remand) is not int:
            raise ReleaseError("bad_remand", f"remand days must be a whole number, not {remand!r}", field="remand_days")
        if remand < 0:
            raise ReleaseError("negative_remand", f"remand days is negative ({remand})", field="remand_days")
        remand_text = "given as a day count"
    elif case.remand_periods:
        remand = 0
        spans = []
        prev_end = None
        for i, p in sorted(enumerate(case.remand_periods), key=lambda ip: ip[1].start):
            a = p.start.toordinal()
            b = p.end.toordinal()
            if b < a:
                raise ReleaseError("remand_period_reversed", f"remand period ends ({p.end}) before it starts ({p.start})",
                                   field=f"remand_periods[{i}]")
            if prev_end is not None and a <= prev_end:
                raise ReleaseError("remand_overlap", f"remand period {p.start} to {p.end} overlaps another period",
                                   field=f"remand_periods[{i}]")
            prev_end = b
            remand += b - a + 1
            spans.append(f"{p.start.isoformat()} to {p.end.isoformat()}")
        remand_text = "; ".join(spans)
    else:
        remand = 0
    credit = remand if rules.remand_credit else 0

    # 4. adjustments: days per kind over the whole case
    totals: dict[str, int] = {}
    uncapped_net = -credit
    capped_kinds = []
    if case.adjustments:
        kinds = rules.adjustments
        for i, a in enumerate(case.adjustments):
            if a.kind not in kinds:
                raise ReleaseError("unknown_adjustment", f"unknown adjustment kind {a.kind!r} (these rules know: {', '.join(kinds) or 'none'})",
                                   field=f"adjustments[{i}].kind")
            if type(a.days) is not int:
                raise ReleaseError("bad_adjustment", f"adjustment days must be a whole number, not {a.days!r}", field=f"adjustments[{i}].days")
            if a.days < 0:
                raise ReleaseError("negative_adjustment", f"adjustment days is negative ({a.days}); the kind gives the sign",
                                   field=f"adjustments[{i}].days")
            totals[a.kind] = totals.get(a.kind, 0) + a.days
        for k, v in totals.items():
            kind = kinds[k]
            if kind.max_days is None and kind.max_fraction_of_term is None:
                uncapped_net += kind.sign * v
            else:
                capped_kinds.append((kind, v))

    # 5. terms: one per path from a sentence that follows none to one that none follows
    rp = rules.release_point
    num, den = rp.numerator, rp.denominator
    whole = num == den
    up = rules.rounding == "up"
    terms = []
    best_t = None
    best_date = best_end = None
    for r in recs.values():
        s = r[_SENT]
        if followed and s.key in followed:
            continue
        floor = r[_SD] if r[_SD] > cs else cs
        if s.consecutive_to is None:
            path = (r,)
            start = r[_START]
        else:
            path = [r]
            while path[-1][_SENT].consecutive_to is not None:
                p = recs[path[-1][_SENT].consecutive_to]
                path.append(p)
                if p[_SD] > floor:
                    floor = p[_SD]
            path.reverse()
            start = path[0][_START]
        if s.life:
            min_end = r[_MIN_END]
            if min_end is None:
                t = ((path, start, None, floor, None, None, 0, (), None, None, False, False, True))
                rank_date = rank_end = _INF
            else:
                raw = min_end - credit
                date_ = floor if raw < floor else raw
                t = ((path, start, None, floor, None, None, -credit, (), raw, date_, raw < floor, False, True))
                rank_date = date_
                rank_end = _INF
        else:
            end = r[_END]
            length = end - start + 1
            if whole:
                n = length
            elif up:
                n = -((-num * length) // den)
            else:
                n = (num * length) // den or 1
            net = uncapped_net
            applied = ()
            if capped_kinds:
                applied = []
                for kind, v in capped_kinds:
                    cap = kind.max_days
                    f = kind.max_fraction_of_term
                    if f is not None:
                        fc = (f.numerator * length) // f.denominator
                        if cap is None or fc < cap:
                            cap = fc
                    used = v if v <= cap else cap
                    applied.append((kind, v, used))
                    net += kind.sign * used
            raw = start + n - 1 + net
            rank_end = end
            if raw > end:
                t = ((path, start, end, floor, length, n, net, applied, raw, end, False, True, False))
                rank_date = end
            elif raw < floor:
                t = ((path, start, end, floor, length, n, net, applied, raw, floor, True, False, False))
                rank_date = floor
            else:
                t = ((path, start, end, floor, length, n, net, applied, raw, raw, False, False, False))
                rank_date = raw
        terms.append(t)
        # the latest date governs; on a tie the later last day, then the term listed first
        if best_t is None or rank_date > best_date or (rank_date == best_date and rank_end > best_end):
            best_t = t
            best_date = rank_date
            best_end = rank_end

    st = _Work()
    st.sentences = recs
    st.terms = terms
    st.gov = best_t
    st.remand = remand
    st.remand_text = remand_text
    st.credit = credit
    st.totals = totals
    return st


_INF = float("inf")


def calculate(case: ReleaseCase, rules: SentenceRules) -> ReleaseResult:
    """Release (or eligibility) date of one case. Raises ReleaseError; ``result.lines`` explains it."""
    st = _work(case, rules)
    beyond = False
    sdates = []
    for s, _, start, end, min_end, _ in st.sentences.values():
        if s.life:
            sdates.append(SentenceDates(s.key, start, None, s.consecutive_to, True, min_end))
            if start > MAXORD or (min_end is not None and min_end > MAXORD):
                beyond = True
        else:
            sdates.append(SentenceDates(s.key, start, end, s.consecutive_to))
    gov = st.gov
    path = gov[0]
    governing = (path[0][_SENT].key,) if len(path) == 1 else tuple([r[_SENT].key for r in path])
    any_life = False
    exp_o = 0
    for t in st.terms:
        if t[12]:
            any_life = True
        elif t[2] > exp_o:
            exp_o = t[2]
    if gov[12] or not st.totals:
        applied = ()
    else:
        kinds = rules.adjustments
        used = {kind.name: u for kind, _, u in gov[7]}
        applied = tuple([(k, kinds[k].sign * used.get(k, v)) for k, v in st.totals.items()])
    _, _, _, _, length, n, net, _, _, rel_o, immediate, capped, _ = gov
    if any_life:
        if rel_o is not None and rel_o > MAXORD:
            beyond = True
        return ReleaseResult(
            None, None, _opt_date(rel_o) if rel_o is not None else None, governing, tuple(sdates), length, n, st.credit,
            applied, net, immediate, capped, True, rel_o is None, beyond, rel_o, None, case, rules)
    if exp_o > MAXORD:
        beyond = True
        rel = _opt_date(rel_o)
        exp = None
    else:
        rel = _fromordinal(rel_o)
        exp = _fromordinal(exp_o)
    return ReleaseResult(rel, exp, None, governing, tuple(sdates), length, n, st.credit, applied, net,
                         immediate, capped, False, False, beyond, rel_o, exp_o, case, rules)


def explain(case: ReleaseCase, rules: SentenceRules) -> tuple[str, ...]:
    """The breakdown of :func:`calculate` for ``case``, one checkable step a line."""
    st = _work(case, rules)
    st.terms = [_Term(t) for t in st.terms]
    st.gov = next(t for t in st.terms if t[0] is st.gov[0])
    cs = case.custody_start.toordinal()
    kinds = rules.adjustments
    lines = ["Custody start: " + _fmt(cs)]
    for s, sd, start, end, min_end, min_term in st.sentences.values():
        if s.consecutive_to is not None:
            how = f"sentenced {_fmt(sd)}; consecutive to {s.consecutive_to}: starts the day after {s.consecutive_to} ends"
        elif s.start_date is not None:
            how = f"sentenced {_fmt(sd)}; start date ordered by the court"
        elif sd < cs:
            how = f"sentenced {_fmt(sd)}, before the custody start: starts on the custody start"
        else:
            how = "concurrent: starts on its sentence date"
        if s.life:
            if min_term is not None:
                src = " (the rules' default)" if s.minimum_term is None else ""
                tail = f"minimum term {min_term}{src}, last day {_fmt(min_end)}"
            else:
                tail = "no minimum term set"
            lines.append(f"Sentence {s.key}: life from {_fmt(start)} ({how}); {tail}")
        else:
            lines.append(f"Sentence {s.key}: {s.term} from {_fmt(start)} ({how}); last day {_fmt(end)} ({end - start + 1:,} days)")

    gov = st.gov
    governing = "+".join(r[_SENT].key for r in gov.path)
    if len(st.terms) > 1 or len(gov.path) > 1:
        for t in st.terms:
            name = "+".join(r[_SENT].key for r in t.path)
            if t.life:
                what = f"eligible from {_fmt(t.date)}" if t.date is not None else "no eligibility date (no minimum term)"
                lines.append(f"Term {name}: life from {_fmt(t.start)}; {what}")
            else:
                lines.append(f"Term {name}: {_fmt(t.start)} to {_fmt(t.end)}, {t.length:,} days; release {_fmt(t.date)}")
        ties = sum(1 for t in st.terms if t.date == gov.date)
        why = "the latest date" if ties == 1 else "the latest date; of the terms on that date, the later last day, then the first listed"
        lines.append(f"Governing term: {governing} ({why})")

    remand_line = None
    if st.remand:
        detail = f" ({st.remand_text})" if st.remand_text else ""
        if rules.remand_credit:
            remand_line = f"Remand credit: {_plural(st.remand, 'day')}{detail}"
        else:
            remand_line = f"Remand credit: none, these rules do not count remand ({_plural(st.remand, 'day')} on record{detail})"
    any_life = any(t.life for t in st.terms)
    floor_why = "the start of custody" if gov.floor == cs else "the sentence date"

    if gov.life:
        life_s = gov.path[-1]
        if gov.date is None:
            lines.append(f"Life sentence {life_s[_SENT].key} has no minimum term: no review / parole eligibility date can be computed")
            lines.append("Release date: none (life sentence)")
            lines.append("Sentence expiry: none (life sentence)")
            return tuple(lines)
        lines.append(f"Minimum term of {life_s[_SENT].key}: last day {_fmt(life_s[_MIN_END])}")
        if remand_line:
            lines.append(remand_line)
        if st.credit:
            lines.append(f"Total adjustment: −{st.credit:,} days → {_fmt(gov.raw)}")
        if case.adjustments:
            lines.append("Other adjustments do not change the minimum term of a life sentence")
        if gov.immediate:
            lines.append(f"Eligible at once: {_fmt(gov.raw)} is before {floor_why} {_fmt(gov.floor)}; the date is set to {_fmt(gov.floor)}")
        if gov.date > MAXORD:
            lines.append(f"Release date: none (life sentence); earliest review / parole eligibility falls after 9999-12-31 "
                         f"(year {_year(gov.date):,}): beyond the calendar")
        else:
            lines.append(f"Release date: none (life sentence); earliest review / parole eligibility: {_fmt(gov.date)}")
        lines.append("Sentence expiry: none (life sentence)")
        return tuple(lines)

    start, length, n = gov.start, gov.length, gov.n
    rp = rules.release_point
    if rp == 1:
        lines.append(f"Release point: the whole term, {length:,} days: day {n:,} → {_fmt(start + n - 1)}")
    else:
        exact = (rp.numerator * length) % rp.denominator == 0
        if exact:
            how = ""
        elif rules.rounding == "up":
            how = " (rounded up)"
        else:
            how = " (rounded down)" if rp * length >= 1 else " (at least 1 day)"
        lines.append(f"Release point: {format_fraction(rp)} of {length:,} days = {n:,} days{how}: day {n:,} from {_fmt(start)} → {_fmt(start + n - 1)}")
    if remand_line:
        lines.append(remand_line)
    capped_use = {kind.name: (kind, given, used) for kind, given, used in gov.applied}
    for name in st.totals:  # kinds in the order they first appear, each followed by its cap
        kind = kinds[name]
        for a in case.adjustments:
            if a.kind == name:
                reason = f" ({a.reason})" if a.reason else ""
                lines.append(f"{kind.title}: {'−' if kind.sign < 0 else '+'}{_plural(a.days, 'day')}{reason}")
        if name in capped_use:
            _, given, used = capped_use[name]
            if used < given:
                parts = []
                if kind.max_days is not None:
                    parts.append(f"{kind.max_days:,} days")
                f = kind.max_fraction_of_term
                if f is not None:
                    parts.append(f"{format_fraction(f)} of {length:,} days = {(f.numerator * length) // f.denominator:,} days (rounded down)")
                lines.append(f"{kind.title} capped: {given:,} days given, at most {' and '.join(parts)}: {used:,} days count")
    if st.remand or case.adjustments:
        lines.append(f"Total adjustment: {_signed(gov.net)} days → {_fmt(gov.raw)}")
    if gov.capped:
        lines.append(f"Added days capped: {_fmt(gov.raw)} is after the sentence expiry; release on the last day of the term, {_fmt(gov.end)}")
    if gov.immediate:
        lines.append(f"Immediate release: the adjusted date {_fmt(gov.raw)} is before {floor_why} {_fmt(gov.floor)}: the credits exceed "
                     f"what is left to serve, release is due now (date set to {_fmt(gov.floor)})")
    rel_o = gov.date
    if any_life:
        lines.append(f"Term {governing} releases on {_fmt(rel_o)}, after the end of the life minimum term")
        lines.append(f"Release date: none (life sentence); earliest review / parole eligibility: {_fmt(rel_o)}")
        lines.append("Sentence expiry: none (life sentence)")
        return tuple(lines)
    if rel_o > MAXORD:
        lines.append(f"Release date: falls after 9999-12-31 (year {_year(rel_o):,}, {(rel_o - start + 1) / _DAYS_PER_YEAR:,.2f} years "
                     f"into the term): beyond the calendar")
    else:
        lines.append("Release date: " + _fmt(rel_o))
    exp_o = max(t.end for t in st.terms)
    if exp_o > MAXORD:
        lines.append(f"Sentence expiry: falls after 9999-12-31 (year {_year(exp_o):,}): beyond the calendar")
    else:
        lines.append("Sentence expiry: " + _fmt(exp_o))
    return tuple(lines)


def _signed(n: int) -> str:
    return f"+{n:,}" if n > 0 else f"−{-n:,}" if n < 0 else "0"


def calculate_many(cases: Iterable[ReleaseCase], rules: SentenceRules) -> list[ReleaseResult]:
    """:func:`calculate` for many cases (a whole population). The cyclic garbage collector is
    paused for the batch: the results hold no reference cycles, and the collector would otherwise
    walk every result already made, again and again, as the list grows. A case in error stops
    the batch with its ReleaseError."""
    with collector.paused():
        return [calculate(case, rules) for case in cases]
