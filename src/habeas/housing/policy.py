"""The separation policy of a site, and the words that describe people and locations.

The policy is the ``separation:`` section of the site's layout file. It says which groups of
people must not be held together, and at which level they are kept apart.

```yaml
separation:
  rules:                  # Mandela Rule 11
    sex: pavilion         # men / women / other
    untried_convicted: landing
    civil_criminal: landing
    age: pavilion         # under 18 / adult
  affiliations:           # optional: named security-threat groups
    - name: rival gangs
      groups: [MS-13, Barrio 18]
      level: landing
      enforce: require    # require (default) | prefer
```

Levels
    ``cell``, ``landing``, ``pavilion``, ``site`` and ``none``. A rule at a level keeps the
    groups out of the same unit of that level, and so out of every smaller unit too: a
    landing-level rule also keeps them out of the same cell. ``none`` (or ``false``) switches the
    rule off. A cell that is not on a landing counts as a landing of its own; a cell or landing
    outside any pavilion counts as a pavilion of its own.

Rules (``rules``)
    ``sex``
        male, female and other are kept apart.
    ``untried_convicted``
        untried (remand) prisoners are kept apart from convicted prisoners.
    ``civil_criminal``
        civil prisoners (civil and immigration detention) are kept apart from criminal prisoners
        (untried or convicted).
    ``age``
        people under 18 are kept apart from adults.

    Two people conflict on a rule when both have a value for it and the values differ. A civil
    prisoner has no value for ``untried_convicted``, so that rule alone does not separate them.

Defaults
    Without a ``separation`` section (or with an empty one) the Mandela Rule 11 defaults apply:
    ``sex: pavilion``, ``untried_convicted: landing``, ``civil_criminal: landing``,
    ``age: pavilion``, and no affiliation rules. A ``rules`` mapping that leaves a rule out keeps
    that rule's default: switching a rule off takes an explicit ``none``.

Affiliation rules (``affiliations``)
    A list. Each rule has ``groups`` (at least two distinct group names, as recorded in the
    prisoners' affiliations), ``level`` (required), an optional ``name`` (default
    "affiliation rule N") and ``enforce``: ``require`` (default; a hard rule the allocation never
    breaks) or ``prefer`` (a soft rule: placing a person with a member of a rival group at that
    level is penalised, not forbidden). Members of different groups of a rule conflict; members of
    the same group, and people in none of the groups, do not.

Errors
    Unknown keys, unknown rules, unknown levels, and affiliation rules with fewer than two groups
    are errors. :func:`parse_policy` reports all of them at once in a :class:`PolicyError`, each
    with a path such as ``separation.rules.religion`` and the line of the mapping.

Location attributes
    A location attribute whose name is a person attribute (``sex``, ``legal_status``,
    ``category``, ``age_group``, ``security_level``) restricts who may be placed there: the
    person's value must be one of the listed values, and a person without a value for it is not
    placed there. Other attributes (``regime``, ...) describe the location and never restrict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

LINE = "__line__"

# Person attributes and their words.
SEXES = ("male", "female", "other")
LEGAL_STATUSES = ("remand", "convicted", "civil", "immigration")
CATEGORIES = ("untried", "convicted", "civil")
AGE_GROUPS = ("under_18", "adult")
SECURITY_LEVELS = ("low", "medium", "high", "maximum")
PERSON_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "sex": SEXES,
    "legal_status": LEGAL_STATUSES,
    "category": CATEGORIES,
    "age_group": AGE_GROUPS,
    "security_level": SECURITY_LEVELS,
}
# The prisoner register stores sex as one letter.
SEX_CODES = {"M": "male", "F": "female", "X": "other"}
CATEGORY_OF_STATUS = {"remand": "untried", "convicted": "convicted", "civil": "civil", "immigration": "civil"}

# Separation.
LEVELS = ("cell", "landing", "pavilion", "site")
NONE = "none"
LEVEL_RANK = {level: i for i, level in enumerate(LEVELS)}
DIMENSIONS = ("sex", "untried_convicted", "civil_criminal", "age")
DEFAULT_LEVELS = {"sex": "pavilion", "untried_convicted": "landing", "civil_criminal": "landing", "age": "pavilion"}
ENFORCE = ("require", "prefer")
SEPARATION_KEYS = ("rules", "affiliations")
AFFILIATION_KEYS = ("name", "groups", "level", "enforce")


class PolicyIssue(NamedTuple):
    path: str
    message: str
    line: int | None = None


class PolicyError(ValueError):
    """An invalid separation policy. ``errors`` lists (path, message); ``issues`` adds the line."""

    def __init__(self, issues: Iterable[PolicyIssue]):
        self.issues = list(issues)
        self.errors = [(i.path, i.message) for i in self.issues]
        super().__init__("invalid separation policy: " + "; ".join(f"{p}: {m}" for p, m in self.errors))

    def details(self, file: str | None = None) -> list[dict[str, Any]]:
        """The issues in the shape of the project's validation details (file, row, field, message)."""
        out = []
        for issue in self.issues:
            d: dict[str, Any] = {"row": issue.line, "field": issue.path, "message": issue.message}
            if file is not None:
                d["file"] = file
            out.append(d)
        return out


@dataclass(frozen=True)
class SeparationRule:
    dimension: str
    level: str  # a LEVELS entry or "none"

    @property
    def active(self) -> bool:
        return self.level != NONE


@dataclass(frozen=True)
class AffiliationRule:
    name: str
    groups: tuple[str, ...]
    level: str  # a LEVELS entry or "none"
    enforce: str = "require"

    @property
    def active(self) -> bool:
        return self.level != NONE

    @property
    def hard(self) -> bool:
        return self.enforce == "require"

    def members(self, groups: Iterable[str]) -> frozenset[str]:
        """The groups of this rule among a person's groups."""
        return frozenset(g for g in groups if g in self.groups)

    def conflict(self, groups_a: Iterable[str], groups_b: Iterable[str]) -> bool:
        """True when one person is in a group of the rule and the other in a different one."""
        a, b = self.members(groups_a), self.members(groups_b)
        return any(x != y for x in a for y in b)


@dataclass(frozen=True)
class Policy:
    rules: tuple[SeparationRule, ...]  # one per dimension, in DIMENSIONS order
    affiliations: tuple[AffiliationRule, ...] = ()

    def level(self, dimension: str) -> str:
        for rule in self.rules:
            if rule.dimension == dimension:
                return rule.level
        return NONE

    @property
    def active_rules(self) -> tuple[SeparationRule, ...]:
        return tuple(r for r in self.rules if r.active)

    @property
    def hard_affiliations(self) -> tuple[AffiliationRule, ...]:
        return tuple(r for r in self.affiliations if r.active and r.hard)

    @property
    def soft_affiliations(self) -> tuple[AffiliationRule, ...]:
        return tuple(r for r in self.affiliations if r.active and not r.hard)

    def to_dict(self) -> dict[str, Any]:
        """The policy in the layout file's form, with every default written out."""
        out: dict[str, Any] = {"rules": {r.dimension: r.level for r in self.rules}}
        if self.affiliations:
            out["affiliations"] = [
                {"name": a.name, "groups": list(a.groups), "level": a.level, "enforce": a.enforce} for a in self.affiliations
            ]
        return out


DEFAULT_POLICY = Policy(rules=tuple(SeparationRule(d, DEFAULT_LEVELS[d]) for d in DIMENSIONS))
# No separation at all (for tests and for sites that declare every rule "none").
NO_SEPARATION = Policy(rules=tuple(SeparationRule(d, NONE) for d in DIMENSIONS))


def _line(node: Any, fallback: int | None) -> int | None:
    if isinstance(node, Mapping):
        line = node.get(LINE)
        if isinstance(line, int):
            return line
    return fallback


def _level(value: Any) -> str | None:
    if value is False:  # YAML reads a bare "no" or "off" as false
        return NONE
    if isinstance(value, str) and value.strip().lower() in LEVELS + (NONE,):
        return value.strip().lower()
    return None


def parse_policy(data: Mapping[str, Any] | None) -> Policy:
    """Read the ``separation`` mapping of a layout file (None or empty: the defaults).

    Raises PolicyError listing every problem. Keys named ``__line__`` (line numbers added by the
    project's YAML reader) are ignored, and used to give each problem its line.
    """
    issues: list[PolicyIssue] = []
    if data is None:
        return DEFAULT_POLICY
    if not isinstance(data, Mapping):
        raise PolicyError([PolicyIssue("separation", "separation must be a mapping with rules and affiliations")])
    top_line = _line(data, None)
    for key in data:
        if key != LINE and key not in SEPARATION_KEYS:
            issues.append(PolicyIssue(f"separation.{key}", f"unknown key {key!r} (expected: {', '.join(SEPARATION_KEYS)})", top_line))

    levels = dict(DEFAULT_LEVELS)
    raw_rules = data.get("rules")
    if raw_rules is not None:
        if not isinstance(raw_rules, Mapping):
            issues.append(PolicyIssue("separation.rules", "rules must be a mapping of rule: level", top_line))
        else:
            line = _line(raw_rules, top_line)
            for key, value in raw_rules.items():
                if key == LINE:
                    continue
                path = f"separation.rules.{key}"
                if key not in DIMENSIONS:
                    issues.append(PolicyIssue(path, f"unknown separation rule {key!r} (known: {', '.join(DIMENSIONS)})", line))
                    continue
                level = _level(value)
                if level is None:
                    issues.append(PolicyIssue(path, f"level must be one of {', '.join(LEVELS + (NONE,))}, not {value!r}", line))
                    continue
                levels[key] = level

    affiliations: list[AffiliationRule] = []
    raw_aff = data.get("affiliations")
    if raw_aff is not None:
        if not isinstance(raw_aff, list):
            issues.append(PolicyIssue("separation.affiliations", "affiliations must be a list of rules", top_line))
        else:
            names: dict[str, int] = {}
            for i, item in enumerate(raw_aff):
                rule = _affiliation(item, i, top_line, issues)
                if rule is None:
                    continue
                if rule.name in names:
                    issues.append(PolicyIssue(f"separation.affiliations[{i}].name",
                                              f"duplicate rule name {rule.name!r} (also rule {names[rule.name] + 1})", _line(item, top_line)))
                    continue
                names[rule.name] = i
                affiliations.append(rule)

    if issues:
        raise PolicyError(issues)
    return Policy(rules=tuple(SeparationRule(d, levels[d]) for d in DIMENSIONS), affiliations=tuple(affiliations))


def _affiliation(item: Any, i: int, fallback_line: int | None, issues: list[PolicyIssue]) -> AffiliationRule | None:
    path = f"separation.affiliations[{i}]"
    if not isinstance(item, Mapping):
        issues.append(PolicyIssue(path, "an affiliation rule is a mapping with name, groups, level and enforce", fallback_line))
        return None
    line = _line(item, fallback_line)
    before = len(issues)
    for key in item:
        if key != LINE and key not in AFFILIATION_KEYS:
            issues.append(PolicyIssue(f"{path}.{key}", f"unknown key {key!r} (expected: {', '.join(AFFILIATION_KEYS)})", line))
    name = item.get("name", f"affiliation rule {i + 1}")
    if not isinstance(name, str) or not name.strip():
        issues.append(PolicyIssue(f"{path}.name", "name must be a text", line))
        name = f"affiliation rule {i + 1}"
    groups = item.get("groups")
    clean: list[str] = []
    if not isinstance(groups, list):
        issues.append(PolicyIssue(f"{path}.groups", "groups must be a list of at least two group names", line))
    else:
        for g in groups:
            if isinstance(g, bool) or not isinstance(g, (str, int)) or not str(g).strip():
                issues.append(PolicyIssue(f"{path}.groups", f"a group is a name, not {g!r}", line))
                continue
            g = str(g).strip()
            if g in clean:
                issues.append(PolicyIssue(f"{path}.groups", f"group {g!r} is listed twice", line))
                continue
            clean.append(g)
        if len(clean) < 2 and len(issues) == before:
            issues.append(PolicyIssue(f"{path}.groups", "an affiliation rule needs at least two distinct groups", line))
    if "level" not in item or item.get("level") is None:
        issues.append(PolicyIssue(f"{path}.level", f"level is required ({', '.join(LEVELS + (NONE,))})", line))
        level = None
    else:
        level = _level(item["level"])
        if level is None:
            issues.append(PolicyIssue(f"{path}.level", f"level must be one of {', '.join(LEVELS + (NONE,))}, not {item['level']!r}", line))
    enforce = item.get("enforce", "require")
    if enforce not in ENFORCE:
        issues.append(PolicyIssue(f"{path}.enforce", f"enforce must be require or prefer, not {enforce!r}", line))
    if len(issues) > before:
        return None
    return AffiliationRule(name=name.strip(), groups=tuple(clean), level=level, enforce=enforce)


# --- people -----------------------------------------------------------------------------------

def sex_word(code: str | None) -> str | None:
    """The register's one-letter sex (M/F/X) as a policy word; words pass through."""
    if code is None:
        return None
    c = str(code).strip()
    if c.upper() in SEX_CODES:
        return SEX_CODES[c.upper()]
    if c.lower() in SEXES:
        return c.lower()
    raise ValueError(f"unknown sex {code!r} (M, F or X)")


def category_of(legal_status: str | None) -> str | None:
    """Mandela Rule 11 category: untried (remand), convicted, civil (civil and immigration)."""
    if legal_status is None:
        return None
    return CATEGORY_OF_STATUS.get(legal_status)


def age_on(date_of_birth: date, on_date: date) -> int:
    years = on_date.year - date_of_birth.year
    if (on_date.month, on_date.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def person_attributes(sex: str | None, legal_status: str | None, date_of_birth: date | None, on_date: date,
                      security_level: str | None = None) -> dict[str, str]:
    """The policy words of a person: sex, legal_status, category, age_group, security_level.

    A value that is not known is left out (the person then has no value for it).
    """
    out: dict[str, str] = {}
    s = sex_word(sex)
    if s is not None:
        out["sex"] = s
    if legal_status is not None:
        if legal_status not in LEGAL_STATUSES:
            raise ValueError(f"unknown legal status {legal_status!r}")
        out["legal_status"] = legal_status
        out["category"] = CATEGORY_OF_STATUS[legal_status]
    if date_of_birth is not None:
        out["age_group"] = "under_18" if age_on(date_of_birth, on_date) < 18 else "adult"
    if security_level is not None:
        if security_level not in SECURITY_LEVELS:
            raise ValueError(f"unknown security level {security_level!r}")
        out["security_level"] = security_level
    return out


def complete_attributes(attrs: Mapping[str, str]) -> dict[str, str]:
    """A person's attributes with the category filled in from the legal status when missing."""
    out = {k: v for k, v in attrs.items() if v is not None}
    if "category" not in out and out.get("legal_status") in CATEGORY_OF_STATUS:
        out["category"] = CATEGORY_OF_STATUS[out["legal_status"]]
    return out


def dimension_value(dimension: str, attrs: Mapping[str, str]) -> str | None:
    """A person's value for a separation rule (None: the rule does not apply to them)."""
    if dimension == "sex":
        return attrs.get("sex")
    if dimension == "age":
        return attrs.get("age_group")
    category = attrs.get("category") or category_of(attrs.get("legal_status"))
    if dimension == "untried_convicted":
        return category if category in ("untried", "convicted") else None
    if dimension == "civil_criminal":
        if category is None:
            return None
        return "civil" if category == "civil" else "criminal"
    raise ValueError(f"unknown separation rule {dimension!r}")


def conflicts(dimension: str, a: Mapping[str, str], b: Mapping[str, str]) -> bool:
    va, vb = dimension_value(dimension, a), dimension_value(dimension, b)
    return va is not None and vb is not None and va != vb


def describe(attrs: Mapping[str, str]) -> str:
    """Plain words for a group of people: "female under-18 remand prisoners"."""
    words = []
    if attrs.get("sex"):
        words.append(attrs["sex"] if attrs["sex"] != "other" else "sex-other")
    if attrs.get("age_group") == "under_18":
        words.append("under-18")
    status = attrs.get("legal_status") or attrs.get("category")
    if status == "immigration":
        words.append("immigration detainees")
    else:
        if status:
            words.append(status)
        words.append("prisoners")
    return " ".join(words)


# --- locations --------------------------------------------------------------------------------

def attribute_values(value: Any) -> tuple[str, ...]:
    """A location attribute value (scalar or list) as a tuple of texts."""
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
    else:
        items = [value]
    out = []
    for v in items:
        if isinstance(v, bool):
            out.append("true" if v else "false")
        else:
            out.append(str(v))
    return tuple(out)


def cell_attributes(effective: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """A location's effective attributes in the allocation engine's form: name -> tuple of values."""
    return {str(k): attribute_values(v) for k, v in effective.items() if k != LINE}


def check_location_attributes(attrs: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Problems with a location's attributes: unknown values of restricting attributes.

    Returns (attribute name, message) pairs; an empty list when all is well.
    """
    out: list[tuple[str, str]] = []
    for key, value in attrs.items():
        if key == LINE or key not in PERSON_ATTRIBUTES:
            continue
        allowed = PERSON_ATTRIBUTES[key]
        items = value if isinstance(value, (list, tuple)) else [value]
        if not items:
            out.append((key, f"{key} restricts who may be placed here: give at least one of {', '.join(allowed)}"))
            continue
        for v in items:
            if isinstance(v, bool) or not isinstance(v, str) or v not in allowed:
                out.append((key, f"unknown {key} {v!r} (one of {', '.join(allowed)})"))
    return out


def admits(cell_attrs: Mapping[str, Iterable[str]], person_attrs: Mapping[str, str]) -> bool:
    """True when every restricting attribute of the location lists the person's value."""
    for name, values in cell_attrs.items():
        if name in PERSON_ATTRIBUTES:
            v = person_attrs.get(name)
            if v is None or v not in values:
                return False
    return True
