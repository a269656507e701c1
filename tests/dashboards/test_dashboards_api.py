"""My dashboard's API on real servers: pin, place, rename and unpin one's own panels; the
limits and 400s naming the field; another user's panel ids are 404s; a viewer may pin, a
service account's token may not; the panels survive a restart — on a single-user server
and on an accounts-mode one (users and tokens written by ``accounts.people``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accounts.people import People, bearer, request
from bongsu.accounts.roles import Role
from server_process import ServerProcess, survivors

MINE = "/api/v1/dashboards/mine"
ENV = {"BONGSU_FSYNC": "off", "BONGSU_ALERTS": "false", "BONGSU_CHECKS": "false"}


def call(server: ServerProcess, method: str, path: str, body: Any = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    return request(server.api_url + path, method, body, headers)


def pin(server: ServerProcess, headers: dict[str, str] | None = None, **body: Any) -> Any:
    sent = {"kind": "dashboard.tps", "title": "TPS · shop", "params": {"service": "shop"},
            **body}
    status, answer = call(server, "POST", MINE + "/panels", sent, headers)
    assert status == 201, answer
    return answer


def mine(server: ServerProcess, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    status, answer = call(server, "GET", MINE, headers=headers)
    assert status == 200, answer
    panels: list[dict[str, Any]] = answer["panels"]
    return panels


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = Path(tmp_path_factory.mktemp("dash-single")) / "data"
    server = ServerProcess(data, ENV).start()
    try:
        yield server
    finally:
        server.stop()
    assert survivors(server.left_behind) == []


def test_pin_place_rename_unpin_and_restart(single: ServerProcess) -> None:
    server = single
    assert mine(server) == []
    a = pin(server, w=3, h=2)
    b = pin(server, kind="dashboard.response", title="Response time · shop",
            params={"service": "shop", "instance": "shop-1"}, w=6, h=4)
    c = pin(server, kind="topology.map", title="Topology", params={})
    # Each new panel goes below all the others, at the left, in pinning order.
    assert [(p["x"], p["y"], p["w"], p["h"], p["order"]) for p in (a, b, c)] == [
        (0, 0, 3, 2, 0), (0, 2, 6, 4, 1), (0, 6, 4, 3, 2)]
    assert b["params"] == {"service": "shop", "instance": "shop-1"}
    assert [p["id"] for p in mine(server)] == [a["id"], b["id"], c["id"]]

    layout = [{"id": c["id"], "x": 0, "y": 0, "w": 12, "h": 5},
              {"id": a["id"], "x": 9, "y": 5, "w": 3, "h": 2},
              {"id": b["id"], "x": 0, "y": 5, "w": 9, "h": 6}]
    status, answer = call(server, "PUT", MINE + "/layout", {"panels": layout})
    assert status == 200, answer
    placed = [{k: p[k] for k in ("id", "x", "y", "w", "h")} for p in answer["panels"]]
    assert placed == layout and [p["order"] for p in answer["panels"]] == [0, 1, 2]

    status, answer = call(server, "PATCH", f"{MINE}/panels/{a['id']}",
                          {"title": "Shop TPS", "params": {"service": "cart"}})
    assert status == 200 and answer["title"] == "Shop TPS", answer
    assert answer["params"] == {"service": "cart"} and answer["x"] == 9

    status, _ = call(server, "DELETE", f"{MINE}/panels/{c['id']}")
    assert status == 204
    status, answer = call(server, "DELETE", f"{MINE}/panels/{c['id']}")
    assert status == 404 and answer["detail"].startswith("id: no panel"), answer
    before = mine(server)
    assert [p["id"] for p in before] == [a["id"], b["id"]]

    server.stop()
    server.start()
    assert mine(server) == before
    for p in before:
        call(server, "DELETE", f"{MINE}/panels/{p['id']}")


@pytest.mark.parametrize(("body", "detail"), [
    ({"kind": "Dashboard TPS", "title": "x"}, "kind: a panel kind"),
    ({"kind": "dashboard", "title": "x"}, "kind: a panel kind"),
    ({"kind": "dashboard.tps", "title": "  "}, "title: 1-200"),
    ({"kind": "dashboard.tps", "title": "x" * 201}, "title:"),
    ({"kind": "dashboard.tps", "title": "x", "w": 13}, "w: 1-12 columns, got 13"),
    ({"kind": "dashboard.tps", "title": "x", "h": 0}, "h: 1-12 rows, got 0"),
    ({"kind": "dashboard.tps", "title": "x", "params": {"service": 3}}, "params.service:"),
    ({"kind": "dashboard.tps", "title": "x", "params": {"service": ["a"]}}, "params.service:"),
    ({"kind": "dashboard.tps", "title": "x", "params": {"service": "s" * 257}},
     "params.service: a string of at most 256"),
    ({"kind": "dashboard.tps", "title": "x", "params": {"$bad": "1"}}, "params.$bad: names"),
    ({"kind": "dashboard.tps", "title": "x", "params": {f"k{i}": "v" for i in range(17)}},
     "params: at most 16 entries, got 17"),
    ({"kind": "dashboard.tps", "title": "x", "params": {f"k{i}": "v" * 200 for i in range(12)}},
     "params: at most 2048 bytes as JSON"),
    ({"kind": "dashboard.tps", "title": "x", "colour": "red"}, "colour:"),
    ({"kind": "dashboard.tps", "title": "x", "w": True}, "w:"),
    ({"kind": "dashboard.tps", "title": "x", "h": 2.5}, "h:"),
    ({"title": "x"}, "kind:"),
])
def test_a_bad_panel_is_a_400_naming_the_field(single: ServerProcess, body: dict[str, Any],
                                               detail: str) -> None:
    status, answer = call(single, "POST", MINE + "/panels", body)
    assert status == 400 and answer["detail"].startswith(detail), answer
    assert mine(single) == []


def test_layout_lists_every_panel_once_within_the_grid(single: ServerProcess) -> None:
    server = single
    a, b = pin(server), pin(server)
    place = {"id": a["id"], "x": 0, "y": 0, "w": 4, "h": 3}
    other = {"id": b["id"], "x": 4, "y": 0, "w": 4, "h": 3}
    cases = [
        ([{**place, "x": 9}, other], "panels[0].x: 0-8 for a panel 4 columns wide"),
        ([place, {**other, "w": 0}], "panels[1].w: 1-12 columns, got 0"),
        ([place, {**other, "y": 199}], "panels[1].y: 0-197"),
        ([place, {**other, "y": -1}], "panels[1].y:"),
        ([place, {**other, "h": 13}], "panels[1].h: 1-12 rows, got 13"),
        ([place, place], f"panels[1].id: panel {a['id']} is listed twice"),
        ([place], f"panels: the layout lists every panel of the dashboard; missing: {b['id']}"),
        ([place, {**other, "pinned": True}], "panels.1.pinned:"),
        ([place, {**other, "x": True}], "panels.1.x:"),
        ([{**place, "id": str(a["id"])}, other], "panels.0.id:"),
    ]
    for panels, detail in cases:
        status, answer = call(server, "PUT", MINE + "/layout", {"panels": panels})
        assert status == 400 and answer["detail"].startswith(detail), (detail, answer)
    status, answer = call(server, "PUT", MINE + "/layout",
                          {"panels": [place, {**other, "id": 987654}]})
    assert status == 404 and answer["detail"] == "panels[1].id: no panel 987654 on your dashboard"
    # Nothing of a refused layout was written.
    assert [(p["x"], p["y"]) for p in mine(server)] == [(0, 0), (0, 3)]
    # Overlaps are stored as given (the console resolves them before saving).
    status, answer = call(server, "PUT", MINE + "/layout", {"panels": [place, {**other, "x": 2}]})
    assert status == 200 and [(p["x"], p["y"]) for p in answer["panels"]] == [(0, 0), (2, 0)]
    for p in (a, b):
        call(server, "DELETE", f"{MINE}/panels/{p['id']}")


def test_at_most_fifty_panels(single: ServerProcess) -> None:
    made = [pin(single, h=1) for _ in range(50)]
    assert [p["y"] for p in made] == list(range(50))
    status, answer = call(single, "POST", MINE + "/panels",
                          {"kind": "dashboard.tps", "title": "one too many"})
    assert status == 409 and answer["detail"].startswith("panels: at most 50 panels"), answer
    assert len(mine(single)) == 50
    for p in made:
        assert call(single, "DELETE", f"{MINE}/panels/{p['id']}")[0] == 204


def test_unknown_ids_and_patch_errors(single: ServerProcess) -> None:
    status, answer = call(single, "PATCH", f"{MINE}/panels/424242", {"title": "x"})
    assert status == 404 and answer["detail"] == "id: no panel 424242 on your dashboard"
    status, answer = call(single, "PATCH", f"{MINE}/panels/0", {"title": "x"})
    assert status == 400 and answer["detail"].startswith("panel_id:"), answer
    p = pin(single)
    status, answer = call(single, "PATCH", f"{MINE}/panels/{p['id']}", {"params": {"a": 1}})
    assert status == 400 and answer["detail"].startswith("params.a:"), answer
    status, answer = call(single, "PATCH", f"{MINE}/panels/{p['id']}", {"kind": "x.y"})
    assert status == 400 and answer["detail"].startswith("kind:"), answer
    call(single, "DELETE", f"{MINE}/panels/{p['id']}")


def test_accounts_mode_panels_are_each_users_own(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    people = People(f"sqlite:///{data / 'meta.sqlite'}")
    server = ServerProcess(data, {**ENV, "BONGSU_AUTH": "accounts"}).start()
    try:
        org = people.org("Dash Org")
        viewer_user = people.user("D_VIEWER", org, Role.VIEWER)
        viewer = people.session(viewer_user, org).headers()
        viewer_token = bearer(people.token(org, viewer_user))
        owner = bearer(people.member(org, "D_OWNER", Role.OWNER)[1])
        robot = bearer(people.token(org, None, Role.ADMIN))
        other_org = people.org("Other Org")
        other_user = people.user("D_OTHER", other_org, Role.OWNER)
        people.join(other_user, org, Role.VIEWER)

        # A viewer pins (a session's write carries the CSRF header) and reads them back
        # with their API token too: a token's panels are its user's.
        mine_v = pin(server, viewer, title="viewer's")
        assert [p["id"] for p in mine(server, viewer_token)] == [mine_v["id"]]
        no_csrf = people.session(viewer_user, org).headers(with_csrf=False)
        status, _ = call(server, "POST", MINE + "/panels",
                         {"kind": "dashboard.tps", "title": "x"}, no_csrf)
        assert status == 403
        # The owner sees none of them, and the viewer's ids are 404s to them.
        assert mine(server, owner) == []
        theirs = pin(server, owner, title="owner's")
        for method, path, body in (
            ("PATCH", f"{MINE}/panels/{mine_v['id']}", {"title": "mine now"}),
            ("DELETE", f"{MINE}/panels/{mine_v['id']}", None),
            ("PUT", MINE + "/layout", {"panels": [
                {"id": theirs["id"], "x": 0, "y": 0, "w": 4, "h": 3},
                {"id": mine_v["id"], "x": 4, "y": 0, "w": 4, "h": 3}]}),
        ):
            status, answer = call(server, method, path, body, owner)
            assert status == 404, (method, path, answer)
        assert [p["title"] for p in mine(server, viewer)] == ["viewer's"]
        # A service account's token has no dashboard.
        for method, path, body in (("GET", MINE, None),
                                   ("POST", MINE + "/panels", {"kind": "a.b", "title": "x"})):
            status, answer = call(server, method, path, body, robot)
            assert status == 403 and "service account" in answer["detail"], answer
        # The same user in another organisation's project: another dashboard.
        other_token = bearer(people.token(other_org, other_user))
        assert mine(server, other_token) == []
        pin(server, other_token, title="other project's")
        assert [p["title"] for p in mine(server, bearer(people.token(org, other_user)))] == []
        # Without credentials: 401.
        assert call(server, "GET", MINE)[0] == 401

        server.stop()
        server.start()
        assert [p["title"] for p in mine(server, viewer)] == ["viewer's"]
        assert [p["title"] for p in mine(server, owner)] == ["owner's"]
        assert [p["title"] for p in mine(server, other_token)] == ["other project's"]
    finally:
        server.stop()
        people.close()
    assert survivors(server.left_behind) == []


def test_migration_0013_matches_the_table(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bongsu.dashboards.tables import dashboard_panels
    from bongsu.meta.database import connect

    engine = connect(f"sqlite:///{tmp_path / 'meta.sqlite'}")
    with engine.connect() as con:
        diffs = compare_metadata(MigrationContext.configure(con), dashboard_panels.metadata)

    def table_of(diff: Any) -> str | None:
        item = diff[0] if isinstance(diff, list) else diff
        if len(item) > 2 and isinstance(item[2], str):
            return item[2]
        target = item[1]
        return str(target.table.name if hasattr(target, "table") else target.name)

    assert [d for d in diffs if table_of(d) == "dashboard_panels"] == []
    engine.dispose()
