"""The shipped instructor notebook, top to bottom in JupyterLab, with a live board.

This is what `scripts/run` (`breakout-widgets lab`) gives an instructor: the kernel
finds the service through the environment, and the board, the room's chat and the
poll render and show the lesson as it runs.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from notebook_page import NotebookPage, assert_no_dialogs, new_context
from playwright.sync_api import expect

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def test_the_instructor_notebook_runs_with_a_live_board(browser: Any, lab: Any) -> None:
    shutil.copy(NOTEBOOKS / "instructor.ipynb", Path(lab.notebooks) / "instructor.ipynb")
    context = new_context(browser)
    try:
        nbp = NotebookPage.open_lab(context, lab, "instructor.ipynb", "lesson")
        nbp.run_all(timeout=240)
        page = nbp.front()
        board = page.get_by_test_id("bw-board").first
        # The lesson ended with the rooms closed: host + 4 invited + 20 simulated students
        # are back in the main meeting, and the last rooms can be recreated.
        expect(board.get_by_test_id("bw-status")).to_have_attribute("data-status", "closed")
        expect(board.get_by_test_id("bw-card")).to_have_count(25)
        expect(board.get_by_test_id("bw-column")).to_have_count(1)
        expect(board.get_by_test_id("bw-recreate")).to_be_visible()
        online = board.locator("[data-testid=bw-card] [data-online=true]")
        assert online.count() >= 1  # the host's own connection, at least
        poll = page.get_by_test_id("bw-poll").first
        expect(poll.get_by_test_id("bw-poll-bar")).to_have_count(2)
        expect(poll.get_by_test_id("bw-poll-status")).to_contain_text(
            "Closed · final results · 20 votes"
        )
        chat = page.get_by_test_id("bw-chat").first
        expect(chat.get_by_test_id("bw-chat-room")).to_contain_text("Room 1")
        assert chat.get_by_test_id("bw-chat-message").count() >= 6
        assert not nbp.page_errors, nbp.page_errors
        assert_no_dialogs([nbp])
    finally:
        context.close()
