import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import board from "../board.js";
import { key, mount, type } from "./fake-model.js";

const ROOMS = [
  { id: "m_r1", title: "Room 1" },
  { id: "m_r2", title: "Room 2" },
];

function person(id, name, room_id = null, extra = {}) {
  return { id, name, host: false, room_id, meeting_id: "m_main", online: true, mic: false, camera: false, ...extra };
}

const PEOPLE = [
  person("p1", "Ada", "m_r1"),
  person("p2", "Grace", "m_r1"),
  person("p3", "Alan", "m_r2"),
  person("p4", "Edsger"),
  { ...person("p0", "Ms. Rivera"), host: true },
];

function setup(traits = {}) {
  const t = mount(board, {
    title: "Algebra 1",
    rooms: ROOMS,
    breakout: { status: "draft", closes_at: null, warning: null, can_recreate: false, version: 3 },
    help_queue: [],
    clock_offset: 0,
    ...traits,
  });
  const column = (roomId) => t.el.querySelector(`[data-testid="bw-column"][data-room-id="${roomId}"]`);
  const card = (id) => t.el.querySelector(`[data-testid="bw-card"][data-participant-id="${id}"]`);
  const namesIn = (roomId) => [...column(roomId).querySelectorAll("[data-testid=bw-card]")].map((c) => c.dataset.name);
  return { ...t, column, card, namesIn };
}

function dataTransferStub() {
  const data = new Map();
  return {
    data,
    get types() {
      return [...data.keys()];
    },
    setData: (type, value) => data.set(type, value),
    getData: (type) => data.get(type) ?? "",
    effectAllowed: "none",
    dropEffect: "none",
  };
}

function dragEvent(type, dataTransfer, init = {}) {
  const event = new Event(type, { bubbles: true, cancelable: true });
  Object.defineProperty(event, "dataTransfer", { value: dataTransfer });
  for (const [k, v] of Object.entries(init)) Object.defineProperty(event, k, { value: v });
  return event;
}

let t;
afterEach(() => {
  t?.cleanup();
  document.body.replaceChildren();
  vi.useRealTimers();
});

describe("AssignmentBoard: first render", () => {
  beforeEach(() => {
    t = setup();
  });

  it("says hello, then builds columns from the rooms trait and cards from the full roster", () => {
    expect(t.model.sent[0]).toEqual({ kind: "hello" });
    expect(t.$("bw-board")).not.toBeNull();
    expect(t.$("bw-title").textContent).toBe("Algebra 1");
    expect(t.$("bw-columns").classList.contains("bw-many")).toBe(false);
    const ids = t.$$("bw-column").map((c) => c.dataset.roomId);
    expect(ids).toEqual(["", "m_r1", "m_r2"]);
    expect(t.$$("bw-card")).toHaveLength(0);

    t.model.emit({ kind: "roster", full: true, participants: PEOPLE });
    expect(t.namesIn("m_r1")).toEqual(["Ada", "Grace"]);
    expect(t.namesIn("m_r2")).toEqual(["Alan"]);
    expect(t.namesIn("")).toEqual(["Edsger", "Ms. Rivera"]);
    expect(t.$("bw-count", t.column("m_r1")).textContent).toBe("2");
    expect(t.card("p0").textContent).toContain("host");
  });

  it("shows online, mic and camera state on each card", () => {
    t.model.emit({
      kind: "roster",
      full: true,
      participants: [person("p1", "Ada", null, { online: false, mic: true, camera: false })],
    });
    const c = t.card("p1");
    expect(c.querySelector(".bw-dot").getAttribute("aria-label")).toBe("offline");
    expect(c.querySelector(".bw-mic").getAttribute("aria-label")).toBe("microphone on");
    expect(c.querySelector(".bw-cam").getAttribute("aria-label")).toBe("camera off");
  });

  it("renders names as text", () => {
    t.model.emit({ kind: "roster", full: true, participants: [person("p1", "<img src=x onerror=alert(1)>")] });
    expect(t.el.querySelector("img")).toBeNull();
    expect(t.card("p1").dataset.name).toBe("<img src=x onerror=alert(1)>");
    expect(t.card("p1").textContent).toContain("<img src=x onerror=alert(1)>");
  });
});

describe("AssignmentBoard: roster patches", () => {
  beforeEach(() => {
    t = setup();
    t.model.emit({ kind: "roster", full: true, participants: PEOPLE });
  });

  it("moves only the changed card: the same element, now in the other column", () => {
    const ada = t.card("p1");
    const others = ["p2", "p3", "p4", "p0"].map((id) => t.card(id));
    const observer = new MutationObserver(() => {});
    observer.observe(t.el, { subtree: true, childList: true, attributes: true, characterData: true });

    t.model.emit({ kind: "roster", full: false, changed: [person("p1", "Ada", "m_r2")], removed: [] });

    const records = observer.takeRecords();
    observer.disconnect();
    expect(t.card("p1")).toBe(ada);
    expect(t.column("m_r2").contains(ada)).toBe(true);
    expect(t.namesIn("m_r2")).toEqual(["Ada", "Alan"]); // invite order kept
    expect(t.namesIn("m_r1")).toEqual(["Grace"]);
    ["p2", "p3", "p4", "p0"].forEach((id, i) => expect(t.card(id)).toBe(others[i]));
    // Nothing but the moved card and the two column counts changed.
    for (const record of records) {
      const node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
      const allowed =
        ada.contains(node) ||
        node.closest("[data-testid=bw-count]") ||
        (record.type === "childList" && [...record.addedNodes, ...record.removedNodes].every((n) => n === ada || n.nodeType === 3));
      expect(allowed, `unexpected mutation of ${node.outerHTML.slice(0, 80)}`).toBeTruthy();
    }
    expect(t.$("bw-count", t.column("m_r1")).textContent).toBe("1");
    expect(t.$("bw-count", t.column("m_r2")).textContent).toBe("2");
  });

  it("updates a card in place (mic on) without moving it", () => {
    const ada = t.card("p1");
    t.model.emit({ kind: "roster", full: false, changed: [person("p1", "Ada", "m_r1", { mic: true })], removed: [] });
    expect(t.card("p1")).toBe(ada);
    expect(ada.querySelector(".bw-mic").dataset.on).toBe("true");
    expect(t.namesIn("m_r1")).toEqual(["Ada", "Grace"]);
  });

  it("adds new participants and removes gone ones", () => {
    t.model.emit({ kind: "roster", full: false, changed: [person("p9", "Barbara", "m_r1")], removed: ["p3"] });
    expect(t.namesIn("m_r1")).toEqual(["Ada", "Grace", "Barbara"]);
    expect(t.card("p3")).toBeNull();
    expect(t.$("bw-count", t.column("m_r2")).textContent).toBe("0");
  });

  it("a full roster again reuses the existing card elements", () => {
    const grace = t.card("p2");
    t.model.emit({ kind: "roster", full: true, participants: PEOPLE.map((p) => (p.id === "p2" ? { ...p, room_id: "m_r2" } : p)) });
    expect(t.card("p2")).toBe(grace);
    expect(t.column("m_r2").contains(grace)).toBe(true);
  });

  it("new rooms become columns and keep every card; a deleted room's cards go to Unassigned", () => {
    const alan = t.card("p3");
    t.model.update({ rooms: [...ROOMS, { id: "m_r3", title: "Room 3" }] });
    expect(t.$$("bw-column").map((c) => c.dataset.roomId)).toEqual(["", "m_r1", "m_r2", "m_r3"]);
    expect(t.card("p3")).toBe(alan);
    t.model.update({ rooms: [ROOMS[0], { id: "m_r3", title: "Room 3" }] });
    expect(t.column("m_r2")).toBeNull();
    expect(t.column("").contains(alan)).toBe(true);
    expect(t.card("p1").closest("[data-testid=bw-column]").dataset.roomId).toBe("m_r1");
  });
});

describe("AssignmentBoard: moving people", () => {
  beforeEach(() => {
    t = setup();
    t.model.emit({ kind: "roster", full: true, participants: PEOPLE });
  });

  it("drag and drop sends a move command and the card is busy until the reply", () => {
    const dt = dataTransferStub();
    const ada = t.card("p1");
    ada.dispatchEvent(dragEvent("dragstart", dt));
    expect(dt.getData("application/x-bw-participant")).toBe("p1");
    const target = t.column("m_r2").querySelector(".bw-cards");
    const over = dragEvent("dragover", dt);
    target.dispatchEvent(over);
    expect(over.defaultPrevented).toBe(true); // the column accepts the drop
    expect(t.column("m_r2").classList.contains("bw-drop-target")).toBe(true);
    target.dispatchEvent(dragEvent("drop", dt));
    ada.dispatchEvent(dragEvent("dragend", dt));

    const cmd = t.model.lastCommand("move");
    expect(cmd).toMatchObject({ kind: "command", action: "move", participant: "p1", room: "m_r2" });
    expect(typeof cmd.id).toBe("number");
    expect(ada.getAttribute("aria-busy")).toBe("true");
    expect(t.column("m_r2").classList.contains("bw-drop-target")).toBe(false);

    t.model.emit({ kind: "roster", full: false, changed: [person("p1", "Ada", "m_r2")], removed: [] });
    t.model.reply(cmd);
    expect(ada.hasAttribute("aria-busy")).toBe(false);
    expect(t.column("m_r2").contains(ada)).toBe(true);
  });

  it("dropping on Unassigned sends room null; dropping on the same column sends nothing", () => {
    const dt = dataTransferStub();
    t.card("p1").dispatchEvent(dragEvent("dragstart", dt));
    t.column("m_r1").dispatchEvent(dragEvent("drop", dt));
    expect(t.model.commands("move")).toHaveLength(0);
    t.card("p1").dispatchEvent(dragEvent("dragstart", dt));
    t.column("").dispatchEvent(dragEvent("drop", dt));
    expect(t.model.lastCommand("move")).toMatchObject({ participant: "p1", room: null });
  });

  it("the keyboard path: Enter selects a card, Move to… sends the move", () => {
    const moveTo = t.$("bw-move-to");
    expect(moveTo.disabled).toBe(true);
    const grace = t.card("p2");
    grace.focus();
    key(grace, "Enter");
    expect(grace.getAttribute("aria-pressed")).toBe("true");
    expect(moveTo.disabled).toBe(false);
    expect(document.activeElement).toBe(moveTo);
    // The room she is in cannot be picked.
    expect([...moveTo.options].find((o) => o.value === "m_r1").disabled).toBe(true);
    type(moveTo, "m_r2");
    expect(t.model.lastCommand("move")).toMatchObject({ participant: "p2", room: "m_r2" });
    expect(moveTo.value).toBe("__placeholder__");
  });

  it("an arrow key on the closed select does not move at once; Enter confirms", () => {
    t.card("p2").click();
    const moveTo = t.$("bw-move-to");
    key(moveTo, "ArrowDown");
    type(moveTo, "");
    expect(t.model.commands("move")).toHaveLength(0);
    expect(t.$("bw-selection").textContent).toContain("Press Enter to move Grace to Unassigned");
    key(moveTo, "Enter");
    expect(t.model.lastCommand("move")).toMatchObject({ participant: "p2", room: null });
  });

  it("arrow keys walk the cards with one tab stop", () => {
    const tabbable = t.$$("bw-card").filter((c) => c.tabIndex === 0);
    expect(tabbable).toHaveLength(1);
    const first = tabbable[0];
    first.focus();
    key(first, "ArrowDown");
    expect(document.activeElement).toBe(first.nextElementSibling);
    key(document.activeElement, "ArrowRight");
    expect(document.activeElement.closest("[data-testid=bw-column]").dataset.roomId).toBe("m_r1");
    expect(t.$$("bw-card").filter((c) => c.tabIndex === 0)).toEqual([document.activeElement]);
  });

  it("a conflict reply shows its message next to the control, and the reload redraws the board", () => {
    const dt = dataTransferStub();
    t.card("p4").dispatchEvent(dragEvent("dragstart", dt));
    t.column("m_r1").dispatchEvent(dragEvent("drop", dt));
    const cmd = t.model.lastCommand("move");
    // Python reloads first (full roster, notice), then replies.
    const reloaded = PEOPLE.map((p) => (p.id === "p4" ? { ...p, room_id: "m_r2" } : p));
    t.model.emit({ kind: "roster", full: true, participants: reloaded });
    t.model.emit({ kind: "notice", level: "error", text: "Another host changed the rooms first; the board was reloaded." });
    t.model.reply(cmd, { code: "conflict", message: "the rooms changed since you looked (version 4, you had 3)" });

    const error = t.$("bw-column-error", t.column("m_r1"));
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe("the rooms changed since you looked (version 4, you had 3)");
    expect(t.$("bw-notice").textContent).toContain("Another host changed the rooms first");
    expect(t.$("bw-notice").getAttribute("role")).toBe("alert");
    expect(t.namesIn("m_r2")).toEqual(["Alan", "Edsger"]);
    expect(t.card("p4").hasAttribute("aria-busy")).toBe(false);
  });
});

describe("AssignmentBoard: rooms and breakout controls", () => {
  beforeEach(() => {
    t = setup();
    t.model.emit({ kind: "roster", full: true, participants: PEOPLE });
  });

  it("shuffle sends the seed; add room sends the optional title", () => {
    type(t.$("bw-seed"), " 7 ");
    t.$("bw-shuffle").click();
    expect(t.model.lastCommand("shuffle")).toMatchObject({ seed: "7" });
    expect(t.$("bw-shuffle").getAttribute("aria-busy")).toBe("true");
    t.$("bw-shuffle").click(); // a double click is one command
    expect(t.model.commands("shuffle")).toHaveLength(1);
    t.$("bw-add-room").click();
    expect(t.model.lastCommand("add_room")).toMatchObject({ title: "" });
  });

  it("rename with the pencil, delete after confirming", async () => {
    const col = t.column("m_r1");
    t.$("bw-rename", col).click();
    const input = t.$("bw-rename-input", col);
    expect(document.activeElement).toBe(input);
    expect(input.value).toBe("Room 1");
    input.value = "Red team";
    input.form.requestSubmit();
    const rename = t.model.lastCommand("rename_room");
    expect(rename).toMatchObject({ room: "m_r1", title: "Red team" });
    t.model.update({ rooms: [{ id: "m_r1", title: "Red team" }, ROOMS[1]] });
    t.model.reply(rename);
    await null; // the reply settles a promise
    expect(input.form.hidden).toBe(true);
    expect(col.querySelector("h3").textContent).toBe("Red team");

    t.$("bw-delete", col).click();
    expect(t.model.commands("delete_room")).toHaveLength(0);
    expect(col.textContent).toContain("Delete Red team? Its 2 people become unassigned.");
    t.$("bw-delete-confirm", col).click();
    expect(t.model.lastCommand("delete_room")).toMatchObject({ room: "m_r1" });
  });

  it("a refused rename keeps the editor open and shows the error", () => {
    const col = t.column("m_r2");
    t.$("bw-rename", col).click();
    const input = t.$("bw-rename-input", col);
    input.value = "Room 1";
    input.form.requestSubmit();
    t.model.reply(t.model.lastCommand("rename_room"), { code: "conflict", message: "a room named 'Room 1' already exists" });
    expect(input.form.hidden).toBe(false);
    expect(input.value).toBe("Room 1");
    expect(t.$("bw-column-error", col).textContent).toBe("a room named 'Room 1' already exists");
  });

  it("start asks 'Yes, start' and sends the duration and warning in seconds", async () => {
    t.$("bw-start").click();
    expect(t.model.commands("start")).toHaveLength(0);
    expect(t.$("bw-start-panel").hidden).toBe(false);
    t.$("bw-duration").value = "10";
    t.$("bw-warning").value = "1.5";
    t.$("bw-start-confirm").click();
    const cmd = t.model.lastCommand("start");
    expect(cmd).toMatchObject({ action: "start", duration: 600, warning: 90 });
    t.model.update({ breakout: { status: "running", closes_at: Date.now() / 1000 + 600, warning: 90, can_recreate: false, version: 4 } });
    t.model.reply(cmd);
    await null;
    expect(t.$("bw-start-panel").hidden).toBe(true);
    expect(t.$("bw-start").hidden).toBe(true);
    expect(t.$("bw-close")).not.toBeNull();
    expect(t.$("bw-running").hidden).toBe(false);
  });

  it("start without a duration sends nulls; a bad warning is refused before sending", () => {
    t.$("bw-start").click();
    t.$("bw-warning").value = "2";
    t.$("bw-start-confirm").click();
    expect(t.model.commands("start")).toHaveLength(0);
    expect(t.$("bw-start-error").textContent).toBe("A warning needs a duration.");
    t.$("bw-warning").value = "";
    t.$("bw-start-confirm").click();
    expect(t.model.lastCommand("start")).toMatchObject({ duration: null, warning: null });
  });

  it("while running: broadcast and close (countdown in seconds), errors inline", async () => {
    t.model.update({ breakout: { status: "running", closes_at: null, warning: null, can_recreate: false, version: 5 } });
    const input = t.$("bw-broadcast-input");
    input.value = "5 minutes left";
    t.$("bw-broadcast-send").click();
    const bc = t.model.lastCommand("broadcast");
    expect(bc).toMatchObject({ text: "5 minutes left" });
    t.model.reply(bc, { code: "rate_limited", message: "slow down" });
    expect(input.value).toBe("5 minutes left");
    expect(t.$("bw-broadcast-error").textContent).toBe("slow down");
    t.$("bw-broadcast-send").click();
    t.model.reply(t.model.lastCommand("broadcast"));
    await null;
    expect(input.value).toBe("");
    expect(t.$("bw-broadcast-error").hidden).toBe(true);

    t.$("bw-countdown").value = "60";
    t.$("bw-close").click();
    expect(t.model.lastCommand("close")).toMatchObject({ countdown: 60 });
    t.model.reply(t.model.lastCommand("close"));
    await null;
    expect(t.$("bw-countdown").value).toBe("");
    t.$("bw-close").click();
    expect(t.model.lastCommand("close")).toMatchObject({ countdown: null });
  });

  it("recreate appears when the last breakout can be recreated", () => {
    expect(t.$("bw-recreate").hidden).toBe(true);
    t.model.update({ breakout: { status: "closed", closes_at: null, warning: null, can_recreate: true, version: 9 } });
    expect(t.$("bw-recreate").hidden).toBe(false);
    expect(t.$("bw-start").disabled).toBe(true);
    t.$("bw-recreate").click();
    expect(t.model.lastCommand("recreate")).toMatchObject({ action: "recreate" });
  });

  it("while running, a card says when someone is not in their room", () => {
    t.model.update({ breakout: { status: "running", closes_at: null, warning: null, can_recreate: false, version: 5 } });
    t.model.emit({
      kind: "roster",
      full: false,
      changed: [person("p1", "Ada", "m_r1", { meeting_id: "m_main" }), person("p2", "Grace", "m_r1", { meeting_id: "m_r1" })],
      removed: [],
    });
    expect(t.card("p1").textContent).toContain("in main meeting");
    const where = t.card("p2").querySelector(".bw-where");
    expect(where === null || where.hidden).toBe(true);
  });
});

describe("AssignmentBoard: time left and help queue", () => {
  it("shows the time left, ticks once per second while running, and stops after", () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2024-05-01T10:00:00Z"));
    const now = Date.now() / 1000;
    t = setup({ breakout: { status: "running", closes_at: now + 245, warning: 60, can_recreate: false, version: 2 } });
    const left = t.$("bw-time-left");
    expect(left.hidden).toBe(false);
    expect(left.textContent).toBe("4:05 left");
    vi.advanceTimersByTime(1000);
    expect(left.textContent).toBe("4:04 left");
    expect(left.classList.contains("bw-warn")).toBe(false);
    vi.advanceTimersByTime(185_000);
    expect(left.textContent).toBe("0:59 left");
    expect(left.classList.contains("bw-warn")).toBe(true);
    expect(vi.getTimerCount()).toBe(1);
    t.model.update({ breakout: { status: "closed", closes_at: null, warning: null, can_recreate: true, version: 3 } });
    expect(left.hidden).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("uses clock_offset (service clock minus this clock)", () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2024-05-01T10:00:00Z"));
    const now = Date.now() / 1000;
    t = setup({ clock_offset: 30, breakout: { status: "running", closes_at: now + 90, warning: null, can_recreate: false, version: 2 } });
    expect(t.$("bw-time-left").textContent).toBe("1:00 left");
  });

  it("lists help requests (who, where, since when) and resolves them", () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2024-05-01T10:00:00Z"));
    const now = Date.now() / 1000;
    t = setup();
    expect(t.$("bw-help-queue").hidden).toBe(true);
    t.model.update({
      help_queue: [
        { id: "h1", participant_id: "p1", name: "Ada", meeting_id: "m_r1", room_title: "Room 1", since: now - 120 },
        { id: "h2", participant_id: "p3", name: "<b>Alan</b>", meeting_id: "m_r2", room_title: "Room 2", since: now - 5 },
      ],
    });
    const queue = t.$("bw-help-queue");
    expect(queue.hidden).toBe(false);
    const items = t.$$("bw-help-item");
    expect(items.map((i) => i.textContent)).toEqual([
      expect.stringContaining("AdaRoom 12 min ago"),
      expect.stringContaining("<b>Alan</b>Room 2just now"),
    ]);
    expect(queue.querySelector("b")).toBeNull();
    vi.advanceTimersByTime(30_000);
    expect(items[1].textContent).toContain("just now");
    vi.advanceTimersByTime(30_000);
    expect(items[0].textContent).toContain("3 min ago");
    t.$("bw-resolve", items[0]).click();
    expect(t.model.lastCommand("resolve_help")).toMatchObject({ request: "h1" });
  });
});

describe("AssignmentBoard: cleanup and scale", () => {
  it("cleanup removes every model listener and timer", () => {
    vi.useFakeTimers();
    t = setup({ breakout: { status: "running", closes_at: Date.now() / 1000 + 100, warning: null, can_recreate: false, version: 1 } });
    expect(t.model.listenerCount()).toBeGreaterThan(0);
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    t.cleanup();
    t = null;
    expect(vi.getTimerCount()).toBe(0);
  });

  it("renders 500 people in 50 rooms, then a one-card patch touches one card", () => {
    const rooms = Array.from({ length: 50 }, (_, i) => ({ id: `m_${i}`, title: `Room ${i + 1}` }));
    const people = Array.from({ length: 500 }, (_, i) => person(`p${i}`, `Student ${i}`, `m_${i % 50}`));
    t = setup({ rooms });
    const started = performance.now();
    t.model.emit({ kind: "roster", full: true, participants: people });
    const elapsed = performance.now() - started;
    expect(t.$$("bw-card")).toHaveLength(500);
    expect(t.$$("bw-column")).toHaveLength(51);
    expect(t.$("bw-columns").classList.contains("bw-many")).toBe(true); // off-screen columns skip layout
    // jsdom is far slower than Chromium; this only catches an accidental O(n²).
    expect(elapsed).toBeLessThan(5000);
    const moved = t.card("p7");
    t.model.emit({ kind: "roster", full: false, changed: [person("p7", "Student 7", "m_3")], removed: [] });
    expect(t.card("p7")).toBe(moved);
    expect(t.column("m_3").contains(moved)).toBe(true);
    expect(t.$("bw-count", t.column("m_3")).textContent).toBe("11");
    expect(t.$("bw-count", t.column("m_7")).textContent).toBe("9");
  });
});
