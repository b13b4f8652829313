"""Fixtures of the browser tests: one meeting service and one JupyterLab server for the
whole session, one headless Chromium per test module, pages per test or per module.

Nothing is skipped: a missing Chromium, missing bundled views or a server that does not
start fail the tests that need them, with a message that says what to do.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import pytest
from browser_harness import (
    HarnessError,
    LabServer,
    MeetingService,
    chromium,
    require_views,
    stop_on_sigterm,
)
from notebook_page import NotebookPage, assert_no_dialogs, new_context, open_page
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

# Every expect() polls up to this long (Playwright's default is 5 s; a 2-core machine
# running Lab, kernels, the service and Chromium is sometimes slower than that).
expect.set_options(timeout=15_000)


def _fail(exc: BaseException) -> NoReturn:
    """A failure (never a skip) that says what is missing, without a traceback."""
    raise pytest.fail.Exception(f"browser test harness: {exc}", pytrace=False) from None


@pytest.fixture(scope="session")
def bw_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MeetingService]:
    """The project's meeting service on 127.0.0.1, SQLite in a temporary folder."""
    stop_on_sigterm()  # a SIGTERM still runs the finalizers that stop the servers
    try:
        service = MeetingService(tmp_path_factory.mktemp("service")).start()
    except HarnessError as exc:
        _fail(exc)
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture(scope="session")
def lab(
    tmp_path_factory: pytest.TempPathFactory, bw_service: MeetingService
) -> Iterator[LabServer]:
    """A JupyterLab server (also serving Notebook 7) whose kernels can reach the service
    through ``BREAKOUT_WIDGETS_URL`` and ``BREAKOUT_WIDGETS_ADMIN_KEY``."""
    server = LabServer(
        tmp_path_factory.mktemp("lab"),
        env={
            "BREAKOUT_WIDGETS_URL": bw_service.url,
            "BREAKOUT_WIDGETS_ADMIN_KEY": bw_service.admin_key,
        },
    )
    try:
        server.start()
    except HarnessError as exc:
        _fail(exc)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright's sync API.

    Per module, not per session: a live sync Playwright marks an event loop as running
    in the main thread, which breaks the asyncio tests that pytest runs after this folder.
    Starting it takes well under a second."""
    try:
        with chromium() as b:
            yield b
    except HarnessError as exc:
        _fail(exc)


@pytest.fixture(scope="session")
def views_built() -> None:
    """The real widgets' bundled views exist (``npm run build``)."""
    try:
        require_views()
    except HarnessError as exc:
        _fail(exc)


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = new_context(browser)
    try:
        yield ctx
    finally:
        with contextlib.suppress(PlaywrightError):  # the browser may be gone (SIGTERM)
            ctx.close()


OpenNotebook = Callable[..., NotebookPage]


@pytest.fixture
def open_notebook(context: Any, lab: LabServer) -> Iterator[OpenNotebook]:
    """``open_notebook(name, cells, ui="lab" | "notebook7", run=True)``: write the notebook
    into Lab's root folder, open it in a new page, run all cells. No page may open a
    dialog (alert, confirm) during the test."""
    pages: list[NotebookPage] = []

    def open_(name: str, cells: list[str], ui: str = "lab", run: bool = True) -> NotebookPage:
        nbp = open_page(context, lab, name, cells, ui)
        pages.append(nbp)
        if run:
            nbp.run_all()
        return nbp

    yield open_
    assert_no_dialogs(pages)
