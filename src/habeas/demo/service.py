"""Build the demo: the reference complex, a synthetic population housed in its cells, and one
user per role. One orchestrating function over the sites, intake, movements and auth services;
the caller owns the transaction (one for the whole demo: all or nothing)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas.auth import repository as auth_repo
from habeas.auth.passwords import random_password
from habeas.auth.service import create_user
from habeas.config import project_root
from habeas.demo.generator import generate_bookings
from habeas.intake.schemas import BookingIn
from habeas.intake.service import Booked, book_many
from habeas.kit import clock
from habeas.kit.context import Actor
from habeas.kit.errors import Conflict, ValidationFailed
from habeas.models import Location, Prisoner, Site
from habeas.housing.service import make_plan
from habeas.movements.service import MoveRequest, move_many
from habeas.sites import repository as sites_repo
from habeas.sites.layout import parse_layout
from habeas.sites.service import LoadReport, get_site, load_site

DEFAULT_LAYOUT = "layouts/reference-complex.yaml"
HOUSING_REASON = "initial housing (demo)"
ADMIN = "admin"
DEMO_ROLES = ("records", "housing", "operations", "legal", "health", "discipline", "inspector", "viewer")
CHUNK = 2000

# progress(phase, advance, total): phase is "generate", "booking" or "housing".
Progress = Callable[[str, int, int], None]


@dataclass
class Population:
    booked: list[Booked] = field(default_factory=list)
    housed: int = 0
    in_reception: int = 0


@dataclass
class DemoReport:
    site: str
    layout: dict[str, Any]
    booked: int
    housed: int
    in_reception: int
    users: list[tuple[str, str]]
    password: str
    password_generated: bool
    admin_token: str


def resolve_layout(path: str | Path) -> Path:
    """A layout path as given, or relative to the checkout when it does not exist from here."""
    p = Path(path).expanduser()
    if not p.is_absolute() and not p.exists() and (project_root() / p).exists():
        return project_root() / p
    return p


def has_any_site(session: Session) -> bool:
    return session.execute(select(Site.id).limit(1)).first() is not None


def load_layout(session: Session, actor: Actor, path: str | Path) -> LoadReport:
    path = resolve_layout(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationFailed(f"{path}: cannot read: {exc.strerror}", code="unreadable_file",
                               details=[{"file": str(path), "row": None, "field": None, "message": exc.strerror}]) from None
    return load_site(session, actor, parse_layout(data, str(path)), filename=str(path))


def normal_cells(session: Session, site_id: int) -> list[Location]:
    """Active cells of normal use, in layout order: where the demo houses people."""
    return [
        loc for loc in sites_repo.locations(session, site_id, active_only=True)
        if loc.type == "cell" and loc.use == "normal" and loc.working_capacity > 0
    ]


def populate(
    session: Session,
    actor: Actor,
    site_code: str,
    bookings: Sequence[BookingIn],
    *,
    house: bool = True,
    leave_in_reception: int = 0,
    chunk: int = CHUNK,
    reason: str = HOUSING_REASON,
    progress: Progress | None = None,
) -> Population:
    """Book everyone through intake in chunks; after each chunk, house the new arrivals in the
    normal-use cells (round-robin, within working capacity), except the last
    ``leave_in_reception`` people of ``bookings``, who stay in reception awaiting housing.
    Chunks keep reception within its capacity however large the population."""
    site = get_site(session, site_code)
    reception = sites_repo.reception(session, site.id)
    if reception is None:
        raise Conflict(f"site {site_code} has no reception to admit people into", code="no_reception")
    occupancy = sites_repo.occupancy(session, site.id)
    room = reception.max_capacity - occupancy.get(reception.id, 0)
    total = len(bookings)
    stay = min(leave_in_reception, total) if house else total
    to_house = total - stay
    free = None
    if house and to_house:
        free = sum(max(0, c.working_capacity - occupancy.get(c.id, 0)) for c in normal_cells(session, site.id))
        if free < to_house:
            raise Conflict(f"site {site_code} has {free:,} free places in its cells (working capacity): "
                           f"cannot house {to_house:,} people", code="demo_too_large",
                           details={"free_places": free, "to_house": to_house})
    if stay > room:
        raise Conflict(f"reception {reception.code} has room for {room:,}: cannot leave {stay:,} people there", code="reception_full")
    step = min(chunk, room - (stay if house else 0)) if house else min(chunk, room)
    if step <= 0:
        raise Conflict(f"reception {reception.code} is full", code="reception_full")

    out = Population()
    now = clock.now()
    for start in range(0, total, step):
        part = bookings[start : start + step]
        booked = book_many(session, actor, site_code, [(None, b) for b in part])
        out.booked.extend(booked)
        if progress:
            progress("booking", len(part), total)
        if free is None:
            continue
        # Housed by the allocation engine, so the separation policy holds from the first day.
        to_place = {bk.prisoner_id: b for i, (b, bk) in enumerate(zip(part, booked, strict=True)) if start + i < to_house}
        if not to_place:
            continue
        numbers = [bk.prisoner_number for bk in booked if bk.prisoner_id in to_place]
        _state, plan, _report, _secs = make_plan(session, site_code, arrivals=numbers)
        moves = []
        for pid, cell_id in plan.assignments.items():
            b = to_place[pid]
            # Housed a few hours after admission (never in the future): the ledger reads true at any past minute.
            admitted = clock.to_utc(b.admission.admitted_at) if b.admission.admitted_at else now
            moved_at = min(admitted + timedelta(minutes=90 + (pid * 7919) % 1200), now)
            moves.append(MoveRequest(prisoner_id=pid, to_location_id=cell_id, reason=reason, moved_at=moved_at))
        if moves:
            out.housed += len(move_many(session, actor, site.id, moves))
            if progress:
                progress("housing", len(moves), to_house)
    out.in_reception = total - out.housed
    return out


def record_sentences(session: Session, actor: Actor, site_code: str, bookings: Sequence[BookingIn], booked, *, seed: int = 1) -> int:
    """The sentence behind each sentence basis (its term long enough that most release dates are
    still ahead; a few are overdue, as in any real register), then one release-date calculation
    for the whole site."""
    import random

    from habeas.db import bulk_insert, in_chunks, time_param
    from habeas.legal.sentences import recalculate_site

    rng = random.Random(seed + 17)
    today = clock.today()
    sqlite = session.connection().dialect.name == "sqlite"
    t = time_param(session)
    now = t(clock.db_time(clock.now()))
    convicted = [(b, bk) for b, bk in zip(bookings, booked, strict=True) if b.legal_bases[0].type == "sentence"]
    ids = [bk.prisoner_id for _, bk in convicted]
    episodes: dict[int, int] = {}
    for chunk in in_chunks(ids):
        episodes.update(session.execute(select(Prisoner.id, Prisoner.current_episode_id).where(Prisoner.id.in_(chunk))).all())
    rows = []
    for b, bk in convicted:
        basis = b.legal_bases[0]
        elapsed = (today - basis.issue_date).days / 365.25
        overdue = rng.random() < 0.01
        years = max(1, int(elapsed * 2) - 1) if overdue else int(elapsed * 2) + rng.randint(1, 12)
        if basis.expiry_date and (basis.expiry_date.year - basis.issue_date.year) >= 100:
            years = basis.expiry_date.year - basis.issue_date.year  # the reported 200, 700, 1,500-year terms
        rows.append((bk.prisoner_id, episodes[bk.prisoner_id], "S1", basis.issue_date.isoformat() if sqlite else basis.issue_date,
                     years, 0, 0, False, "active", now, actor.username))
    if not rows:
        return 0
    bulk_insert(session, "sentences", (("prisoner_id", "bigint"), ("episode_id", "bigint"), ("key", "text"), ("sentence_date", "date"),
                                       ("years", "integer"), ("months", "integer"), ("days", "integer"), ("life", "boolean"),
                                       ("status", "text"), ("created_at", "timestamp"), ("created_by", "text")), rows)
    recalculate_site(session, actor, site_code, trigger="demo: sentences recorded")
    return len(rows)


def create_demo_users(session: Session, actor: Actor, password: str) -> tuple[list[tuple[str, str]], str]:
    """The demo admin and one user per role, all with ``password``. Returns the users and the admin's API token."""
    users = [(ADMIN, "admin")] + [(role, role) for role in DEMO_ROLES]
    taken = [name for name, _ in users if auth_repo.user_by_name(session, name) is not None]
    if taken:
        raise Conflict(f"the demo users already exist ({', '.join(taken)}): the demo needs an empty database", code="demo_not_empty")
    admin_token = ""
    for name, role in users:
        full = "Demo administrator" if role == "admin" else f"Demo {role} officer"
        _, token = create_user(session, actor, username=name, role=role, full_name=full, password=password)
        if name == ADMIN:
            admin_token = token
    return users, admin_token


def check_empty(session: Session) -> None:
    """The demo adds a whole population and fixed user names: refuse a database that already has people."""
    existing = session.execute(select(func.count()).select_from(Prisoner)).scalar_one()
    if existing:
        raise Conflict(f"the database already holds {existing:,} prisoner records: the demo needs an empty database "
                       "(use --if-empty to skip quietly)", code="demo_not_empty")


def demo_password(configured: str | None) -> tuple[str, bool]:
    """The configured demo password, or a random one (second value True when generated)."""
    if configured:
        if len(configured) < 10:
            raise ValidationFailed("HABEAS_DEMO_ADMIN_PASSWORD needs at least 10 characters",
                                   details=[{"row": None, "field": "demo_admin_password", "message": "too short"}])
        return configured, False
    return random_password(), True


def build_demo(
    session: Session,
    actor: Actor,
    *,
    prisoners: int = 15_000,
    seed: int = 1,
    layout: str | Path = DEFAULT_LAYOUT,
    password: str | None = None,
    leave_in_reception: int = 40,
    progress: Progress | None = None,
) -> DemoReport:
    """Load the layout (idempotent), book ``prisoners`` people, house all but the most recent
    ``leave_in_reception`` arrivals, and create the demo users."""
    if prisoners < 0:
        raise ValidationFailed("the number of prisoners cannot be negative", details=[{"row": None, "field": "prisoners", "message": "negative"}])
    pw, generated = demo_password(password)
    check_empty(session)
    report = load_layout(session, actor, layout)
    stay = min(leave_in_reception, prisoners)
    bookings = generate_bookings(prisoners, seed=seed, now=clock.now(), recent=stay, progress=progress)
    population = populate(session, actor, report.site, bookings, leave_in_reception=stay, progress=progress)
    record_sentences(session, actor, report.site, bookings, population.booked, seed=seed)
    users, token = create_demo_users(session, actor, pw)
    return DemoReport(
        site=report.site, layout=report.as_dict(), booked=len(population.booked), housed=population.housed,
        in_reception=population.in_reception, users=users, password=pw, password_generated=generated, admin_token=token,
    )
