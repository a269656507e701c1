"""The alert repository on a real SQLite file: rules, instances, history, the defaults'
seeding, and the migrations (applied once; an upgrade keeps the ingest keys)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, text

from bongsu.alerts.defaults import default_rules, seed_defaults
from bongsu.alerts.model import AlertInstance, Rule, Transition, fingerprint
from bongsu.alerts.repo import AlertRepo
from bongsu.errors import RuleError
from bongsu.meta.database import connect, upgrade
from bongsu.meta.keys import KeyRing

T0 = 1_764_000_000_000_000


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'meta.sqlite'}"


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    engine = connect(url)
    yield engine
    engine.dispose()


@pytest.fixture
def repo(engine: Engine) -> AlertRepo:
    return AlertRepo(engine)


def rule(tenant: str = "acme", name: str = "APDEX low", rule_id: str = "") -> Rule:
    return Rule(id=rule_id, tenant=tenant, name=name, kind="threshold",
                spec={"figure": "apdex", "op": "<", "value": 0.7}, for_s=300)


def instance(rule_id: str, state: str = "firing", tenant: str = "acme",
             service: str = "orders") -> AlertInstance:
    labels = {"service": service}
    return AlertInstance(
        id=fingerprint(rule_id, labels), tenant=tenant, rule_id=rule_id, labels=labels,
        state=state,  # type: ignore[arg-type]
        active_since_us=T0, fired_at_us=T0 + 300_000_000 if state == "firing" else None,
        resolved_at_us=None, last_eval_us=T0 + 300_000_000, last_active_us=T0 + 300_000_000,
        value=0.61, summary="apdex is 0.61 (< 0.7) for orders", link="/services/orders",
        severity="warning",
    )


def test_rules_are_tenant_scoped(repo: AlertRepo) -> None:
    mine = repo.put_rule(rule("acme"))
    theirs = repo.put_rule(rule("globex"))
    assert mine.id.startswith("r_") and mine.id != theirs.id
    assert repo.get_rule("acme", mine.id) == mine
    assert repo.get_rule("globex", mine.id) is None
    assert repo.list_rules("acme") == [mine]
    assert not repo.delete_rule("globex", mine.id)
    assert repo.get_rule("acme", mine.id) == mine
    assert repo.tenants() == ["acme", "globex"]
    assert repo.delete_rule("acme", mine.id)
    assert repo.get_rule("acme", mine.id) is None and repo.list_rules("acme") == []


def test_put_replaces_and_names_are_unique_per_tenant(repo: AlertRepo) -> None:
    first = repo.put_rule(rule(name="APDEX low"))
    changed = repo.put_rule(dataclasses.replace(first, for_s=600, enabled=False))
    assert repo.get_rule("acme", first.id) == changed
    assert repo.list_rules("acme", enabled_only=True) == []
    with pytest.raises(RuleError, match=r"^name: a rule named 'APDEX low' already exists"):
        repo.put_rule(rule(name="APDEX low"))
    repo.put_rule(rule("globex", name="APDEX low"))  # another tenant may use the name
    assert repo.rule_by_name("acme", "APDEX low") == changed


def test_put_checks_the_rule(repo: AlertRepo) -> None:
    with pytest.raises(RuleError, match=r"^spec.op: "):
        repo.put_rule(dataclasses.replace(rule(), spec={"figure": "apdex", "op": "~",
                                                        "value": 1}))
    with pytest.raises(RuleError, match=r"^interval: "):
        repo.put_rule(dataclasses.replace(rule(), interval_s=1))
    assert repo.list_rules("acme") == []


def test_record_keeps_state_and_history_across_a_restart(url: str, repo: AlertRepo) -> None:
    r = repo.put_rule(rule())
    pending = instance(r.id, "pending")
    ids = repo.record([pending], [Transition(pending, "inactive", "pending", T0)])
    firing = instance(r.id, "firing")
    ids += repo.record([firing], [Transition(firing, "pending", "firing", T0 + 300_000_000)])
    assert ids[1] > ids[0]

    reopened = AlertRepo(connect(url))  # a restart: a new engine on the same file
    assert reopened.instances("acme") == [firing]
    assert reopened.instances("acme", rule_id=r.id, state="firing") == [firing]
    assert reopened.instances("acme", state="pending") == []
    assert reopened.instances("globex") == []
    waiting = reopened.unnotified(10)
    assert [(e.id, e.transition.old, e.transition.new) for e in waiting] == [
        (ids[0], "inactive", "pending"), (ids[1], "pending", "firing")]
    assert waiting[1].transition == Transition(firing, "pending", "firing", T0 + 300_000_000)
    assert not any(e.notified for e in waiting)

    reopened.mark_notified([ids[0]])
    assert [e.id for e in repo.unnotified(10)] == [ids[1]]
    assert [e.id for e in repo.unnotified(1)] == [ids[1]]
    repo.mark_notified(ids)
    assert repo.unnotified(10) == []
    assert [(e.id, e.notified) for e in repo.history("acme", T0)] == [
        (ids[1], True), (ids[0], True)]  # newest first
    assert [e.id for e in repo.history("acme", T0 + 1)] == [ids[1]]
    assert repo.history("acme", T0, rule_id="other") == []
    assert len(repo.history("acme", T0, limit=1)) == 1
    assert repo.history("globex", 0) == []


def test_record_is_one_transaction(repo: AlertRepo) -> None:
    r = repo.put_rule(rule())
    good = instance(r.id, "firing", service="orders")
    bad = dataclasses.replace(instance(r.id, "firing", service="cart"),
                              labels={"service": object()})  # type: ignore[dict-item]
    with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises, nothing stays
        repo.record([good], [Transition(good, "pending", "firing", T0),
                             Transition(bad, "pending", "firing", T0)])
    assert repo.instances("acme") == []
    assert repo.unnotified(10) == []


def test_deleting_a_rule_resolves_its_firing_instances(repo: AlertRepo) -> None:
    r = repo.put_rule(rule())
    firing = instance(r.id, "firing", service="orders")
    pending = instance(r.id, "pending", service="cart")
    repo.record([firing, pending], [])
    assert repo.delete_rule("acme", r.id, at_us=T0 + 900_000_000)
    assert repo.instances("acme") == []
    [entry] = repo.unnotified(10)
    assert (entry.transition.old, entry.transition.new) == ("firing", "resolved")
    assert entry.transition.instance.labels == {"service": "orders"}
    assert entry.transition.instance.resolved_at_us == T0 + 900_000_000


def test_defaults_are_seeded_once_and_never_recreated(repo: AlertRepo) -> None:
    created = seed_defaults(repo, "acme", at_us=T0)
    assert {r.id for r in created} == {f"builtin-{k}" for k in default_rules()}
    assert all(r.builtin and r.tenant == "acme" for r in repo.list_rules("acme"))
    assert seed_defaults(repo, "acme") == []

    # The user deletes one, turns one off, edits one: seeding again changes nothing.
    assert repo.delete_rule("acme", "builtin-k8s-hpa-scale-in")
    off = repo.get_rule("acme", "builtin-k8s-node-rebooted")
    assert off is not None
    repo.put_rule(dataclasses.replace(off, enabled=False))
    apdex = repo.get_rule("acme", "builtin-apdex-low")
    assert apdex is not None
    edited = repo.put_rule(dataclasses.replace(apdex, spec={**apdex.spec, "value": 0.5}))
    assert seed_defaults(repo, "acme") == []
    assert repo.get_rule("acme", "builtin-k8s-hpa-scale-in") is None
    assert repo.get_rule("acme", "builtin-k8s-node-rebooted") == dataclasses.replace(
        off, enabled=False)
    assert repo.get_rule("acme", "builtin-apdex-low") == edited
    assert len(repo.list_rules("acme")) == len(default_rules()) - 1

    # Another tenant gets its own; a default added in a later release is still seeded.
    assert len(seed_defaults(repo, "globex")) == len(default_rules())
    later = {**default_rules(),
             "disk-full": dataclasses.replace(rule("", name="Disk full"), id="builtin-disk")}
    assert [r.name for r in repo.seed_rules("acme", later)] == ["Disk full"]


def test_a_default_whose_name_the_user_took_is_not_created(repo: AlertRepo) -> None:
    mine = repo.put_rule(rule(name="APDEX below 0.7"))
    created = seed_defaults(repo, "acme")
    assert "builtin-apdex-low" not in {r.id for r in created}
    assert repo.rule_by_name("acme", "APDEX below 0.7") == mine


def test_migrations_are_applied_once(url: str, engine: Engine) -> None:
    again = connect(url)  # a second process on the same file
    upgrade(again)
    with again.connect() as con:
        versions = con.execute(text("SELECT version_num FROM alembic_version")).all()
    assert len(versions) == 1
    tables = set(inspect(again).get_table_names())
    assert {"ingest_keys", "alert_rules", "alert_defaults_seeded", "alert_instances",
            "alert_history"} <= tables
    again.dispose()


def test_an_upgrade_from_0001_keeps_the_keys(url: str) -> None:
    from sqlalchemy import create_engine

    old = create_engine(url)
    upgrade(old, "0001")  # the database as the previous release left it
    assert "alert_rules" not in inspect(old).get_table_names()
    key = "bsk_" + "k" * 32  # written as release 0001 wrote it: its columns only
    with old.begin() as con:
        con.execute(text(
            "INSERT INTO ingest_keys (tenant, name, prefix, key_hash, created_at) "
            "VALUES ('acme', 'prod agents', :prefix, :hash, :at)"),
            {"prefix": key[:12], "hash": hashlib.sha256(key.encode()).hexdigest(),
             "at": datetime.now(UTC)})
    old.dispose()

    ring = KeyRing.open(url)  # the new release opens it: 0002 and later are applied
    try:
        assert ring.resolve(f"Bearer {key}") == "acme"
        assert [k.name for k in ring.list()] == ["prod agents"]
    finally:
        ring.close()
    with connect(url).connect() as con:  # 0012: the tenant became an org with its project
        assert con.execute(text(
            "SELECT o.slug, p.tenant FROM projects p JOIN orgs o ON o.id = p.org_id "
            "ORDER BY p.tenant")).all() == [("acme", "acme"), ("default", "default")]
    engine = connect(url)
    assert "alert_rules" in inspect(engine).get_table_names()
    AlertRepo(engine).put_rule(rule())
    engine.dispose()


def test_prune_forgets_only_what_is_over(repo: AlertRepo) -> None:
    r = repo.put_rule(rule())
    firing = instance(r.id, "firing", service="orders")
    resolved = dataclasses.replace(instance(r.id, "resolved", service="cart"),
                                   resolved_at_us=T0 + 400_000_000)
    recent = dataclasses.replace(instance(r.id, "resolved", service="pay"),
                                 resolved_at_us=T0 + 400_000_000,
                                 last_eval_us=T0 + 2_000_000_000)
    old_ids = repo.record([firing, resolved, recent],
                          [Transition(firing, "pending", "firing", T0),
                           Transition(resolved, "firing", "resolved", T0 + 1)])
    repo.mark_notified(old_ids[:1])
    cutoff = T0 + 1_000_000_000
    assert repo.prune(cutoff) == (1, 1)
    assert {i.labels["service"] for i in repo.instances("acme")} == {"orders", "pay"}
    # The unnotified transition stays until the notifier has it.
    assert [e.id for e in repo.unnotified(10)] == [old_ids[1]]
    assert repo.prune(cutoff) == (0, 0)


def test_migration_0002_matches_the_tables(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bongsu.alerts import tables

    mine = {t.name for t in (tables.alert_rules, tables.alert_defaults_seeded,
                             tables.alert_instances, tables.alert_history)}
    with engine.connect() as con:
        diffs = compare_metadata(MigrationContext.configure(con), tables.metadata)

    def table_of(diff: Any) -> str | None:
        # ("add_table", Table) / ("add_index", Index) / ("add_column", schema, table, Column)
        # / [("modify_nullable", schema, table, column, ...)]: the table a difference is in.
        item = diff[0] if isinstance(diff, list) else diff
        if len(item) > 2 and isinstance(item[2], str):
            return item[2]
        target = item[1]
        return str(target.table.name if hasattr(target, "table") else target.name)

    assert [d for d in diffs if table_of(d) in mine] == []
