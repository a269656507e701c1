"""The rate card: price per core-hour and per GiB-hour, a currency, per cluster.

A tenant without a card of its own pays :data:`DEFAULT_RATE` (OpenCost's on-premises
defaults, USD 0.031611 per core-hour and 0.004237 per GiB-hour), so a statement has
figures before anyone sets prices. :meth:`RateRepo.put` replaces the whole card at once.

Example::

    repo = RateRepo(engine)
    repo.put("default", RateCard(Rate("KRW", 45.0, 6.0), {"aws": Rate("KRW", 60.0, 8.0)}))
    repo.get("default").for_cluster("aws").cpu_core_hour   # 60.0
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bongsu.metering.tables import metering_rates


@dataclass(frozen=True, slots=True)
class Rate:
    currency: str  # ISO 4217, three capital letters
    cpu_core_hour: float
    memory_gib_hour: float


DEFAULT_RATE = Rate("USD", 0.031611, 0.004237)


@dataclass(frozen=True, slots=True)
class RateCard:
    default: Rate = DEFAULT_RATE
    clusters: dict[str, Rate] = field(default_factory=dict)

    def for_cluster(self, cluster: str) -> Rate:
        return self.clusters.get(cluster, self.default)


class RateRepo:
    """Rate cards in the metadata database, one per tenant."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, tenant: str) -> RateCard:
        with self._engine.connect() as con:
            rows = con.execute(sa.select(metering_rates).where(
                metering_rates.c.tenant == tenant)).all()
        rates = {r.cluster: Rate(r.currency, r.cpu_core_hour, r.memory_gib_hour) for r in rows}
        default = rates.pop("", DEFAULT_RATE)
        return RateCard(default, dict(sorted(rates.items())))

    def put(self, tenant: str, card: RateCard) -> RateCard:
        now = time.time_ns() // 1000
        rows = [{"tenant": tenant, "cluster": name, "currency": r.currency,
                 "cpu_core_hour": r.cpu_core_hour, "memory_gib_hour": r.memory_gib_hour,
                 "updated_us": now}
                for name, r in (("", card.default), *card.clusters.items())]
        with self._engine.begin() as con:
            con.execute(sa.delete(metering_rates).where(metering_rates.c.tenant == tenant))
            con.execute(sa.insert(metering_rates), rows)
        return self.get(tenant)
