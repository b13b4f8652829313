"""The board view in a real browser: render time of a 500-person board, and how long a
move made on one host's board takes to show on a second host's board.

    python -m benchmarks.views_bench [--people 500] [--rooms 50] [--renders 15] [--moves 30]

Starts its own meeting service, JupyterLab server and headless Chromium (the browser
tests' harness, ``tests/browser/browser_harness.py``), stops them all at the end and
stops by itself after ``--timeout`` seconds. Prints a table and writes JSON to
``benchmarks/results/views.json``.

What is measured, all in Chromium with ``performance.now()``:

* **render**: from the arrival of the full-roster message on the kernel's WebSocket (the
  view's first custom message after its ``hello``) to the moment the last card is in the
  DOM (a MutationObserver; the target applies to this), then after a forced layout, and
  after the next frame was painted (a message posted from the next animation frame).
  A probe wraps ``window.WebSocket`` before Lab's scripts run and stamps each message
  that carries ``"kind": "roster", "full": true``, so the view needs no test hook.
  Baseline: the same view of a class with only the host (one card).
* **move**: page A (host notebook A) selects a card and picks a room in "Move to…"; the
  time of that ``change`` event to the moment the card sits in the new column on page B
  (host notebook B, another kernel, another AssignmentBoard of the same class). Clocks:
  ``performance.timeOrigin + performance.now()`` on both pages (one machine). Baseline:
  the same on a 10-person class with 2 rooms.
"""

from __future__ import annotations

import argparse
import json
import platform
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from browser_harness import (  # noqa: E402
    HarnessError,
    LabServer,
    MeetingService,
    chromium,
    require_views,
)
from notebook_page import NotebookPage, write_notebook  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "views.json"
TARGET_RENDER_MS = 150.0
TARGET_MOVE_MS = 250.0

# Stamps roster messages as they arrive on any WebSocket of the page (armed on demand),
# and waits for cards in a board (MutationObserver). Installed before Jupyter's scripts.
PROBE = r"""
(() => {
  const probe = { armed: false, rosterAt: [] };
  window.__bwProbe = probe;
  const Native = window.WebSocket;
  const decoder = new TextDecoder();
  const ROSTER = /"kind":\s*"roster",\s*"full":\s*true/;
  class ProbedWebSocket extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (ev) => {
        if (!probe.armed) return;
        const data = ev.data;
        const text = typeof data === 'string' ? data
          : data instanceof ArrayBuffer ? decoder.decode(data) : '';
        if (ROSTER.test(text)) probe.rosterAt.push(performance.now());
      });
    }
  }
  window.WebSocket = ProbedWebSocket;

  // Resolve when the newest board shows `expected` cards: {roster, dom, layout, painted}.
  probe.armRender = (expected, before) => {
    probe.rosterAt = [];
    probe.armed = true;
    probe.render = new Promise((resolve) => {
      const check = () => {
        const boards = document.querySelectorAll('[data-testid="bw-board"]');
        if (boards.length <= before) return false;
        const board = boards[boards.length - 1];
        if (board.querySelectorAll('[data-testid="bw-card"]').length < expected) return false;
        const dom = performance.now();
        observer.disconnect();
        probe.armed = false;
        void board.getBoundingClientRect();  // style and layout, synchronously
        const layout = performance.now();
        // After the next frame was produced: a message posted from rAF runs after paint.
        requestAnimationFrame(() => {
          const channel = new MessageChannel();
          channel.port1.onmessage = () => resolve({ roster: probe.rosterAt[0] ?? null, dom,
                                                    layout, painted: performance.now() });
          channel.port2.postMessage(0);
        });
        return true;
      };
      const observer = new MutationObserver(check);
      observer.observe(document.body, { childList: true, subtree: true });
    });
  };

  // Resolve (epoch ms) when participant `pid` sits in column `room` of the first board.
  probe.armMove = (pid, room) => {
    probe.move = new Promise((resolve) => {
      const board = document.querySelector('[data-testid="bw-board"]');
      const where = () => {
        const card = board.querySelector(`[data-participant-id="${pid}"]`);
        const col = card && card.closest('[data-testid="bw-column"]');
        return col ? col.getAttribute('data-room-id') : null;
      };
      const observer = new MutationObserver(() => {
        if (where() !== room) return;
        observer.disconnect();
        resolve(performance.timeOrigin + performance.now());
      });
      observer.observe(board, { childList: true, subtree: true });
    });
  };

  // The time of the user's pick in "Move to…" (capture phase: before the view acts).
  document.addEventListener('change', (ev) => {
    if (ev.target && ev.target.matches && ev.target.matches('[data-testid="bw-move-to"]')) {
      probe.actionAt = performance.timeOrigin + performance.now();
    }
  }, true);
})();
"""

# Rejects after 20 s: a view that never shows what it should fails the run, never hangs it.
TIMEOUT_JS = "new Promise((_, no) => setTimeout(() => no(new Error('timed out')), 20000))"

SETUP = """
import json, pathlib
import breakout_widgets as bw
info = json.loads(pathlib.Path({info!r}).read_text())
cls = bw.Classroom.join(info["url"], info["host_token"])
board = bw.AssignmentBoard(cls)
len(board.participants)
"""


class BenchTimeout(Exception):
    pass


def summary(values_ms: list[float]) -> dict[str, float]:
    ordered = sorted(values_ms)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(ordered[-1], 2),
    }


def make_class(
    url: str, admin_key: str, title: str, people: int, rooms: int, folder: Path
) -> tuple[Path, list[str]]:
    """A class made from this process; its host token goes to a file the notebooks read."""
    import breakout_widgets as bw

    cls = bw.Classroom.create(url, admin_key=admin_key, title=title, host="Ms. Rivera")
    if people:
        cls.invite_many([f"student{i:03d}" for i in range(people)])
    if rooms:
        cls.breakout.create(rooms)
        cls.breakout.shuffle(seed=7)
    path = folder / f"{title.replace(' ', '-')}.json"
    path.write_text(json.dumps({"url": url, "host_token": cls.token}))
    room_ids = [r.id for r in cls.breakout.rooms]
    cls.close()
    return path, room_ids


def open_board(context: Any, lab: LabServer, name: str, info: Path, ws: str) -> NotebookPage:
    path = write_notebook(lab.notebooks, name, [SETUP.format(info=str(info))])
    nbp = NotebookPage.open_lab(context, lab, path, ws)  # the context adds PROBE
    nbp.run_all()
    return nbp


def measure_render(nbp: NotebookPage, repeats: int) -> list[dict[str, float]]:
    """Show the board again in a new cell ``repeats`` times (after one warm-up); delete
    the cell after each, so one view at a time is in the page."""
    expected = int(nbp.output_text(0).strip())
    nbp.front()  # a page behind another one gets about one frame a second
    out = []
    for i in range(repeats + 1):
        before = nbp.js("() => document.querySelectorAll('[data-testid=\"bw-board\"]').length")
        nbp.js("([n, b]) => window.__bwProbe.armRender(n, b)", [expected, before])
        nbp.run_cell("display(board)")
        r = nbp.page.evaluate(f"() => Promise.race([window.__bwProbe.render, {TIMEOUT_JS}])")
        if r["roster"] is None:
            raise HarnessError("the full-roster message was not seen on the kernel WebSocket")
        if i:
            out.append({k: r[k] - r["roster"] for k in ("dom", "layout", "painted")})
        nbp.js(
            """p => { const m = window.__bw.panel(p).content.model.sharedModel;
                      m.deleteCell(m.cells.length - 1); }""",
            nbp.path,
        )
    return out


def measure_moves(
    a: NotebookPage, b: NotebookPage, room_ids: list[str], repeats: int
) -> dict[str, list[float]]:
    """Move a different person each time (after one warm-up) in page A; wait until page B
    (and page A) show it."""
    for page in (a, b):  # one view of the board on each page
        expected = int(page.output_text(0).strip())
        page.run_cell("display(board)")
        page.page.wait_for_function(
            "n => document.querySelectorAll('[data-testid=\"bw-card\"]').length === n", arg=expected
        )
    a.front()  # the page that takes the clicks (input to a page behind waits for frames)
    cards = a.page.get_by_test_id("bw-card")
    people = a.js(
        """() => [...document.querySelectorAll('[data-testid="bw-card"]')]
                 .filter(c => !c.querySelector('.bw-host'))
                 .map(c => [c.dataset.participantId,
                            c.closest('[data-testid="bw-column"]').dataset.roomId])"""
    )
    remote, local = [], []
    move_to = a.page.get_by_test_id("bw-move-to")
    for i in range(repeats + 1):
        pid, room = people[(i * 7) % len(people)]
        target = next(r for r in room_ids[i % len(room_ids) :] + room_ids if r != room)
        b.js("([p, r]) => window.__bwProbe.armMove(p, r)", [pid, target])
        a.js("([p, r]) => window.__bwProbe.armMove(p, r)", [pid, target])
        card = cards.and_(a.page.locator(f'[data-participant-id="{pid}"]'))
        if card.get_attribute("aria-pressed") != "true":
            card.click()  # selects it (a click on a selected card would unselect it)
        move_to.select_option(value=target)
        shown_b = b.page.evaluate(f"() => Promise.race([window.__bwProbe.move, {TIMEOUT_JS}])")
        shown_a = a.page.evaluate(f"() => Promise.race([window.__bwProbe.move, {TIMEOUT_JS}])")
        acted = a.js("() => window.__bwProbe.actionAt")
        if i:
            remote.append(shown_b - acted)
            local.append(shown_a - acted)
        people[(i * 7) % len(people)] = [pid, target]
    return {"remote": remote, "local": local}


def run(args: argparse.Namespace) -> dict[str, Any]:
    require_views()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bw-views-bench-") as tmp:
        base = Path(tmp)
        service = MeetingService(base / "service").start()
        lab = LabServer(
            base / "lab",
            env={
                "BREAKOUT_WIDGETS_URL": service.url,
                "BREAKOUT_WIDGETS_ADMIN_KEY": service.admin_key,
            },
        )
        try:
            lab.start()
            folder = lab.notebooks
            folder.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            big, big_rooms = make_class(
                service.url, service.admin_key, "Big class", args.people, args.rooms, folder
            )
            small, small_rooms = make_class(
                service.url, service.admin_key, "Small class", 10, 2, folder
            )
            empty, _ = make_class(service.url, service.admin_key, "Empty class", 0, 0, folder)
            results["setup_s"] = round(time.perf_counter() - t0, 2)
            with chromium() as browser:
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                context.set_default_timeout(30_000)
                context.add_init_script(PROBE)
                pages = {}
                for key, info in (("empty", empty), ("small", small), ("big", big)):
                    pages[key] = open_board(context, lab, f"bench-{key}-a.ipynb", info, f"{key}a")
                renders = {k: measure_render(p, args.renders) for k, p in pages.items()}
                pages["empty"].close()
                results["chromium"] = browser.version
                b_small = open_board(context, lab, "bench-small-b.ipynb", small, "smallb")
                b_big = open_board(context, lab, "bench-big-b.ipynb", big, "bigb")
                moves_small = measure_moves(pages["small"], b_small, small_rooms, args.moves)
                moves_big = measure_moves(pages["big"], b_big, big_rooms, args.moves)
                context.close()
        finally:
            lab.stop()
            service.stop()
    results["render"] = {
        k: {m: summary([r[m] for r in v]) for m in ("dom", "layout", "painted")}
        for k, v in renders.items()
    }
    results["move"] = {
        "small": {"remote": summary(moves_small["remote"]), "local": summary(moves_small["local"])},
        "big": {"remote": summary(moves_big["remote"]), "local": summary(moves_big["local"])},
    }
    return results


def table(results: dict[str, Any], args: argparse.Namespace) -> str:
    """One row per measure; "×base" is the median over the baseline's median (the empty
    board for renders, the 10-person class for moves); "ok" compares p95 with the target."""
    r, m = results["render"], results["move"]
    big = f"{args.people} people / {args.rooms} rooms"
    rows = []
    for phase, label in (("dom", "cards in DOM"), ("layout", "+ layout"), ("painted", "painted")):
        target = TARGET_RENDER_MS if phase == "dom" else None
        rows += [
            (f"render, host only: {label}", r["empty"][phase], None, None),
            (f"render, 10 people / 2 rooms: {label}", r["small"][phase], None, r["empty"][phase]),
            (f"render, {big}: {label}", r["big"][phase], target, r["empty"][phase]),
        ]
    rows += [
        ("move, 10 people: page A -> page B", m["small"]["remote"], None, None),
        (
            f"move, {big}: page A -> page B",
            m["big"]["remote"],
            TARGET_MOVE_MS,
            m["small"]["remote"],
        ),
        ("move, 10 people: page A -> page A", m["small"]["local"], None, None),
        (f"move, {big}: page A -> page A", m["big"]["local"], None, m["small"]["local"]),
    ]
    head = f"{'measure':52} {'n':>3} {'median':>9} {'p95':>9} {'max':>9} {'target':>8} {'×base':>6}"
    lines = [head, "-" * len(head)]
    for name, s, target, base in rows:
        ratio = f"{s['median_ms'] / base['median_ms']:.1f}" if base and base["median_ms"] else ""
        tgt = f"<{target:.0f}" if target else ""
        ok = "" if not target else (" ok" if s["p95_ms"] < target else " SLOW")
        lines.append(
            f"{name:52} {s['n']:>3} {s['median_ms']:>7.1f}ms {s['p95_ms']:>7.1f}ms "
            f"{s['max_ms']:>7.1f}ms {tgt:>8} {ratio:>6}{ok}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--renders", type=int, default=15)
    parser.add_argument("--moves", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=300.0, help="give up after (s)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    def give_up(signum: int, frame: object) -> None:
        raise BenchTimeout(f"gave up after {args.timeout:.0f} s (signal {signum})")

    signal.signal(signal.SIGALRM, give_up)
    signal.signal(signal.SIGTERM, give_up)
    signal.alarm(int(args.timeout))
    started = time.perf_counter()
    try:
        results = run(args)
    except (HarnessError, BenchTimeout) as exc:
        print(f"views benchmark failed: {exc}", file=sys.stderr)
        return 2
    finally:
        signal.alarm(0)
    results["total_s"] = round(time.perf_counter() - started, 1)
    results["config"] = {
        "people": args.people,
        "rooms": args.rooms,
        "renders": args.renders,
        "moves": args.moves,
        "targets_ms": {"render": TARGET_RENDER_MS, "move": TARGET_MOVE_MS},
        "machine": {"python": platform.python_version(), "cpus": _cpus()},
    }
    print(table(results, args))
    text = json.dumps(results, indent=2)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")
    return 0


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


if __name__ == "__main__":
    sys.exit(main())
