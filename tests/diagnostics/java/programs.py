"""Compile and run the Java programs beside this file; fixtures for the JVM tests.

``java_classes`` compiles every ``.java`` here once per session (javac, ~2 s);
``java_program(main, *args)`` starts one and waits for its ``ready`` line; each is killed
(by its pid) at the end of the test.

Example::

    def test_x(java_program):
        grow = java_program("Grow", str(path))
        port = int(grow.ready.split()[1])
        grow.send("grow 1000"); grow.expect("grown 1000")
"""

from __future__ import annotations

import contextlib
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import psutil
import pytest

SOURCES = Path(__file__).parent
READY_S = 60.0  # a JVM starts in ~0.5 s idle; the machine here is shared by 7 helpers
# Small and quick to start: the tests need a real VM, not a fast one.
JAVA_FLAGS = ["-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto"]


def source_line(file: str, text: str) -> int:
    """The 1-based line of ``file`` (beside this module) that contains ``text``."""
    for number, line in enumerate((SOURCES / file).read_text().splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {file}")


class JavaProgram:
    """One running ``java -cp CLASSES MAIN ARGS``; its stdout read line by line."""

    def __init__(self, classes: Path, main: str, *args: str,
                 prefix: Sequence[str] = ()) -> None:
        java = shutil.which("java")
        assert java, "java is not on PATH (openjdk-17-jdk-headless)"
        self.proc = subprocess.Popen([*prefix, java, *JAVA_FLAGS, "-cp", str(classes), main,
                                      *args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.ready = self.expect("ready")
        self.pid = self.proc.pid  # the JVM's pid on this host, under a prefix too
        if prefix:
            jvms = [c for c in psutil.Process(self.proc.pid).children(recursive=True)
                    if c.name() == "java"]
            assert len(jvms) == 1, jvms
            self.pid = jvms[0].pid

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def expect(self, prefix: str, timeout_s: float = READY_S) -> str:
        """The next line starting with ``prefix`` (other lines are skipped)."""
        deadline = time.monotonic() + timeout_s
        seen: list[str] = []
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                assert self.proc.poll() is None, f"java exited {self.proc.returncode}: {seen}"
                continue
            if line.startswith(prefix):
                return line
            seen.append(line)
        raise AssertionError(f"no {prefix!r} line from java in {timeout_s} s: {seen}")

    def stop(self) -> None:
        """SIGTERM, so the JVM removes its /tmp/hsperfdata_USER/PID (a SIGKILLed one leaves
        it, and ``jcmd -l`` then lists whatever process gets that pid next); SIGKILL after
        30 s."""
        with contextlib.suppress(psutil.NoSuchProcess):
            jvm = psutil.Process(self.pid)
            jvm.terminate()
            try:
                jvm.wait(30)
            except psutil.TimeoutExpired:
                jvm.kill()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


def jcmd_text(pid: int, *command: str) -> str:
    """``jcmd PID COMMAND``'s output, checked."""
    done = subprocess.run(["jcmd", str(pid), *command], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def wait_for_deadlocks(pid: int, count: int, timeout_s: float = 60.0) -> str:
    """A ``Thread.print -l`` taken once the JVM reports ``count`` deadlocks."""
    deadline = time.monotonic() + timeout_s
    text = ""
    while time.monotonic() < deadline:
        text = jcmd_text(pid, "Thread.print", "-l")
        if text.count("Found one Java-level deadlock:") >= count:
            return text
        time.sleep(0.5)
    raise AssertionError(f"the JVM reported fewer than {count} deadlocks: {text[-2000:]}")


@pytest.fixture(scope="session", name="java_classes")
def java_classes_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("java-classes")
    javac = shutil.which("javac")
    assert javac, "javac is not on PATH (openjdk-17-jdk-headless)"
    done = subprocess.run([javac, "-d", str(out), *map(str, sorted(SOURCES.glob("*.java")))],
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(name="java_program")
def java_program_fixture(java_classes: Path) -> Iterator[Callable[..., JavaProgram]]:
    started: list[JavaProgram] = []

    def start(main: str, *args: str, prefix: Sequence[str] = ()) -> JavaProgram:
        program = JavaProgram(java_classes, main, *args, prefix=prefix)
        started.append(program)
        return program

    yield start
    for program in started:
        program.stop()
