"""Synthetic population for the demo and the benchmarks (pure: no database).

People modelled on press reports of the reference facility (DESIGN.md section 1): men held
under El Salvador's state of exception (from 27 March 2022), mostly on detention orders under
emergency powers, some on judicial remand, some convicted (a few with sentences of hundreds of
years). Every figure is synthetic; any resemblance of a generated record to a real person is
chance.

The output is a list of validated ``BookingIn`` objects, deterministic for a given seed,
start index and clock. ``to_manifest_csv`` writes the same people as an intake manifest.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from habeas.intake.manifest import COLUMNS
from habeas.intake.schemas import BookingIn
from habeas.kit import clock

STATE_OF_EXCEPTION = date(2022, 3, 27)  # Decreto Legislativo 333: start of the emergency regime
_EXCEPTION_START = datetime(2022, 3, 27, 6, 0, tzinfo=UTC)

SURNAMES = (
    "Hernández", "García", "Martínez", "López", "Rodríguez", "Ramos", "Flores", "Rivera", "González", "Pérez",
    "Cruz", "Mejía", "Sánchez", "Romero", "Alvarado", "Reyes", "Portillo", "Ramírez", "Díaz", "Castillo",
    "Guevara", "Chávez", "Torres", "Orellana", "Aguilar", "Vásquez", "Menjívar", "Escobar", "Molina", "Rosales",
    "Ayala", "Argueta", "Morales", "Henríquez", "Serrano", "Campos", "Amaya", "Villalobos", "Quintanilla", "Cortez",
    "Linares", "Guardado", "Alfaro", "Bonilla", "Benítez", "Canales", "Contreras", "Deras", "Fuentes", "Galdámez",
    "Granados", "Lemus", "Lara", "Marroquín", "Melgar", "Miranda", "Navarro", "Osorio", "Palacios", "Pineda",
    "Quijano", "Rivas", "Rauda", "Salazar", "Sorto", "Umaña", "Valladares", "Zelaya", "Zepeda", "Mendoza",
    "Jovel", "Abrego", "Barahona", "Carranza", "Durán", "Erazo", "Funes", "Guzmán", "Iraheta", "Juárez",
)
# The most common surnames weigh more, as in a real population.
_SURNAME_WEIGHTS = tuple(max(1.0, 12.0 - i * 0.6) for i in range(len(SURNAMES)))

GIVEN_NAMES = (
    "José", "Juan", "Carlos", "Luis", "Jorge", "Mario", "Óscar", "Miguel", "Francisco", "Manuel", "Roberto",
    "Jesús", "Pedro", "Antonio", "Ernesto", "Alexander", "Kevin", "Brayan", "Edwin", "Wilfredo", "Nelson", "René",
    "Rafael", "Santos", "Douglas", "William", "Walter", "Henry", "Marvin", "Fredy", "Elmer", "Wilber", "Dennis",
    "Josué", "Erick", "Christian", "Alfredo", "Ricardo", "Eduardo", "Alberto", "Samuel", "Daniel", "David", "Ángel",
    "Fernando", "Salvador", "Rigoberto", "Mauricio", "Danilo", "Jonathan", "Geovanny", "Ismael", "Alexis", "Milton",
)
FEMALE_NAMES = (
    "María", "Ana", "Rosa", "Carmen", "Marta", "Gloria", "Blanca", "Sonia", "Reina", "Dinora", "Yesenia", "Karla",
    "Delmy", "Silvia", "Patricia", "Morena", "Xiomara", "Evelyn", "Claudia", "Cecilia", "Lorena", "Esperanza",
)
NICKNAMES = (
    "El Flaco", "El Gordo", "El Negro", "El Chele", "El Diablo", "Cholo", "Sniper", "Travieso", "Chucky", "El Loco",
    "Demente", "Satánico", "Shadow", "Pelón", "Zombie", "Bestia", "Chino", "Güero", "El Viejo", "Snoopy", "Payaso",
    "Tiny", "Spider", "El Mudo", "Crazy", "Psycho", "Killer", "Topo", "Conejo", "Gato", "El Chino", "Pollo",
    "Pirata", "Cuervo", "Duende", "Lobo", "Tigre", "Chapo", "Boxer", "Skinny", "Joker", "Peque", "Zorro", "Enano",
)
MUNICIPALITIES = (
    "San Salvador", "Soyapango", "Mejicanos", "Apopa", "Ilopango", "San Miguel", "Santa Ana", "Usulután",
    "Ciudad Delgado", "Cuscatancingo", "San Martín", "Tonacatepeque", "Zacatecoluca", "Sonsonate", "La Libertad",
    "Colón", "Santa Tecla", "Ahuachapán", "Chalatenango", "Quezaltepeque", "Ilobasco", "Cojutepeque",
    "San Vicente", "La Unión", "Ayutuxtepeque", "Nejapa", "Izalco", "Chalchuapa", "Jiquilisco", "Sensuntepeque",
)
_MUNICIPALITY_WEIGHTS = tuple(max(1.0, 10.0 - i * 0.5) for i in range(len(MUNICIPALITIES)))
ARRESTING_AUTHORITIES = ("Policía Nacional Civil", "Fuerza Armada")

GROUPS = (("MS-13", 0.55), ("Barrio 18 Sureños", 0.20), ("Barrio 18 Revolucionarios", 0.15), (None, 0.10))
AFFILIATION_SOURCES = ("police intelligence", "self-declared", "tattoo identification", "gang census (Dirección General de Centros Penales)")

_MS_TATTOOS = (
    ("chest", "letters MS in gothic script"),
    ("back", "MARA SALVATRUCHA in large gothic letters across the upper back"),
    ("left forearm", "number 13 in Roman numerals (XIII)"),
    ("right hand", "devil horns hand sign"),
    ("abdomen", "letters MS13 above a skull"),
    ("face", "letters M and S, one on each cheek"),
    ("knuckles, left hand", "M S 1 3, one character per finger"),
    ("left calf", "clique name 'Normandie Locos Salvatrucha'"),
    ("neck", "number 13 in gothic script"),
)
_B18_TATTOOS = (
    ("neck", "number 18"),
    ("forehead", "XV3 (18 in mixed Roman numerals)"),
    ("chest", "666 (six plus six plus six)"),
    ("back", "BARRIO 18 in gothic letters"),
    ("right forearm", "number 18 beside a clown face"),
    ("face", "letters B and 18, one on each cheek"),
    ("abdomen", "letters XVIII"),
)
_SURENOS_TATTOOS = (("left calf", "word SUREÑOS in gothic script"), ("right shoulder", "letters B18 S"))
_REVOS_TATTOOS = (("chest", "letters R and 18 (Revolucionarios)"), ("left shoulder", "word REVOLUCIONARIOS"))
_GENERIC_TATTOOS = (
    ("left hand", "three dots (mi vida loca)"),
    ("face", "teardrop under the left eye"),
    ("right forearm", "rosary and cross"),
    ("chest", "name 'María' in script, with a rose"),
    ("back", "Virgin of Guadalupe"),
    ("left shoulder", "clock without hands"),
    ("right elbow", "spider web"),
    ("left forearm", "date of birth of a daughter"),
)
_SCARS = (
    ("abdomen", "knife scar, 8 cm, horizontal"),
    ("left forearm", "linear scar, 5 cm"),
    ("right thigh", "gunshot entry scar, round, 1 cm"),
    ("scalp", "scar, 4 cm, above the right ear"),
    ("left hand", "burn scar on the back of the hand"),
    ("face", "scar across the left eyebrow, 2 cm"),
    ("chest", "scar tissue where a tattoo was burnt off"),
)
_INJURIES = (
    "bruise on the left eye", "abrasions on both wrists (handcuffs)", "swelling of the right cheek",
    "laceration on the scalp, 3 cm", "bruising on the back and ribs", "split lower lip",
)
_PROPERTY = (
    "wallet", "belt", "mobile phone", "2 shirts", "pair of trousers", "rosary", "wristwatch", "USD 12.50 in cash",
    "identity card (DUI)", "keys", "baseball cap", "sandals",
)
_KIN = ("mother", "mother", "mother", "wife", "partner", "sister", "father", "brother", "grandmother", "aunt")
_OFFENCES = ("extortion", "homicide", "illicit association", "drug trafficking", "illegal possession of firearms", "aggravated robbery", "feminicide")
_INSTRUCCION = (
    "Juzgado Especializado de Instrucción A de San Salvador", "Juzgado Especializado de Instrucción B de San Salvador",
    "Juzgado Especializado de Instrucción de San Miguel", "Juzgado Especializado de Instrucción de Santa Ana",
    "Juzgado contra el Crimen Organizado de San Salvador",
)
_SENTENCING = (
    "Tribunal Especializado de Sentencia A de San Salvador", "Tribunal Especializado de Sentencia B de San Salvador",
    "Tribunal Primero de Sentencia de San Salvador", "Tribunal de Sentencia de San Miguel", "Tribunal de Sentencia de Santa Ana",
)
_PRISONS = ("Centro Penal La Esperanza (Mariona)", "Centro Penal de Izalco", "Centro Penal de Quezaltepeque", "Centro Penal de Ciudad Barrios", "Centro Penal de Chalatenango")
_SENTENCE_YEARS = (8, 10, 12, 15, 15, 20, 20, 25, 30, 35, 40, 50, 60, 75, 100)
_LONG_SENTENCES = (200, 700, 1500)

DETENTION_REASON = ("Detention under the state of exception (Decreto Legislativo 333): alleged membership of a "
                    "terrorist organisation (agrupaciones ilícitas, Art. 345 Código Penal)")


def dui(number: int) -> str:
    """A Salvadoran DUI: 8 digits, a hyphen and the check digit (weights 9..2, modulus 10)."""
    digits = f"{number:08d}"
    total = sum(int(d) * w for d, w in zip(digits, range(9, 1, -1), strict=True))
    return f"{digits}-{(10 - total % 10) % 10}"


def _national_id(nationality: str, base: int, birth_year: int) -> str:
    if nationality == "GTM":  # CUI: 13 digits, written 4-5-4
        s = f"{base:08d}{base % 97:02d}01{base % 10}"
        return f"{s[:4]} {s[4:9]} {s[9:]}"
    if nationality == "HND":  # DNI: municipality code, year of birth, registry number
        return f"0801-{birth_year}-{base % 100_000:05d}{base // 100_000 % 1000:03d}"
    return dui(base)


def _add_months(d: date, months: int) -> date:
    """Calendar months added (or taken away), the day clamped to the month's last."""
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    m += 1
    last = (date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)).day
    return date(y, m, min(d.day, last))


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _weighted(rng: random.Random, options: Sequence[tuple[Any, float]]) -> Any:
    x = rng.random()
    acc = 0.0
    for value, p in options:
        acc += p
        if x < acc:
            return value
    return options[-1][0]


class _Ids:
    """National-id numbers as an affine permutation of the global person index: unique for any
    index below 10^8 (so a later batch with a higher ``start`` never collides), random-looking,
    fixed by the seed."""

    def __init__(self, seed: int):
        r = random.Random(f"habeas-demo-ids:{seed}")
        self.a = r.randrange(1_000_003, 99_999_999, 2)
        while self.a % 5 == 0:
            self.a += 2
        self.b = r.randrange(10**8)

    def __call__(self, index: int) -> int:
        # a is odd and not a multiple of 5, so x -> a*x + b is a bijection of 0 .. 10^8 - 1.
        return (index * self.a + self.b) % 10**8


def generate_bookings(
    n: int,
    *,
    seed: int = 1,
    start: int = 0,
    now: datetime | None = None,
    recent: int = 0,
    arrivals_since: datetime | None = None,
    ref_prefix: str = "DEMO",
    progress: Callable[[str, int, int], None] | None = None,
) -> list[BookingIn]:
    """``n`` validated bookings, ordered by admission time; the same for the same seed, start, n and now.

    ``start``: index of the first person (national ids and references continue from it, so
    batches with disjoint ranges never collide). ``recent``: the last ``recent`` people were
    admitted in the last 36 hours (people still waiting in reception). ``arrivals_since``:
    every admission between that time and ``now`` (a fresh transfer). ``progress(phase, advance,
    total)`` is told of every thousand people made.
    """
    now = clock.to_utc(now) if now else clock.now()
    now = now.replace(second=0, microsecond=0)
    today = now.date()
    rng = random.Random(f"habeas-demo:{seed}:{start}:{n}")
    ids = _Ids(seed)
    # The first admissions a day after the emergency began (arrests from its first hours).
    first = _EXCEPTION_START + timedelta(days=1) if now > _EXCEPTION_START + timedelta(days=30) else now - timedelta(days=365)
    raw: list[tuple[datetime, dict[str, Any]]] = []
    for i in range(n):
        if arrivals_since is not None:
            since = clock.to_utc(arrivals_since)
            admitted = since + (now - since) * rng.random()
        elif i >= n - recent:
            admitted = now - timedelta(minutes=rng.randint(5, 36 * 60))
        else:
            # Mass arrests in the first months of the emergency, fewer since: skew towards the start.
            admitted = first + (now - timedelta(hours=1) - first) * (rng.random() ** 1.7)
        admitted = admitted.replace(second=0, microsecond=0)
        raw.append((admitted, _person(rng, start + i, admitted, now, today, ids)))
        if progress and (i + 1) % 1000 == 0:
            progress("generate", 1000, n)
    raw.sort(key=lambda t: t[0])
    out = []
    for i, (_, data) in enumerate(raw):
        data["external_ref"] = f"{ref_prefix}-{start + i + 1:06d}"
        out.append(BookingIn.model_validate(data))
    if progress and n % 1000:
        progress("generate", n % 1000, n)
    return out


def _person(rng: random.Random, index: int, admitted: datetime, now: datetime, today: date, ids: _Ids) -> dict[str, Any]:
    paternal, maternal = rng.choices(SURNAMES, weights=_SURNAME_WEIGHTS, k=2)
    surname = paternal if rng.random() < 0.05 else f"{paternal} {maternal}"
    given = rng.choice(GIVEN_NAMES)
    if rng.random() < 0.7:
        second = rng.choice(GIVEN_NAMES)
        if second != given:
            given = f"{given} {second}"
    nationality = _weighted(rng, (("SLV", 0.97), ("GTM", 0.015), ("HND", 0.015)))
    group = _weighted(rng, GROUPS)

    # Legal basis first: it fixes when the person was arrested.
    kind = _weighted(rng, (("detention_order", 0.70), ("remand_order", 0.15), ("sentence", 0.15)))
    admitted_day = admitted.date()
    place = rng.choices(MUNICIPALITIES, weights=_MUNICIPALITY_WEIGHTS, k=1)[0]
    basis: dict[str, Any]
    if kind == "sentence":
        # Convicted elsewhere and transferred in: sentenced before admission.
        issue = admitted_day - timedelta(days=rng.randint(30, 3000))
        arrested = datetime.combine(issue, datetime.min.time(), UTC) - timedelta(days=rng.randint(120, 1500), minutes=rng.randint(0, 1439))
        arrested = arrested.replace(second=0, microsecond=0)
        # Still serving: the sentence ends after today (an expired one would be a missed release).
        serving = [y for y in _SENTENCE_YEARS if _add_years(issue, y) > today + timedelta(days=30)] or [_SENTENCE_YEARS[-1]]
        years = rng.choice(_LONG_SENTENCES) if rng.random() < 0.03 else rng.choice(serving)
        offence = rng.choice(_OFFENCES)
        basis = {"type": "sentence", "reference": f"SENT-{issue.year}-{index + 1:06d}", "issuing_authority": rng.choice(_SENTENCING),
                 "issue_date": issue, "expiry_date": _add_years(issue, years)}
        legal_status = "convicted"
        reason = f"Transfer from {rng.choice(_PRISONS)}: sentence of {years:,} years for {offence} and illicit association"
    else:
        arrested = admitted - timedelta(minutes=rng.randint(6 * 60, 15 * 24 * 60))
        if arrested < _EXCEPTION_START <= admitted - timedelta(hours=6):  # arrested under the emergency powers
            arrested = _EXCEPTION_START + (admitted - timedelta(hours=6) - _EXCEPTION_START) * rng.random()
        arrested = arrested.replace(second=0, microsecond=0)
        issue = min(arrested.date() + timedelta(days=rng.randint(0, 3)), admitted_day)
        # The basis on file is the latest order (renewed since the arrest), within the reference
        # rules' maximum period (detention orders expire after 30 days, remand orders are reviewed
        # within 6 months). Some lapsed after admission without a renewal: held without current basis.
        lapse_from = max(issue + timedelta(days=1), admitted_day)
        lapse_days = (today - timedelta(days=1) - lapse_from).days
        lapsed = lapse_days >= 0 and rng.random() < (0.12 if kind == "detention_order" else 0.08)
        if kind == "detention_order":
            due = lapse_from + timedelta(days=rng.randint(0, lapse_days)) if lapsed else today + timedelta(days=rng.randint(1, 30))
            current = min(today, max(issue, due - timedelta(days=30)))
            basis = {"type": "detention_order", "reference": f"DO-{current.year}-{index + 1:06d}", "issuing_authority": rng.choice(_INSTRUCCION),
                     "issue_date": current, "expiry_date": due}
            reason = DETENTION_REASON
        else:
            due = lapse_from + timedelta(days=rng.randint(0, lapse_days)) if lapsed else today + timedelta(days=rng.randint(7, 180))
            current = min(today, max(issue, _add_months(due, -6) + timedelta(days=3)))  # month ends: stay within 6 months
            basis = {"type": "remand_order", "reference": f"RO-{current.year}-{index + 1:06d}",
                     "issuing_authority": f"Juzgado {rng.choice(('Primero', 'Segundo', 'Tercero'))} de Paz de {place}",
                     "issue_date": current, "review_due": due}
            reason = f"Remand pending trial ({rng.choice(_OFFENCES)})"
        legal_status = "remand"

    # Adults at arrest, at most 60 today.
    years_since_arrest = (today - arrested.date()).days // 365
    oldest = max(18, 59 - years_since_arrest)
    age = min(oldest, max(18, int(rng.triangular(18, oldest + 1, min(24, oldest + 1)))))
    dob = arrested.date() - timedelta(days=age * 365 + age // 4 + rng.randint(1, 360))

    marks = []
    pool: tuple[tuple[str, str], ...] = ()
    if group == "MS-13":
        pool = _MS_TATTOOS + _GENERIC_TATTOOS[:3]
    elif group == "Barrio 18 Sureños":
        pool = _B18_TATTOOS + _SURENOS_TATTOOS + _GENERIC_TATTOOS[:3]
    elif group == "Barrio 18 Revolucionarios":
        pool = _B18_TATTOOS + _REVOS_TATTOOS + _GENERIC_TATTOOS[:3]
    tattooed = rng.random() < (0.75 if group else 0.30)
    if tattooed:
        choices = pool or _GENERIC_TATTOOS
        for loc, desc in rng.sample(choices, k=rng.randint(1, min(4, len(choices)))):
            marks.append({"kind": "tattoo", "body_location": loc, "description": desc})
    if rng.random() < 0.25:
        loc, desc = rng.choice(_SCARS)
        marks.append({"kind": "scar", "body_location": loc, "description": desc})

    affiliation = None
    if group:
        sources = AFFILIATION_SOURCES if tattooed else tuple(s for s in AFFILIATION_SOURCES if s != "tattoo identification")
        affiliation = {"group": group, "source": rng.choice(sources)}
        security = _weighted(rng, (("maximum", 0.60), ("high", 0.35), ("medium", 0.05)))
    else:
        security = _weighted(rng, (("high", 0.50), ("medium", 0.40), ("maximum", 0.10)))
    flags = []
    if rng.random() < 0.04:
        flags.append("medical_needs")
    if rng.random() < (0.06 if group is None else 0.01):
        flags.append("vulnerable")
    if rng.random() < 0.005:
        flags.append("single_cell")

    aliases = []
    r = rng.random()
    if r < 0.55 and group:
        aliases = rng.sample(NICKNAMES, k=2 if r < 0.1 else 1)

    injured = rng.random() < 0.12
    admission: dict[str, Any] = {
        "admitted_at": admitted,
        "arrested_at": arrested,
        "arrest_place": place,
        "arresting_authority": ARRESTING_AUTHORITIES[0] if rng.random() < 0.8 else ARRESTING_AUTHORITIES[1],
        "commitment_reason": reason,
        "visible_injuries": rng.choice(_INJURIES) if injured else "none",
        "property_record": "none" if rng.random() < 0.1 else ", ".join(rng.sample(_PROPERTY, k=rng.randint(1, 4))),
    }
    if injured and rng.random() < 0.35:
        admission["ill_treatment_complaint"] = "states he was beaten during the arrest"
    if rng.random() < 0.97:  # a few admission records lack the next of kin (Rule 7 gap, as in reality)
        relation = rng.choice(_KIN)
        female = relation in ("mother", "wife", "partner", "sister", "grandmother", "aunt")
        first_name = rng.choice(FEMALE_NAMES if female else GIVEN_NAMES)
        if relation == "mother":
            kin = f"{first_name} {maternal} {rng.choice(SURNAMES)}"
        elif relation in ("sister", "brother", "father"):
            kin = f"{first_name} {paternal} {maternal if relation != 'father' else rng.choice(SURNAMES)}"
        else:
            kin = f"{first_name} {rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"
        prefix = {"SLV": "+503", "GTM": "+502", "HND": "+504"}[nationality]
        admission.update({"next_of_kin_name": kin, "next_of_kin_relationship": relation,
                          "next_of_kin_contact": f"{prefix} {rng.choice('67')}{rng.randint(0, 999):03d} {rng.randint(0, 9999):04d}"})
    lr = rng.random()
    if lr < 0.6:
        admission["legal_representative"] = "Procuraduría General de la República (public defender)"
    elif lr < 0.75:
        admission["legal_representative"] = f"Lic. {rng.choice(GIVEN_NAMES)} {rng.choice(SURNAMES)}"

    return {
        "surname": surname,
        "given_names": given,
        "aliases": aliases,
        "date_of_birth": dob,
        "sex": "M",
        "nationality": nationality,
        "national_id": _national_id(nationality, ids(index), dob.year),
        "marks": marks,
        "affiliation": affiliation,
        "security_level": security,
        "flags": flags,
        "legal_status": legal_status,
        "legal_bases": [basis],
        "admission": admission,
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return clock.to_utc(value).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def manifest_row(b: BookingIn) -> list[str]:
    """One booking as a manifest record (first legal basis only: a manifest row carries one)."""
    basis = b.legal_bases[0]
    a = b.admission
    values: dict[str, Any] = {
        "external_ref": b.external_ref, "surname": b.surname, "given_names": b.given_names, "aliases": ";".join(b.aliases),
        "date_of_birth": b.date_of_birth, "sex": b.sex, "nationality": b.nationality, "national_id": b.national_id,
        "marks": ";".join(f"{m.kind}|{m.body_location}|{m.description}" for m in b.marks),
        "affiliation": b.affiliation.group if b.affiliation else None,
        "affiliation_source": b.affiliation.source if b.affiliation else None,
        "security_level": b.security_level, "flags": ";".join(b.flags), "legal_status": b.legal_status,
        "basis_type": basis.type, "basis_reference": basis.reference, "basis_authority": basis.issuing_authority,
        "basis_issue_date": basis.issue_date, "basis_review_due": basis.review_due, "basis_expiry_date": basis.expiry_date,
    }
    for name in ("admitted_at", "arrested_at", "arrest_place", "arresting_authority", "commitment_reason", "commitment_authority",
                 "visible_injuries", "ill_treatment_complaint", "property_record", "next_of_kin_name", "next_of_kin_relationship",
                 "next_of_kin_contact", "legal_representative"):
        values[name] = getattr(a, name)
    return [_cell(values.get(col)) for col in COLUMNS]


def to_manifest_csv(bookings: Sequence[BookingIn]) -> bytes:
    """The bookings as an intake manifest (docs/intake-manifest.md), UTF-8 CSV with every column."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for b in bookings:
        writer.writerow(manifest_row(b))
    return buf.getvalue().encode("utf-8")
