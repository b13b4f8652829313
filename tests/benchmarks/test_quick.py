"""The benchmark suite keeps working: ``python -m benchmarks run --quick`` end to end.

It runs as a subprocess (its own servers and load-generator processes) with a time
limit, and the JSON must hold every workload × target with sane numbers. Speed and
memory *targets* are never asserted here: they are for ``--full`` runs by hand
(docs/performance.md); a shared test machine cannot time them fairly.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ("ours", "bare", "socketio")
SIZES = ("30", "1000")
TIME_LIMIT = 300  # seconds; a quick run takes about one minute, under two on a busy machine


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench") / "quick.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks", "run", "--quick", "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # so a timeout can stop its whole process group
    )
    try:
        output, _ = process.communicate(timeout=TIME_LIMIT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)  # the run stops its servers and workers
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
        pytest.fail(f"the quick benchmark took over {TIME_LIMIT} s:\n{output[-3000:]}")
    assert process.returncode == 0, output[-3000:]
    assert "goals (our service)" in output
    doc = json.loads(out.read_text())
    doc["output"] = output
    return doc


def _cell(doc: dict[str, Any], workload: str, target: str) -> Any:
    cell = doc["results"][workload][target]
    assert "error" not in cell, f"{workload} × {target} failed:\n{cell.get('error')}"
    return cell


@pytest.mark.parametrize("target", TARGETS)
def test_w1_holds_idle_connections_and_measures_memory(quick: dict, target: str) -> None:
    r = _cell(quick, "W1", target)
    assert r["connected"] == r["requested"] > 0
    assert r["held"] == r["connected"]
    assert r["kb_per_connection"] is not None and r["kb_per_connection"] > 0
    assert r["connects_per_s"] > 0


@pytest.mark.parametrize("target", TARGETS)
def test_w2_steps_deliver_and_report_a_knee(quick: dict, target: str) -> None:
    per_size = _cell(quick, "W2", target)
    assert set(per_size) == set(SIZES)
    for size, r in per_size.items():
        assert r["setup"]["connections"] > 0 and not r["setup"]["errors"], (size, r["setup"])
        assert r["steps"], size
        for step in r["steps"]:
            assert step["expected"] > 0 and step["delivered"] > 0, (size, step)
            assert step["delivered"] <= step["expected"], (size, step)
            assert step["gaps"] == 0 and step["dropped"] == 0, (size, step)
            assert step["p50_ms"] is not None, (size, step)
            assert step["server_us_per_delivery"] > 0, (size, step)
        assert r["knee_deliveries_per_s"] > 0, (size, r["stopped_by"])


@pytest.mark.parametrize("target", TARGETS)
def test_w3_reports_latency_percentiles(quick: dict, target: str) -> None:
    per_size = _cell(quick, "W3", target)
    assert set(per_size) == set(SIZES)
    for size, r in per_size.items():
        assert r["delivered"] > 0, size
        for field in ("p50_ms", "max_received_ms"):
            assert isinstance(r[field], float | int) and r[field] >= 0, (size, field, r)
        assert r["p50_ms"] <= r["max_received_ms"] + 0.01, (size, r)
        # p99 counts a delivery still missing after the drain as infinitely late (None)
        assert r["p99_ms"] is not None or r["missing"] > 0, (size, r)


@pytest.mark.parametrize("target", TARGETS)
def test_w4_joins_without_violations(quick: dict, target: str) -> None:
    per_size = _cell(quick, "W4", target)
    assert set(per_size) == set(SIZES)
    for size, r in per_size.items():
        assert r["connects"] > 0 and r["connects_per_s"] > 0, (size, r)
        assert r["connect_rooms_over_max"] == 0, (size, r)
        if target == "ours":
            assert r["joins"] > 0 and r["joins_per_s"] > 0, (size, r)
            assert not r["join_errors"], (size, r["join_errors"])
            assert r["service_check"]["checked"], (size, r["service_check"])
            assert r["violations"] == 0, (size, r)


def test_report_has_a_row_per_workload_and_target(quick: dict) -> None:
    cells = {(row["workload"].split()[0], row["target"]) for row in quick["table"]}
    assert cells == {(w, t) for w in ("W1", "W2", "W3", "W4") for t in TARGETS}
    assert all(row["result"] != "ERROR" for row in quick["table"])
    assert quick["meta"]["machine"]["cores"] and quick["meta"]["mode"] == "quick"
    assert {g["goal"].split(" (")[0] for g in quick["goals"]} >= {
        "≤ 20 KB per idle connection",
        "≥ 2,000 joins/s, zero violations",
        "p99 < 50 ms at half load",
    }
