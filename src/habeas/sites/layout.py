"""The facility layout file: parse and validate (pure; no database).

A layout is YAML with ``site``, optional ``parameters`` (named figures, used as "${name}"),
optional ``separation`` (policy, kept for the housing engine) and ``locations`` (a tree).
See docs/facility-layout.md for the format.
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass, field
from typing import Any

from habeas.housing.policy import PolicyError, check_location_attributes, parse_policy
from habeas.kit.errors import IssueList
from habeas.kit.yamlfile import LINE, line_of, load, strip_lines

GROUPING_TYPES = ("pavilion", "landing", "unit")
ROOM_TYPES = ("video_link_room", "visits_room", "exercise_area", "medical_unit", "room")
RESIDENTIAL_TYPES = ("cell", "reception")
LOCATION_TYPES = GROUPING_TYPES + RESIDENTIAL_TYPES + ROOM_TYPES
CELL_USES = ("normal", "segregation", "medical", "reception")
ROOM_USES = ("court", "legal_visit", "shared")

MAX_LOCATIONS = 250_000
MAX_REPEAT = 10_000
CODE_RE = re.compile(r"^[A-Za-z0-9_.]{1,64}$")
SITE_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
PARAM_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

NODE_KEYS = {
    "code", "name", "type", "use", "repeat", "start", "children", "floor_area_m2", "ceiling_height_m",
    "capacity", "toilets", "sinks", "water_containers", "outdoor", "natural_light", "room_use", "attributes",
}
CAPACITY_KEYS = {"cna", "working", "max", "cna_area_per_person_m2"}
TOP_KEYS = {"version", "site", "parameters", "separation", "locations"}
SITE_KEYS = {"code", "name", "timezone", "operational_capacity"}


@dataclass
class LocationSpec:
    code: str
    local_code: str
    parent_code: str | None
    name: str
    type: str
    use: str
    depth: int
    position: int
    residential: bool
    floor_area_m2: float | None = None
    ceiling_height_m: float | None = None
    cna: int = 0
    working_capacity: int = 0
    max_capacity: int = 0
    toilets: int = 0
    sinks: int = 0
    water_containers: int = 0
    outdoor: bool = False
    natural_light: bool | None = None
    room_use: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    effective_attributes: dict[str, Any] = field(default_factory=dict)
    line: int | None = None

    # Columns compared when a layout is loaded again.
    COMPARED = (
        "parent_code", "name", "type", "use", "depth", "position", "residential", "floor_area_m2", "ceiling_height_m",
        "cna", "working_capacity", "max_capacity", "toilets", "sinks", "water_containers", "outdoor", "natural_light",
        "room_use", "attributes", "effective_attributes",
    )

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.COMPARED}


@dataclass
class SiteSpec:
    code: str
    name: str
    timezone: str
    operational_capacity: int
    parameters: dict[str, Any]
    separation: dict[str, Any]
    locations: list[LocationSpec]
    digest: str

    @property
    def settings(self) -> dict[str, Any]:
        return {"parameters": self.parameters, "separation": self.separation}

    def reception_code(self) -> str | None:
        for loc in self.locations:
            if loc.type == "reception":
                return loc.code
        return None


class _Ctx:
    def __init__(self, filename: str, parameters: dict[str, Any]):
        self.file = filename
        self.params = parameters
        self.issues = IssueList()
        self.out: list[LocationSpec] = []
        self.codes: dict[str, int | None] = {}

    def err(self, path: str, line: int | None, message: str) -> None:
        self.issues.add(message, field=path, row=line, file=self.file)


def parse_layout(data: bytes, filename: str = "layout.yaml") -> SiteSpec:
    """Parse a layout file, or raise ValidationFailed listing every problem (file, line, field)."""
    doc = load(data, filename)
    issues = IssueList()
    if not isinstance(doc, dict):
        issues.add("the layout must be a mapping with site, locations", file=filename, row=1)
        issues.raise_if_any(f"{filename}: invalid layout")
    for key in doc:
        if key != LINE and key not in TOP_KEYS:
            issues.add(f"unknown key {key!r} (expected one of {', '.join(sorted(TOP_KEYS))})", field=key, row=line_of(doc), file=filename)
    version = doc.get("version", 1)
    if version != 1:
        issues.add(f"unsupported layout version {version!r}; this Habeas reads version 1", field="version", row=line_of(doc), file=filename)

    raw_params = doc.get("parameters") or {}
    params: dict[str, Any] = {}
    if not isinstance(raw_params, dict):
        issues.add("parameters must be a mapping of name: value", field="parameters", row=line_of(doc), file=filename)
    else:
        for k, v in raw_params.items():
            if k == LINE:
                continue
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(k)):
                issues.add(f"parameter name {k!r} must be letters, digits and _", field=f"parameters.{k}", row=line_of(raw_params), file=filename)
            elif isinstance(v, (dict, list)):
                issues.add("a parameter is a single number, text or yes/no", field=f"parameters.{k}", row=line_of(raw_params), file=filename)
            else:
                params[str(k)] = v

    ctx = _Ctx(filename, params)
    ctx.issues.extend(issues)

    site = doc.get("site")
    code = name = tz = None
    op_cap = None
    if not isinstance(site, dict):
        ctx.err("site", line_of(doc), "missing site: {code, name, operational_capacity}")
    else:
        site = _subst(ctx, "site", site)
        _unknown_keys(ctx, site, SITE_KEYS, "site")
        code = site.get("code")
        if not isinstance(code, str) or not SITE_CODE_RE.match(code):
            ctx.err("site.code", line_of(site), "site code is required: 1-32 letters, digits, - or _")
        name = site.get("name")
        if not isinstance(name, str) or not name.strip():
            ctx.err("site.name", line_of(site), "site name is required")
        tz = site.get("timezone", "UTC")
        if not isinstance(tz, str) or not _valid_tz(tz):
            ctx.err("site.timezone", line_of(site), f"unknown time zone {tz!r}")
        op_cap = _int(ctx, site, "operational_capacity", "site.operational_capacity", required=True)

    separation = doc.get("separation") or {}
    if not isinstance(separation, dict):
        ctx.err("separation", line_of(doc), "separation must be a mapping")
        separation = {}
    else:
        try:
            parse_policy(_subst(ctx, "separation", separation))
        except PolicyError as exc:
            for issue in exc.issues:
                ctx.err(issue.path, issue.line or line_of(separation), issue.message)

    locations = doc.get("locations")
    if not isinstance(locations, list) or not locations:
        ctx.err("locations", line_of(doc), "locations must be a non-empty list")
        locations = []
    for i, node in enumerate(locations):
        _walk(ctx, node, f"locations[{i}]", parent=None, inherited_attrs={}, inherited_use=None, depth=0, n=None)
        if len(ctx.out) > MAX_LOCATIONS:
            ctx.err("locations", None, f"more than {MAX_LOCATIONS} locations")
            break

    receptions = [loc for loc in ctx.out if loc.type == "reception"]
    if ctx.out and not receptions:
        ctx.err("locations", line_of(doc), "a site needs a reception (type: reception): admission places people there")
    cell_max = sum(loc.max_capacity for loc in ctx.out if loc.type == "cell")
    if isinstance(op_cap, int) and ctx.out and op_cap > cell_max:
        ctx.err("site.operational_capacity", line_of(site), f"operational capacity {op_cap} exceeds the sum of the cells' max capacity ({cell_max})")

    ctx.issues.raise_if_any(f"{filename}: invalid layout")
    digest = hashlib.sha256(data).hexdigest()
    return SiteSpec(
        code=code, name=name.strip(), timezone=tz, operational_capacity=op_cap, parameters=params,
        separation=strip_lines(_subst(ctx, "separation", separation)), locations=ctx.out, digest=digest,
    )


def _valid_tz(name: str) -> bool:
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(name)
        return True
    except Exception:
        return False


def _unknown_keys(ctx: _Ctx, node: dict, allowed: set[str], path: str) -> None:
    for key in node:
        if key != LINE and key not in allowed:
            ctx.err(f"{path}.{key}", line_of(node), f"unknown field {key!r} (allowed: {', '.join(sorted(allowed))})")


def _subst(ctx: _Ctx, path: str, value: Any, line: int | None = None) -> Any:
    """Replace "${name}" by the parameter's value (whole value keeps its type; inside text, as text)."""
    if isinstance(value, dict):
        line = line_of(value) or line
        return {k: (v if k == LINE else _subst(ctx, f"{path}.{k}", v, line)) for k, v in value.items()}
    if isinstance(value, list):
        return [_subst(ctx, f"{path}[{i}]", v, line) for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:
        whole = PARAM_RE.fullmatch(value)
        if whole:
            name = whole.group(1)
            if name not in ctx.params:
                ctx.err(path, line, f"unknown parameter ${{{name}}}")
                return None
            return ctx.params[name]

        def repl(m: re.Match) -> str:
            if m.group(1) not in ctx.params:
                ctx.err(path, line, f"unknown parameter ${{{m.group(1)}}}")
                return ""
            return str(ctx.params[m.group(1)])

        return PARAM_RE.sub(repl, value)
    return value


def _num(ctx: _Ctx, node: dict, key: str, path: str, *, required: bool = False, positive: bool = False) -> float | None:
    if key not in node or node[key] is None:
        if required:
            ctx.err(path, line_of(node), f"{key} is required")
        return None
    v = node[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        ctx.err(path, line_of(node), f"{key} must be a number, not {v!r}")
        return None
    if v < 0 or (positive and v == 0) or v != v or v in (float("inf"), float("-inf")):
        ctx.err(path, line_of(node), f"{key} must be {'greater than 0' if positive else 'zero or more'}, not {v}")
        return None
    if v > 1_000_000:
        ctx.err(path, line_of(node), f"{key} {v} is not a plausible figure")
        return None
    return float(v)


def _int(ctx: _Ctx, node: dict, key: str, path: str, *, required: bool = False, default: int | None = None) -> int | None:
    if key not in node or node[key] is None:
        if required:
            ctx.err(path, line_of(node), f"{key} is required")
        return default
    v = node[key]
    if isinstance(v, bool) or not isinstance(v, int):
        ctx.err(path, line_of(node), f"{key} must be a whole number, not {v!r}")
        return default
    if v < 0:
        ctx.err(path, line_of(node), f"{key} must be zero or more, not {v}")
        return default
    if v > 10_000_000:
        ctx.err(path, line_of(node), f"{key} {v} is not a plausible figure")
        return default
    return v


def _bool(ctx: _Ctx, node: dict, key: str, path: str) -> bool | None:
    if key not in node or node[key] is None:
        return None
    if not isinstance(node[key], bool):
        ctx.err(path, line_of(node), f"{key} must be true or false, not {node[key]!r}")
        return None
    return node[key]


def _format(ctx: _Ctx, template: str, n: int | None, path: str, line: int | None) -> str | None:
    if n is None:
        if "{" in template:
            ctx.err(path, line, f"{template!r} uses {{n}} but the node has no repeat")
            return None
        return template
    fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    if any(f != "n" for f in fields):
        ctx.err(path, line, f"{template!r}: only {{n}} (e.g. {{n:03d}}) may be used in a repeated code or name")
        return None
    try:
        return template.format(n=n)
    except (ValueError, IndexError) as exc:
        ctx.err(path, line, f"{template!r}: {exc}")
        return None


def _walk(ctx: _Ctx, raw: Any, path: str, parent: LocationSpec | None, inherited_attrs: dict, inherited_use: str | None, depth: int, n: int | None) -> None:
    if not isinstance(raw, dict):
        ctx.err(path, None, "a location must be a mapping with at least code and type")
        return
    line = line_of(raw)
    repeat = _subst(ctx, f"{path}.repeat", raw.get("repeat"), line_of(raw))
    if repeat is not None and n is None:
        if isinstance(repeat, bool) or not isinstance(repeat, int) or not 1 <= repeat <= MAX_REPEAT:
            ctx.err(f"{path}.repeat", line, f"repeat must be a whole number from 1 to {MAX_REPEAT}, not {repeat!r}")
            return
        start = _subst(ctx, f"{path}.start", raw.get("start", 1), line_of(raw))
        if isinstance(start, bool) or not isinstance(start, int) or start < 0:
            ctx.err(f"{path}.start", line, f"start must be a whole number, not {start!r}")
            return
        template = raw.get("code")
        if isinstance(template, str) and "{" not in template:
            ctx.err(f"{path}.code", line, f"a repeated node needs {{n}} in its code (e.g. \"C{{n:03d}}\"), not {template!r}")
            return
        for k in range(start, start + repeat):
            before = len(ctx.issues)
            _walk(ctx, raw, f"{path}#{k}", parent, inherited_attrs, inherited_use, depth, k)
            if len(ctx.issues) > before:
                # The copies are identical: one report of the node's problems is enough.
                for issue in ctx.issues[before:]:
                    issue["message"] += f" (in each of the {repeat} copies)"
                return
            if len(ctx.out) > MAX_LOCATIONS:
                return
        return
    if n is None and "start" in raw:
        ctx.err(f"{path}.start", line, "start is only meaningful with repeat")

    node = _subst(ctx, path, {k: v for k, v in raw.items() if k not in ("children",)})
    _unknown_keys(ctx, node, NODE_KEYS, path)

    ltype = node.get("type")
    if ltype not in LOCATION_TYPES:
        ctx.err(f"{path}.type", line, f"type must be one of {', '.join(LOCATION_TYPES)}, not {ltype!r}")
        return
    code_t = node.get("code")
    if not isinstance(code_t, (str, int)) or isinstance(code_t, bool):
        ctx.err(f"{path}.code", line, "code is required")
        return
    local = _format(ctx, str(code_t), n, f"{path}.code", line)
    if local is None:
        return
    if not CODE_RE.match(local):
        ctx.err(f"{path}.code", line, f"code {local!r} must be 1-64 letters, digits, '_' or '.'")
        return
    full = f"{parent.code}-{local}" if parent else local
    if full in ctx.codes:
        ctx.err(f"{path}.code", line, f"duplicate location code {full!r} (first at line {ctx.codes[full]})")
        return
    ctx.codes[full] = line
    name_t = node.get("name")
    name = _format(ctx, str(name_t), n, f"{path}.name", line) if name_t is not None else None
    if name is None:
        name = f"{ltype.replace('_', ' ').capitalize()} {local}"

    if parent is not None and parent.type == "cell":
        ctx.err(path, line, f"a cell cannot contain other locations (parent {parent.code})")
        return

    # use: inherited default for cells; reception cells are use "reception"
    use = node.get("use")
    if use is not None and use not in CELL_USES:
        ctx.err(f"{path}.use", line, f"use must be one of {', '.join(CELL_USES)}, not {use!r}")
        use = None
    own_use = use
    use = use or inherited_use or "normal"
    if ltype == "reception":
        use = "reception"

    attrs = node.get("attributes") or {}
    if not isinstance(attrs, dict):
        ctx.err(f"{path}.attributes", line, "attributes must be a mapping of name: value")
        attrs = {}
    clean_attrs: dict[str, Any] = {}
    for k, v in attrs.items():
        if k == LINE:
            continue
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", str(k)):
            ctx.err(f"{path}.attributes.{k}", line, "attribute names are lower case letters, digits and _")
            continue
        if isinstance(v, list):
            if not all(isinstance(x, (str, int, bool)) for x in v):
                ctx.err(f"{path}.attributes.{k}", line, "an attribute is a value or a list of values")
                continue
            clean_attrs[str(k)] = [str(x) if not isinstance(x, bool) else x for x in v]
        elif isinstance(v, (str, int, bool)):
            clean_attrs[str(k)] = v
        else:
            ctx.err(f"{path}.attributes.{k}", line, "an attribute is a value or a list of values")
    for k, message in check_location_attributes(clean_attrs):
        ctx.err(f"{path}.attributes.{k}", line, message)
    effective = {**inherited_attrs, **clean_attrs}

    spec = LocationSpec(
        code=full, local_code=local, parent_code=parent.code if parent else None, name=name.strip(), type=ltype,
        use=use, depth=depth, position=len(ctx.out), residential=ltype in RESIDENTIAL_TYPES,
        attributes=clean_attrs, effective_attributes=effective, line=line,
    )
    spec.floor_area_m2 = _num(ctx, node, "floor_area_m2", f"{path}.floor_area_m2", required=ltype == "cell", positive=True)
    spec.ceiling_height_m = _num(ctx, node, "ceiling_height_m", f"{path}.ceiling_height_m", positive=True)
    spec.toilets = _int(ctx, node, "toilets", f"{path}.toilets", default=0)
    spec.sinks = _int(ctx, node, "sinks", f"{path}.sinks", default=0)
    spec.water_containers = _int(ctx, node, "water_containers", f"{path}.water_containers", default=0)
    spec.natural_light = _bool(ctx, node, "natural_light", f"{path}.natural_light")
    outdoor = _bool(ctx, node, "outdoor", f"{path}.outdoor")
    if outdoor is not None and ltype != "exercise_area":
        ctx.err(f"{path}.outdoor", line, "outdoor applies to exercise areas only")
    spec.outdoor = bool(outdoor)
    room_use = node.get("room_use")
    if room_use is not None:
        if ltype != "video_link_room":
            ctx.err(f"{path}.room_use", line, "room_use applies to video-link rooms only")
        elif room_use not in ROOM_USES:
            ctx.err(f"{path}.room_use", line, f"room_use must be one of {', '.join(ROOM_USES)}, not {room_use!r}")
        else:
            spec.room_use = room_use
    elif ltype == "video_link_room":
        spec.room_use = "shared"
    if own_use is not None and ltype in ROOM_TYPES:
        ctx.err(f"{path}.use", line, "use applies to cells and the units that hold them")

    cap = node.get("capacity")
    if cap is not None:
        if ltype in GROUPING_TYPES:
            ctx.err(f"{path}.capacity", line, f"a {ltype} has no capacity of its own: it is the sum of its cells")
        elif not isinstance(cap, dict):
            ctx.err(f"{path}.capacity", line, "capacity must be a mapping {cna, working, max}")
        else:
            _capacity(ctx, cap, spec, f"{path}.capacity", line)
    elif ltype == "cell":
        ctx.err(f"{path}.capacity", line, "a cell needs a capacity {cna, working, max}")

    ctx.out.append(spec)
    children = raw.get("children")
    if children is not None:
        if not isinstance(children, list):
            ctx.err(f"{path}.children", line, "children must be a list of locations")
            return
        if ltype == "cell":
            ctx.err(f"{path}.children", line, "a cell cannot contain other locations")
            return
        for i, child in enumerate(children):
            _walk(ctx, child, f"{path}.children[{i}]", spec, effective, own_use or inherited_use, depth + 1, None)
            if len(ctx.out) > MAX_LOCATIONS:
                return


def _capacity(ctx: _Ctx, cap: dict, spec: LocationSpec, path: str, line: int | None) -> None:
    _unknown_keys(ctx, cap, CAPACITY_KEYS, path)
    working = _int(ctx, cap, "working", f"{path}.working", required=True)
    maximum = _int(ctx, cap, "max", f"{path}.max", required=True)
    cna = _int(ctx, cap, "cna", f"{path}.cna")
    per_person = _num(ctx, cap, "cna_area_per_person_m2", f"{path}.cna_area_per_person_m2", positive=True)
    if cna is not None and per_person is not None:
        ctx.err(f"{path}.cna", line, "give cna or cna_area_per_person_m2, not both")
    if per_person is not None:
        if spec.floor_area_m2 is None:
            ctx.err(f"{path}.cna_area_per_person_m2", line, "cna_area_per_person_m2 needs the floor_area_m2 of the location")
        else:
            # A little tolerance so 100 m2 / 4 m2 is 25, not 24 through rounding.
            cna = int(spec.floor_area_m2 / per_person + 1e-9)
    if working is None or maximum is None:
        return
    if cna is None:
        cna = working
    if working > maximum:
        ctx.err(f"{path}.working", line, f"working capacity {working} exceeds max capacity {maximum}")
    if cna > maximum:
        ctx.err(f"{path}.cna", line, f"cna {cna} exceeds max capacity {maximum}")
    spec.cna, spec.working_capacity, spec.max_capacity = cna, working, maximum
