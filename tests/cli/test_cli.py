"""The habeas command: JSON output and exit codes a script can rely on."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from habeas.cli.main import app
from tests.conftest import REFERENCE_LAYOUT
from tests.intake.test_manifest import row, to_csv

runner = CliRunner()


def habeas(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def site(use_db, tmp_path):
    r = habeas("site", "load", str(REFERENCE_LAYOUT), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["created_site"] is True
    return "RC"


def test_site_load_twice_changes_nothing(site):
    r = habeas("site", "load", str(REFERENCE_LAYOUT), "--json")
    assert json.loads(r.output)["changed"] is False
    r = habeas("site", "show", "RC", "--json")
    pavilions = [l for l in json.loads(r.output)["locations"] if l["type"] == "pavilion"]
    assert len(pavilions) == 8 and sum(p["working"] for p in pavilions) >= 40_000


def test_bad_layout_file_names_the_place(use_db, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("site: {code: X, name: X, operational_capacity: 1}\nlocations:\n  - {code: R, type: reception, capacity: {working: 9, max: 3}}\n")
    r = habeas("site", "load", str(bad), "--json")
    assert r.exit_code == 1
    err = json.loads(r.output)["errors"][0]
    assert err["file"] == str(bad) and err["row"] == 3 and err["field"].endswith("capacity.working")
    r = habeas("site", "load", str(tmp_path / "missing.yaml"))
    assert r.exit_code == 1


def test_intake_import_json_success_and_errors(site, tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(to_csv([row(external_ref=f"E{i}", national_id=f"N{i}") for i in range(4)]))
    bad_rows = [row(external_ref="B1", national_id="X1"), row(external_ref="B1", national_id="X2", sex="")]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(to_csv(bad_rows))

    r = habeas("intake", "import", str(bad), "--site", site, "--json")
    assert r.exit_code != 0
    out = json.loads(r.output)
    assert {(e["row"], e["field"]) for e in out["errors"]} == {(3, "sex"), (3, "external_ref")}

    r = habeas("intake", "import", str(good), "--site", site, "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["booked"] == 4 and [p["external_ref"] for p in out["prisoners"]] == ["E0", "E1", "E2", "E3"]
    number = out["prisoners"][0]["prisoner_number"]

    r = habeas("prisoner", "show", number, "--json")
    assert json.loads(r.output)["location"] == "REC"
    r = habeas("intake", "import", str(good), "--site", "NOPE", "--json")
    assert r.exit_code == 1 and "NOPE" in json.loads(r.output)["errors"][0]["message"]


def test_audit_verify_exit_codes(site, use_db):
    r = habeas("audit", "verify", "--json")
    assert r.exit_code == 0 and json.loads(r.output)["ok"] is True
    from habeas.db import default_engine

    with default_engine().begin() as c:
        c.execute(text("UPDATE audit_events SET action = 'site.nothing' WHERE seq = 2"))
    r = habeas("audit", "verify")
    assert r.exit_code == 1 and "event 2" in r.output


def test_user_add_prints_a_working_token_once(use_db):
    r = habeas("user", "add", "ana", "--role", "records", "--json")
    assert r.exit_code == 0
    tok = json.loads(r.output)["token"]
    assert tok.startswith("hbs_")
    from habeas.auth.service import authenticate_token
    from habeas.db import transaction

    with transaction() as s:
        assert authenticate_token(s, tok).role == "records"
        stored = s.execute(text("SELECT token_hash FROM api_tokens")).scalars().all()
    assert tok not in stored
    r = habeas("user", "add", "bob", "--role", "warden")
    assert r.exit_code == 1


def test_audit_verify_against_a_recorded_head(site):
    head = json.loads(habeas("audit", "verify", "--json").output)
    good = f"{head['head_seq']}:{head['head_hash']}"
    assert habeas("audit", "verify", "--expect", good).exit_code == 0
    r = habeas("audit", "verify", "--expect", f"{head['head_seq']}:{'0' * 64}")
    assert r.exit_code == 1 and "rewritten" in r.output
    assert habeas("audit", "verify", "--expect", "nonsense").exit_code == 2


def test_user_deactivate_and_revoke_from_the_cli(use_db):
    tok = json.loads(habeas("user", "add", "ana", "--role", "records", "--json").output)["token"]
    assert habeas("user", "revoke-token", tok[:12], "--reason", "lost").exit_code == 0
    assert habeas("user", "revoke-token", tok[:12], "--reason", "again").exit_code == 1
    assert habeas("user", "deactivate", "ana", "--reason", "left").exit_code == 0
    out = json.loads(habeas("user", "list", "--json").output)
    assert out == [{"username": "ana", "role": "records", "full_name": None, "active": False}]


def test_legal_recalculate_and_court_cancel_from_the_command_line(use_db):
    from datetime import UTC, date, datetime

    from typer.testing import CliRunner

    from habeas.cli.main import app
    from habeas.court import service as court
    from habeas.db import transaction
    from habeas.intake.service import book_many
    from habeas.kit import clock
    from habeas.legal import sentences
    from habeas.models import Prisoner
    from tests import factories as f

    clock.freeze(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    with transaction() as s:
        f.load(s)
        [b] = book_many(s, f.ACTOR, "T1", [(None, f.booking(legal_bases=[{"type": "sentence", "reference": "S", "issuing_authority": "T",
                                                                          "issue_date": date(2025, 3, 2)}]))])
        number = s.get(Prisoner, b.prisoner_id).prisoner_number
        sentences.add_sentence(s, f.ACTOR, number, key="S1", sentence_date=date(2025, 3, 2), years=3)
        case = court.open_case(s, f.ACTOR, number, reference="C", court="J", charges=[])
        h = court.schedule(s, f.ACTOR, case.id, starts_at=datetime(2026, 3, 3, 15, tzinfo=UTC), ends_at=datetime(2026, 3, 3, 16, tzinfo=UTC),
                           mode="in_person")
        hid = h.id
    r = runner.invoke(app, ["legal", "recalculate", "--site", "T1", "--json"])
    assert r.exit_code == 0 and '"calculated": 1' in r.stdout
    r = runner.invoke(app, ["court", "cancel", str(hid), "--reason", "judge ill"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["court", "cancel", str(hid), "--reason", "again", "--json"])
    assert r.exit_code == 1 and "bad_transition" in r.stdout
