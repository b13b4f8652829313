"""Driving a notebook in a browser page: JupyterLab 4 and Notebook 7 alike.

A test writes a notebook (``write_notebook``), opens it (``NotebookPage.open_lab`` or
``open_notebook7``), runs every cell and waits until they all ran, then drives the
kernel one cell at a time (``run_cell``): the cell is added at the end of the open
notebook and run there, so widgets it displays render in the page.

Everything waits on a condition with a deadline, never a fixed sleep. Both front ends
expose ``window.jupyterapp`` (the server is started with ``expose_app_in_browser``); the
helpers find the notebook panel by its path through it.
"""

from __future__ import annotations

import itertools
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

ROOT = Path(__file__).resolve().parents[2]
# Screenshots are taken on every run (a view that cannot be painted fails), but they
# replace the README's images only when asked: BW_UPDATE_SCREENSHOTS=1 pytest tests/browser
IMAGES = (
    ROOT / "docs" / "images"
    if os.environ.get("BW_UPDATE_SCREENSHOTS")
    else Path(tempfile.gettempdir()) / "breakout-widgets-screenshots"
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
VIEWPORT = {"width": 1280, "height": 900}
_workspaces = itertools.count(1)

# Defines window.__bw helpers in every page before Jupyter's own scripts run.
INIT_SCRIPT = """
window.__bw = {
  panel(path) {
    const app = window.jupyterapp;
    if (!app || !app.shell) return null;
    for (const w of app.shell.widgets('main')) {
      if (w.context && w.context.path === path && w.content && w.sessionContext) return w;
    }
    return null;
  },
  kernelIdle(path) {
    const p = this.panel(path);
    const kernel = p && p.sessionContext.session && p.sessionContext.session.kernel;
    return !!(p && p.context.isReady && kernel && kernel.status === 'idle'
              && kernel.connectionStatus === 'connected');
  },
  codeCells(path) {
    return this.panel(path).content.widgets.filter(c => c.model.type === 'code');
  },
  errors(cells) {
    const out = [];
    for (const c of cells) {
      for (const o of c.model.outputs.toJSON()) {
        if (o.output_type === 'error') out.push({ename: o.ename, evalue: o.evalue,
                                                  traceback: (o.traceback || []).join('\\n'),
                                                  source: c.model.sharedModel.getSource()});
      }
    }
    return out;
  },
  progress(path) {
    const cells = this.codeCells(path);
    const ran = cells.filter(c => c.model.executionCount !== null).length;
    const pending = cells.filter(c => {
      const prompt = c.node.querySelector('.jp-InputPrompt');
      return prompt && prompt.textContent.includes('*');
    }).length;
    return {total: cells.length, ran, pending, idle: this.kernelIdle(path),
            errors: this.errors(cells)};
  },
};
"""


class NotebookError(AssertionError):
    """A cell raised, or the notebook did not run in time."""


def write_notebook(folder: Path, name: str, cells: list[str]) -> str:
    """Write ``name`` (an .ipynb) with one code cell per source; return its path."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return name


def _text_of(outputs: list[dict[str, Any]]) -> str:
    parts = []
    for o in outputs:
        if o.get("output_type") == "stream":
            text = o.get("text", "")
            parts.append("".join(text) if isinstance(text, list) else text)
        elif o.get("output_type") in ("execute_result", "display_data"):
            plain = o.get("data", {}).get("text/plain")
            if plain is not None and "application/vnd.jupyter.widget-view+json" not in o.get(
                "data", {}
            ):
                parts.append(("".join(plain) if isinstance(plain, list) else plain) + "\n")
    return "".join(parts)


def _raise_errors(errors: list[dict[str, Any]], where: str) -> None:
    if errors:
        e = errors[0]
        raise NotebookError(
            f"a cell of {where} raised {e['ename']}: {e['evalue']}\n--- cell ---\n"
            f"{e['source']}\n--- traceback ---\n{ANSI.sub('', e['traceback'])}"
        )


@dataclass
class NotebookPage:
    """One browser page showing one notebook."""

    page: Any  # playwright.sync_api.Page
    path: str
    ui: str  # "lab" or "notebook7"
    dialogs: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)  # uncaught errors of the views

    @classmethod
    def _new(cls, context: Any, path: str, ui: str) -> NotebookPage:
        page = context.new_page()
        nbp = cls(page, path, ui)
        page.add_init_script(INIT_SCRIPT)

        def on_dialog(dialog: Any) -> None:  # record (the XSS check) and never block
            nbp.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", nbp._on_page_error)
        return nbp

    @classmethod
    def open_lab(cls, context: Any, lab: Any, path: str, workspace: str) -> NotebookPage:
        nbp = cls._new(context, path, "lab")
        nbp.page.goto(lab.lab_url(path, workspace), wait_until="domcontentloaded")
        nbp.wait_kernel_ready()
        return nbp

    @classmethod
    def open_notebook7(cls, context: Any, lab: Any, path: str) -> NotebookPage:
        nbp = cls._new(context, path, "notebook7")
        nbp.page.goto(lab.notebook7_url(path), wait_until="domcontentloaded")
        nbp.wait_kernel_ready()
        return nbp

    def _on_page_error(self, exc: Any) -> None:
        # The views are ES modules that anywidget loads from blob: URLs; errors of
        # Jupyter's own code (Notebook 7 logs a few on load) are not the views' business.
        stack = getattr(exc, "stack", None) or ""
        if "blob:" in stack:
            self.page_errors.append(f"{exc}\n{stack}")

    # --- waiting -------------------------------------------------------------------

    def front(self) -> Any:
        """Bring this page to the front and return it. Chromium delivers input to a page
        behind another one only about once a second (each mouse move waits for a frame),
        so every test brings the page it clicks or types in to the front first."""
        self.page.bring_to_front()
        return self.page

    def js(self, expression: str, arg: Any = None) -> Any:
        return self.page.evaluate(expression, arg)

    def wait_kernel_ready(self, timeout: float = 60.0) -> None:
        """The kernel exists, is connected and idle: only then is a Run All not dropped.

        In Lab this is the status bar's "(ipykernel) | Idle" (measured in MACHINE-NOTES);
        Notebook 7 has no status bar, so both wait on the same condition of the session.
        """
        ms = timeout * 1000
        self.page.wait_for_function("p => window.__bw.kernelIdle(p)", arg=self.path, timeout=ms)
        if self.ui == "lab":
            self.page.get_by_text("(ipykernel) | Idle").first.wait_for(timeout=ms)

    def run_all(self, timeout: float = 90.0) -> None:
        """Run All, and wait until every code cell ran and the kernel is idle again.

        A cell that raises fails at once with its traceback. If the Run All was dropped
        (no cell started within a few seconds) it is sent once more: it cannot run any
        cell twice, since none ran.
        """
        self.js("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        deadline = time.monotonic() + timeout
        resent = False
        started = time.monotonic()
        while True:
            p = self.js("p => window.__bw.progress(p)", self.path)
            _raise_errors(p["errors"], self.path)
            if p["ran"] == p["total"] and p["pending"] == 0 and p["idle"]:
                return
            if (
                not resent
                and p["ran"] == 0
                and p["pending"] == 0
                and p["idle"]
                and time.monotonic() - started > 5
            ):
                resent = True
                self.js("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            if time.monotonic() > deadline:
                raise NotebookError(f"{self.path} did not finish running in {timeout} s: {p}")
            self.page.wait_for_timeout(50)

    def start_cell(self, code: str) -> str:
        """Add a cell with ``code`` at the end of the notebook and start it; return its id
        at once (the cell may still be running: see ``cell_state``)."""
        return self.js(
            """([path, code]) => {
                const panel = window.__bw.panel(path);
                const nb = panel.content;
                const index = nb.model.cells.length;
                const shared = nb.model.sharedModel.insertCell(index, {cell_type: 'code',
                                                                       source: code});
                nb.activeCellIndex = index;
                window.jupyterapp.shell.activateById(panel.id);
                window.jupyterapp.commands.execute('notebook:run-cell');  // not awaited
                return shared.getId();
            }""",
            [self.path, code],
        )

    def cell_state(self, cell_id: str) -> dict[str, Any]:
        """``{"done", "text", "errors"}`` of a cell started with ``start_cell``."""
        state = self.js(
            """([path, id]) => {
                const cell = window.__bw.panel(path).content.widgets
                    .find(c => c.model.sharedModel.getId() === id);
                return {count: cell.model.executionCount,
                        outputs: cell.model.outputs.toJSON(),
                        errors: window.__bw.errors([cell])};
            }""",
            [self.path, cell_id],
        )
        return {
            "done": state["count"] is not None,
            "text": _text_of(state["outputs"]),
            "errors": state["errors"],
        }

    def run_cell(self, code: str, timeout: float = 30.0) -> str:
        """Add a cell with ``code`` at the end of the notebook, run it, wait for it and
        return its text output (stream and ``text/plain``). Raises if the cell raises."""
        cell_id = self.start_cell(code)
        deadline = time.monotonic() + timeout
        while True:
            state = self.cell_state(cell_id)
            _raise_errors(state["errors"], f"{self.path} (run_cell)")
            if state["done"]:
                return state["text"]
            if time.monotonic() > deadline:
                raise NotebookError(f"the cell did not finish in {timeout} s:\n{code}")
            self.page.wait_for_timeout(30)

    def output_text(self, index: int) -> str:
        """The text output of code cell ``index`` (0-based among code cells)."""
        outputs = self.js(
            "([p, i]) => window.__bw.codeCells(p)[i].model.outputs.toJSON()", [self.path, index]
        )
        return _text_of(outputs)

    def set_theme(self, theme: str) -> None:
        """'JupyterLab Dark' or 'JupyterLab Light'; waits until the page shows it."""
        self.js(
            "t => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", theme
        )
        light = "true" if "Light" in theme else "false"
        self.page.wait_for_function(
            "l => document.body.dataset.jpThemeLight === l", arg=light, timeout=20_000
        )

    def close(self) -> None:
        self.page.close()


def screenshot(locator: Any, name: str) -> Path:
    """A PNG of one element (small: clipped to the widget): ``docs/images/<name>.png``
    with ``BW_UPDATE_SCREENSHOTS=1``, else in a temporary folder."""
    IMAGES.mkdir(parents=True, exist_ok=True)
    path = IMAGES / f"{name}.png"
    locator.page.bring_to_front()  # a page behind another one paints about once a second
    locator.page.evaluate("() => document.activeElement && document.activeElement.blur()")
    locator.scroll_into_view_if_needed()
    locator.screenshot(path=str(path), animations="disabled", caret="hide")
    return path


def new_context(browser: Any) -> Any:
    """A browser context of the tests' size (1× pixels keep screenshots small)."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    context.set_default_timeout(20_000)
    return context


def open_page(context: Any, lab: Any, name: str, cells: list[str], ui: str) -> NotebookPage:
    """Write notebook ``name`` into Lab's root folder and open it (``ui``: "lab" in a
    workspace of its own, or "notebook7"), waiting until its kernel is idle."""
    path = write_notebook(Path(lab.notebooks), name, cells)
    if ui == "lab":
        return NotebookPage.open_lab(context, lab, path, f"ws{next(_workspaces)}")
    if ui == "notebook7":
        return NotebookPage.open_notebook7(context, lab, path)
    raise ValueError(f"unknown ui {ui!r}")


def assert_no_dialogs(pages: list[NotebookPage]) -> None:
    fired = [f"{p.path}: {d}" for p in pages for d in p.dialogs]
    assert not fired, f"a page opened a dialog (script ran from page content): {fired}"
