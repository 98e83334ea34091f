"""The jurisdiction rules file: the legal limits of each kind of legal basis and the way sentences
are counted, read from YAML into frozen dataclasses (pure; no database).

The file has ``version``, ``jurisdiction`` (code, name), ``legal_bases`` (one entry per basis
type: review or expiry date, maximum period, warning days) and ``sentences`` (release point,
rounding, remand credit, month-end rule, life sentences, adjustment kinds). Every key is
described in docs/jurisdiction-rules.md; jurisdictions/reference.yaml is a complete example.

A file with problems is refused as a whole: ValidationFailed lists every problem with the file,
the line of the key at fault and its field path (``sentences.adjustments.remission.effect``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import yaml

from habeas.intake.schemas import BASIS_TYPES
from habeas.kit.errors import IssueList, ValidationFailed
from habeas.kit.yamlfile import LINE, decode, load
from habeas.legal.release import MAXORD, AdjustmentKind, SentenceRules, Term, _add

__all__ = [
    "BasisRule", "JurisdictionRules", "due_date", "warn_from", "parse_rules", "load_rules",
    "DUE_KINDS", "EFFECTS", "parse_fraction",
]

DUE_KINDS = ("review", "expiry", "none")
EFFECTS = {"deduct": -1, "add": +1}
TOP_KEYS = ("version", "jurisdiction", "legal_bases", "sentences")
JURISDICTION_KEYS = ("code", "name")
BASIS_KEYS = ("due", "max_period", "warn_days")
PERIOD_KEYS = ("years", "months", "days")
SENTENCE_KEYS = ("release_point", "rounding", "remand_credit", "month_end", "life", "adjustments")
LIFE_KEYS = ("default_minimum_term",)
ADJUSTMENT_KEYS = ("effect", "label", "max_days", "max_fraction_of_term")
MAX_PERIOD_YEARS = 200  # a legal-basis period longer than this is a typing mistake
MAX_WARN_DAYS = 3_650


@dataclass(frozen=True, slots=True)
class BasisRule:
    """The limits for one basis type. ``due`` says which date the basis carries: a review-due date
    (``review``), an expiry date (``expiry``) or neither (``none``: a sentence ends by the release
    calculation). ``max_period`` is the longest lawful time from issue to that date (None: no
    maximum is set by these rules); ``warn_days`` how many days before it to warn."""

    basis_type: str
    due: str
    max_period: Term | None
    warn_days: int


@dataclass(frozen=True, slots=True)
class JurisdictionRules:
    """A whole rules file: ``legal_bases`` by basis type, and ``sentences`` for :func:`habeas.legal.release.calculate`."""

    code: str
    name: str
    legal_bases: Mapping[str, BasisRule] = field(hash=False)
    sentences: SentenceRules
    source: str  # the file name it was read from
    digest: str  # SHA-256 of the file's bytes


# ------------------------------------------------------------------------------------- helpers


def due_date(rules: JurisdictionRules, basis_type: str, issue_date: date) -> date | None:
    """The latest lawful review or expiry date of a basis of this type issued on ``issue_date``:
    the issue date plus the maximum period (calendar addition, by the rules' month-end rule). None
    when the type has no dated limit (``due: none`` or no ``max_period``). A date that would fall
    after 9999-12-31 is given as 9999-12-31."""
    rule = _rule(rules, basis_type)
    if rule.max_period is None or rule.due == "none":
        return None
    p = rule.max_period
    o = _add(issue_date.toordinal(), p.years, p.months, p.days, rules.sentences.month_end == "next_day")
    return date.fromordinal(min(o, MAXORD))


def warn_from(rules: JurisdictionRules, basis_type: str, due: date) -> date:
    """The first day to warn about a basis due on ``due``: ``warn_days`` before it (0: the day itself)."""
    rule = _rule(rules, basis_type)
    o = due.toordinal() - rule.warn_days
    return date.fromordinal(max(o, 1))


def _rule(rules: JurisdictionRules, basis_type: str) -> BasisRule:
    rule = rules.legal_bases.get(basis_type)
    if rule is None:
        raise ValidationFailed(f"unknown legal basis type {basis_type!r}", code="unknown_basis_type",
                               details=[{"row": None, "field": "type", "message": f"one of {', '.join(rules.legal_bases)}"}])
    return rule


def parse_fraction(value: Any) -> Fraction | None:
    """A fraction from the file: a whole number, a decimal number, or text "a/b" (also "1", "0.5").
    None when the value is none of these."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return Fraction(str(value))
    if isinstance(value, str):
        text = value.strip()
        try:
            if "/" in text:
                a, b = text.split("/", 1)
                a, b = a.strip(), b.strip()
                if not (a.isdigit() and b.isdigit()) or int(b) == 0:
                    return None
                return Fraction(int(a), int(b))
            return Fraction(text)
        except (ValueError, ZeroDivisionError):
            return None
    return None


# --------------------------------------------------------------------------------------- parser


class _Ctx:
    def __init__(self, filename: str, lines: dict[tuple, int]):
        self.file = filename
        self.lines = lines
        self.issues = IssueList()

    def line(self, path: tuple) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return 1

    def err(self, path: tuple, message: str) -> None:
        self.issues.add(message, field=".".join(str(p) for p in path) or None, row=self.line(path), file=self.file)


def _key_lines(text: str) -> dict[tuple, int]:
    """Line of every key (and list item) by its path, from the YAML node tree."""
    out: dict[tuple, int] = {}

    def walk(node: yaml.Node, path: tuple) -> None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    p = path + (k.value,)
                    out[p] = k.start_mark.line + 1
                    walk(v, p)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                out[path + (i,)] = v.start_mark.line + 1
                walk(v, path + (i,))

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        walk(root, ())
    return out


def load_rules(path: str | Path) -> JurisdictionRules:
    """Read and validate a rules file from disk."""
    p = Path(path)
    return parse_rules(p.read_bytes(), p.name)


def parse_rules(data: bytes, filename: str = "rules.yaml") -> JurisdictionRules:
    """Parse a jurisdiction rules file, or raise ValidationFailed listing every problem (file, line, field)."""
    doc = load(data, filename)  # malformed YAML, bad encoding and repeated keys are refused here
    ctx = _Ctx(filename, _key_lines(decode(data, filename)))
    if not isinstance(doc, dict):
        ctx.err((), "the rules file must be a mapping with jurisdiction, legal_bases and sentences")
        ctx.issues.raise_if_any(f"{filename}: invalid jurisdiction rules")
    _unknown(ctx, doc, TOP_KEYS, ())
    version = doc.get("version", 1)
    if version != 1 or isinstance(version, bool):
        ctx.err(("version",), f"unsupported rules version {version!r}; this Habeas reads version 1")

    code = name = None
    jur = _mapping(ctx, doc, "jurisdiction", ())
    if jur is not None:
        _unknown(ctx, jur, JURISDICTION_KEYS, ("jurisdiction",))
        code = jur.get("code")
        if not isinstance(code, str) or not code.strip() or len(code) > 32:
            ctx.err(("jurisdiction", "code"), "code is required: a short text of at most 32 characters")
            code = None
        name = jur.get("name")
        if not isinstance(name, str) or not name.strip():
            ctx.err(("jurisdiction", "name"), "name is required")
            name = None

    bases = _legal_bases(ctx, doc)
    sentences = _sentences(ctx, doc)
    ctx.issues.raise_if_any(f"{filename}: invalid jurisdiction rules")
    return JurisdictionRules(code=code.strip(), name=name.strip(), legal_bases=bases, sentences=sentences,
                             source=filename, digest=hashlib.sha256(data).hexdigest())


def _unknown(ctx: _Ctx, node: dict, allowed: tuple, path: tuple) -> None:
    for key in node:
        if key != LINE and key not in allowed:
            ctx.err(path + (str(key),), f"unknown key {key!r} (allowed: {', '.join(allowed)})")


def _mapping(ctx: _Ctx, node: dict, key: str, path: tuple, *, required: bool = True) -> dict | None:
    value = node.get(key)
    if value is None:
        if required:
            ctx.err(path + (key,), f"{key} is required")
        return None
    if not isinstance(value, dict):
        ctx.err(path + (key,), f"{key} must be a mapping of keys and values, not {value!r}")
        return None
    return value


def _whole(ctx: _Ctx, node: dict, key: str, path: tuple, *, required: bool, maximum: int) -> int | None:
    value = node.get(key)
    if value is None:
        if required:
            ctx.err(path + (key,), f"{key} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        ctx.err(path + (key,), f"{key} must be a whole number, not {value!r}")
        return None
    if value < 0:
        ctx.err(path + (key,), f"{key} must be zero or more, not {value}")
        return None
    if value > maximum:
        ctx.err(path + (key,), f"{key} {value:,} is more than {maximum:,}: not a plausible figure")
        return None
    return value


def _period(ctx: _Ctx, node: dict, key: str, path: tuple, max_years: int) -> Term | None:
    """A period {years, months, days}; at least one above zero."""
    value = node.get(key)
    p = path + (key,)
    if not isinstance(value, dict):
        ctx.err(p, f"{key} must be a mapping like {{months: 6}} or {{days: 30}} (years, months, days), not {value!r}")
        return None
    _unknown(ctx, value, PERIOD_KEYS, p)
    parts = {}
    ok = True
    for part, limit in (("years", max_years), ("months", max_years * 12), ("days", max_years * 366)):
        n = _whole(ctx, value, part, p, required=False, maximum=limit)
        if n is None and value.get(part) is not None:
            ok = False
        parts[part] = n or 0
    if not ok:
        return None
    if not any(parts.values()):
        ctx.err(p, f"{key} must be at least one day (give years, months or days)")
        return None
    return Term(**parts)


def _legal_bases(ctx: _Ctx, doc: dict) -> Mapping[str, BasisRule]:
    out: dict[str, BasisRule] = {}
    node = _mapping(ctx, doc, "legal_bases", ())
    if node is None:
        return MappingProxyType(out)
    _unknown(ctx, node, BASIS_TYPES, ("legal_bases",))
    for btype in BASIS_TYPES:
        path = ("legal_bases", btype)
        entry = node.get(btype)
        if entry is None:
            ctx.err(path, f"{btype} is required: every basis type needs its rule")
            continue
        if not isinstance(entry, dict):
            ctx.err(path, f"{btype} must be a mapping with due, max_period and warn_days")
            continue
        _unknown(ctx, entry, BASIS_KEYS, path)
        due = entry.get("due")
        if due not in DUE_KINDS:
            ctx.err(path + ("due",), f"due must be one of {', '.join(DUE_KINDS)}, not {due!r}")
            due = None
        period = None
        if entry.get("max_period") is not None:
            if due == "none":
                ctx.err(path + ("max_period",), "max_period needs due: review or due: expiry (there is no date to limit)")
            else:
                period = _period(ctx, entry, "max_period", path, MAX_PERIOD_YEARS)
        warn = _whole(ctx, entry, "warn_days", path, required=True, maximum=MAX_WARN_DAYS)
        if due is not None and warn is not None:
            out[btype] = BasisRule(btype, due, period, warn)
    return MappingProxyType(out)


def _sentences(ctx: _Ctx, doc: dict) -> SentenceRules | None:
    node = _mapping(ctx, doc, "sentences", ())
    if node is None:
        return None
    path = ("sentences",)
    _unknown(ctx, node, SENTENCE_KEYS, path)
    before = len(ctx.issues)

    rp = node.get("release_point")
    release_point = parse_fraction(rp)
    if rp is None:
        ctx.err(path + ("release_point",), 'release_point is required: 1 (the whole term) or a fraction such as "1/2" or "2/3"')
    elif release_point is None or not 0 < release_point <= 1:
        ctx.err(path + ("release_point",), f'release_point must be a fraction more than 0 and at most 1 (1, "1/2", "2/3", 0.5), not {rp!r}')

    rounding = node.get("rounding", "up")
    if rounding not in ("up", "down"):
        ctx.err(path + ("rounding",), f"rounding must be up or down, not {rounding!r}")

    remand_credit = node.get("remand_credit")
    if not isinstance(remand_credit, bool):
        ctx.err(path + ("remand_credit",), f"remand_credit is required: true or false, not {remand_credit!r}")

    month_end = node.get("month_end", "clamp")
    if month_end not in ("clamp", "next_day"):
        ctx.err(path + ("month_end",), f"month_end must be clamp or next_day, not {month_end!r}")

    default_minimum = None
    if node.get("life") is not None:
        life = _mapping(ctx, node, "life", path)
        if life is not None:
            _unknown(ctx, life, LIFE_KEYS, path + ("life",))
            if life.get("default_minimum_term") is not None:
                default_minimum = _period(ctx, life, "default_minimum_term", path + ("life",), 10_000)

    kinds: dict[str, AdjustmentKind] = {}
    adj = node.get("adjustments")
    apath = path + ("adjustments",)
    if adj is None:
        pass  # no adjustment kinds: every adjustment is refused
    elif not isinstance(adj, dict):
        ctx.err(apath, "adjustments must be a mapping of kind name: {effect, ...}")
    else:
        for name, entry in adj.items():
            if name == LINE:
                continue
            kpath = apath + (str(name),)
            if not isinstance(name, str) or not name or not (name[0].isalpha() and name.islower()
                                                              and all(c.isalnum() or c == "_" for c in name) and name.isascii()):
                ctx.err(kpath, f"adjustment kind {name!r} must be a lower-case name (letters, digits, _)")
                continue
            if not isinstance(entry, dict):
                ctx.err(kpath, f"{name} must be a mapping with at least effect: deduct or add")
                continue
            _unknown(ctx, entry, ADJUSTMENT_KEYS, kpath)
            effect = entry.get("effect")
            if effect not in EFFECTS:
                ctx.err(kpath + ("effect",), f"effect must be deduct or add, not {effect!r}")
                continue
            label = entry.get("label")
            if label is not None and (not isinstance(label, str) or not label.strip()):
                ctx.err(kpath + ("label",), "label must be a short text")
                label = None
            max_days = None
            if entry.get("max_days") is not None:
                max_days = _whole(ctx, entry, "max_days", kpath, required=False, maximum=10_000_000)
            max_fraction = None
            raw = entry.get("max_fraction_of_term")
            if raw is not None:
                max_fraction = parse_fraction(raw)
                if max_fraction is None or not 0 < max_fraction <= 1:
                    ctx.err(kpath + ("max_fraction_of_term",), f'max_fraction_of_term must be a fraction more than 0 and at most 1 ("1/3", 0.25), not {raw!r}')
                    max_fraction = None
            kinds[name] = AdjustmentKind(name, EFFECTS[effect], (label or "").strip(), max_days, max_fraction)

    if len(ctx.issues) > before:
        return None
    return SentenceRules(release_point=release_point, rounding=rounding, remand_credit=remand_credit, month_end=month_end,
                         adjustments=kinds, life_default_minimum=default_minimum)
