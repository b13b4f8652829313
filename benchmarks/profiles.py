"""How big and how long each workload runs: ``--quick`` (the test suite) and ``--full``."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Fanout:
    """``rooms`` rooms with ``fill`` members each, in shards whose max is ``size``."""

    size: int
    rooms: int
    fill: int

    @property
    def connections(self) -> int:
        return self.rooms * self.fill


@dataclass(frozen=True)
class Profile:
    name: str
    workers: int  # load-generator processes
    connect_concurrency: int  # joins/connects in flight per worker
    # W1: idle connections held by one server process
    w1_connections: int
    w1_hold: float  # seconds they stay idle before the memory is read
    # W2: step the offered load up until p99 > p99_limit (or deliveries go missing)
    fanout: tuple[Fanout, ...]
    start_deliveries: float  # offered deliveries per second of the first step
    factor: float  # the next step's load while every step passed
    max_steps: int
    precision: float  # stop refining once the failing load / passing load is below this
    step_seconds: float
    drain_seconds: float  # how long after a step deliveries may still arrive
    repeat_failed: bool = True  # a load fails only if a second try fails too
    publisher_cap: float = 4.0  # msgs/s per publishing member (the service allows 5, burst 20)
    p99_limit: float = 0.250
    # W3: latency at half of W2's maximum
    w3_seconds: float = 5.0
    # W4: joins into shards of each size
    w4_sizes: tuple[int, ...] = (1000, 30)
    w4_joins: int = 1000  # REST joins per size (ours)
    w4_connects: int = 500  # joins with an open connection per size (every target)
    w4_concurrency: int = 32  # per worker
    budget_seconds: float = 3600.0  # W2 stops stepping for a target past this


QUICK = Profile(
    name="quick",
    workers=2,
    connect_concurrency=16,
    w1_connections=200,
    w1_hold=1.0,
    fanout=(Fanout(30, rooms=4, fill=30), Fanout(1000, rooms=1, fill=100)),
    start_deliveries=2_000,
    factor=4.0,
    max_steps=2,
    precision=2.0,
    repeat_failed=False,
    step_seconds=1.0,
    drain_seconds=1.0,
    w3_seconds=1.0,
    w4_joins=200,
    w4_connects=60,
    w4_concurrency=8,
    budget_seconds=15,
)

FULL = Profile(
    name="full",
    workers=4,
    connect_concurrency=32,
    w1_connections=18_000,
    w1_hold=5.0,
    fanout=(Fanout(30, rooms=100, fill=30), Fanout(1000, rooms=4, fill=1000)),
    start_deliveries=5_000,
    factor=2.0,
    max_steps=10,
    precision=1.2,
    step_seconds=5.0,
    drain_seconds=3.0,
    w3_seconds=10.0,
    w4_joins=6_000,
    w4_connects=3_000,
    w4_concurrency=32,
    budget_seconds=240,
)

PROFILES = {"quick": QUICK, "full": FULL}


def override(profile: Profile, assignments: list[str]) -> Profile:
    """``profile`` with ``field=value`` changes (numbers only), e.g. ``w1_connections=5000``."""
    changes: dict[str, float | int] = {}
    kinds = {f.name: f.type for f in fields(Profile)}
    for assignment in assignments:
        name, _, value = assignment.partition("=")
        kind = kinds.get(name)
        if kind not in ("int", "float"):
            raise ValueError(f"cannot set {name!r}: use one of the numeric fields of Profile")
        changes[name] = int(value) if kind == "int" else float(value)
    return replace(profile, **changes)
