"""The analyses of captures as Pydantic models (``bongsu.diagnostics``' built-in analyzers),
so ``/openapi.json`` documents what ``GET /api/v1/captures/{id}`` and ``/compare`` return.

One model per kind; an analyzer a third party registers returns its own shape, documented
as :class:`OtherAnalysis` (a ``headline`` and anything else). Sizes are bytes, times
seconds or milliseconds as the field name says, shares fractions 0-1.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from bongsu.api.body import BodyModel


class Model(BodyModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _f(description: str, **kw: Any) -> Any:
    return Field(description=description, **kw)


_HEADLINE = "One line a person reads first"

# -- threads ---------------------------------------------------------------------------


class Frame(Model):
    file: str = _f("Source file")
    line: int | None = _f("Line number (null: a native method)")
    function: str = _f("Function (Java: class.method)")
    code: str | None = _f("The source line, when known", default=None)


class ThreadRef(Model):
    id: Any = _f("Thread id (Python: threading ident; Java: the #number)")
    name: str | None = _f("Thread name")


class ThreadGroup(Model):
    state: str = _f("running, waiting_lock, sleeping, io, idle_pool, waiting, unknown")
    count: int = _f("Threads in the group")
    top: str = _f("The innermost frame, 'function (file:line)'")
    app_top: str | None = _f("The innermost frame of the application's own code (not the "
                             "runtime's or a package's), when that is not the innermost")
    stack: list[Frame] = _f("The group's stack, outermost frame first")
    threads: list[ThreadRef] = _f("Its threads (the first 100)")
    serving: int = _f("How many of them serve a request")


class HotFrame(Model):
    file: str = _f("Source file")
    line: int = _f("Line number (0: none)")
    function: str = _f("Function")
    threads: int = _f("Threads with this frame on their stack (2 or more)")


class ServedRequest(Model):
    thread_id: Any = _f("The thread serving it (for a task: the loop's thread)")
    thread: str | None = _f("That thread's name")
    task: str | None = _f("The asyncio task serving it, if one does")
    state: str | None = _f("The thread's state (null for a task)")
    trace_id: str | None = _f("Trace id, 32 hex digits")
    span_id: str | None = _f("Span id, 16 hex digits")
    name: str | None = _f("Transaction name")
    route: str | None = _f("Route template")
    url: str | None = _f("Requested URL")
    elapsed_ms: float | None = _f("Running for, ms, when captured")
    frame: str = _f("Where it is now: the innermost frame")


class LockNode(Model):
    lock: str = _f("Lock id (stable within the capture; Java: the object address)")
    type: str | None = _f("Lock, RLock, Condition; Java: the class")
    created_at: str | None = _f("Where the lock was made, file:line")
    owner: Any = _f("Thread id holding it, or null")
    owner_name: str | None = _f("That thread's name")
    waiters: list[ThreadRef] = _f("Threads waiting for it")


class Deadlock(Model):
    threads: list[str] = _f("The cycle's threads by name, in order")
    thread_ids: list[Any] = _f("Their ids")
    locks: list[str] = _f("The locks each waits for, in order")
    message: str = _f("'deadlock: thread A holds L1 and waits for L2 held by B, which …'")


class JvmDeadlockStep(Model):
    thread: str = _f("Thread name")
    thread_id: Any = _f("Its id")
    waits_for: str | None = _f("Monitor or synchronizer address")
    type: str = _f("Its class")
    held_by: str = _f("The holder's name")
    held_by_id: Any = _f("The holder's id")


class JvmDeadlock(Model):
    text: str = _f("The dump's own 'Found one Java-level deadlock' section")
    threads: list[str] = _f("Its threads by name")
    cycle: list[JvmDeadlockStep] = _f("Who waits for what, held by whom")


class ThreadsAnalysis(Model):
    thread_count: int = _f("Threads in the dump")
    task_count: int = _f("asyncio tasks serving requests")
    states: dict[str, int] = _f("Threads per state (every state named, 0 when none)")
    groups: list[ThreadGroup] = _f("Threads with the same state and stack, biggest first "
                                   "(at most 50)")
    hot_frames: list[HotFrame] = _f("Frames on the most threads' stacks (at most 20)")
    requests: list[ServedRequest] = _f("The request each thread or task serves, longest first")
    lock_tracking: bool = _f("Whether locks were tracked (BONGSU_TRACK_LOCKS; always for Java)")
    lock_graph: list[LockNode] = _f("owner -> lock -> waiters, most waiters first")
    deadlocks: list[Deadlock] = _f("Wait-for cycles found in the lock graph")
    deadlock_analysis: bool = _f("Whether the wait-for analysis ran")
    jvm_deadlocks: list[JvmDeadlock] = _f("Java: the dump's own deadlock sections")
    headline: str = _f(_HEADLINE)


class GroupChange(Model):
    state: str = _f("Group state")
    top: str = _f("Group's innermost frame")
    base: int = _f("Threads in base")
    other: int = _f("Threads in other")
    delta: int = _f("other - base")


class ThreadsComparison(Model):
    thread_count_delta: int = _f("other - base")
    states_delta: dict[str, int] = _f("Per state, other - base")
    groups: list[GroupChange] = _f("Groups whose size changed, largest change first")
    headline: str = _f(_HEADLINE)


# -- memory ----------------------------------------------------------------------------


class TypeSize(Model):
    type: str = _f("Qualified type name (Java: the class)")
    bytes: int = _f("Shallow bytes of its objects")
    count: int = _f("Objects")
    share: float | None = _f("Of the listed types' bytes, 0-1")


class SiteSize(Model):
    site: str = _f("Allocation site, file:line (tracemalloc)")
    bytes: int = _f("Bytes allocated there and still alive")
    count: int = _f("Blocks")


class MemoryAnalysis(Model):
    top_types: list[TypeSize] = _f("Largest types by bytes (at most 20)")
    types_bytes: int = _f("Bytes of every listed type")
    types_count: int = _f("Objects of every listed type")
    top_sites: list[SiteSize] = _f("Largest allocation sites (tracemalloc; at most 20)")
    tracemalloc: bool = _f("Whether allocation sites were traced")
    traced_bytes: int | None = _f("tracemalloc: traced bytes now")
    peak_bytes: int | None = _f("tracemalloc: peak traced bytes")
    gc_objects: int | None = _f("Objects the garbage collector tracks")
    rss_bytes: int | None = _f("Process resident set size")
    container_usage_bytes: int | None = _f("The memory cgroup's usage")
    limit_bytes: int | None = _f("The memory cgroup's limit (null: unlimited or none)")
    rss_of_limit: float | None = _f("rss_bytes / limit_bytes")
    usage_of_limit: float | None = _f("container_usage_bytes / limit_bytes")
    working_set_bytes: int | None = _f(
        "The memory cgroup's working set: usage less inactive file cache (null: not sent)")
    working_set_of_limit: float | None = _f("working_set_bytes / limit_bytes")
    oom_kills: int | None = _f("OOM kills the cgroup has counted")
    cgroup: str | None = _f("v1 or v2; null outside a memory cgroup")
    python_allocated_blocks: int | None = _f("Python: sys.getallocatedblocks()")
    jvm_heap_bytes: int | None = _f("JVM: bytes of every live object (the histogram's total)")
    jvm_instances: int | None = _f("JVM: live objects (the histogram's total)")
    headline: str = _f(_HEADLINE)


class Growth(Model):
    base_bytes: int = _f("Bytes in base (0: not listed there)")
    other_bytes: int = _f("Bytes in other")
    bytes_grown: int = _f("other_bytes - base_bytes (> 0)")
    base_count: int = _f("Count in base")
    other_count: int = _f("Count in other")
    count_grown: int = _f("other_count - base_count")
    new: bool = _f("Not listed in base at all")


class TypeGrowth(Growth):
    type: str = _f("Type")


class SiteGrowth(Growth):
    site: str = _f("Allocation site")


class Suspect(Model):
    what: Literal["type", "site"] = _f("A type or an allocation site")
    name: str = _f("Its name")
    bytes_grown: int = _f("Bytes it grew by")
    count_grown: int = _f("Objects (or blocks) it grew by")


class MemoryComparison(Model):
    interval_s: float | None = _f("Seconds between the captures")
    rss_delta_bytes: int | None = _f("RSS, other - base")
    container_usage_delta_bytes: int | None = _f("Cgroup usage, other - base")
    types_bytes_delta: int = _f("Listed types' bytes, other - base")
    traced_bytes_delta: int | None = _f("tracemalloc traced bytes, other - base")
    gc_objects_delta: int | None = _f("GC-tracked objects, other - base")
    allocated_blocks_delta: int | None = _f("Python allocated blocks, other - base")
    jvm_heap_delta_bytes: int | None = _f("JVM live heap bytes, other - base")
    types: list[TypeGrowth] = _f("Types that grew, most bytes first")
    sites: list[SiteGrowth] = _f("Allocation sites that grew, most bytes first")
    suspects: list[Suspect] = _f("Leak suspects: types and sites together, most bytes first")
    headline: str = _f(_HEADLINE)


# -- processes -------------------------------------------------------------------------


class ProcessRow(Model):
    pid: Any = _f("Process id")
    name: str = _f("Process name")
    cmdline: str = _f("Command line")
    state: str | None = _f("Kernel state letter (R, S, D, Z …)")
    cpu_seconds: float = _f("CPU time used since it started, s")
    rss_bytes: int = _f("Resident set size")
    threads: int | None = _f("Threads")


class ProcessName(Model):
    name: str = _f("Process name")
    count: int = _f("Processes of that name")
    cpu_seconds: float = _f("Their CPU time, s")
    rss_bytes: int = _f("Their RSS")


class ProcessesAnalysis(Model):
    process_count: int = _f("Processes")
    rss_bytes: int = _f("Their RSS together")
    cpu_seconds: float = _f("Their CPU time together, s")
    by_rss: list[ProcessRow] = _f("Largest RSS first (at most 20)")
    by_cpu: list[ProcessRow] = _f("Most CPU time first (at most 20)")
    by_name: list[ProcessName] = _f("Per name, largest RSS first")
    headline: str = _f(_HEADLINE)


class ProcessMove(Model):
    pid: Any = _f("Process id (same pid and start time in both)")
    name: str = _f("Process name")
    cpu_seconds_delta: float = _f("CPU seconds used between the captures")
    cpu_percent: float | None = _f("Of one core over the interval")
    rss_delta_bytes: int = _f("RSS, other - base")
    rss_bytes: int = _f("RSS in other")


class ProcessNameDelta(Model):
    name: str = _f("Process name")
    count_delta: int = _f("Processes, other - base")
    cpu_seconds_delta: float = _f("CPU seconds, other - base")
    rss_delta_bytes: int = _f("RSS, other - base")


class ProcessesComparison(Model):
    interval_s: float | None = _f("Seconds between the captures (system uptime)")
    cpu_movers: list[ProcessMove] = _f("Most CPU used between the captures first")
    rss_movers: list[ProcessMove] = _f("Largest RSS change first")
    by_name: list[ProcessNameDelta] = _f("Per name, largest RSS change first")
    started: list[ProcessRow] = _f("Processes only in other")
    gone: list[ProcessRow] = _f("Processes only in base")
    headline: str = _f(_HEADLINE)


# -- network ---------------------------------------------------------------------------


class Endpoint(Model):
    endpoint: str = _f("Outbound: remote host:port; inbound: 'peer host -> :local port'; "
                       "unix: the path")
    direction: Literal["inbound", "outbound", "local"] = _f("Accepted, connected out, unix")
    proto: str = _f("tcp, tcp6, udp, udp6, unix")
    state: str = _f("Socket state (ESTABLISHED, CLOSE_WAIT …)")
    count: int = _f("Sockets")


class NetworkFlag(Model):
    state: Literal["CLOSE_WAIT", "TIME_WAIT"] = _f("The piled-up state")
    endpoint: str | None = _f("On this endpoint (null: all of them)")
    count: int = _f("Sockets in that state")
    threshold: int = _f("Flagged at this many")
    message: str = _f("What it means")


class Listener(Model):
    proto: str = _f("tcp, tcp6, udp, udp6, unix")
    local: str = _f("Listening address")


class NetworkAnalysis(Model):
    socket_count: int = _f("The process's sockets")
    by_state: dict[str, int] = _f("Sockets per state")
    listen: list[Listener] = _f("Listening sockets")
    endpoints: list[Endpoint] = _f("Per endpoint and state, most sockets first (at most 50)")
    endpoint_count: int = _f("Endpoint and state pairs in all")
    flags: list[NetworkFlag] = _f("Pile-ups past their thresholds")
    thresholds: dict[str, int] = _f("The thresholds: CLOSE_WAIT per endpoint, TIME_WAIT in all")
    headline: str = _f(_HEADLINE)


class EndpointChange(Model):
    endpoint: str = _f("Endpoint")
    direction: str = _f("inbound, outbound, local")
    proto: str = _f("Protocol")
    state: str = _f("Socket state")
    base: int = _f("Sockets in base")
    other: int = _f("Sockets in other")
    delta: int = _f("other - base")


class NetworkComparison(Model):
    states_delta: dict[str, int] = _f("Per state, other - base")
    endpoints: list[EndpointChange] = _f("Endpoints that changed, largest change first")
    headline: str = _f(_HEADLINE)


# -- files -----------------------------------------------------------------------------


class Directory(Model):
    directory: str = _f("Directory of open files")
    count: int = _f("Open files in it")


class FilesFlag(Model):
    threshold: float = _f("Flagged at this share of the soft limit (0.8)")
    count: int = _f("Open descriptors")
    limit: int = _f("The soft limit")
    message: str = _f("What it means")


class FilesAnalysis(Model):
    count: int = _f("Open descriptors")
    limit_soft: int | None = _f("Soft limit (ulimit -n)")
    limit_hard: int | None = _f("Hard limit")
    used_of_limit: float | None = _f("count / limit_soft")
    by_type: dict[str, int] = _f("Per type: file, socket, pipe, anon, dev, other")
    top_directories: list[Directory] = _f("Directories with the most open files (at most 20)")
    flags: list[FilesFlag] = _f("The count near the limit")
    headline: str = _f(_HEADLINE)


class DirectoryChange(Model):
    directory: str = _f("Directory")
    base: int = _f("Open files in base")
    other: int = _f("Open files in other")
    delta: int = _f("other - base")


class FilesComparison(Model):
    count_delta: int = _f("Descriptors, other - base")
    by_type_delta: dict[str, int] = _f("Per type, other - base")
    directories: list[DirectoryChange] = _f("Directories that changed, largest change first")
    new_paths: list[str] = _f("Paths open in other and not in base (at most 20)")
    headline: str = _f(_HEADLINE)


class OtherAnalysis(BodyModel):
    """What a third party's analyzer returns: a headline and its own fields."""

    model_config = ConfigDict(extra="allow")
    headline: str = _f(_HEADLINE)


Analysis = (ThreadsAnalysis | MemoryAnalysis | ProcessesAnalysis | NetworkAnalysis
            | FilesAnalysis | OtherAnalysis)
Comparison = (ThreadsComparison | MemoryComparison | ProcessesComparison | NetworkComparison
              | FilesComparison | OtherAnalysis)
