"""In-process accounts services over a real metadata database (SQLite or PostgreSQL: the
``meta_url`` fixture), on a clock the test drives (code expiry, lockout): the services take
``clock`` for this."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from bongsu.accounts.mailer import Mailer
from bongsu.accounts.ratelimit import Limiter
from bongsu.accounts.sessions import Sessions
from bongsu.accounts.users import Accounts
from bongsu.meta.database import connect
from bongsu.settings import Settings

START = 1_800_000_000.0


class Clock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Services:
    engine: Engine
    accounts: Accounts
    clock: Clock


def services(url: str, settings: Settings, per_minute: int = 10_000) -> Services:
    clock = Clock()
    engine = connect(url)
    sessions = Sessions(engine, settings.session_hours, Limiter(per_minute, clock), clock)
    return Services(engine, Accounts(engine, settings, Mailer.from_settings(settings),
                                     sessions), clock)
