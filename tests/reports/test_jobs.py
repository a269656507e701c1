"""Report jobs on a real metadata database (SQLite through Alembic) with a third party's
report kind: built to files, a missing Chromium leaves HTML and CSV and says why, a job
left running on this host is queued again, finished jobs past retention are deleted with
their files, a failing kind fails its job with the reason."""

from __future__ import annotations

from pathlib import Path

from bongsu.meta.database import connect
from bongsu.reports import KindRegistry, Report, ReportError, ReportRequest, Sources, Table
from bongsu.reports.jobs import JobRunner
from bongsu.reports.model import Progress
from bongsu.reports.repo import ReportRepo


class Capacity:
    """A third party's kind, registered as the built-ins are."""

    name, title, needs_service = "capacity", "Capacity", False

    def build(self, sources: Sources, request: ReportRequest, progress: Progress) -> Report:
        if request.from_us == 13:
            raise ReportError("from", "unlucky")
        progress(0.5)
        return Report("capacity", "Capacity plan", "p", [("Nodes", "3")],
                      [Table("nodes", "Nodes", ["node", "cores"], [["a", 8], ["b", None]])])


def _runner(tmp_path: Path) -> tuple[ReportRepo, JobRunner]:
    repo = ReportRepo(connect(f"sqlite:///{tmp_path / 'meta.sqlite'}"))
    kinds = KindRegistry()
    kinds.register(Capacity())
    return repo, JobRunner(repo, kinds, Sources(queries=None), tmp_path / "reports",
                           chromium=str(tmp_path / "no-chromium"), runner="host-a/1/x",
                           retention_days=1)


def test_a_job_is_built_to_files_without_a_pdf_when_chromium_is_missing(
        tmp_path: Path) -> None:
    repo, runner = _runner(tmp_path)
    job = repo.add_job("default", "capacity", None, 0, 10)
    assert repo.claim(job.id, runner.runner) and not repo.claim(job.id, "host-b/2/y")
    done = runner.build(job.id)
    assert done is not None and done.state == "done" and done.progress == 100
    assert done.title == "Capacity plan"
    assert done.pdf_error == f"BONGSU_REPORTS_CHROMIUM: {tmp_path / 'no-chromium'} does not exist"
    assert runner.file(job.id, "csv").read_text() == "[nodes]\nnode,cores\na,8\nb,\n"
    assert "<h1>Capacity plan</h1>" in runner.file(job.id, "html").read_text()
    assert not runner.file(job.id, "pdf").exists() and done.pdf_bytes is None
    assert done.csv_bytes == len(runner.file(job.id, "csv").read_bytes())


def test_a_failing_kind_fails_its_job_with_the_reason(tmp_path: Path) -> None:
    repo, runner = _runner(tmp_path)
    job = repo.add_job("default", "capacity", None, 13, 20)
    assert repo.claim(job.id, runner.runner)
    failed = runner.build(job.id)
    assert failed is not None and (failed.state, failed.error) == ("failed", "from: unlucky")


def test_running_jobs_of_this_host_are_queued_again_and_old_ones_pruned(
        tmp_path: Path) -> None:
    repo, runner = _runner(tmp_path)
    mine = repo.add_job("default", "capacity", None, 0, 10)
    other = repo.add_job("default", "capacity", None, 0, 10)
    assert repo.claim(mine.id, "host-a/99/old") and repo.claim(other.id, "host-b/1/z")
    assert repo.requeue_running("host-a/") == 1
    assert repo.queued() == [mine.id]
    job = repo.job("default", other.id)
    assert job is not None and job.state == "running"  # another host's: not touched here

    assert repo.claim(mine.id, runner.runner)
    built = runner.build(mine.id)
    assert built is not None and built.finished_us is not None
    assert runner.prune(now=built.finished_us + 86_400_000_000 - 1) == 0
    assert runner.prune(now=built.finished_us + 86_400_000_000 + 1) == 1
    assert repo.job("default", mine.id) is None
    assert not (tmp_path / "reports" / mine.id).exists()
