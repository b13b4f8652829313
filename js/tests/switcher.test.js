import { afterEach, describe, expect, it, vi } from "vitest";
import switcher from "../switcher.js";
import { mount } from "./fake-model.js";

const MEETINGS = [
  { id: "m_main", title: "Main meeting", kind: "main", count: 3, can_switch: true },
  { id: "m_r1", title: "Room 1", kind: "room", count: 1, can_switch: true },
  { id: "m_r2", title: "Room 2", kind: "room", count: 4, can_switch: false },
];
let t;

function setup(traits = {}) {
  t = mount(switcher, {
    meetings: MEETINGS,
    current: "m_r1",
    moving: false,
    breakout: { status: "running", closes_at: null, warning: null },
    clock_offset: 0,
    ...traits,
  });
  const row = (id) => t.el.querySelector(`[data-testid=bw-meeting][data-meeting-id="${id}"]`);
  const visibleSwitches = () => t.$$("bw-switch").filter((b) => !b.hidden).map((b) => b.dataset.meetingId);
  return { ...t, row, visibleSwitches };
}

afterEach(() => {
  t?.cleanup();
  document.body.replaceChildren();
  vi.useRealTimers();
});

describe("MeetingSwitcher", () => {
  it("lists the meetings with head counts and highlights the current one", () => {
    const s = setup();
    expect(s.model.sent[0]).toEqual({ kind: "hello" });
    expect(s.$$("bw-meeting").map((m) => m.dataset.meetingId)).toEqual(["m_main", "m_r1", "m_r2"]);
    expect(s.row("m_r1").dataset.current).toBe("true");
    expect(s.row("m_r1").getAttribute("aria-current")).toBe("true");
    expect(s.row("m_main").hasAttribute("data-current")).toBe(false);
    expect(s.row("m_r2").textContent).toContain("4 people");
    expect(s.row("m_r1").textContent).toContain("1 person");
    expect(s.row("m_r1").textContent).toContain("You are here");
  });

  it("shows a switch button only where can_switch, and not for the current meeting", () => {
    const s = setup();
    expect(s.visibleSwitches()).toEqual(["m_main"]);
    s.model.update({ current: "m_main" });
    expect(s.visibleSwitches()).toEqual(["m_r1"]);
    expect(s.row("m_main").dataset.current).toBe("true");
    expect(s.row("m_r1").hasAttribute("data-current")).toBe(false);
  });

  it("a switch sends the command and stays busy until the reply; moving shows 'Moving…'", () => {
    const s = setup();
    const go = s.row("m_main").querySelector("[data-testid=bw-switch]");
    expect(go.getAttribute("aria-label")).toBe("Go to Main meeting");
    go.click();
    const cmd = s.model.lastCommand("switch");
    expect(cmd).toMatchObject({ action: "switch", meeting: "m_main" });
    expect(go.getAttribute("aria-busy")).toBe("true");
    go.click();
    expect(s.model.commands("switch")).toHaveLength(1);

    s.model.update({ moving: true });
    expect(s.$("bw-moving").hidden).toBe(false);
    expect(s.$("bw-moving").textContent).toContain("Moving…");
    s.model.update({ moving: false, current: "m_main" });
    s.model.reply(cmd);
    expect(s.$("bw-moving").hidden).toBe(true);
    expect(go.hasAttribute("aria-busy")).toBe(false);
    expect(s.row("m_main").dataset.current).toBe("true");
  });

  it("while moving, no switch can start", () => {
    const s = setup({ moving: true });
    const go = s.row("m_main").querySelector("[data-testid=bw-switch]");
    expect(go.disabled).toBe(true);
    go.click();
    expect(s.model.commands("switch")).toHaveLength(0);
  });

  it("a refused switch shows the service's message", () => {
    const s = setup({ current: "m_main", meetings: MEETINGS.map((m) => ({ ...m, can_switch: true })) });
    s.row("m_r2").querySelector("[data-testid=bw-switch]").click();
    s.model.reply(s.model.lastCommand("switch"), { code: "forbidden", message: "you may not switch between rooms" });
    expect(s.$("bw-switch-error").textContent).toBe("you may not switch between rooms");
  });

  it("follows the meetings trait: new rooms, gone rooms, counts", () => {
    const s = setup();
    const main = s.row("m_main");
    s.model.update({ meetings: [{ ...MEETINGS[0], count: 8 }, MEETINGS[1], { id: "m_r9", title: "Room 9", kind: "room", count: 0, can_switch: true }] });
    expect(s.row("m_main")).toBe(main);
    expect(main.textContent).toContain("8 people");
    expect(s.row("m_r2")).toBeNull();
    expect(s.row("m_r9").textContent).toContain("Room 9");
  });

  it("shows the time left while the rooms run, ticking each second", () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2024-05-01T10:00:00Z"));
    const now = Date.now() / 1000;
    const s = setup({ breakout: { status: "running", closes_at: now + 65, warning: 30 } });
    const left = s.$("bw-time-left");
    expect(left.textContent).toBe("Rooms: 1:05 left");
    vi.advanceTimersByTime(2000);
    expect(left.textContent).toBe("Rooms: 1:03 left");
    s.model.update({ breakout: { status: "closed", closes_at: null, warning: null } });
    expect(left.hidden).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});
