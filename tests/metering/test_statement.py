"""The statement's sums on totals made by hand: idle shared by allocation cost per cluster,
an idle cluster with no allocation left unassigned, a team across clusters, currencies."""

from __future__ import annotations

import pytest

from bongsu.errors import InvalidQuery
from bongsu.metering.rates import Rate, RateCard
from bongsu.metering.statement import month_window, statement
from bongsu.store.metering import GroupTotal, NodeTotal


def _g(cluster: str, key: str, cpu: float, mem: float) -> GroupTotal:
    return GroupTotal(cluster, key, 1, cpu, cpu / 2, cpu, mem, mem, mem)


def _n(cluster: str, node: str, cpu: float, mem: float, cpu_alloc: float, mem_alloc: float
       ) -> NodeTotal:
    return NodeTotal(cluster, node, max(cpu, cpu_alloc), max(mem, mem_alloc), cpu_alloc,
                     mem_alloc, max(cpu - cpu_alloc, 0), max(mem - mem_alloc, 0))


def test_idle_shares_and_totals() -> None:
    groups = [_g("a", "shop", 1.0, 2.0), _g("a", "pay", 3.0, 2.0), _g("b", "ops", 6.0, 0.0)]
    nodes = [_n("a", "n1", 8.0, 8.0, 4.0, 4.0),
             _n("b", "m1", 4.0, 4.0, 6.0, 0.0),  # 2 cores over its capacity: no CPU idle
             _n("c", "z1", 2.0, 0.0, 0.0, 0.0)]  # cluster c: capacity, no containers
    card = RateCard(Rate("USD", 1.0, 0.5), {"b": Rate("USD", 2.0, 0.5)})
    s = statement(groups, nodes, 1, card, "namespace")
    lines = {x.key: x for x in s.lines}
    # cluster a: allocation shop 1 + 1, pay 3 + 1; idle (8-4)*1 + (8-4)*0.5 = 6
    assert lines["shop"].allocation_cost == pytest.approx(2.0)
    assert lines["pay"].allocation_cost == pytest.approx(4.0)
    assert lines["shop"].idle_cost == pytest.approx(6.0 * 2 / 6)
    assert lines["pay"].idle_cost == pytest.approx(6.0 * 4 / 6)
    # cluster b: 6 cores at 2.0; its 4 GiB all idle, at 0.5
    assert lines["ops"].allocation_cost == pytest.approx(12.0)
    assert lines["ops"].idle_cost == pytest.approx(2.0)
    assert lines["ops"].request_cost == pytest.approx(12.0)
    assert lines["ops"].usage_cost == pytest.approx(6.0)
    assert s.unassigned_idle_cost == pytest.approx(2.0)  # cluster c's 2 idle cores at 1.0
    assert s.capacity_cost == pytest.approx(2 + 4 + 6 + 12 + 2 + 2)
    assert sum(x.total_cost for x in s.lines) + s.unassigned_idle_cost == pytest.approx(
        s.capacity_cost)
    assert [x.key for x in s.lines] == ["ops", "pay", "shop"]  # largest total first


def test_a_team_across_clusters_is_one_line_priced_per_cluster() -> None:
    groups = [_g("a", "web", 1.0, 0.0), _g("b", "web", 1.0, 0.0), _g("b", "ops", 1.0, 0.0)]
    nodes = [_n("a", "n", 2.0, 0.0, 1.0, 0.0), _n("b", "m", 4.0, 0.0, 2.0, 0.0)]
    s = statement(groups, nodes, 1, RateCard(Rate("EUR", 1.0, 0.0), {"b": Rate("EUR", 3.0, 0)}),
                  "team")
    web = next(x for x in s.lines if x.key == "web")
    assert (web.cluster, web.containers) == ("", 2)
    assert web.allocation_cost == pytest.approx(1.0 + 3.0)
    # a's idle (1 core at 1.0) all to web; b's idle (2 cores at 3.0) half to web
    assert web.idle_cost == pytest.approx(1.0 + 3.0)
    assert s.capacity_cost == pytest.approx(2.0 * 1 + 4.0 * 3)


def test_clusters_in_two_currencies_are_refused() -> None:
    card = RateCard(Rate("USD", 1.0, 1.0), {"b": Rate("KRW", 1300.0, 100.0)})
    groups = [_g("a", "shop", 1.0, 1.0), _g("b", "shop", 1.0, 1.0)]
    with pytest.raises(InvalidQuery, match=r"^cluster: .*KRW, USD"):
        statement(groups, [], 1, card, "team")
    assert statement(groups[:1], [], 1, card, "team").currency == "USD"


def test_month_window() -> None:
    assert month_window("2024-02") == (1_706_745_600_000_000, 1_709_251_200_000_000)  # 29 days
    for bad in ("2024-00", "2024-13", "24-02", "2024-2", "1969-12", ""):
        with pytest.raises(InvalidQuery, match=r"^month:"):
            month_window(bad)
