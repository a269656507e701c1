"""The reports' tables in the metadata database (migration ``0011_reports``).

``report_jobs``: one row per report built (on demand, or for a scheduled delivery), its
state (``queued`` → ``running`` → ``done`` | ``failed``), progress and the sizes of its
files under ``<data dir>/reports/<id>/``. ``report_schedules``: what to send, how often
and to which e-mail channel; ``last_period_us`` is the start of the newest period planned.
``report_deliveries``: one row per (schedule, period) — the primary key is what makes a
period's report sent at most once, and a ``pending`` row is what makes it never lost.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, Integer, String, Table, Text

from bongsu.meta.tables import metadata

report_jobs = Table(
    "report_jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("tenant", String(128), nullable=False, index=True),
    Column("kind", String(64), nullable=False),
    Column("service", String(256), nullable=True),
    Column("from_us", BigInteger, nullable=False),
    Column("to_us", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),
    Column("progress", Float, nullable=False),
    Column("error", Text, nullable=True),
    Column("pdf_error", Text, nullable=True),
    Column("created_us", BigInteger, nullable=False),
    Column("started_us", BigInteger, nullable=True),
    Column("finished_us", BigInteger, nullable=True),
    Column("runner", String(256), nullable=True),
    Column("schedule_id", String(32), nullable=True),
    Column("title", Text, nullable=True),
    Column("html_bytes", Integer, nullable=True),
    Column("csv_bytes", Integer, nullable=True),
    Column("pdf_bytes", Integer, nullable=True),
)

report_schedules = Table(
    "report_schedules",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("tenant", String(128), nullable=False, index=True),
    Column("name", String(256), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("service", String(256), nullable=True),
    Column("every", String(8), nullable=False),
    Column("at", String(5), nullable=False),
    Column("channel_id", String(64), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    Column("last_period_us", BigInteger, nullable=True),
)

report_deliveries = Table(
    "report_deliveries",
    metadata,
    Column("schedule_id", String(32), primary_key=True),
    Column("period_start_us", BigInteger, primary_key=True),
    Column("tenant", String(128), nullable=False),
    Column("period_end_us", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),  # pending | sent | failed
    Column("job_id", String(32), nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_us", BigInteger, nullable=False),
    Column("error", Text, nullable=True),
    Column("sent_us", BigInteger, nullable=True),
)
