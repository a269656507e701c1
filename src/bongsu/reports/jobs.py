"""Report jobs: built on a worker thread from the queue in the metadata database, their
files kept under ``<data dir>/reports/<job id>/`` for the retention period.

A job goes ``queued`` → ``running`` (progress 0-100 %, the kind's share up to 80 %, then
HTML and CSV, then the PDF) → ``done`` or ``failed``. A PDF that cannot be printed (no
Chromium) leaves the job done with HTML and CSV and says why in ``pdf_error``. Jobs left
running by a process that stopped on this host are queued again at start, so a restart
loses none.

Example::

    runner = JobRunner(repo, kinds, sources, directory, chromium="/usr/bin/chromium")
    runner.start()
    job = repo.add_job("default", "performance", None, from_us, to_us); runner.wake()
"""

from __future__ import annotations

import logging
import shutil
import socket
import threading
from pathlib import Path

from bongsu.errors import BongsuError
from bongsu.reports.kinds import KindRegistry
from bongsu.reports.model import ReportRequest, Sources
from bongsu.reports.render import PdfError, render_csv, render_html, render_pdf
from bongsu.reports.repo import Job, ReportRepo, now_us

log = logging.getLogger("bongsu.reports")

FORMATS = ("html", "csv", "pdf")
_KIND_SHARE = 80.0  # percent of the progress bar the kind's reads take


class JobRunner:
    def __init__(self, repo: ReportRepo, kinds: KindRegistry, sources: Sources,
                 directory: Path, *, chromium: str = "", runner: str = "",
                 retention_days: float = 30.0, poll_s: float = 2.0) -> None:
        self.repo, self.kinds, self.sources = repo, kinds, sources
        self.directory = directory
        self.chromium = chromium
        self.runner = runner or f"{socket.gethostname()}/reports"
        self.retention_us = int(retention_days * 86_400e6)
        self.poll_s = poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pruned_us = 0

    def file(self, job_id: str, fmt: str) -> Path:
        return self.directory / job_id / f"report.{fmt}"

    def start(self) -> None:
        again = self.repo.requeue_running(self.runner.split("/")[0] + "/")
        if again:
            log.info("reports: %d job(s) left running before a restart queued again", again)
        self._thread = threading.Thread(target=self._run, name="bongsu-reports", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                for job_id in self.repo.queued():
                    if self._stop.is_set():
                        break
                    if self.repo.claim(job_id, self.runner):
                        self.build(job_id)
                self.prune()
            except Exception:  # a database hiccup: try again at the next poll
                log.exception("reports: the job queue could not be read")
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def build(self, job_id: str) -> Job | None:
        """Build a claimed job's files; the job as it ends (done or failed)."""
        job = self.repo.job(None, job_id)
        if job is None:
            return None
        shown = [0.0]

        def progress(share: float) -> None:
            percent = round(max(0.0, min(1.0, share)) * _KIND_SHARE, 1)
            if percent - shown[0] >= 5.0 or percent >= _KIND_SHARE:
                shown[0] = percent
                self.repo.set_progress(job_id, percent)

        request = ReportRequest(job.tenant, job.kind, job.from_us, job.to_us, job.service)
        folder = self.directory / job_id
        try:
            report = self.kinds.get(job.kind).build(self.sources, request, progress)
            html = render_html(report)
            folder.mkdir(parents=True, exist_ok=True)
            sizes = {"html": _write(folder / "report.html", html.encode()),
                     "csv": _write(folder / "report.csv", render_csv(report).encode())}
            self.repo.set_progress(job_id, 90.0)
            pdf_error = None
            try:
                sizes["pdf"] = _write(folder / "report.pdf", render_pdf(html, self.chromium))
            except PdfError as error:
                pdf_error = str(error)
                log.warning("reports: job %s: %s", job_id, error)
            self.repo.finish(job_id, title=report.title, sizes=sizes, pdf_error=pdf_error)
        except BongsuError as error:
            self.repo.fail(job_id, str(error))
        except Exception as error:
            log.exception("reports: job %s failed", job_id)
            self.repo.fail(job_id, f"internal error: {type(error).__name__}: {error}")
        return self.repo.job(None, job_id)

    def prune(self, now: int | None = None) -> int:
        """Delete jobs finished before the retention period, and their files (hourly)."""
        at = now if now is not None else now_us()
        if now is None and at - self._pruned_us < 3_600_000_000:
            return 0
        self._pruned_us = at
        ids = self.repo.expired(at - self.retention_us)
        for job_id in ids:
            shutil.rmtree(self.directory / job_id, ignore_errors=True)
        self.repo.delete_jobs(ids)
        return len(ids)


def _write(path: Path, data: bytes) -> int:
    """Write through a temporary name, so a download never reads half a file."""
    part = path.with_suffix(path.suffix + ".part")
    part.write_bytes(data)
    part.replace(path)
    return len(data)
