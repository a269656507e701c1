"""The support outbox on a real metadata database (SQLite), with a channel type of a
third party's registered as a sender: retries and their backoff, giving up, a refusal for
good, a person's "resolved" meanwhile, and a request that outlives its first outbox."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from bongsu.alerts.channels import SendContext, SendResult
from bongsu.alerts.model import Channel
from bongsu.meta.database import connect
from bongsu.support.delivery import Senders, default_senders
from bongsu.support.model import Screenshot, SupportRequest
from bongsu.support.outbox import SupportOutbox
from bongsu.support.repo import SupportRepo

from .png import encode


class Pager:
    """A third party's channel type: answers what it is told, records what it got."""

    name = "pager"

    def __init__(self, answers: list[SendResult]) -> None:
        self.answers = answers
        self.got: list[tuple[str, bytes | None]] = []

    def send(self, channel: Channel, request: SupportRequest, png: bytes | None,
             context: SendContext) -> SendResult:
        self.got.append((request.id, png))
        return self.answers.pop(0) if self.answers else SendResult.success()


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _setup(tmp_path: Path, pager: Pager, kind: str = "pager",
           **kw: Any) -> tuple[SupportRepo, SupportOutbox, Clock]:
    repo = SupportRepo(connect(f"sqlite:///{tmp_path / 'meta.sqlite'}"))
    senders = Senders()
    senders.register(pager)
    channel = Channel(id="c1", tenant="t", name="support", type=kind, config={})
    clock = Clock()
    outbox = SupportOutbox(repo, lambda tenant: [channel] if tenant == "t" else [], senders,
                           "support", clock=clock, rng=random.Random(1), **kw)
    return repo, outbox, clock


def _request(clock: Clock, rid: str = "sr_1", tenant: str = "t") -> SupportRequest:
    at = int(clock() * 1e6)
    return SupportRequest(id=rid, tenant=tenant, created_us=at, updated_us=at,
                          description="help", contact="", view={"url": "x"},
                          system={}, next_attempt_us=at)


def test_retries_back_off_then_the_request_is_sent_once(tmp_path: Path) -> None:
    pager = Pager([SendResult.retry("busy"), SendResult.retry("busy")])
    repo, outbox, clock = _setup(tmp_path, pager)
    png = encode(4, 3)
    repo.create(_request(clock), Screenshot(png, 4, 3))
    assert outbox.run_once() == 0
    first = repo.get("t", "sr_1")
    assert first is not None
    assert (first.status, first.attempts, first.last_error) == ("new", 1, "busy")
    wait_s = (first.next_attempt_us or 0) / 1e6 - clock.now
    assert 1.0 <= wait_s <= 2.0  # 2 s times a jitter in [0.5, 1)
    assert outbox.run_once() == 0 and len(pager.got) == 1  # not due yet
    clock.now += wait_s
    assert outbox.run_once() == 0
    second = repo.get("t", "sr_1")
    assert second is not None and second.attempts == 2
    assert 2.0 <= (second.next_attempt_us or 0) / 1e6 - clock.now <= 4.0
    clock.now += 4.0
    assert outbox.run_once() == 1
    done = repo.get("t", "sr_1")
    assert done is not None
    assert (done.status, done.attempts, done.channel, done.next_attempt_us) == (
        "sent", 3, "support", None)
    assert pager.got == [("sr_1", png)] * 3
    clock.now += 3600
    assert outbox.run_once() == 0 and len(pager.got) == 3  # sent is never sent again


def test_out_of_attempts_or_refused_for_good_is_failed_with_the_error(tmp_path: Path) -> None:
    pager = Pager([SendResult.retry("down")] * 3 + [SendResult.permanent("HTTP 404")])
    repo, outbox, clock = _setup(tmp_path, pager, max_attempts=3)
    repo.create(_request(clock, "sr_a"), None)
    for _ in range(3):
        outbox.run_once()
        clock.now += 600
    failed = repo.get("t", "sr_a")
    assert failed is not None
    assert (failed.status, failed.attempts, failed.last_error) == ("failed", 3, "down")
    repo.create(_request(clock, "sr_b"), None)
    outbox.run_once()
    refused = repo.get("t", "sr_b")
    assert refused is not None
    assert (refused.status, refused.attempts, refused.last_error) == ("failed", 1, "HTTP 404")
    # Send again: queued now, attempts from zero.
    again = repo.set_status("t", "sr_b", "new", int(clock() * 1e6))
    assert again is not None and (again.attempts, again.last_error) == (0, None)
    assert outbox.run_once() == 1


def test_resolved_meanwhile_stays_resolved(tmp_path: Path) -> None:
    pager = Pager([SendResult.retry("busy")])
    repo, outbox, clock = _setup(tmp_path, pager)
    repo.create(_request(clock), None)
    outbox.run_once()
    repo.set_status("t", "sr_1", "resolved", int(clock() * 1e6))
    clock.now += 600
    assert outbox.run_once() == 0 and len(pager.got) == 1
    settled = repo.get("t", "sr_1")
    assert settled is not None and settled.status == "resolved"


def test_a_type_without_a_sender_and_a_tenant_without_a_channel(tmp_path: Path) -> None:
    repo, outbox, clock = _setup(tmp_path, Pager([]), kind="fax")
    repo.create(_request(clock, "sr_fax"), None)
    repo.create(_request(clock, "sr_other", tenant="u"), None)
    outbox.run_once()
    fax = repo.get("t", "sr_fax")
    assert fax is not None and fax.status == "failed"
    assert fax.last_error == "channel type 'fax' cannot carry a support request (known: pager)"
    other = repo.get("u", "sr_other")
    assert other is not None and (other.status, other.next_attempt_us) == ("new", None)
    assert (other.last_error or "").startswith("no support channel")
    assert repo.get("t", "sr_other") is None  # another tenant's request is not found
    assert default_senders().names() == ["email", "slack", "webhook"]


def test_a_queued_request_outlives_its_outbox(tmp_path: Path) -> None:
    pager = Pager([])
    repo, _, clock = _setup(tmp_path, pager)
    repo.create(_request(clock), None)  # committed; the outbox never ran (a crash)
    repo2, outbox2, _ = _setup(tmp_path, pager)  # a restart on the same database
    assert outbox2.run_once() == 1
    done = repo2.get("t", "sr_1")
    assert done is not None and done.status == "sent"
