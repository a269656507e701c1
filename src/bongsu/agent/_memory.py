"""The ``memory`` capture (``bongsu.memory/1``): objects by type, allocation sites, the
process's and the container's memory.

- ``types``: every object the garbage collector tracks (class instances, containers; not
  ints or strs held only by them), counted by type with its shallow size
  (``sys.getsizeof``), the 200 largest by bytes. The walk is bounded: 1M objects take
  ~0.25 s here (measured, 2 loaded cores); it stops after ``_WALK_SECONDS`` or
  ``_WALK_MAX`` objects and says how many it counted in ``gc.walked``.
- ``tracemalloc``: when tracing is on, the top allocation sites of what is alive now; with
  ``window_s`` (capped at ``MAX_WINDOW_S``), what was allocated during the window and is
  still alive, tracing started for the window (10 frames) and stopped afterwards if it
  was off. The window blocks the caller (the control channel runs it on a thread of its
  own), and tracing slows the app's allocations while it runs. Reading the traces
  takes ~0.4 s per 225,000 (an app traced from its start with ``PYTHONTRACEMALLOC``) and
  ~3x tracemalloc's own memory: when that would not fit under the cgroup's limit (less
  10 %), ``top`` is left empty and ``skipped`` says why.
- ``container``: usage, working set, limit and OOM kills of this process's memory
  cgroup, v2 (``memory.current``, ``memory.stat``, ``memory.max``, ``memory.events``) or
  v1 (``memory.usage_in_bytes``, ``memory.stat``, ``memory.limit_in_bytes``,
  ``memory.oom_control``), found from ``/proc/self/cgroup`` and ``/proc/self/mountinfo``
  (no cache, so a process moved to another cgroup is followed). The working set (usage
  less inactive file cache, what the kubelet evicts on) comes from :class:`CgroupMemory`,
  the reader the watchdog calls every check: its paths are found once, a call reads two
  or three small files (~40 µs here, 2 loaded cores).

Example::

    doc = capture_memory({"window_s": 5})
    usage, limit = container_memory() or (0, None)
"""

from __future__ import annotations

import gc
import itertools
import os
import sys
import time
import tracemalloc
from dataclasses import dataclass
from typing import Any

from bongsu.agent._envelope import envelope

__all__ = ["MAX_WINDOW_S", "Cgroup", "CgroupMemory", "capture_memory", "cgroup_memory_reader",
           "container_memory", "find_cgroup", "read_cgroup", "working_set_reader"]

MAX_WINDOW_S = 60.0
_TOP_TYPES = 200
_TOP_SITES = 50
_NFRAMES = 10
_WALK_SECONDS = 2.0
_WALK_MAX = 5_000_000
_UNLIMITED = 1 << 62  # v1 writes "no limit" as LONG_MAX rounded down to a page


def capture_memory(args: dict[str, Any] | None = None,
                   trigger: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``bongsu.memory/1`` document (``args.window_s``: a tracemalloc window)."""
    args = args or {}
    window = _window(args.get("window_s"))
    doc = envelope("memory", trigger)
    container = _container()
    headroom = None
    if container is not None and container["limit_bytes"] is not None:
        headroom = container["limit_bytes"] - (container["usage_bytes"] or 0)
    traced = _tracemalloc(window, headroom)  # first: the window must not count the walk
    types, total, walked = _types()
    doc.update({
        "types": types,
        "gc": {"objects": total, "walked": walked,
               "counts": list(gc.get_count()),
               "collections": [s["collections"] for s in gc.get_stats()]},
        "tracemalloc": traced,
        "process": _process(),
        "python": {"allocated_blocks": sys.getallocatedblocks()},
        "container": container,
    })
    return doc


def _window(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"window_s: a number of seconds 0..{MAX_WINDOW_S:g}, got {value!r}")
    return min(float(value), MAX_WINDOW_S)


def _types() -> tuple[list[dict[str, Any]], int, int]:
    counts: dict[type, int] = {}
    sizes: dict[type, int] = {}
    getsizeof = sys.getsizeof
    deadline = time.monotonic() + _WALK_SECONDS
    total = walked = 0
    for generation in (0, 1, 2):  # one generation's list at a time: a smaller extra peak
        try:
            objects = gc.get_objects(generation)
        except ValueError:  # a runtime whose collector has other generations: all at once
            objects = gc.get_objects() if generation == 0 else []
        total += len(objects)
        if walked >= _WALK_MAX or time.monotonic() > deadline:
            continue
        for obj in itertools.islice(objects, _WALK_MAX - walked):
            kind = type(obj)
            counts[kind] = counts.get(kind, 0) + 1
            try:  # __sizeof__ may be the app's code, and raise: then the bare object's size
                size = getsizeof(obj)
            except Exception:
                size = object.__sizeof__(obj)
            sizes[kind] = sizes.get(kind, 0) + size
            walked += 1
            if walked & 0xFFFF == 0 and time.monotonic() > deadline:
                break
        del objects
    top = sorted(sizes, key=lambda k: -sizes[k])[:_TOP_TYPES]
    return ([{"type": _qualname(k), "count": counts[k], "bytes": sizes[k]} for k in top],
            total, walked)


def _qualname(kind: type) -> str:
    module = getattr(kind, "__module__", None)
    name = getattr(kind, "__qualname__", kind.__name__)
    return name if module in (None, "builtins") else f"{module}.{name}"


def _tracemalloc(window: float, headroom: int | None = None) -> dict[str, Any] | None:
    on = tracemalloc.is_tracing()
    if not on and window <= 0:
        return None
    if on and headroom is not None:
        # A snapshot costs ~3x tracemalloc's own memory (612,840 traces of 5 frames: 35 MiB
        # traced, +100 MiB of snapshot, measured): near the limit that would be the kill.
        need = 3 * tracemalloc.get_tracemalloc_memory()
        if need > headroom - headroom // 10:
            traced, peak = tracemalloc.get_traced_memory()
            return {"on": True, "window_s": None, "traced_bytes": traced, "peak_bytes": peak,
                    "top": [], "skipped": f"reading the traces needs ~{need >> 20} MiB, "
                                          f"{max(0, headroom) >> 20} MiB left under the limit"}
    started = False
    base: dict[tuple[str, int], list[Any]] = {}
    if window > 0:
        if not on:
            tracemalloc.start(_NFRAMES)
            started = True
        else:
            base = _by_site(tracemalloc.take_snapshot())
        time.sleep(window)
    try:
        sites = _by_site(tracemalloc.take_snapshot())
        traced, peak = tracemalloc.get_traced_memory()
    finally:
        if started:
            tracemalloc.stop()
    for key, (size, count, _, _) in base.items():  # what was alive before the window
        if key in sites:
            sites[key][0] -= size
            sites[key][1] -= count
    top = sorted((item for item in sites.items() if item[1][0] > 0),
                 key=lambda item: -item[1][0])[:_TOP_SITES]
    names: dict[tuple[str, int], str] = {}
    return {"on": True, "window_s": window if window > 0 else None, "traced_bytes": traced,
            "peak_bytes": peak, "skipped": None, "top": [
                {"site": f"{file}:{line}", "bytes": size, "count": count,
                 "stack": [{"file": f, "line": n, "function": _function(f, n, names)}
                           for f, n in reversed(frames)]}
                for (file, line), (size, count, _, frames) in top]}


_SKIP = frozenset({tracemalloc.__file__, __file__})


def _by_site(snapshot: tracemalloc.Snapshot) -> dict[tuple[str, int], list[Any]]:
    """``{(file, line): [bytes, count, largest trace's size, its frames]}`` by allocating
    line (the innermost frame).

    The raw traces, ``(domain, size, frames innermost first, …)``, are read directly:
    ``Snapshot.filter_traces`` and ``statistics("traceback")`` are pure Python and took
    18 s and 4 s on the 225,000 traces of a small app traced from its start (measured);
    this loop takes ~0.2 s.
    """
    sites: dict[tuple[str, int], list[Any]] = {}
    for trace in snapshot.traces._traces:  # type: ignore[attr-defined]
        size, frames = trace[1], trace[2]
        if not frames or frames[0][0] in _SKIP:
            continue
        entry = sites.get(frames[0])
        if entry is None:
            sites[frames[0]] = [size, 1, size, frames]
            continue
        entry[0] += size
        entry[1] += 1
        if size > entry[2]:
            entry[2], entry[3] = size, frames
    return sites


def _function(filename: str, lineno: int, names: dict[tuple[str, int], str]) -> str:
    # tracemalloc keeps file and line only: the enclosing def is read from the source.
    import linecache

    key = (filename, lineno)
    if key in names:
        return names[key]
    names[key] = "<module>"
    lines = linecache.getlines(filename)
    if not 0 < lineno <= len(lines):
        return names[key]
    indent = _indent(lines[lineno - 1])
    for i in range(lineno - 2, max(-1, lineno - 2000), -1):
        line = lines[i]
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#") or _indent(line) >= indent:
            continue
        indent = _indent(line)
        if stripped.startswith(("def ", "async def ")):
            names[key] = stripped.split("def ", 1)[1].split("(", 1)[0].strip()
            break
        if indent == 0:
            break
    return names[key]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _process() -> dict[str, Any]:
    status = _status("/proc/self/status")
    return {"rss_bytes": status.get("VmRSS"), "vms_bytes": status.get("VmSize")}


def _status(path: str) -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                name, _, value = line.partition(":")
                parts = value.split()
                if len(parts) == 2 and parts[1] == "kB":
                    out[name] = int(parts[0]) * 1024
    except OSError:
        pass
    return out


@dataclass(frozen=True)
class Cgroup:
    """A memory cgroup directory and its version ("v1" or "v2")."""

    version: str
    path: str


def find_cgroup(proc_self: str = "/proc/self") -> Cgroup | None:
    """The memory cgroup of ``proc_self`` (a ``/proc/PID``): v2 when its directory has
    ``memory.current``, else v1."""
    try:
        with open(os.path.join(proc_self, "cgroup"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        with open(os.path.join(proc_self, "mountinfo"), encoding="utf-8") as f:
            mounts = _mounts(f.read())
    except OSError:
        return None
    for line in lines:
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if hierarchy == "0" and controllers == "" and "cgroup2" in mounts:
            found = _inside(mounts["cgroup2"], path, "memory.current")
            if found:
                return Cgroup("v2", found)
    for line in lines:
        _, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if "memory" in controllers.split(",") and "memory" in mounts:
            found = _inside(mounts["memory"], path, "memory.usage_in_bytes")
            if found:
                return Cgroup("v1", found)
    return None


def _mounts(mountinfo: str) -> dict[str, tuple[str, str]]:
    """``{"cgroup2" | "memory": (mount root, mount point)}`` from /proc/self/mountinfo."""
    out: dict[str, tuple[str, str]] = {}
    for line in mountinfo.splitlines():
        head, sep, tail = line.partition(" - ")
        fields, extra = head.split(), tail.split()
        if not sep or len(fields) < 5 or len(extra) < 3:
            continue
        root, point = _unescape(fields[3]), _unescape(fields[4])
        if extra[0] == "cgroup2":
            out.setdefault("cgroup2", (root, point))
        elif extra[0] == "cgroup" and "memory" in extra[2].split(","):
            out.setdefault("memory", (root, point))
    return out


def _unescape(field: str) -> str:
    return field.replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\")


def _inside(mount: tuple[str, str], path: str, probe: str) -> str | None:
    root, point = mount
    # The cgroup path is relative to the hierarchy's root; the mount shows it from `root`
    # (a container sees its own cgroup as "/"). When the path is not visible under the
    # mount (no cgroup namespace), the mount point itself is the container's cgroup.
    relative = path
    if root != "/" and (path == root or path.startswith(root.rstrip("/") + "/")):
        relative = path[len(root.rstrip("/")):]
    for candidate in (os.path.join(point, relative.lstrip("/")), point):
        if os.path.exists(os.path.join(candidate, probe)):
            return os.path.normpath(candidate)
    return None


def read_cgroup(cgroup: Cgroup) -> dict[str, Any]:
    """``{"cgroup", "usage_bytes", "working_set_bytes", "limit_bytes", "oom_kills"}`` of
    ``cgroup``'s files; the working set is the watchdog's (usage less inactive file cache,
    :class:`CgroupMemory`), read a moment after the usage."""
    if cgroup.version == "v2":
        usage = _int_file(cgroup.path, "memory.current")
        limit = _v2_limit(cgroup.path)
        oom = _keyed(cgroup.path, "memory.events").get("oom_kill", 0)
    else:
        usage = _int_file(cgroup.path, "memory.usage_in_bytes")
        limit = _int_file(cgroup.path, "memory.limit_in_bytes")
        # A parent's limit binds the child too; v1 reports the tightest one here.
        hierarchical = _keyed(cgroup.path, "memory.stat").get("hierarchical_memory_limit")
        if hierarchical is not None and (limit is None or hierarchical < limit):
            limit = hierarchical
        if limit is not None and limit >= _UNLIMITED:
            limit = None
        oom = _keyed(cgroup.path, "memory.oom_control").get("oom_kill", 0)
    working = working_set_reader(cgroup)()
    return {"cgroup": cgroup.version, "usage_bytes": usage,
            "working_set_bytes": working[0] if working is not None else None,
            "limit_bytes": limit, "oom_kills": oom}


def _v2_limit(path: str) -> int | None:
    # memory.max of this group and of every parent up to the mount; the tightest binds.
    limit: int | None = None
    while True:
        try:
            with open(os.path.join(path, "memory.max"), encoding="ascii") as f:
                text = f.read().strip()
        except OSError:
            break
        if text != "max":
            value = int(text)
            limit = value if limit is None else min(limit, value)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return limit


def _int_file(path: str, name: str) -> int | None:
    try:
        with open(os.path.join(path, name), encoding="ascii") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _keyed(path: str, name: str) -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        with open(os.path.join(path, name), encoding="ascii") as f:
            for line in f:
                key, _, value = line.partition(" ")
                if value.strip().lstrip("-").isdigit():
                    out[key] = int(value)
    except OSError:
        pass
    return out


def _container() -> dict[str, Any] | None:
    cgroup = find_cgroup()
    return read_cgroup(cgroup) if cgroup is not None else None


def container_memory(proc_self: str = "/proc/self") -> tuple[int, int | None] | None:
    """``(usage_bytes, limit_bytes or None)`` of this process's memory cgroup, or None."""
    cgroup = find_cgroup(proc_self)
    if cgroup is None:
        return None
    figures = read_cgroup(cgroup)
    usage = figures["usage_bytes"]
    return (usage, figures["limit_bytes"]) if usage is not None else None


class CgroupMemory:
    """Working set and limit of one cgroup; ``version`` ``v1`` or ``v2``."""

    def __init__(self, version: str, usage: str, stat: str, limit: str | None,
                 inactive_key: bytes, fixed_limit: int | None) -> None:
        self.version = version
        self.usage, self.stat, self.limit = usage, stat, limit
        self.inactive_key = inactive_key
        self.fixed_limit = fixed_limit  # the ancestors' least limit (v2), read once

    def __call__(self) -> tuple[int, int | None] | None:
        try:
            with open(self.usage, "rb") as f:
                usage = int(f.read())
            inactive, limit = 0, self.fixed_limit
            with open(self.stat, "rb") as f:
                for line in f:
                    key, _, value = line.partition(b" ")
                    if key == self.inactive_key:
                        inactive = int(value)
                    elif key == b"hierarchical_memory_limit":  # v1: the effective limit
                        limit = _limit(int(value), limit)
            if self.limit is not None:
                with open(self.limit, "rb") as f:
                    raw = f.read().strip()
                if raw != b"max":
                    limit = _limit(int(raw), limit)
        except (OSError, ValueError):
            return None
        return max(0, usage - inactive), limit


def working_set_reader(cgroup: Cgroup) -> CgroupMemory:
    """The working set and limit reader of ``cgroup`` (one :func:`find_cgroup` found)."""
    if cgroup.version == "v2":
        return CgroupMemory("v2", os.path.join(cgroup.path, "memory.current"),
                            os.path.join(cgroup.path, "memory.stat"),
                            os.path.join(cgroup.path, "memory.max"), b"inactive_file",
                            _v2_limit(os.path.dirname(cgroup.path)))
    return CgroupMemory("v1", os.path.join(cgroup.path, "memory.usage_in_bytes"),
                        os.path.join(cgroup.path, "memory.stat"), None,
                        b"total_inactive_file", None)


def _limit(value: int, other: int | None) -> int | None:
    if value >= 1 << 60:  # v1 writes "unlimited" as a page-rounded 2**63 - 1
        return other
    return value if other is None else min(value, other)


def cgroup_memory_reader(root: str = "/sys/fs/cgroup", proc: str = "/proc/self/cgroup"
                         ) -> CgroupMemory | None:
    """A reader of this process's memory cgroup (v1 or v2), or None when it has none."""
    try:
        with open(proc, encoding="ascii") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:  # v1: "4:memory:/path"
        _, controllers, path = [*line.split(":", 2), "", ""][:3]
        if "memory" in controllers.split(","):
            for base in (os.path.join(root, "memory", path.lstrip("/")),
                         os.path.join(root, "memory")):  # a cgroup namespace shows "/"
                if os.path.exists(os.path.join(base, "memory.usage_in_bytes")):
                    return CgroupMemory("v1", os.path.join(base, "memory.usage_in_bytes"),
                                         os.path.join(base, "memory.stat"), None,
                                         b"total_inactive_file", None)
    for line in lines:  # v2: "0::/path"
        if line.startswith("0::"):
            path = line[3:].lstrip("/")
            for top in (root, os.path.join(root, "unified")):
                base = os.path.join(top, path)
                if os.path.exists(os.path.join(base, "memory.current")):
                    return CgroupMemory("v2", os.path.join(base, "memory.current"),
                                         os.path.join(base, "memory.stat"),
                                         os.path.join(base, "memory.max"), b"inactive_file",
                                         _ancestor_limit(top, path))
    return None


def _ancestor_limit(top: str, path: str) -> int | None:
    limit: int | None = None
    parts = [p for p in path.split("/") if p][:-1]
    for i in range(len(parts), 0, -1):
        try:
            with open(os.path.join(top, *parts[:i], "memory.max"), "rb") as f:
                raw = f.read().strip()
        except OSError:
            continue
        if raw != b"max":
            limit = _limit(int(raw), limit)
    return limit
