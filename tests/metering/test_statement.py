"""The statement's sums on rows made by hand: idle shared by allocation cost per cluster,
an idle cluster with no allocation left unassigned, a node over its capacity, currencies."""

from __future__ import annotations

import pytest

from bongsu.errors import InvalidQuery
from bongsu.metering.rates import Rate, RateCard
from bongsu.metering.statement import month_window, statement
from bongsu.store.metering import ContainerHour, NodeHour

H = 1_796_000_400_000_000 // 3_600_000_000 * 3_600_000_000


def _c(cluster: str, ns: str, node: str, cpu: float, mem: float, team: str = "t"
       ) -> ContainerHour:
    return ContainerHour(cluster, H, ns, f"{ns}-pod", "app", node, "Deployment", ns, team, 60,
                         cpu, cpu / 2, cpu, mem, mem, mem)


def test_idle_shares_and_totals() -> None:
    rows = [_c("a", "shop", "n1", 1.0, 2.0), _c("a", "pay", "n1", 3.0, 2.0),
            _c("b", "ops", "m1", 6.0, 0.0)]  # node m1 holds 4: 2 over, no idle there
    nodes = [NodeHour("a", H, "n1", 60, 8.0, 8.0), NodeHour("b", H, "m1", 60, 4.0, 4.0),
             NodeHour("c", H, "z1", 60, 2.0, 0.0)]  # cluster c: capacity, no containers
    card = RateCard(Rate("USD", 1.0, 0.5), {"b": Rate("USD", 2.0, 0.5)})
    s = statement(rows, nodes, card, "namespace")
    lines = {x.key: x for x in s.lines}
    # cluster a: allocation shop 1 + 1, pay 3 + 1; idle (8-4)*1 + (8-4)*0.5 = 6
    assert lines["shop"].allocation_cost == pytest.approx(2.0)
    assert lines["pay"].allocation_cost == pytest.approx(4.0)
    assert lines["shop"].idle_cost == pytest.approx(6.0 * 2 / 6)
    assert lines["pay"].idle_cost == pytest.approx(6.0 * 4 / 6)
    # cluster b: 6 cores at 2.0, over its node's 4: no CPU idle (capacity counts the 6);
    # its 4 GiB are all idle, at 0.5
    assert lines["ops"].allocation_cost == pytest.approx(12.0)
    assert lines["ops"].idle_cost == pytest.approx(2.0)
    assert lines["ops"].request_cost == pytest.approx(12.0)
    assert lines["ops"].usage_cost == pytest.approx(6.0)
    assert s.unassigned_idle_cost == pytest.approx(2.0)  # cluster c's 2 idle cores at 1.0
    assert s.capacity_cost == pytest.approx(2 + 4 + 6 + 12 + 2 + 2)
    assert sum(x.total_cost for x in s.lines) + s.unassigned_idle_cost == pytest.approx(
        s.capacity_cost)
    assert [x.key for x in s.lines] == ["ops", "pay", "shop"]  # largest total first


def test_clusters_in_two_currencies_are_refused() -> None:
    card = RateCard(Rate("USD", 1.0, 1.0), {"b": Rate("KRW", 1300.0, 100.0)})
    rows = [_c("a", "shop", "n", 1.0, 1.0), _c("b", "shop", "n", 1.0, 1.0)]
    with pytest.raises(InvalidQuery, match=r"^cluster: .*KRW, USD"):
        statement(rows, [], card, "team")
    assert statement(rows[:1], [], card, "team").currency == "USD"


def test_month_window() -> None:
    assert month_window("2024-02") == (1_706_745_600_000_000, 1_709_251_200_000_000)  # 29 days
    for bad in ("2024-00", "2024-13", "24-02", "2024-2", "1969-12", ""):
        with pytest.raises(InvalidQuery, match=r"^month:"):
            month_window(bad)
