"""Prisoner search and the prisoner record.

The search runs the same service as ``GET /api/v1/prisoners``; the record reads
``prisoners.service.full_record``, which audits the read exactly as the API does. The long
lists of the record (the location timeline, the audit trail) come in pages, as fragments for
htmx and as plain pages without it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session

from habeas.audit import repository as audit_repo
from habeas.court import service as court_service
from habeas.kit import clock
from habeas.kit.errors import DomainError, NotFound, ValidationFailed
from habeas.kit.i18n import N_
from habeas.kit.i18n import gettext as _
from habeas.kit.pages import SITE_COOKIE, Page, can, flash, redirect, refuse, render
from habeas.kit.web import Ctx, TxRoute
from habeas.legal import sentences
from habeas.legal import service as legal_service
from habeas.movements import service as movements_service
from habeas.movements.ledger import DISCHARGES
from habeas.prisoners import repository, service
from habeas.prisoners.numbers import is_valid
from habeas.prisoners.schemas import AddMark, Amend
from habeas.prisoners.numbers import normalise as normalise_number
from habeas.sites import repository as sites_repo

router = APIRouter(route_class=TxRoute)

PAGE_SIZE = 20
TIMELINE_PAGE = 20
AUDIT_PAGE = 20
NUMBER_SHAPE = re.compile(r"^H\d{7}[A-Z]$")
ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
DMY_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")

# Values the record shows from the data: listed so the catalogs carry them.
VOCABULARY = [
    N_("remand"), N_("convicted"), N_("immigration"), N_("civil"), N_("low"), N_("medium"), N_("high"), N_("maximum"),
    N_("vulnerable"), N_("single cell"), N_("medical needs"),
    N_("active"), N_("superseded"), N_("revoked"), N_("ended"), N_("quashed"), N_("closed"), N_("held"),
    N_("remand order"), N_("warrant"), N_("detention order"), N_("sentence"),
    N_("add"), N_("renew"), N_("supersede"), N_("revoke"), N_("end"), N_("reinstate"),
    N_("admission"), N_("internal"), N_("court"), N_("hospital"), N_("other out"), N_("return"), N_("escape"),
    N_("transfer out"), N_("transfer in"), N_("release"), N_("death"), N_("handover"),
    N_("in person"), N_("video link"), N_("pre"), N_("main"), N_("post"),
    N_("remanded"), N_("adjourned"), N_("released"),
    N_("tattoo"), N_("scar"), N_("birthmark"), N_("piercing"), N_("other"),
    N_("gang"), N_("organised crime"), N_("threat"), N_("violence"), N_("bullying"), N_("legal request"),
    N_("victim"), N_("perpetrator"), N_("not relevant"), N_("unknown"),
    N_("cell"), N_("landing"), N_("pavilion"), N_("site"), N_("transit"), N_("escaped"), N_("out"),
    N_("shared"), N_("legal visit"), N_("remission"), N_("added days"), N_("credits"),
    N_("arrested at"), N_("arrest place"), N_("arresting authority"), N_("commitment reason"), N_("commitment authority"),
    N_("visible injuries"), N_("ill treatment complaint"), N_("property record"), N_("next of kin name"),
    N_("next of kin relationship"), N_("next of kin contact"), N_("legal representative"), N_("source ref"),
    N_("surname"), N_("given names"), N_("date of birth"), N_("sex"), N_("nationality"), N_("national id"),
    N_("security level"), N_("legal status"), N_("flags"),
]


# --- helpers shared by the record, audit and court pages -----------------------------------------

class LocalTime:
    """Formats database times (naive UTC) in a site's time zone: ``when(value)`` in templates."""

    def __init__(self, zone: str | None):
        self.name = zone or "UTC"
        try:
            self.tz = ZoneInfo(self.name)
        except (KeyError, ValueError):
            self.name, self.tz = "UTC", ZoneInfo("UTC")

    def __call__(self, value: datetime | date | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if value is None:
            return ""
        if not isinstance(value, datetime):
            return value.isoformat() if isinstance(value, date) else str(value)
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(self.tz).strftime(fmt)

    def local(self, value: datetime) -> datetime:
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(self.tz)


def zone_for(session: Session, request: Request, site_code: str | None = None) -> LocalTime:
    """The time zone of this site, else of the browser's remembered site, else of the first site."""
    site = sites_repo.site_by_code(session, site_code) if site_code else None
    if site is None and request.cookies.get(SITE_COOKIE):
        site = sites_repo.site_by_code(session, request.cookies[SITE_COOKIE])
    if site is None:
        sites = sites_repo.list_sites(session)
        site = sites[0] if sites else None
    return LocalTime(site.timezone if site else None)


def is_fragment(request: Request) -> bool:
    """An htmx request for part of a page (not htmx restoring a whole page from history)."""
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-history-restore-request") != "true"


@dataclass
class Pager:
    page: int
    size: int
    total: int | None
    more: bool = False
    capped: bool = False

    @property
    def pages(self) -> int | None:
        return None if self.total is None else max(1, -(-self.total // self.size))

    @property
    def has_next(self) -> bool:
        return self.more if self.pages is None else self.page < self.pages

    @property
    def first(self) -> int:
        return (self.page - 1) * self.size + 1


# --- search --------------------------------------------------------------------------------------

@dataclass
class Search:
    words: list[str] = field(default_factory=list)
    number: str | None = None
    dob: date | None = None
    problem: str | None = None


def _as_date(token: str) -> date | None | bool:
    """A date typed as 1990-01-31 or 31/01/1990; False when it looks like one but is no date."""
    m = ISO_DATE.match(token)
    parts = (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
    if parts is None and (m := DMY_DATE.match(token)):
        parts = (int(m.group(3)), int(m.group(2)), int(m.group(1)))
    if parts is None:
        return None
    try:
        return date(*parts)
    except ValueError:
        return False


def parse_search(q: str) -> Search:
    """One search box: a prisoner number, a date of birth, and name words, in any order."""
    s = Search()
    whole = normalise_number(q)
    if NUMBER_SHAPE.match(whole) and is_valid(whole):  # a number typed with spaces or dashes: "H 0012345-V"
        s.number = whole
        return s
    for token in q.split():
        n = normalise_number(token)
        if NUMBER_SHAPE.match(n):
            if is_valid(n):
                s.number = n
            else:
                s.problem = _("%(value)s is not a valid prisoner number: check its digits and its last letter.") % {"value": token}
            continue
        d = _as_date(token)
        if d is False:
            s.problem = _("%(value)s is not a date: write a date of birth as 1990-01-31 or 31/01/1990.") % {"value": token}
        elif d is not None:
            s.dob = d
        else:
            s.words.append(token)
    return s


@router.get("/prisoners")
def search_page(request: Request, q: str = Query("", max_length=200), page: int = Query(1, ge=1, le=100_000),
                ctx: Ctx = Depends(Page("prisoners:read"))):
    fragment = is_fragment(request)
    template = "prisoners/_results.html" if fragment else "prisoners/search.html"
    context: dict = {"q": q, "found": None, "pager": None, "error": None}
    if not q.strip():
        return render(request, template, context)
    parsed = parse_search(q)
    if parsed.problem:
        return render(request, template, {**context, "error": parsed.problem}, status=200 if fragment else 422)
    try:
        found = service.search(ctx.session, q=" ".join(parsed.words) or None, number=parsed.number, dob=parsed.dob,
                               offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    except ValidationFailed:
        return render(request, template, {**context, "error": _("Type a name, a prisoner number or a date of birth.")},
                      status=200 if fragment else 422)
    if parsed.number and found.items and not fragment:
        return redirect(f"/prisoners/{parsed.number}")
    pager = Pager(page, PAGE_SIZE, found.total, found.more, found.total_capped)
    return render(request, template, {**context, "found": found.items, "pager": pager, "number": parsed.number})


# --- the record ----------------------------------------------------------------------------------

def _stays(rows: list[dict], following: dict | None, in_custody: bool) -> list[dict]:
    """Movements (oldest first) as stays: each lasts from its movement until the next one."""
    out = []
    for i, m in enumerate(rows):
        nxt = rows[i + 1] if i + 1 < len(rows) else following
        out.append({**m, "until": nxt["moved_at"] if nxt else None, "ended_by": nxt["kind"] if nxt else None,
                    "current": nxt is None and in_custody and m["kind"] not in DISCHARGES, "discharge": m["kind"] in DISCHARGES})
    out.reverse()
    return out


def timeline_page(session: Session, prisoner, page: int) -> tuple[list[dict], Pager]:
    """One page of the person's stays, newest first."""
    total = repository.movement_count(session, prisoner.id)
    pager = Pager(page, TIMELINE_PAGE, total)
    newest = total - (page - 1) * TIMELINE_PAGE  # the page holds ledger positions [oldest, newest)
    oldest = max(0, newest - TIMELINE_PAGE)
    if newest <= 0:
        return [], pager
    rows = movements_service.history(session, prisoner, offset=oldest, limit=newest - oldest + 1)
    following = rows[newest - oldest] if len(rows) > newest - oldest else None
    return _stays(rows[: newest - oldest], following, prisoner.in_custody), pager


def audit_page(session: Session, number: str, page: int) -> tuple[list, Pager]:
    items, total = audit_repo.events_page(session, entity_type="prisoner", entity_id=number, actor=None, action=None, since=None, until=None,
                                     offset=(page - 1) * AUDIT_PAGE, limit=AUDIT_PAGE)
    return items, Pager(page, AUDIT_PAGE, total)


def _site_zone(session: Session, record: dict) -> LocalTime:
    code = record.get("site") or next((e["site"] for e in record["episodes"] if e.get("site")), None)
    site = sites_repo.site_by_code(session, code) if code else None
    return LocalTime(site.timezone if site else None)


def _basis_rows(bases, today: date) -> list[dict]:
    rows = []
    for b in bases:
        due = [d for d in (b.review_due, b.expiry_date) if d is not None]
        overdue = b.status == "active" and any(d < today for d in due)
        rows.append({"id": b.id, "type": b.type, "reference": b.reference, "issuing_authority": b.issuing_authority, "issue_date": b.issue_date,
                     "review_due": b.review_due, "expiry_date": b.expiry_date, "status": b.status, "overdue": overdue,
                     "review_overdue": b.status == "active" and b.review_due is not None and b.review_due < today,
                     "expiry_overdue": b.status == "active" and b.expiry_date is not None and b.expiry_date < today,
                     "ended_at": b.ended_at, "end_reason": b.end_reason})
    return rows


@router.get("/prisoners/{number}")
def record_page(request: Request, number: str, ctx: Ctx = Depends(Page("prisoners:read"))):
    s = ctx.session
    rec = service.full_record(s, ctx.actor, number)  # audited: prisoner.read
    n = rec["prisoner_number"]
    p = service.get(s, n)
    today = clock.today()
    try:
        release = sentences.release_record(s, n)
    except NotFound:
        release = None
    stays, timeline = timeline_page(s, p, 1)
    context = {
        "r": rec, "n": n, "when": _site_zone(s, rec), "today": today,
        "bases": _basis_rows(legal_service.list_bases(s, n), today),
        "basis_history": list(reversed(legal_service.basis_history(s, n))),
        "release": release, "where": movements_service.where(s, n), "stays": stays, "timeline": timeline,
        "cases": court_service.cases_of(s, n),
        "site_code": rec.get("site") or request.cookies.get(SITE_COOKIE) or None,
    }
    if can(request, "audit:read"):
        context["events"], context["audit_pager"] = audit_page(s, n, 1)
    if can(request, "legal:write"):
        context["rooms"] = court_service.video_rooms(s, p.current_site_id) if p.current_site_id else []
    if not context["site_code"]:
        context.pop("site_code")
    return render(request, "prisoners/record.html", context)


@router.get("/prisoners/{number}/timeline")
def timeline_fragment(request: Request, number: str, page: int = Query(1, ge=1, le=100_000), ctx: Ctx = Depends(Page("movements:read"))):
    p = service.get(ctx.session, number)
    stays, pager = timeline_page(ctx.session, p, page)
    context = {"n": p.prisoner_number, "person": p, "stays": stays, "timeline": pager, "when": _zone_of_person(ctx.session, p)}
    return render(request, "prisoners/_timeline.html" if is_fragment(request) else "prisoners/timeline.html", context)


@router.get("/prisoners/{number}/audit")
def audit_fragment(request: Request, number: str, page: int = Query(1, ge=1, le=1_000_000), ctx: Ctx = Depends(Page("audit:read"))):
    p = service.get(ctx.session, number)
    events, pager = audit_page(ctx.session, p.prisoner_number, page)
    context = {"n": p.prisoner_number, "person": p, "events": events, "audit_pager": pager, "when": _zone_of_person(ctx.session, p)}
    return render(request, "prisoners/_audit.html" if is_fragment(request) else "prisoners/audit.html", context)


@router.get("/prisoners/{number}/calculations/{calculation_id}")
def calculation_page(request: Request, number: str, calculation_id: int, ctx: Ctx = Depends(Page("legal:read"))):
    p = service.get(ctx.session, number)
    c = repository.release_calculation(ctx.session, p.id, calculation_id)
    if c is None:
        raise NotFound(_("No release calculation %(id)s for %(number)s.") % {"id": calculation_id, "number": p.prisoner_number})
    context = {"n": p.prisoner_number, "person": p, "c": sentences.calculation_out(c, ctx.session), "when": _zone_of_person(ctx.session, p)}
    return render(request, "prisoners/_calculation.html" if is_fragment(request) else "prisoners/calculation.html", context)


def _zone_of_person(session: Session, p) -> LocalTime:
    site = sites_repo.site_by_id(session, p.current_site_id) if p.current_site_id else None
    return LocalTime(site.timezone if site else None)


# --- corrections and legal changes from the record (same services and permissions as the API) -----

MARK_FIELDS = ("kind", "body_location", "description", "reason")
AMEND_FIELDS = ("surname", "given_names", "date_of_birth", "sex", "nationality", "national_id", "security_level", "reason")
RENEW_FIELDS = ("basis_id", "issue_date", "reference", "review_due", "expiry_date", "reason")
FORM_TITLES = {"mark": N_("Add a distinguishing mark"), "amend": N_("Correct the identity"), "renew": N_("Renew a legal basis"),
               "revoke": N_("Revoke a legal basis")}


def _invalid(exc: ValidationError, message: str) -> ValidationFailed:
    """A model's refusal as the one error shape: every problem with its field."""
    details = []
    for err in exc.errors():
        loc = [str(x) for x in err.get("loc", ()) if x != "body"]
        details.append({"row": None, "field": loc[0] if loc else None, "message": str(err.get("msg", "invalid")).removeprefix("Value error, ")})
    return ValidationFailed(message, details=details)


def _form_page(request: Request, ctx: Ctx, exc: DomainError, form: str, number: str, values: dict):
    """Show the refused form again on its own page, with every problem named; nothing is kept
    (rolled back first, so the page shows the record as it stays)."""
    ctx.session.rollback()
    p = service.get(ctx.session, number)
    context = {"form": form, "title": _(FORM_TITLES[form]), "n": p.prisoner_number, "person": p, "values": values,
               "bases": _basis_rows(legal_service.list_bases(ctx.session, p.prisoner_number), clock.today())}
    return refuse(request, ctx, exc, "prisoners/form.html", context)


def _clean(values: dict) -> dict:
    return {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}


@router.post("/prisoners/{number}/marks")
def add_mark(request: Request, number: str, kind: str = Form(""), body_location: str = Form(""), description: str = Form(""),
             reason: str = Form(""), ctx: Ctx = Depends(Page("prisoners:write"))):
    values = _clean({"kind": kind, "body_location": body_location, "description": description, "reason": reason})
    try:
        body = AddMark.model_validate({**values, "reason": values["reason"] or "recorded"})
        service.add_mark(ctx.session, ctx.actor, number, kind=body.kind, body_location=body.body_location, description=body.description,
                         reason=body.reason)
    except ValidationError as exc:
        return _form_page(request, ctx, _invalid(exc, _("The mark was not recorded: correct the fields marked.")), "mark", number, values)
    except DomainError as exc:
        return _form_page(request, ctx, exc, "mark", number, values)
    return flash(redirect(f"/prisoners/{service.get(ctx.session, number).prisoner_number}#identity"), request, _("The mark is recorded."))


@router.post("/prisoners/{number}/amend")
def amend(request: Request, number: str, surname: str = Form(""), given_names: str = Form(""), date_of_birth: str = Form(""),
          sex: str = Form(""), nationality: str = Form(""), national_id: str = Form(""), security_level: str = Form(""),
          reason: str = Form(""), ctx: Ctx = Depends(Page("prisoners:write"))):
    values = _clean({"surname": surname, "given_names": given_names, "date_of_birth": date_of_birth, "sex": sex, "nationality": nationality,
                     "national_id": national_id, "security_level": security_level, "reason": reason})
    try:
        body = Amend.model_validate({k: v for k, v in values.items() if v})
        changes = body.model_dump(exclude={"reason"}, exclude_none=True)
        service.amend(ctx.session, ctx.actor, number, changes, body.reason)
    except ValidationError as exc:
        return _form_page(request, ctx, _invalid(exc, _("Nothing was corrected: correct the fields marked.")), "amend", number, values)
    except DomainError as exc:
        return _form_page(request, ctx, exc, "amend", number, values)
    return flash(redirect(f"/prisoners/{service.get(ctx.session, number).prisoner_number}#identity"), request,
                 _("The correction is recorded, with its reason."))


def _basis_id(raw: str) -> int:
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise ValidationFailed(_("Choose the legal basis."), details=[{"row": None, "field": "basis_id", "message": _("Choose the legal basis.")}])
    return int(raw)


def _optional_date(raw: str, field: str, problems: list[dict]) -> date | None:
    if not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        problems.append({"row": None, "field": field, "message": _("%(value)s is not a date (YYYY-MM-DD).") % {"value": raw.strip()}})
        return None


@router.post("/prisoners/{number}/legal-bases/renew")
def renew_basis(request: Request, number: str, basis_id: str = Form(""), issue_date: str = Form(""), reference: str = Form(""),
                review_due: str = Form(""), expiry_date: str = Form(""), reason: str = Form(""), ctx: Ctx = Depends(Page("legal:write"))):
    values = _clean({"basis_id": basis_id, "issue_date": issue_date, "reference": reference, "review_due": review_due,
                     "expiry_date": expiry_date, "reason": reason})
    try:
        bid = _basis_id(basis_id)
        problems: list[dict] = []
        issued = _optional_date(issue_date, "issue_date", problems)
        if issued is None and not problems:
            problems.append({"row": None, "field": "issue_date", "message": _("Give the date the new order was issued.")})
        review, expiry = _optional_date(review_due, "review_due", problems), _optional_date(expiry_date, "expiry_date", problems)
        if not values["reason"]:
            problems.append({"row": None, "field": "reason", "message": _("A renewal needs its reason.")})
        if problems:
            raise ValidationFailed(_("The basis was not renewed: correct the fields marked."), details=problems)
        legal_service.renew(ctx.session, ctx.actor, number, bid, issue_date=issued, reference=values["reference"] or None,
                            review_due=review, expiry_date=expiry, reason=values["reason"])
    except ValidationError as exc:
        return _form_page(request, ctx, _invalid(exc, _("The basis was not renewed: correct the fields marked.")), "renew", number, values)
    except DomainError as exc:
        return _form_page(request, ctx, exc, "renew", number, values)
    return flash(redirect(f"/prisoners/{service.get(ctx.session, number).prisoner_number}#legal"), request, _("The basis is renewed."))


@router.post("/prisoners/{number}/legal-bases/revoke")
def revoke_basis(request: Request, number: str, basis_id: str = Form(""), reason: str = Form(""), ctx: Ctx = Depends(Page("legal:write"))):
    values = _clean({"basis_id": basis_id, "reason": reason})
    try:
        legal_service.revoke(ctx.session, ctx.actor, number, _basis_id(basis_id), reason=values["reason"])
    except DomainError as exc:
        return _form_page(request, ctx, exc, "revoke", number, values)
    return flash(redirect(f"/prisoners/{service.get(ctx.session, number).prisoner_number}#legal"), request, _("The basis is revoked."))
