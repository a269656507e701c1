"""Quick service as the server runs it: the repository, the system information, the
outbox on the lease ``support``.

Example::

    support = SupportService.build(settings, engine, notify, queries, reads, repo)
    support.start()
    request = support.submit("default", "The chart is empty", "ana@example.net", view, png)
    support.stop()
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from bongsu.alerts.notify.store import NotifyStore
from bongsu.alerts.repo import AlertRepo
from bongsu.meta.lease import Lease, LeaseKeeper, holder_id
from bongsu.query import QueryService
from bongsu.settings import Settings
from bongsu.store.reads import Reads
from bongsu.support.delivery import default_senders
from bongsu.support.model import Screenshot, SupportRequest
from bongsu.support.outbox import SupportOutbox
from bongsu.support.repo import SupportRepo, new_request_id, now_us
from bongsu.support.system import SystemInfo

LEASE = "support"


@dataclass
class SupportService:
    repo: SupportRepo
    system: SystemInfo
    outbox: SupportOutbox
    lease: LeaseKeeper | None = None

    @classmethod
    def build(cls, settings: Settings, engine: Engine, notify: NotifyStore,
              queries: QueryService | None, reads: Reads | None,
              alerts: AlertRepo | None) -> SupportService:
        ttl_s, renew_s = settings.alerts_lease()
        keeper = LeaseKeeper(Lease(engine, LEASE, holder_id()), ttl_s, renew_s)
        repo = SupportRepo(engine)
        outbox = SupportOutbox(repo, notify.channels, default_senders(),
                               settings.support_channel, console_url=settings.console_url,
                               active=keeper.active)
        return cls(repo, SystemInfo(queries, reads, alerts), outbox, keeper)

    def submit(self, tenant: str, description: str, contact: str, view: dict[str, Any],
               screenshot: Screenshot | None) -> SupportRequest:
        """Store the request with the system information, queued; wake the outbox."""
        at = now_us()
        request = SupportRequest(
            id=new_request_id(), tenant=tenant, created_us=at, updated_us=at,
            description=description, contact=contact, view=view,
            system=self.system.gather(tenant), next_attempt_us=at,
        )
        self.repo.create(request, screenshot)
        self.outbox.wake()
        return request

    def start(self) -> None:
        if self.lease is not None:
            self.lease.start()
        self.outbox.start()

    def stop(self) -> None:
        self.outbox.stop()
        if self.lease is not None:
            self.lease.stop()


__all__ = ["LEASE", "SupportService"]
