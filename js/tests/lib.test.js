import { afterEach, describe, expect, it, vi } from "vitest";
import { createCommands, errorSlot, isBusy, randomId, setBusy } from "../lib/commands.js";
import { renderPerson, updatePerson } from "../lib/person.js";
import { linkify, splitLinks } from "../lib/text.js";
import { ago, clockTime, createTicker, formatDuration, timeLeft } from "../lib/time.js";
import { mountView } from "../lib/view.js";
import { fakeModel } from "./fake-model.js";

afterEach(() => vi.useRealTimers());

describe("text", () => {
  it("splits links from text and trims sentence punctuation", () => {
    expect(splitLinks("go to https://a.test/x, then (see http://b.test/y).")).toEqual([
      { text: "go to " },
      { text: "https://a.test/x", href: "https://a.test/x" },
      { text: ", then (see " },
      { text: "http://b.test/y", href: "http://b.test/y" },
      { text: ")." },
    ]);
  });

  it("links only http and https", () => {
    const fragment = linkify("javascript:alert(1) JAVASCRIPT://x mailto:a@b.c https://ok.test");
    const anchors = fragment.querySelectorAll("a");
    expect(anchors).toHaveLength(1);
    expect(anchors[0].href).toBe("https://ok.test/");
    expect(anchors[0].textContent).toBe("https://ok.test");
  });

  it("makes nothing but text nodes from markup", () => {
    const fragment = linkify('<a href="javascript:x">x</a><img src=x onerror=alert(1)>');
    expect([...fragment.childNodes].every((n) => n.nodeType === Node.TEXT_NODE)).toBe(true);
  });
});

describe("time", () => {
  it("formats clock times, durations and 'ago'", () => {
    expect(clockTime(new Date(2024, 0, 1, 9, 5).getTime() / 1000)).toBe("09:05");
    expect(formatDuration(245)).toBe("4:05");
    expect(formatDuration(244.2)).toBe("4:05");
    expect(formatDuration(3723)).toBe("1:02:03");
    expect(formatDuration(-5)).toBe("0:00");
    expect(timeLeft(65)).toBe("1:05 left");
    expect(ago(100, 110)).toBe("just now");
    expect(ago(0, 120)).toBe("2 min ago");
    expect(ago(0, 7200)).toBe("2 h ago");
    expect(ago(0, 86400 * 3)).toBe("3 days ago");
  });

  it("a ticker runs only while set, and set(0) stops it", () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const ticker = createTicker(fn);
    ticker.set(1000);
    ticker.set(1000); // idempotent: still one timer
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(3000);
    expect(fn).toHaveBeenCalledTimes(3);
    ticker.set(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("person", () => {
  it("updates only what changed", () => {
    const el = renderPerson({ id: "p1", name: "Ada", online: true, mic: false, camera: true });
    document.body.appendChild(el);
    const observer = new MutationObserver(() => {});
    observer.observe(el, { subtree: true, attributes: true, childList: true, characterData: true });
    updatePerson(el, { id: "p1", name: "Ada", online: true, mic: true, camera: true });
    const targets = observer.takeRecords().map((r) => r.target.className);
    expect(new Set(targets)).toEqual(new Set(["bw-mic"]));
    el.remove();
  });
});

describe("commands", () => {
  it("ids are unique across views, replies settle only their own command", async () => {
    const model = fakeModel();
    const a = createCommands(model);
    const b = createCommands(model);
    const pa = a.run("x");
    b.run("y");
    const [ca, cb] = model.commands();
    expect(ca.id).not.toBe(cb.id);
    expect(Number.isSafeInteger(ca.id)).toBe(true);
    expect(b.handleReply({ kind: "reply", id: ca.id, ok: true })).toBe(false);
    expect(a.pending).toBe(1);
    expect(a.handleReply({ kind: "reply", id: ca.id, ok: true })).toBe(true);
    await expect(pa).resolves.toMatchObject({ ok: true });
    expect(a.pending).toBe(0);
  });

  it("busy controls refuse a second command; a slow reply says it waits for the kernel", () => {
    vi.useFakeTimers();
    const model = fakeModel();
    const commands = createCommands(model, { slowMs: 5000 });
    const button = document.createElement("button");
    const slot = errorSlot();
    commands.run("a", {}, { busy: [button], error: slot });
    expect(isBusy(button)).toBe(true);
    expect(button.getAttribute("aria-disabled")).toBe("true");
    commands.run("b", {}, { busy: [button], error: slot });
    expect(model.commands()).toHaveLength(1);
    vi.advanceTimersByTime(5000);
    expect(slot.hidden).toBe(false);
    expect(slot.dataset.level).toBe("info");
    commands.handleReply({ kind: "reply", id: model.commands()[0].id, ok: true });
    expect(slot.hidden).toBe(true);
    expect(isBusy(button)).toBe(false);
    expect(button.hasAttribute("aria-disabled")).toBe(false);
  });

  it("setBusy nests and keeps text fields editable afterwards", () => {
    const input = document.createElement("textarea");
    setBusy(input, true);
    setBusy(input, true);
    setBusy(input, false);
    expect(input.readOnly).toBe(true);
    setBusy(input, false);
    expect(input.readOnly).toBe(false);
  });

  it("randomId works without crypto.randomUUID (plain-http notebook servers)", () => {
    const saved = globalThis.crypto.randomUUID;
    try {
      Object.defineProperty(globalThis.crypto, "randomUUID", { value: undefined, configurable: true });
      const id = randomId();
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(randomId()).not.toBe(id);
    } finally {
      Object.defineProperty(globalThis.crypto, "randomUUID", { value: saved, configurable: true });
    }
  });
});

describe("view frame", () => {
  it("shows notices in a live region: info fades, errors stay; cleanup stops everything", () => {
    vi.useFakeTimers();
    const model = fakeModel();
    const seen = [];
    const view = mountView({ model, name: "test", label: "Test", onMessage: (m) => seen.push(m.kind) });
    expect(view.notices.getAttribute("aria-live")).toBe("polite");
    model.emit({ kind: "notice", level: "info", text: "<b>saved</b>" });
    model.emit({ kind: "notice", level: "error", text: "Another host changed the rooms first" });
    model.emit({ kind: "roster", full: true, participants: [] });
    expect(seen).toEqual(["roster"]);
    const items = () => [...view.notices.children].map((n) => [n.dataset.level, n.textContent]);
    expect(items()).toEqual([
      ["info", "<b>saved</b>×"],
      ["error", "Another host changed the rooms first×"],
    ]);
    vi.advanceTimersByTime(8000);
    expect(items()).toEqual([["error", "Another host changed the rooms first×"]]);
    view.notices.querySelector("button").click();
    expect(items()).toEqual([]);
    model.emit({ kind: "notice", level: "info", text: "later" });
    view.cleanup();
    expect(vi.getTimerCount()).toBe(0);
    expect(model.listenerCount()).toBe(0);
  });
});
