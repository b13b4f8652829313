"""The benchmark suite of breakout-widgets (issue 6).

``python -m benchmarks run --quick | --full`` runs four workloads against three targets
side by side — our service, a bare ``websockets`` broadcast server (the ceiling) and
python-socketio rooms (the peer) — prints a table and writes JSON. See
``docs/performance.md`` for what each workload measures and the latest full run.
"""
