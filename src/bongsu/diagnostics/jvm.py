"""JVM captures: ``jcmd`` output parsed into the agent's shapes (``docs/captures.md``).

A JVM capture arrives raw (``jvm.thread_print/1``, ``jvm.class_histogram/1``: the text of
``jcmd <pid> Thread.print -l`` / ``GC.class_histogram``) and is read here into the body of
``bongsu.threads/1`` / ``bongsu.memory/1``, so the same analyzers read Python and Java.

Threads: ``id`` is the Java thread number (``#12``); the VM's own threads, which have
none, take their native id. States: ``BLOCKED`` and a park inside a lock's acquire
(``AbstractQueuedSynchronizer.acquire``) → ``waiting_lock``; ``TIMED_WAITING (sleeping)``
→ ``sleeping``; a park or wait in a pool's ``getTask`` → ``idle_pool``; other
``WAITING``/``TIMED_WAITING`` → ``waiting``; ``RUNNABLE`` in a socket or file read →
``io``, one with no Java frame whose header says ``waiting on condition`` (an idle
compiler thread) → ``waiting``, else ``running``. Locks are the object addresses
(``0x000000069ec195a0``): ``holds`` from ``- locked <…>`` (less the monitor an
``Object.wait`` released) and the "Locked ownable synchronizers" (``-l``), ``waits_for``
from ``- waiting to lock <…>``, ``- waiting to re-lock in wait() <…>`` or ``- parking to
wait for <…>``. The dump's own "Found one Java-level deadlock" sections are kept as
``jvm_deadlocks``.

Example::

    body = parse_thread_print(subprocess.run(["jcmd", pid, "Thread.print", "-l"], ...).stdout)
    [t["name"] for t in body["threads"] if t["state"] == "waiting_lock"]
    parse_class_histogram(text)["types"][0]   # {"type": "byte[]", "count": 7203, ...}
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "CLASS_HISTOGRAM", "THREAD_PRINT", "java_type_name", "parse_class_histogram",
    "parse_thread_print", "runtime_of",
]

THREAD_PRINT = "jvm.thread_print/1"
CLASS_HISTOGRAM = "jvm.class_histogram/1"
MAX_TYPES = 200  # as the agent's memory capture: the largest types by bytes
MAX_FRAMES = 200

_HEADER = re.compile(r'^"(?P<name>.*)" (?:#(?P<num>\d+) )?(?P<rest>.*)$')
_NID = re.compile(r"\bnid=(0x[0-9a-fA-F]+|\d+)")  # hex to JDK 17, decimal from JDK 19
_DAEMON = re.compile(r"(?:^|\s)daemon\s")  # JDK 19+ put "[NID]" before it: "#9 [7] daemon"
_TID = re.compile(r"\btid=(0x[0-9a-fA-F]+)")
_CPU = re.compile(r"\bcpu=([\d.]+)ms")
_STATE = re.compile(r"^\s*java\.lang\.Thread\.State: (\w+)(?: \((.*)\))?")
_FRAME = re.compile(r"^\s*at (?P<function>\S+?)\((?P<where>.*)\)\s*$")
_LOCK_LINE = re.compile(r"^\s*- (?P<what>locked|waiting to lock|waiting on|parking to wait for"
                        r"|waiting to re-lock in wait\(\)|eliminated)\s+"
                        r"<(?P<id>0x[0-9a-fA-F]+)> \(a (?P<type>[^)]+)\)")
_OWNABLE = re.compile(r"^\s*- <(?P<id>0x[0-9a-fA-F]+)> \(a (?P<type>[^)]+)\)")
_RUNTIME = re.compile(r"^Full thread dump (?P<vm>.+?) \((?P<version>[^ ]+)")
_HISTO = re.compile(r"^\s*\d+:\s+(?P<count>\d+)\s+(?P<bytes>\d+)\s+(?P<name>\S+)"
                    r"(?:\s+\((?P<module>[^)]*)\))?\s*$")
_HISTO_TOTAL = re.compile(r"^Total\s+(\d+)\s+(\d+)\s*$")
_DEADLOCK_START = "Found one Java-level deadlock:"
_DEADLOCK_WAIT = re.compile(
    r'^"(?P<name>.*)":\n\s+(?P<how>waiting to lock monitor|waiting for ownable synchronizer)'
    r" (?P<monitor>0x[0-9a-fA-F]+),?\s*(?:\(object (?P<object>0x[0-9a-fA-F]+), a (?P<type>[^)]+)\)"
    r"|\(a (?P<stype>[^)]+)\))?,?\n\s+which is held by (?P<holder>.+)$", re.M)

# The innermost frames that mean a RUNNABLE thread is blocked in I/O, not computing.
_IO_FRAMES = (
    "sun.nio.ch.", "java.net.SocketInputStream.", "java.net.SocketOutputStream.",
    "java.net.PlainSocketImpl.", "java.net.ServerSocket.accept", "sun.nio.fs.",
    "java.io.FileInputStream.read", "java.io.FileOutputStream.write",
    "java.io.RandomAccessFile.read",
)
_ACQUIRE = ("java.util.concurrent.locks.AbstractQueuedSynchronizer.acquire",
            "java.util.concurrent.locks.ReentrantReadWriteLock")
_POOL_WAIT = ("java.util.concurrent.ThreadPoolExecutor.getTask",
              "java.util.concurrent.ForkJoinPool.awaitWork",
              "java.util.concurrent.ScheduledThreadPoolExecutor$DelayedWorkQueue.take")


def parse_thread_print(text: str) -> dict[str, Any]:
    """The ``bongsu.threads/1`` body (plus ``jvm_deadlocks``) of a ``Thread.print`` text."""
    head, _, deadlock_part = text.partition("\n" + _DEADLOCK_START)
    blocks = _thread_blocks(head)
    threads = [t for block in blocks if (t := _thread(block)) is not None]
    locks = _locks(threads)
    deadlocks = _deadlocks(_DEADLOCK_START + deadlock_part if deadlock_part else "", threads)
    for t in threads:
        t.pop("_types", None)
        t.pop("_depth", None)
    return {"thread_count": len(threads), "threads": threads, "tasks": [], "locks": locks,
            "lock_tracking": True, "jvm_deadlocks": deadlocks}


def runtime_of(text: str) -> str:
    """``"java 17.0.15+6-Debian-1deb12u1 (OpenJDK 64-Bit Server VM)"`` from a dump's header."""
    for line in text.splitlines()[:5]:
        found = _RUNTIME.match(line.strip())
        if found:
            return f"java {found['version']} ({found['vm']})"
    return "java"


def _thread_blocks(text: str) -> list[list[str]]:
    blocks: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith('"'):
            blocks.append([line])
        elif blocks and line.strip():
            if line.startswith("JNI global refs"):
                break
            blocks[-1].append(line)
    return blocks


def _thread(block: list[str]) -> dict[str, Any] | None:
    header = _HEADER.match(block[0])
    if header is None:
        return None
    rest = header["rest"]
    nid_text = _NID.search(rest)
    native_id = int(nid_text[1], 0) if nid_text else None
    number = int(header["num"]) if header["num"] else None
    java_state, detail = "", ""
    stack: list[dict[str, Any]] = []  # innermost first while reading
    holds: dict[str, int] = {}  # lock -> depth (a monitor locked again in an inner frame)
    released: set[str] = set()  # Object.wait() gave these monitors up
    waits_for: str | None = None
    types: dict[str, str] = {}
    in_ownable = False
    for line in block[1:]:
        if (state := _STATE.match(line)) is not None:
            java_state, detail = state[1], state[2] or ""
            continue
        if line.strip() == "Locked ownable synchronizers:":
            in_ownable = True
            continue
        if in_ownable:
            if (own := _OWNABLE.match(line)) is not None:
                holds[own["id"]] = holds.get(own["id"], 0) + 1
                types[own["id"]] = own["type"]
            continue
        if (frame := _FRAME.match(line)) is not None:
            if len(stack) < MAX_FRAMES:
                stack.append(_frame(frame["function"], frame["where"]))
            continue
        if (lock := _LOCK_LINE.match(line)) is not None:
            what, lock_id = lock["what"], lock["id"]
            types[lock_id] = lock["type"]
            if what == "locked":
                holds[lock_id] = holds.get(lock_id, 0) + 1
            elif what == "waiting on":
                released.add(lock_id)
            elif what != "eliminated" and waits_for is None:
                waits_for = lock_id
    for lock_id in released:
        holds.pop(lock_id, None)
    stack.reverse()  # outermost first, like the agent's (and a traceback)
    return {
        "id": number if number is not None else native_id,
        "native_id": native_id,
        "name": header["name"],
        "daemon": _DAEMON.search(rest.split(" prio=", 1)[0] + " ") is not None,
        "state": _state(java_state, detail, stack, rest),
        "stack": stack,
        "request": None,
        "holds": list(holds),
        "waits_for": waits_for,
        "jvm": {"state": f"{java_state} ({detail})" if detail else java_state,
                "tid": (_TID.search(rest) or [None, None])[1],
                "cpu_ms": float(cpu[1]) if (cpu := _CPU.search(rest)) else None,
                "vm_thread": number is None},
        "_types": types,
        "_depth": holds,
    }


def _frame(function: str, where: str) -> dict[str, Any]:
    """``Deadlock.take`` at ``Deadlock.java:23`` (or ``java.base@17/Native Method``)."""
    module, _, location = where.rpartition("/") if "/" in where else ("", "", where)
    file, _, line = location.partition(":")
    frame: dict[str, Any] = {"file": file, "line": int(line) if line.isdigit() else None,
                             "function": function, "code": ""}
    if module:
        frame["module"] = module
    return frame


def _state(java_state: str, detail: str, stack: list[dict[str, Any]], header: str) -> str:
    inner = [f["function"] for f in reversed(stack[-12:])]  # innermost first
    if java_state == "BLOCKED":
        return "waiting_lock"
    if java_state in ("WAITING", "TIMED_WAITING"):
        if detail == "sleeping":
            return "sleeping"
        if any(fn.startswith(_POOL_WAIT) for fn in inner):
            return "idle_pool"
        if detail == "parking" and any(fn.startswith(_ACQUIRE) for fn in inner):
            return "waiting_lock"
        return "waiting"
    if java_state == "RUNNABLE":
        if inner and inner[0].startswith(_IO_FRAMES):
            return "io"
        if not stack and "waiting on condition" in header:
            return "waiting"  # an idle VM-side thread (compiler, signal dispatcher)
        return "running"
    if not java_state:  # the VM's own threads print no state line
        return "running" if header.rstrip().endswith("runnable") else "waiting"
    return "unknown"  # NEW, TERMINATED


def _locks(threads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    locks: dict[str, dict[str, Any]] = {}

    def entry(lock_id: str, types: dict[str, str]) -> dict[str, Any]:
        return locks.setdefault(lock_id, {"id": lock_id, "type": types.get(lock_id, ""),
                                          "created_at": None, "owner": None, "waiters": [],
                                          "depth": 0})

    for t in threads:
        for lock_id in t["holds"]:
            lock = entry(lock_id, t["_types"])
            lock["owner"], lock["depth"] = t["id"], t["_depth"][lock_id]
    for t in threads:
        if t["waits_for"] is not None:
            entry(t["waits_for"], t["_types"])["waiters"].append(t["id"])
    return sorted(locks.values(), key=lambda lock: (not lock["waiters"], lock["id"]))


def _deadlocks(text: str, threads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each "Found one Java-level deadlock" section: its text and the cycle it names."""
    ids = {t["name"]: t["id"] for t in threads}
    out: list[dict[str, Any]] = []
    for section in text.split(_DEADLOCK_START)[1:]:
        section = section.split("\nFound ")[0] if "\nFound " in section else section
        summary = section.split("Java stack information")[0]
        cycle = []
        for wait in _DEADLOCK_WAIT.finditer(summary.replace(",\n", "\n")):
            holder = wait["holder"].strip().rstrip(",")
            holder_name = holder.strip('"')
            cycle.append({
                "thread": wait["name"], "thread_id": ids.get(wait["name"]),
                "waits_for": wait["object"] or wait["monitor"],
                "type": wait["type"] or wait["stype"] or "",
                "held_by": holder_name, "held_by_id": ids.get(holder_name),
            })
        out.append({"text": (_DEADLOCK_START + section).strip(),
                     "threads": [c["thread"] for c in cycle], "cycle": cycle})
    return out


def parse_class_histogram(text: str, limit: int = MAX_TYPES) -> dict[str, Any]:
    """The ``bongsu.memory/1`` body of a ``GC.class_histogram`` text (``types`` by bytes)."""
    types: list[dict[str, Any]] = []
    total_count = total_bytes = classes = 0
    for line in text.splitlines():
        if (row := _HISTO.match(line)) is not None:
            classes += 1
            if len(types) < limit:  # jcmd prints them largest first
                item: dict[str, Any] = {"type": java_type_name(row["name"]),
                                        "count": int(row["count"]), "bytes": int(row["bytes"])}
                if row["module"]:
                    item["module"] = row["module"]
                types.append(item)
        elif (total := _HISTO_TOTAL.match(line.strip())) is not None:
            total_count, total_bytes = int(total[1]), int(total[2])
    types.sort(key=lambda t: -t["bytes"])
    return {"types": types, "gc": None, "tracemalloc": None, "process": None, "python": None,
            "container": None,
            "jvm": {"classes": classes, "instances": total_count, "bytes": total_bytes}}


_PRIMITIVES = {"B": "byte", "C": "char", "D": "double", "F": "float", "I": "int", "J": "long",
               "S": "short", "Z": "boolean"}


def java_type_name(descriptor: str) -> str:
    """``[Ljava.lang.Object;`` → ``java.lang.Object[]``, ``[[I`` → ``int[][]``."""
    dims = len(descriptor) - len(descriptor.lstrip("["))
    if not dims:
        return descriptor
    base = descriptor[dims:]
    if base.startswith("L") and base.endswith(";"):
        name = base[1:-1]
    else:
        name = _PRIMITIVES.get(base, base)
    return name + "[]" * dims
