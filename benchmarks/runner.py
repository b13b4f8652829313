"""One benchmark run: every workload against every target, side by side, then the report.

Workloads run one after the other; within a workload the targets take turns on a fresh
server each, so they share the same load generators, the same machine state and the
same noise. A failure of one workload × target is recorded in the JSON and the run goes
on; Ctrl-C (or SIGTERM) stops everything and cleans up.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from . import report
from .context import Context
from .pool import WorkerPool
from .profiles import Profile
from .targets import TARGETS
from .workloads import connections, fanout, joins

WORKLOADS = ("W1", "W2", "W3", "W4")


def run(
    profile: Profile,
    *,
    targets: tuple[str, ...] = TARGETS,
    workloads: tuple[str, ...] = WORKLOADS,
    out: Path | None = None,
    say: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    started = time.monotonic()
    results: dict[str, dict[str, Any]] = {w: {} for w in workloads}
    meta = {
        "mode": profile.name,
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join(["python -m benchmarks", *sys.argv[1:]]),
        "machine": machine(),
        "service_source": source_fingerprint(),
        "load_start": os.getloadavg(),
        "targets": list(targets),
        "profile": _profile_dict(profile),
    }
    with WorkerPool(profile.workers) as pool:
        ctx = Context(profile, pool, **({"say": say} if say else {}))
        if "W1" in workloads:
            ctx.say("W1 idle connections")
            for kind in targets:
                results["W1"][kind] = _guard(ctx, connections.run, kind)
        if "W2" in workloads or "W3" in workloads:
            ctx.say("W2 fan-out and W3 latency")
            for kind in targets:
                both = _guard(ctx, fanout.run, kind)
                w2, w3 = (both, both) if "error" in both else both
                for name, value in (("W2", w2), ("W3", w3)):
                    if name in results:
                        results[name][kind] = value
        if "W4" in workloads:
            ctx.say("W4 joins")
            for kind in targets:
                results["W4"][kind] = _guard(ctx, joins.run, kind)
    meta["seconds"] = round(time.monotonic() - started, 1)
    meta["load_end"] = os.getloadavg()
    doc = {"meta": meta, "results": results}
    doc["table"] = report.rows(results)
    doc["goals"] = report.goals(results)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=1, default=str) + "\n")
    return doc


def _guard(ctx: Context, workload: Callable[[Context, str], Any], kind: str) -> Any:
    """Run one workload × target; an exception becomes ``{"error": traceback}``."""
    try:
        return workload(ctx, kind)
    except Exception:
        text = traceback.format_exc(limit=6)
        ctx.say(f"  {kind} failed:\n{text}")
        with contextlib.suppress(Exception):
            ctx.close_all()
        return {"error": text}


def source_fingerprint() -> dict[str, Any]:
    """Which code of the service was measured (the tree may be changing): a SHA-256 over
    ``breakout_widgets/**/*.py`` (paths and contents) and the newest modification time."""
    package = Path(__file__).resolve().parent.parent / "breakout_widgets"
    digest = hashlib.sha256()
    newest = 0.0
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
        newest = max(newest, path.stat().st_mtime)
    changed = datetime.datetime.fromtimestamp(newest).astimezone().isoformat(timespec="seconds")
    return {"sha256": digest.hexdigest()[:16], "newest_change": changed}


def machine() -> dict[str, Any]:
    """Cores, memory, CPU model, Python, OS and the versions that matter."""
    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "os": platform.platform(),
    }
    try:
        with open("/proc/meminfo") as f:
            kb = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
        info["ram_gib"] = round(kb / 2**20, 1)
    except (OSError, StopIteration):
        info["ram_gib"] = None
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next(
                line.split(":", 1)[1].strip() for line in f if line.startswith("model name")
            )
    except (OSError, StopIteration):
        info["cpu"] = platform.processor()
    try:
        with open("/etc/os-release") as f:
            pairs = dict(line.rstrip().split("=", 1) for line in f if "=" in line)
        info["distribution"] = pairs.get("PRETTY_NAME", "").strip('"')
    except OSError:
        pass
    packages = ("websockets", "uvicorn", "fastapi", "starlette", "python-socketio", "uvloop")
    info["packages"] = {}
    for name in packages:
        try:
            info["packages"][name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            info["packages"][name] = None
    return info


def _profile_dict(profile: Profile) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(profile)
