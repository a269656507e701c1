"""The accounts tables on SQLite and on a real PostgreSQL: migration 0012 up and down with
the existing tenants becoming organisations, ``create_org``, the KeyRing, and the
Authenticator resolving API tokens and sessions (roles, CSRF, expiry, the project header,
the trial) — the same tests on both databases."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, create_engine, event, insert, inspect, select, update
from starlette.requests import Request

from accounts.people import People, Session
from bongsu.accounts.authenticate import Authenticator
from bongsu.accounts.credentials import CSRF_HEADER, PROJECT_HEADER, digest
from bongsu.accounts.orgs import create_org
from bongsu.accounts.roles import Role
from bongsu.accounts.tables import api_tokens, memberships, orgs, projects, sessions
from bongsu.errors import Forbidden, IngestForbidden, NotFound, Unauthorized
from bongsu.meta import database
from bongsu.meta.database import database_url, downgrade, upgrade
from bongsu.meta.keys import KeyRing
from bongsu.meta.tables import ingest_keys

ACCOUNT_TABLES = {"users", "orgs", "memberships", "projects", "invitations", "api_tokens",
                  "sessions", "account_codes", "audit_log"}


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def url(meta_url: str) -> str:
    """A fresh metadata database, SQLite then a real PostgreSQL (conftest's meta_url)."""
    return meta_url


@pytest.fixture
def bare(url: str) -> Iterator[Engine]:
    """An engine on the empty database, no migration applied."""
    parsed = database_url(url)
    engine = create_engine(parsed)
    if parsed.drivername.startswith("sqlite"):
        event.listen(engine, "connect", database._sqlite_pragmas)
    yield engine
    engine.dispose()


@pytest.fixture
def people(url: str) -> Iterator[People]:
    made = People(url)
    yield made
    made.close()


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_migration_0012_up_and_down_makes_each_tenant_an_organisation(bare: Engine) -> None:
    upgrade(bare, "0011")
    assert not ACCOUNT_TABLES & _tables(bare)
    with bare.begin() as con:
        for tenant, key_hash in (("acme", "a" * 64), ("acme", "b" * 64), ("globex", "c" * 64)):
            # The table as 0011 left it: no last_used_us yet.
            con.execute(insert(ingest_keys).values(
                tenant=tenant, name="", prefix=key_hash[:12], key_hash=key_hash,
                created_at=datetime.now(UTC)))

    upgrade(bare, "0012")
    assert _tables(bare) >= ACCOUNT_TABLES
    assert "last_used_us" in {c["name"] for c in inspect(bare).get_columns("ingest_keys")}
    with bare.connect() as con:
        rows = con.execute(select(orgs.c.slug, orgs.c.name, orgs.c.trial_ends_us,
                                  projects.c.tenant)
                           .select_from(projects.join(orgs, orgs.c.id == projects.c.org_id))
                           .order_by(orgs.c.slug)).all()
        keys = con.execute(select(ingest_keys.c.tenant).order_by(ingest_keys.c.id)).all()
    # One organisation per tenant (and "default"), none sharing, no trial, keys kept.
    assert [tuple(r) for r in rows] == [("acme", "acme", None, "acme"),
                                        ("default", "default", None, "default"),
                                        ("globex", "globex", None, "globex")]
    assert [k.tenant for k in keys] == ["acme", "acme", "globex"]
    ring = KeyRing(bare)
    assert [k.tenant for k in ring.list()] == ["acme", "acme", "globex"]

    downgrade(bare, "0011")
    assert not ACCOUNT_TABLES & _tables(bare)
    assert "last_used_us" not in {c["name"] for c in inspect(bare).get_columns("ingest_keys")}
    with bare.connect() as con:
        assert con.execute(select(ingest_keys.c.tenant)).scalars().all() == [
            "acme", "acme", "globex"]
    upgrade(bare, "0012")  # and up again, the organisations made afresh
    with bare.connect() as con:
        assert sorted(con.execute(select(orgs.c.slug)).scalars()) == [
            "acme", "default", "globex"]


def test_create_org_makes_a_project_and_an_owner(people: People) -> None:
    owner = people.user("OWNER_1")
    with people.engine.begin() as con:
        first = create_org(con, "Acme Corp!", owner.id, trial_days=15, now_us=1_000)
        again = create_org(con, "acme corp", None, trial_days=0, now_us=2_000)
    assert (first.slug, first.tenant) == ("acme-corp", "acme-corp")
    assert again.slug == "acme-corp-2" and again.tenant == "acme-corp-2"
    with people.engine.connect() as con:
        trial = con.execute(select(orgs.c.trial_ends_us).where(orgs.c.id == first.id)).scalar()
        assert trial == 1_000 + 15 * 86_400_000_000
        assert con.execute(select(orgs.c.trial_ends_us).where(
            orgs.c.id == again.id)).scalar() is None
        project = con.execute(select(projects).where(projects.c.id == first.project_id)).one()
        assert (project.org_id, project.name, project.tenant) == (first.id, "default",
                                                                  "acme-corp")
        assert con.execute(select(memberships.c.user_id, memberships.c.role).where(
            memberships.c.org_id == first.id)).all() == [(owner.id, "owner")]
        assert con.execute(select(memberships).where(
            memberships.c.org_id == again.id)).all() == []
    # A store tenant of that slug already taken (a key made one): the project gets its own.
    people.keys.create("globex")
    with people.engine.begin() as con:
        clash = create_org(con, "Globex", None, trial_days=0, now_us=3_000)
    assert clash.slug == "globex-2"
    with people.engine.begin() as con:
        con.execute(update(orgs).where(orgs.c.slug == "globex").values(slug="globex-old"))
        renamed = create_org(con, "Globex", None, trial_days=0, now_us=4_000)
    assert renamed.slug == "globex" and renamed.tenant.startswith("globex-")
    assert renamed.tenant != "globex"


def test_keyring_creates_looks_up_and_revokes(people: People) -> None:
    acme = people.org("Acme", trial_days=15)
    ring = KeyRing(people.engine)
    made = ring.create(acme.tenant, "prod agents")
    assert made.key is not None and made.key.startswith("bsk_")
    assert made.prefix == made.key[:12]
    with people.engine.connect() as con:
        stored = con.execute(select(ingest_keys.c.key_hash).where(
            ingest_keys.c.id == made.id)).scalar()
    assert stored == digest(made.key) and made.key not in str(stored)
    hit = ring.lookup(made.key)
    assert hit is not None and (hit.id, hit.tenant) == (made.id, acme.tenant)
    assert hit.trial_ends_us is not None and hit.trial_ends_us > 0
    assert ring.lookup("bsk_unknown") is None
    [listed] = ring.list(acme.tenant)
    assert listed.key is None and listed.last_used_us is not None  # the lookup noted it
    assert not ring.revoke(str(made.id), tenant="someone-else")
    assert ring.lookup(made.key) is not None
    assert ring.revoke(made.prefix, tenant=acme.tenant)
    assert ring.lookup(made.key) is None  # at once, on the ring that revoked it
    assert not ring.revoke(made.prefix)  # already revoked
    [listed] = ring.list(acme.tenant)
    assert listed.revoked_at is not None
    # A key for a tenant without a project gives it an organisation of its own.
    loose = ring.create("loose-tenant")
    assert people.org_of("loose-tenant").slug == "loose-tenant"
    assert loose.key is not None and ring.lookup(loose.key) is not None


def _request(method: str = "GET", token: str | None = None, session: Session | None = None,
             csrf: bool = True, project: str | None = None) -> Request:
    headers: dict[str, str] = {}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    if session is not None:
        headers |= {k.lower(): v for k, v in session.headers(with_csrf=csrf).items()}
    if project is not None:
        headers[PROJECT_HEADER] = project
    return Request({"type": "http", "method": method, "path": "/api/v1/rules",
                    "query_string": b"", "headers": [(k.encode(), v.encode("latin-1"))
                                                     for k, v in headers.items()]})


def test_an_api_token_resolves_to_its_org_project_and_role(people: People) -> None:
    clock = Clock()
    auth = Authenticator(people.engine, KeyRing(people.engine), "accounts", clock=clock)
    acme, beta = people.org("Acme"), people.org("Beta")
    editor = people.user("ACME_EDITOR", acme, Role.EDITOR)
    token = people.token(acme, editor)
    p = auth.principal(_request(token=token))
    assert (p.kind, p.tenant, p.role, p.org_id, p.user_id) == (
        "token", acme.tenant, Role.EDITOR, acme.id, editor.id)
    assert p.actor == f"ACME_EDITOR (token {token[:12]})" and p.read_only_reason is None
    # A token of a higher role than its user's acts with the user's.
    high = people.token(acme, editor, role=Role.OWNER)
    assert auth.principal(_request(token=high)).role is Role.EDITOR
    # A service account's token has its own role.
    service = people.token(acme, None, role=Role.VIEWER)
    assert auth.principal(_request(token=service)).role is Role.VIEWER
    # Another organisation's project is not found, nor one no id can name (more digits than
    # a database integer holds, a character str.isdigit takes and int() refuses); this
    # one's, by id or tenant, is.
    for project in (beta.tenant, str(beta.project_id), "9" * 30, "\u00b2"):
        with pytest.raises(NotFound):
            auth.principal(_request(token=token, project=project))
    assert auth.principal(_request(token=token, project=str(acme.project_id))).tenant == (
        acme.tenant)
    with people.engine.connect() as con:
        used = con.execute(select(api_tokens.c.last_used_us).where(
            api_tokens.c.token_hash == digest(token))).scalar()
    assert used == int(clock.now * 1e6)

    expiring = people.token(acme, editor, expires_in_s=60)
    assert auth.principal(_request(token=expiring)).role is Role.EDITOR
    clock.now += 120
    for bad in (expiring, "bst_unknown", "not-a-token"):
        with pytest.raises(Unauthorized):
            auth.principal(_request(token=bad))
    with people.engine.begin() as con:
        con.execute(update(api_tokens).where(api_tokens.c.token_hash == digest(token))
                    .values(revoked_us=int(clock.now * 1e6)))
    with pytest.raises(Unauthorized):
        auth.principal(_request(token=token))
    # A user who left the organisation: their token stops with them.
    with people.engine.begin() as con:
        con.execute(memberships.delete().where(memberships.c.user_id == editor.id))
    with pytest.raises(Unauthorized):
        auth.principal(_request(token=high))
    with pytest.raises(Forbidden):  # an ingest key is never an API credential
        auth.principal(_request(token=people.ingest_key(acme)))
    with pytest.raises(Unauthorized):
        auth.principal(_request())


def test_a_session_resolves_with_csrf_on_writes_and_expires_when_idle(people: People) -> None:
    clock = Clock()
    auth = Authenticator(people.engine, KeyRing(people.engine), "accounts",
                         session_idle_seconds=600, clock=clock)
    acme = people.org("Acme")
    viewer = people.user("ACME_VIEWER", acme, Role.VIEWER)
    session = people.session(viewer, acme)
    p = auth.principal(_request(session=session, csrf=False))
    assert (p.kind, p.tenant, p.role, p.actor) == ("session", acme.tenant, Role.VIEWER,
                                                  "ACME_VIEWER")
    with pytest.raises(Forbidden, match="CSRF"):
        auth.principal(_request("POST", session=session, csrf=False))
    wrong = Session(session.cookie, "not-the-token")
    with pytest.raises(Forbidden, match="CSRF"):
        auth.principal(_request("DELETE", session=wrong))
    assert auth.principal(_request("POST", session=session)).role is Role.VIEWER
    assert CSRF_HEADER == "x-csrf-token"

    clock.now += 300  # seen: the idle time counts again from here
    auth.principal(_request(session=session))
    clock.now += 500
    assert auth.principal(_request(session=session)).user_id == viewer.id
    clock.now += 601
    with pytest.raises(Unauthorized):
        auth.principal(_request(session=session))
    with people.engine.connect() as con:
        assert con.execute(select(sessions.c.user_id)).scalars().all() == [viewer.id]

    # The trial ended: the session still reads, and may write nothing.
    clock.now = time.time()
    fresh = people.session(people.user("ACME_EDITOR", acme, Role.EDITOR), acme)
    with people.engine.begin() as con:
        con.execute(update(orgs).where(orgs.c.id == acme.id)
                    .values(trial_ends_us=int((clock.now - 1) * 1e6)))
    read = auth.principal(_request(session=fresh))
    assert read.read_only_reason is not None and "trial" in read.read_only_reason
    assert read.role is Role.EDITOR
    read.require(Role.VIEWER)
    with pytest.raises(Forbidden, match="trial"):
        read.require(Role.EDITOR)
    with pytest.raises(Unauthorized):
        auth.principal(_request(session=Session("no-such-session", "x")))


def test_ingest_tenant_needs_a_key_even_with_none_made(people: People) -> None:
    clock = Clock()
    auth = Authenticator(people.engine, KeyRing(people.engine), "accounts", clock=clock)
    with pytest.raises(Unauthorized):
        auth.ingest_tenant(None)
    acme = people.org("Acme", trial_days=1)
    key = people.ingest_key(acme)
    assert auth.ingest_tenant(f"Bearer {key}") == acme.tenant
    clock.now += 2 * 86_400  # the trial ended: no more telemetry
    with pytest.raises(IngestForbidden, match="trial"):
        auth.ingest_tenant(f"Bearer {key}")
    assert auth.keys.revoke(key[:12])
    with pytest.raises(Unauthorized):
        auth.ingest_tenant(f"Bearer {key}")
    with pytest.raises(Unauthorized):
        auth.ingest_tenant(None)
    single = Authenticator(people.engine, KeyRing(people.engine), "single-user")
    assert single.ingest_tenant(None) == "default"

