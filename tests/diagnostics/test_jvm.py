"""JVM thread dumps and class histograms of real Java 17 programs, parsed (bongsu.diagnostics.jvm).

``Deadlock.java`` deadlocks two threads on monitors and two on ReentrantLocks;
``Grow.java`` keeps LeakedOrder instances, N more on each "grow N". What is checked is
what the analyzers and the user see: states, lock owners and waiters, the JVM's own
deadlock report, and the class that grew.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bongsu.diagnostics import analyze, compare
from bongsu.diagnostics.jvm import (
    java_type_name,
    parse_class_histogram,
    parse_thread_print,
    runtime_of,
)
from diagnostics.java.programs import (  # noqa: F401 (fixtures)
    JavaProgram,
    java_classes_fixture,
    java_program_fixture,
    jcmd_text,
    source_line,
    wait_for_deadlocks,
)

Start = Callable[..., JavaProgram]
LEAKED = "Grow$LeakedOrder"


def _by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in body["threads"]}


def test_thread_print_of_a_deadlock(java_program: Start) -> None:
    program = java_program("Deadlock")
    text = wait_for_deadlocks(program.pid, 2)
    body = parse_thread_print(text)
    threads = _by_name(body)
    locks = {lock["id"]: lock for lock in body["locks"]}

    for one, other in (("transfer-a", "transfer-b"), ("queue-a", "queue-b")):
        a, b = threads[one], threads[other]
        assert a["state"] == b["state"] == "waiting_lock"
        assert a["daemon"] is False and isinstance(a["id"], int) and a["native_id"] > 0
        # Each holds exactly the lock the other waits for.
        assert a["holds"] == [b["waits_for"]] and b["holds"] == [a["waits_for"]]
        assert a["waits_for"] != b["waits_for"]
        for t, holder in ((a, b), (b, a)):
            lock = locks[t["waits_for"]]
            assert lock["owner"] == holder["id"] and lock["waiters"] == [t["id"]]
    assert threads["transfer-a"]["jvm"]["state"] == "BLOCKED (on object monitor)"
    assert locks[threads["transfer-a"]["waits_for"]]["type"] == "java.lang.Object"
    assert threads["queue-a"]["jvm"]["state"] == "WAITING (parking)"
    assert (locks[threads["queue-a"]["waits_for"]]["type"]
            == "java.util.concurrent.locks.ReentrantLock$NonfairSync")

    # Stacks run outermost first; the innermost frame is where the thread is stuck (HotSpot
    # reports a blocked monitorenter at the line of the block's first statement).
    take = threads["transfer-a"]["stack"]
    assert take[0]["function"] == "java.lang.Thread.run"
    assert take[-1] == {"file": "Deadlock.java", "function": "Deadlock.take", "code": "",
                        "line": source_line("Deadlock.java", 'System.out.println("never")')}
    queue_frames = [f["function"] for f in threads["queue-b"]["stack"]]
    assert queue_frames[-1] == "jdk.internal.misc.Unsafe.park"
    lock_line = [f for f in threads["queue-b"]["stack"] if f["function"] == "Deadlock.lock"]
    assert lock_line[0]["line"] == source_line("Deadlock.java", "second.lock();")

    # Sleeping, waiting, daemon; main's Object.wait gave up the monitor it had locked.
    assert threads["napper"]["state"] == "sleeping" and threads["napper"]["daemon"] is True
    assert threads["main"]["state"] == "waiting" and threads["main"]["holds"] == []
    assert threads["main"]["waits_for"] is None
    # RUNNABLE without a Java frame, idle: its header says "waiting on condition".
    dispatcher = threads["Signal Dispatcher"]
    assert (dispatcher["state"], dispatcher["jvm"]["state"]) == ("waiting", "RUNNABLE")
    vm = [t for t in body["threads"] if t["jvm"]["vm_thread"]]
    assert vm and all(t["id"] == t["native_id"] for t in vm)
    assert body["thread_count"] == len(body["threads"]) == len(threads)
    assert body["lock_tracking"] is True and body["tasks"] == []

    # The JVM's own report, kept and tied to the parsed threads.
    deadlocks = body["jvm_deadlocks"]
    assert sorted(sorted(d["threads"]) for d in deadlocks) == [["queue-a", "queue-b"],
                                                                ["transfer-a", "transfer-b"]]
    for deadlock in deadlocks:
        assert deadlock["text"].startswith("Found one Java-level deadlock:")
        assert "Java stack information for the threads listed above" in deadlock["text"]
        assert "Found 2 deadlocks" not in deadlock["text"]
        for step in deadlock["cycle"]:
            waiter = threads[step["thread"]]
            assert step["thread_id"] == waiter["id"]
            assert step["waits_for"] == waiter["waits_for"]
            assert step["held_by_id"] == locks[waiter["waits_for"]]["owner"]
    assert runtime_of(text).startswith("java 17.")


def test_thread_print_analyzed_through_the_registry(java_program: Start) -> None:
    program = java_program("Deadlock")
    text = wait_for_deadlocks(program.pid, 2)
    doc = {"kind": "threads", "format": "jvm.thread_print/1", "pid": program.pid,
           "captured_at_unix_nano": 1, "host": "h", "runtime": runtime_of(text), "text": text}
    analysis = analyze(doc)
    assert analysis is not None
    # Two deadlocks, told both by the JVM's own sections and by the lock lines: counted once.
    assert analysis["headline"].endswith("; 2 deadlocks"), analysis["headline"]
    # The lock graph built from the parsed holds / waits_for finds both cycles by itself.
    cycles = sorted(sorted(d["threads"]) for d in analysis["deadlocks"])
    assert cycles == [["queue-a", "queue-b"], ["transfer-a", "transfer-b"]]
    threads = _by_name(parse_thread_print(text))
    for deadlock in analysis["deadlocks"]:
        first, second = deadlock["threads"]
        assert deadlock["message"].startswith(f"deadlock: thread {first} holds "
                                              f"{threads[first]['holds'][0]} and waits for "
                                              f"{threads[first]['waits_for']} held by {second}")


def test_class_histogram_growth(java_program: Start, tmp_path: Path) -> None:
    kept = tmp_path / "kept.txt"
    kept.write_text("x")
    program = java_program("Grow", str(kept))
    before_text = jcmd_text(program.pid, "GC.class_histogram")
    program.send("grow 50000")
    program.expect("grown 50000")
    after_text = jcmd_text(program.pid, "GC.class_histogram")

    before = {t["type"]: t for t in parse_class_histogram(before_text)["types"]}
    after_body = parse_class_histogram(after_text)
    after = {t["type"]: t for t in after_body["types"]}
    # A histogram counts live objects after a full GC: every kept order, no more.
    assert LEAKED not in before or before[LEAKED]["count"] == 0
    assert after[LEAKED]["count"] == 50000
    assert after[LEAKED]["bytes"] % 50000 == 0 and after[LEAKED]["bytes"] >= 50000 * 40
    assert after_body["types"] == sorted(after_body["types"], key=lambda t: -t["bytes"])
    assert after_body["jvm"]["bytes"] >= sum(t["bytes"] for t in after_body["types"])
    assert after["byte[]"]["module"].startswith("java.base@17")

    docs = [{"kind": "memory", "format": "jvm.class_histogram/1", "pid": program.pid,
             "captured_at_unix_nano": n, "host": "h", "runtime": "java 17", "text": text}
            for n, text in ((1, before_text), (2, after_text))]
    diff = compare(docs[0], docs[1], "memory")
    assert diff["headline"] and LEAKED in diff["headline"]
    assert diff["types"][0]["type"] == LEAKED
    suspect = diff["suspects"][0]
    assert (suspect["name"], suspect["count_grown"]) == (LEAKED, 50000)
    assert suspect["bytes_grown"] == after[LEAKED]["bytes"] - before.get(LEAKED, {"bytes": 0})[
        "bytes"]


def test_thread_headers_of_later_jdks() -> None:
    # JDK 19+ print the native id in brackets after the number, and nid in decimal.
    text = (
        '"Reference Handler" #9 [4521] daemon prio=10 os_prio=0 cpu=0.15ms elapsed=3.17s '
        "tid=0x00007f01f40f83c0 nid=4521 waiting on condition  [0x00007f01f8b1f000]\n"
        "   java.lang.Thread.State: RUNNABLE\n"
        "\tat java.lang.ref.Reference.waitForReferencePendingList(java.base@21/Native Method)\n"
        '\n"main" #1 [4520] prio=5 os_prio=0 cpu=33.29ms elapsed=3.19s tid=0x00007f01f4017ed0 '
        "nid=4520 waiting on condition  [0x00007f01fbffe000]\n"
        "   java.lang.Thread.State: TIMED_WAITING (sleeping)\n"
        "\tat java.lang.Thread.sleep0(java.base@21/Native Method)\n"
        "\tat Main.main(Main.java:3)\n")
    threads = {t["name"]: t for t in parse_thread_print(text)["threads"]}
    assert (threads["Reference Handler"]["daemon"], threads["main"]["daemon"]) == (True, False)
    assert (threads["Reference Handler"]["id"], threads["main"]["native_id"]) == (9, 4520)
    assert threads["main"]["state"] == "sleeping"
    assert threads["main"]["stack"][0] == {"file": "Main.java", "line": 3,
                                           "function": "Main.main", "code": ""}


def test_java_type_names() -> None:
    assert java_type_name("[B") == "byte[]"
    assert java_type_name("[[I") == "int[][]"
    assert java_type_name("[Ljava.lang.Object;") == "java.lang.Object[]"
    assert java_type_name("java.util.HashMap$Node") == "java.util.HashMap$Node"
