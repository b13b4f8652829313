"""The four views in JupyterLab 4 (and the student's in Notebook 7), end to end.

An instructor notebook and a student notebook run in two pages of one Chromium against
one meeting service. The steps build on each other, in file order, the way a class
goes: drag the student into a room, start, the student's switcher and chat follow,
chat both ways, vote, text that looks like HTML stays text, and changes made while no
cell runs still reach the views. The README's screenshots are taken here too
(``BW_UPDATE_SCREENSHOTS=1`` writes them to ``docs/images/``).

A test-side controller (``self.host``: the instructor's own token, used from pytest)
checks what the service holds and makes changes from outside the notebooks.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from notebook_page import NotebookPage, assert_no_dialogs, new_context, open_page, screenshot
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

import breakout_widgets as bw

XSS = "<img src=x onerror=alert(1)>"
INFO = "algebra.json"

INSTRUCTOR = [
    f"""
import json, pathlib, threading
import breakout_widgets as bw

svc = bw.Service.from_env()  # the harness's service, as `breakout-widgets lab` would set it
cls = bw.Classroom.create(svc.url, admin_key=svc.admin_key, title="Algebra 1", host="Ms. Rivera")
ada = cls.invite("Ada Lovelace")
grace = cls.invite("Grace Hopper")
xss = cls.invite({XSS!r})
rooms = cls.breakout.create(["Red", "Blue"])
pathlib.Path({INFO!r}).write_text(json.dumps({{
    "url": cls.url, "host": cls.token, "ada": ada.token, "grace": grace.token,
    "xss": xss.token, "rooms": {{r.title: r.id for r in rooms}},
}}))
print("ready")
""",
    "board = bw.AssignmentBoard(cls)\nboard",
]


def student_cells(who: str) -> list[str]:
    return [
        f"""
import json, pathlib
import breakout_widgets as bw

info = json.loads(pathlib.Path({INFO!r}).read_text())
me = bw.Classroom.join(info["url"], info[{who!r}])
switcher = bw.MeetingSwitcher(me)
switcher
""",
        "chat = bw.Chat(me)\nchat",
    ]


@dataclass
class Scene:
    teacher: NotebookPage
    student: NotebookPage
    info: dict[str, Any]
    host: bw.Classroom  # the instructor's controller, driven from pytest
    xss: bw.Classroom  # the student whose name is markup, driven from pytest
    context: Any
    lab: Any

    def room(self, title: str) -> str:
        return self.info["rooms"][title]

    @property
    def board(self) -> Locator:
        return self.teacher.page.get_by_test_id("bw-board")

    def card(self, name: str) -> Locator:
        return self.board.get_by_test_id("bw-card").filter(has_text=name)

    def column(self, room_id: str) -> Locator:
        return self.board.locator(f'[data-testid="bw-column"][data-room-id="{room_id}"]')

    def card_in(self, name: str, room_id: str) -> Locator:
        return self.column(room_id).get_by_test_id("bw-card").filter(has_text=name)

    def assigned(self) -> dict[str, list[str]]:
        return {r.title: sorted(r.names) for r in self.host.breakout.rooms}


@pytest.fixture(scope="module")
def scene(browser: Any, lab: Any, views_built: None) -> Iterator[Scene]:
    context = new_context(browser)
    controllers: list[bw.Classroom] = []
    try:
        teacher = open_page(context, lab, "instructor.ipynb", INSTRUCTOR, "lab")
        teacher.run_all()
        assert teacher.output_text(0) == "ready\n"
        info = json.loads((lab.notebooks / INFO).read_text())
        student = open_page(context, lab, "student.ipynb", student_cells("ada"), "lab")
        student.run_all()
        host = bw.Classroom.join(info["url"], info["host"])
        controllers.append(host)
        xss = bw.Classroom.join(info["url"], info["xss"])
        controllers.append(xss)
        yield Scene(teacher, student, info, host, xss, context, lab)
    finally:
        for controller in controllers:
            controller.close()
        with contextlib.suppress(PlaywrightError):  # the browser may be gone (SIGTERM)
            context.close()


@pytest.fixture(autouse=True)
def _no_script_ran(scene: Scene) -> Iterator[None]:
    """After every step: no page opened a dialog and no view threw."""
    yield
    pages = [scene.teacher, scene.student]
    assert_no_dialogs(pages)
    errors = [e for p in pages for e in p.page_errors]
    assert not errors, f"uncaught errors in the pages: {errors}"


def no_markup(page: Page) -> None:
    """Nothing in the views became an element: no <img>, in the widgets or anywhere."""
    expect(page.locator(".bw-root img")).to_have_count(0)
    expect(page.locator('img[src="x"]')).to_have_count(0)


# --- the board before the breakout ---------------------------------------------------------


def test_board_shows_the_class(scene: Scene) -> None:
    expect(scene.board.get_by_test_id("bw-title")).to_have_text("Algebra 1")
    expect(scene.board.get_by_test_id("bw-card")).to_have_count(4)  # host + 3 students
    unassigned = scene.column("")
    for name in ("Ms. Rivera", "Ada Lovelace", "Grace Hopper", XSS):
        expect(unassigned.get_by_test_id("bw-card").filter(has_text=name)).to_have_count(1)
    for room in ("Red", "Blue"):
        expect(scene.column(scene.room(room))).to_contain_text(room)
    # The name that is markup is shown as its characters, and in data-name as a value.
    card = scene.card(XSS)
    expect(card).to_have_attribute("data-name", XSS)
    expect(card.locator(".bw-name")).to_have_text(XSS)
    no_markup(scene.teacher.page)


def test_drag_a_card_to_a_room(scene: Scene) -> None:
    scene.teacher.front()
    red = scene.column(scene.room("Red"))
    scene.card("Ada Lovelace").drag_to(red)
    expect(scene.card_in("Ada Lovelace", scene.room("Red"))).to_be_visible()
    scene.card(XSS).drag_to(red)
    expect(scene.card_in(XSS, scene.room("Red"))).to_be_visible()
    expect(red.get_by_test_id("bw-count")).to_have_text("2")
    assert scene.assigned() == {"Red": sorted(["Ada Lovelace", XSS]), "Blue": []}


def test_move_with_the_keyboard(scene: Scene) -> None:
    page = scene.teacher.front()
    cells = "p => window.__bw.panel(p).content.model.cells.length"
    before = scene.teacher.js(cells, scene.teacher.path)
    card = scene.card("Grace Hopper")
    card.focus()
    # Keys on a focused card belong to the board, not to the notebook's command mode,
    # where "b" inserts a cell below and the arrow keys move to another cell.
    page.keyboard.press("b")
    assert scene.teacher.js(cells, scene.teacher.path) == before, (
        "a key pressed on a board card ran a notebook shortcut ('b' inserted a cell): "
        "the views' focusable elements need data-lm-suppress-shortcuts"
    )
    expect(card).to_be_focused()
    page.keyboard.press("Enter")  # selects the card and focuses "Move to…"
    expect(card).to_have_attribute("aria-pressed", "true")
    move_to = scene.board.get_by_test_id("bw-move-to")
    expect(move_to).to_be_focused()
    blue = scene.room("Blue")
    # Arrow keys only pick a room in the closed select; Enter moves.
    for _ in range(4):
        if move_to.input_value() == blue:
            break
        page.keyboard.press("ArrowDown")
    expect(move_to).to_be_focused()  # the arrows stayed in the widget
    assert move_to.input_value() == blue
    expect(scene.board.get_by_test_id("bw-selection")).to_have_text(
        "Press Enter to move Grace Hopper to Blue."
    )
    expect(scene.card_in("Grace Hopper", "")).to_be_visible()  # not moved yet
    page.keyboard.press("Enter")
    expect(scene.card_in("Grace Hopper", blue)).to_be_visible()
    assert scene.assigned()["Blue"] == ["Grace Hopper"]
    card.focus()
    page.keyboard.press("Escape")  # unselects
    expect(card).to_have_attribute("aria-pressed", "false")
    assert scene.teacher.js(cells, scene.teacher.path) == before


# --- the breakout runs: the student follows --------------------------------------------------


def test_start_and_the_student_follows(scene: Scene) -> None:
    student = scene.student.page
    here = student.locator('[data-testid="bw-meeting"][data-current="true"]')
    expect(here).to_contain_text("Main meeting")
    expect(student.get_by_test_id("bw-chat-room")).to_contain_text("Main meeting")

    scene.teacher.front()
    scene.board.get_by_test_id("bw-start").click()
    scene.board.get_by_test_id("bw-duration").fill("30")
    scene.board.get_by_test_id("bw-warning").fill("1")
    scene.board.get_by_test_id("bw-start-confirm").click()

    expect(scene.board.get_by_test_id("bw-status")).to_have_attribute("data-status", "running")
    expect(scene.board.get_by_test_id("bw-time-left")).to_have_text(re.compile(r"^29:\d\d left$"))
    expect(here).to_contain_text("Red")
    expect(here).to_have_attribute("data-meeting-id", scene.room("Red"))
    expect(student.get_by_test_id("bw-chat-room")).to_contain_text("Red")
    expect(student.get_by_test_id("bw-time-left")).to_have_text(re.compile(r"29:\d\d left"))
    assert scene.host.breakout.status == "running"

    screenshot(scene.board, "board")
    screenshot(student.get_by_test_id("bw-switcher"), "switcher")


def test_chat_both_ways(scene: Scene) -> None:
    scene.teacher.run_cell('red_chat = bw.Chat(cls, meeting="Red")\nred_chat')
    teacher_chat = scene.teacher.page.get_by_test_id("bw-chat").last
    student_chat = scene.student.page.get_by_test_id("bw-chat")
    expect(teacher_chat.get_by_test_id("bw-chat-room")).to_contain_text("Red")

    scene.student.front()
    student_chat.get_by_test_id("bw-chat-input").fill("Hello from Ada")
    student_chat.get_by_test_id("bw-chat-input").press("Enter")
    line = teacher_chat.get_by_test_id("bw-chat-message").filter(has_text="Hello from Ada")
    expect(line).to_contain_text("Ada Lovelace")
    expect(student_chat.get_by_test_id("bw-chat-input")).to_have_value("")

    scene.teacher.front()
    teacher_chat.get_by_test_id("bw-chat-input").fill("Welcome to Red, see https://example.org")
    teacher_chat.get_by_test_id("bw-chat-input").press("Enter")
    line = student_chat.get_by_test_id("bw-chat-message").filter(has_text="Welcome to Red")
    expect(line).to_contain_text("Ms. Rivera")
    link = line.get_by_role("link", name="https://example.org")
    expect(link).to_have_attribute("rel", re.compile("noopener"))
    assert [m.text for m in scene.host.chat.history("Red")] == [
        "Hello from Ada",
        "Welcome to Red, see https://example.org",
    ]
    screenshot(student_chat, "chat")


def test_vote_and_the_bars_follow(scene: Scene) -> None:
    scene.teacher.run_cell(
        'poll = cls.polls.create("Which sort is faster on big lists?", '
        '["Merge sort", "Bubble sort"], meeting="Red")\nbw.PollWidget(poll)'
    )
    scene.student.run_cell("bw.PollWidget(me.polls.list()[-1])")
    teacher_poll = scene.teacher.page.get_by_test_id("bw-poll")
    student_poll = scene.student.page.get_by_test_id("bw-poll")
    expect(student_poll.get_by_test_id("bw-poll-question")).to_have_text(
        "Which sort is faster on big lists?"
    )

    def bar(option: str) -> Locator:
        return teacher_poll.locator(f'[data-testid="bw-poll-bar"][data-option="{option}"]')

    scene.student.front()
    student_poll.locator('[data-testid="bw-poll-option"][data-option="Merge sort"]').click()
    expect(bar("Merge sort")).to_have_attribute("style", re.compile(r"width: 100%"))
    expect(teacher_poll.get_by_test_id("bw-poll-status")).to_contain_text("1 vote")

    # A second vote from outside any notebook (no cell runs): the bars move by themselves.
    scene.xss.polls.list()[-1].vote("Bubble sort")
    expect(bar("Merge sort")).to_have_attribute("style", re.compile(r"width: 50%"))
    expect(bar("Bubble sort")).to_have_attribute("style", re.compile(r"width: 50%"))
    expect(teacher_poll.get_by_test_id("bw-poll-status")).to_contain_text("2 votes")
    expect(student_poll.get_by_test_id("bw-poll-status")).to_contain_text("2 votes")
    assert scene.host.polls.list("Red")[-1].results() == {"Merge sort": 1, "Bubble sort": 1}
    screenshot(teacher_poll, "poll")


def test_markup_in_names_and_messages_is_text(scene: Scene) -> None:
    student_chat = scene.student.page.get_by_test_id("bw-chat")
    teacher_chat = scene.teacher.page.get_by_test_id("bw-chat").last
    # From the page: Ada types it. From the service: the student named XSS sends it.
    scene.student.front()
    student_chat.get_by_test_id("bw-chat-input").fill(XSS)
    student_chat.get_by_test_id("bw-chat-input").press("Enter")
    scene.xss.chat.send(f"{XSS} says hi", client_id="xss-1")

    for chat in (student_chat, teacher_chat):
        lines = chat.get_by_test_id("bw-chat-message")
        mine = lines.filter(
            has=chat.page.locator(".bw-chat-text", has_text=re.compile("^" + re.escape(XSS) + "$"))
        )
        expect(mine).to_have_count(1)
        theirs = lines.filter(has_text=f"{XSS} says hi")
        expect(theirs.locator(".bw-chat-sender")).to_have_text(XSS)
    no_markup(scene.student.page)
    no_markup(scene.teacher.page)
    # The switcher and the board show the name as text too.
    expect(scene.card_in(XSS, scene.room("Red")).locator(".bw-name")).to_have_text(XSS)


def test_changes_while_no_cell_runs(scene: Scene) -> None:
    """A change made from pytest (another controller) and one from a thread of the
    instructor's kernel reach the board and the student's switcher with no cell running."""
    red, blue = scene.room("Red"), scene.room("Blue")
    student = scene.student.page
    red_row = student.locator(f'[data-testid="bw-meeting"][data-meeting-id="{red}"]')
    expect(red_row).to_contain_text("2 people")

    scene.host.breakout.move("Grace Hopper", "Red")
    expect(scene.card_in("Grace Hopper", red)).to_be_visible()
    expect(scene.column(blue).get_by_test_id("bw-count")).to_have_text("0")
    expect(red_row).to_contain_text("3 people")

    scene.teacher.run_cell(
        'threading.Timer(0.5, lambda: cls.breakout.rename("Blue", "Green")).start()'
    )
    expect(scene.column(blue).locator(".bw-column-title")).to_have_text("Green")
    green_row = student.locator(f'[data-testid="bw-meeting"][data-meeting-id="{blue}"]')
    expect(green_row).to_contain_text("Green")
    scene.info["rooms"]["Green"] = blue


def test_changes_while_a_long_cell_runs(scene: Scene) -> None:
    """The instructor's kernel is busy with a long cell; a move made elsewhere still
    reaches the board before that cell ends."""
    red = scene.room("Red")
    teacher = scene.teacher
    busy = teacher.start_cell('import time\nprint("busy", flush=True)\ntime.sleep(15)')
    deadline = time.monotonic() + 20
    while "busy" not in teacher.cell_state(busy)["text"]:
        assert time.monotonic() < deadline, "the long cell did not start"
        teacher.page.wait_for_timeout(50)
    scene.host.breakout.refresh()  # the kernel renamed a room since: look before writing
    scene.host.breakout.move("Ada Lovelace", None)
    expect(scene.card_in("Ada Lovelace", "")).to_be_visible(timeout=5_000)
    assert not teacher.cell_state(busy)["done"], "the board changed only after the cell"
    scene.host.breakout.move("Ada Lovelace", "Red")
    expect(scene.card_in("Ada Lovelace", red)).to_be_visible(timeout=5_000)
    assert not teacher.cell_state(busy)["done"]
    while not teacher.cell_state(busy)["done"]:  # leave the kernel idle for the next test
        assert time.monotonic() < deadline + 10, "the long cell never ended"
        teacher.page.wait_for_timeout(100)


def test_dark_theme(scene: Scene) -> None:
    """The views take their colours from Jupyter's theme variables."""
    teacher = scene.teacher
    title = scene.board.get_by_test_id("bw-title")
    assert brightness(title, "color") < 0.5 < brightness(scene.board, "background-color")
    teacher.set_theme("JupyterLab Dark")
    try:
        assert brightness(title, "color") > 0.5 > brightness(scene.board, "background-color")
        screenshot(scene.board, "board-dark")
    finally:
        teacher.set_theme("JupyterLab Light")


def brightness(locator: Locator, prop: str) -> float:
    """0 (black) … 1 (white): a computed colour's luma; a transparent background counts
    as the first opaque one behind it."""
    return locator.evaluate(
        """(el, prop) => {
            for (let node = el; node; node = node.parentElement) {
                const c = getComputedStyle(node)[prop].match(/[\\d.]+/g).map(Number);
                if (c.length === 4 && c[3] === 0) continue;
                return (0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]) / 255;
            }
            return 1;
        }""",
        prop,
    )


# --- Notebook 7 ------------------------------------------------------------------------------


def test_student_views_in_notebook7(scene: Scene) -> None:
    nb7 = open_page(
        scene.context, scene.lab, "student-nb7.ipynb", student_cells("grace"), "notebook7"
    )
    try:
        nb7.run_all()
        page = nb7.front()
        here = page.locator('[data-testid="bw-meeting"][data-current="true"]')
        expect(here).to_contain_text("Red")
        expect(page.get_by_test_id("bw-chat-room")).to_contain_text("Red")
        # The chat shows the room's history, the markup as text.
        expect(
            page.get_by_test_id("bw-chat-message").filter(has_text="Hello from Ada")
        ).to_have_count(1)
        no_markup(page)

        scene.host.breakout.move("Grace Hopper", "Green")
        expect(here).to_contain_text("Green")
        expect(page.get_by_test_id("bw-chat-room")).to_contain_text("Green")
        page.get_by_test_id("bw-chat-input").fill("Grace in Green")
        page.get_by_test_id("bw-chat-input").press("Enter")
        expect(
            page.get_by_test_id("bw-chat-message").filter(has_text="Grace in Green")
        ).to_contain_text("Grace Hopper")
        assert [m.text for m in scene.host.chat.history("Green")] == ["Grace in Green"]
        assert_no_dialogs([nb7])
        assert not nb7.page_errors, nb7.page_errors
    finally:
        nb7.close()
