"""The results as a table (one row per workload × shard size × target) and the goals."""

from __future__ import annotations

from typing import Any

from .targets import LABELS

# The targets for our service.
FANOUT_VS_BARE = 0.8
FANOUT_VS_SOCKETIO = 3.0
KB_PER_CONNECTION = 20.0
JOINS_PER_S = 2000.0
P99_AT_HALF_MS = 50.0


def _ratio(value: float | None, base: float | None) -> float | None:
    if value is None or not base:
        return None
    return round(value / base, 2)


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _pct(fraction: float | None) -> str:
    return "—" if fraction is None else f"{fraction * 100:.0f}%"


def rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Table rows: workload, shard, target, result text, ratio vs bare, notes."""
    out: list[dict[str, Any]] = []
    w1 = results.get("W1", {})
    bare_kb = (w1.get("bare") or {}).get("kb_per_connection")
    for kind, r in w1.items():
        if "error" in r:
            out.append(_error_row("W1 idle connections", "—", kind, r))
            continue
        out.append(
            {
                "workload": "W1 idle connections",
                "shard": "—",
                "target": kind,
                "result": f"{_num(r['held'])} held, {_num(r['kb_per_connection'], 1)} KB/conn",
                "vs_bare": _ratio(r["kb_per_connection"], bare_kb),
                "notes": f"{_num(r['connects_per_s'])} connects/s",
            }
        )
    for workload, label in (("W2", "W2 fan-out"), ("W3", "W3 latency")):
        section = results.get(workload, {})
        bare = section.get("bare") or {}
        for kind, per_size in section.items():
            if "error" in per_size:
                out.append(_error_row(label, "—", kind, per_size))
                continue
            for size, r in per_size.items():
                base = bare.get(size) or {}
                if workload == "W2":
                    out.append(_w2_row(label, size, kind, r, base))
                else:
                    out.append(_w3_row(label, size, kind, r, base))
    w4 = results.get("W4", {})
    bare4 = w4.get("bare") or {}
    for kind, per_size in w4.items():
        if "error" in per_size:
            out.append(_error_row("W4 joins", "—", kind, per_size))
            continue
        for size, r in per_size.items():
            text = f"{_num(r.get('connects_per_s'))} join+connect/s"
            notes = ""
            if "joins_per_s" in r:
                text = f"{_num(r['joins_per_s'])} REST joins/s; " + text
                notes = f"{r['violations']} violations, {r['shards']} shards"
            base = (bare4.get(size) or {}).get("connects_per_s")
            out.append(
                {
                    "workload": "W4 joins",
                    "shard": size,
                    "target": kind,
                    "result": text,
                    "vs_bare": _ratio(r.get("connects_per_s"), base),
                    "notes": notes,
                }
            )
    return out


def _w2_row(label: str, size: str, kind: str, r: dict[str, Any], base: dict[str, Any]) -> dict:
    found = "" if r["knee_found"] else f" (≥, {r['stopped_by']})"
    return {
        "workload": label,
        "shard": size,
        "target": kind,
        "result": f"{_num(r['knee_deliveries_per_s'])} deliveries/s{found}",
        "vs_bare": _ratio(r["knee_deliveries_per_s"], base.get("knee_deliveries_per_s")),
        "notes": f"p99 {_num(r['knee_p99_ms'], 1)} ms; server "
        f"{_num(r['knee_server_us_per_delivery'], 1)} µs CPU/delivery, "
        f"{_num(r['knee_server_cpu'], 2)} cores, waited {_pct(r.get('knee_server_cpu_wait'))}; "
        f"clients {_num(r['knee_client_cpu'], 2)}; machine {_num(r.get('knee_machine_cpu'), 2)}",
    }


def _w3_row(label: str, size: str, kind: str, r: dict[str, Any], base: dict[str, Any]) -> dict:
    return {
        "workload": label,
        "shard": size,
        "target": kind,
        "result": f"p50 {_num(r['p50_ms'], 1)} / p99 {_num(r['p99_ms'], 1)} / "
        f"max {_num(r['max_ms'], 1)} ms",
        "vs_bare": _ratio(r["p99_ms"], base.get("p99_ms")),
        "notes": f"at {_num(r['deliveries_per_s'])} deliveries/s; server waited "
        f"{_pct(r.get('server_cpu_wait'))}; machine {_num(r.get('machine_cpu'), 2)} cores busy"
        + (f"; {r['missing']} missing" if r["missing"] else ""),
    }


def _error_row(label: str, shard: str, kind: str, r: dict[str, Any]) -> dict[str, Any]:
    return {
        "workload": label,
        "shard": shard,
        "target": kind,
        "result": "ERROR",
        "vs_bare": None,
        "notes": r["error"].strip().splitlines()[-1][:100],
    }


def goals(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, measured; ``met`` is None when a figure is missing."""
    out: list[dict[str, Any]] = []

    def add(
        goal: str, value: float | None, met: bool | None, unit: str = "", bound: str = ""
    ) -> None:
        shown = None if value is None else round(value, 2)
        out.append({"goal": goal, "value": shown, "bound": bound, "unit": unit, "met": met})

    w2 = results.get("W2", {})
    ours2, bare2, sio2 = (w2.get(k) or {} for k in ("ours", "bare", "socketio"))
    for size, r in ours2.items() if "error" not in ours2 else ():
        for name, base, goal in (
            ("bare", bare2, FANOUT_VS_BARE),
            ("socketio", sio2, FANOUT_VS_SOCKETIO),
        ):
            value, met, bound = knee_ratio(r, base.get(size) or {}, goal)
            add(f"fan-out ≥ {goal:g}× {name} (shards of {size})", value, met, "×", bound)
    kb = (results.get("W1", {}).get("ours") or {}).get("kb_per_connection")
    add(f"≤ {KB_PER_CONNECTION:.0f} KB per idle connection", kb, _le(kb, KB_PER_CONNECTION), "KB")
    w4 = results.get("W4", {}).get("ours") or {}
    for size, r in w4.items() if "error" not in w4 else ():
        rate, bad = r.get("joins_per_s"), r.get("violations")
        met = None if rate is None else rate >= JOINS_PER_S and bad == 0
        add(f"≥ {JOINS_PER_S:,.0f} joins/s, zero violations (shards of {size})", rate, met, "/s")
    w3 = results.get("W3", {}).get("ours") or {}
    for size, r in w3.items() if "error" not in w3 else ():
        p99 = r.get("p99_ms")
        add(
            f"p99 < {P99_AT_HALF_MS:.0f} ms at half load (shards of {size})",
            p99,
            None if p99 is None else p99 < P99_AT_HALF_MS,
            "ms",
        )
    return out


def knee_ratio(
    ours: dict[str, Any], base: dict[str, Any], goal: float
) -> tuple[float | None, bool | None, str]:
    """Our knee over the baseline's, whether it meets ``goal``, and ``"≤"``/``"≥"`` when a
    knee was not reached (the load generators' cap stopped the search: a lower bound)."""
    value = _ratio(ours.get("knee_deliveries_per_s"), base.get("knee_deliveries_per_s"))
    if value is None:
        return None, None, ""
    ours_exact, base_exact = ours.get("knee_found"), base.get("knee_found")
    if ours_exact and base_exact:
        return value, value >= goal, ""
    if ours_exact:  # the baseline can do more: the true ratio is lower
        return value, (False if value < goal else None), "≤"
    if base_exact:  # we can do more: the true ratio is higher
        return value, (True if value >= goal else None), "≥"
    return value, None, "?"


def _le(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit


def render(doc: dict[str, Any]) -> str:
    """The whole report as plain text."""
    meta = doc["meta"]
    machine = meta["machine"]
    lines = [
        f"breakout-widgets benchmarks — {meta['mode']} run, {meta['date']}, "
        f"{machine['cores']} cores, {machine['ram_gib']} GiB, Python {machine['python']}, "
        f"{round(meta['seconds'])} s",
        f"service source {meta['service_source']['sha256']} "
        f"(newest change {meta['service_source']['newest_change']})",
        "",
    ]
    header = ("workload", "shard", "target", "result", "×bare", "notes")
    table = [header] + [
        (
            r["workload"],
            str(r["shard"]),
            LABELS.get(r["target"], r["target"]),
            r["result"],
            "—" if r["vs_bare"] is None else f"{r['vs_bare']:.2f}",
            r["notes"],
        )
        for r in doc["table"]
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    for i, row in enumerate(table):
        cells = [row[c].ljust(widths[c]) for c in range(len(widths))] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  -----")
    lines += ["", "goals (our service)"]
    for g in doc["goals"]:
        verdict = {True: "met", False: "MISSED", None: "n/a"}[g["met"]]
        value = "—" if g["value"] is None else f"{g['bound']}{g['value']:,}{g['unit']}"
        lines.append(f"  {verdict:<6}  {g['goal']:<52} {value}")
    return "\n".join(lines)


def markdown(doc: dict[str, Any]) -> str:
    """The table and the goals as Markdown, for docs/performance.md."""
    lines = [
        "| workload | shard | target | result | ×bare | notes |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in doc["table"]:
        ratio = "—" if r["vs_bare"] is None else f"{r['vs_bare']:.2f}"
        label = LABELS.get(r["target"], r["target"])
        lines.append(
            f"| {r['workload']} | {r['shard']} | {label} | {r['result']} | {ratio} | {r['notes']} |"
        )
    lines += ["", "| goal (our service) | measured | |", "| --- | --- | --- |"]
    for g in doc["goals"]:
        verdict = {True: "met", False: "**missed**", None: "n/a"}[g["met"]]
        value = "—" if g["value"] is None else f"{g['bound']}{g['value']:,}{g['unit']}"
        lines.append(f"| {g['goal']} | {value} | {verdict} |")
    return "\n".join(lines)
