import { afterEach, describe, expect, it } from "vitest";
import chat from "../chat.js";
import { key, mount, type } from "./fake-model.js";

const ME = { id: "p1", name: "Ada" };
let t;

function msg(seq, text, sender = { id: "p2", name: "Grace" }, extra = {}) {
  return { id: `c${seq}`, seq, text, sender, time: new Date(2024, 4, 1, 12, 3).getTime() / 1000, client_id: null, ...extra };
}

function setup(traits = {}) {
  t = mount(chat, { meeting_id: "m_r3", meeting_title: "Room 3", me: ME, max_length: 4000, clock_offset: 0, ...traits });
  const log = t.el.querySelector(".bw-chat-log");
  // jsdom does no layout: give the log a height and let its content grow 40 px a line.
  let top = 0;
  const height = 200;
  const content = () => 40 + 40 * log.querySelectorAll(".bw-chat-message, .bw-chat-system").length;
  Object.defineProperty(log, "clientHeight", { configurable: true, get: () => height });
  Object.defineProperty(log, "scrollHeight", { configurable: true, get: content });
  Object.defineProperty(log, "scrollTop", {
    configurable: true,
    get: () => top,
    set: (v) => {
      top = Math.max(0, Math.min(v, content() - height));
    },
  });
  const scrollTo = (y) => {
    log.scrollTop = y;
    log.dispatchEvent(new Event("scroll"));
  };
  const seqs = () => t.$$("bw-chat-message").map((m) => Number(m.dataset.seq));
  return { ...t, log, scrollTo, seqs };
}

function history(t, messages, extra = {}) {
  t.model.emit({ kind: "history", meeting_id: "m_r3", messages, reset: true, complete: false, ...extra });
}

afterEach(() => {
  t?.cleanup();
  document.body.replaceChildren();
});

describe("Chat: showing messages", () => {
  it("says hello and shows the history oldest first with sender, time and the room", () => {
    const c = setup();
    expect(c.model.sent[0]).toEqual({ kind: "hello" });
    expect(c.$("bw-chat-room").textContent).toBe("Showing: Room 3");
    history(c, [msg(2, "second"), msg(1, "first", ME)]);
    expect(c.seqs()).toEqual([1, 2]);
    const [first, second] = c.$$("bw-chat-message");
    expect(first.querySelector(".bw-chat-sender").textContent).toBe("Ada (you)");
    expect(first.classList.contains("bw-mine")).toBe(true);
    expect(second.querySelector(".bw-chat-sender").textContent).toBe("Grace");
    expect(second.querySelector("time").textContent).toBe("12:03");
    expect(second.querySelector(".bw-chat-text").textContent).toBe("second");
  });

  it("shows an XSS payload in a message and in a sender name as text", () => {
    const c = setup();
    const payload = "<img src=x onerror=alert(1)>";
    history(c, [msg(1, payload, { id: "p9", name: payload })]);
    c.model.emit({ kind: "message", message: msg(2, `<script>alert(2)</script>${payload}`, { id: "p9", name: `<b>${payload}</b>` }) });
    c.model.emit({ kind: "system", text: payload, time: 1 });
    expect(c.el.querySelector("img, script, b")).toBeNull();
    const [one, two] = c.$$("bw-chat-message");
    expect(one.querySelector(".bw-chat-text").textContent).toBe(payload);
    expect(one.querySelector(".bw-chat-sender").textContent).toBe(payload);
    expect(two.querySelector(".bw-chat-sender").textContent).toBe(`<b>${payload}</b>`);
    expect(c.$("bw-chat-system").textContent).toContain(payload);
  });

  it("links http(s) URLs as safe anchors and nothing else", () => {
    const c = setup();
    history(c, [
      msg(1, "see https://example.org/a?b=1&c=2. and http://x.test/(wiki) or javascript:alert(1) ftp://f.test/x"),
      msg(2, 'evil "https://ok.test/"onmouseover="alert(1)" data:text/html,<b>x</b>'),
    ]);
    const anchors = [...c.el.querySelectorAll(".bw-chat-text a")];
    expect(anchors.map((a) => a.getAttribute("href"))).toEqual([
      "https://example.org/a?b=1&c=2",
      "http://x.test/(wiki)",
      "https://ok.test/",
    ]);
    for (const a of anchors) {
      expect(a.getAttribute("rel")).toBe("noopener noreferrer nofollow");
      expect(a.getAttribute("target")).toBe("_blank");
      expect(a.textContent).toBe(a.getAttribute("href"));
      expect(a.attributes).toHaveLength(4); // href, target, rel, class: no handler attributes
    }
    expect(c.$$("bw-chat-message")[0].textContent).toContain("javascript:alert(1) ftp://f.test/x");
  });

  it("ignores a message it already shows", () => {
    const c = setup();
    history(c, [msg(1, "a")]);
    c.model.emit({ kind: "message", message: msg(2, "b") });
    c.model.emit({ kind: "message", message: msg(2, "b") });
    expect(c.seqs()).toEqual([1, 2]);
  });

  it("shows system lines (broadcasts, moves)", () => {
    const c = setup();
    history(c, []);
    c.model.emit({ kind: "system", text: "Rooms close in 60 s", time: 1714557780 });
    expect(c.$("bw-chat-system").textContent).toContain("Rooms close in 60 s");
  });
});

describe("Chat: writing", () => {
  it("Enter sends, Shift+Enter does not, and an IME composition does not", () => {
    const c = setup();
    history(c, []);
    const input = c.$("bw-chat-input");
    type(input, "hello\nworld");
    expect(key(input, "Enter", { shiftKey: true }).defaultPrevented).toBe(false);
    expect(key(input, "Enter", { isComposing: true }).defaultPrevented).toBe(false);
    expect(c.model.commands("send")).toHaveLength(0);
    expect(key(input, "Enter").defaultPrevented).toBe(true);
    const cmd = c.model.lastCommand("send");
    expect(cmd).toMatchObject({ kind: "command", action: "send", text: "hello\nworld" });
    expect(typeof cmd.client_id).toBe("string");
    expect(cmd.client_id.length).toBeGreaterThan(8);
    expect(input.readOnly).toBe(true); // busy: nothing typed meanwhile can be lost
  });

  it("an error reply shows inline and keeps the text; a retry reuses the client_id", async () => {
    const c = setup();
    history(c, []);
    const input = c.$("bw-chat-input");
    type(input, "my long answer");
    key(input, "Enter");
    const first = c.model.lastCommand("send");
    c.model.reply(first, { code: "rate_limited", message: "Too many messages: wait a moment." });
    await null;
    const error = c.$("bw-chat-error");
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe("Too many messages: wait a moment.");
    expect(input.value).toBe("my long answer");
    expect(input.readOnly).toBe(false);

    c.$("bw-chat-send").click();
    const retry = c.model.lastCommand("send");
    expect(retry.client_id).toBe(first.client_id);
    expect(retry.id).not.toBe(first.id);
    c.model.emit({ kind: "message", message: msg(5, "my long answer", ME, { client_id: first.client_id }) });
    c.model.reply(retry);
    await null;
    expect(input.value).toBe("");
    expect(error.hidden).toBe(true);

    type(input, "next");
    key(input, "Enter");
    expect(c.model.lastCommand("send").client_id).not.toBe(first.client_id);
  });

  it("counts characters near max_length and refuses a too-long text before sending", () => {
    const c = setup({ max_length: 200 });
    history(c, []);
    const input = c.$("bw-chat-input");
    const counter = c.$("bw-chat-counter");
    type(input, "x".repeat(50));
    expect(counter.hidden).toBe(true);
    type(input, "x".repeat(150));
    expect(counter.hidden).toBe(false);
    expect(counter.textContent).toBe("150 / 200");
    type(input, "😀".repeat(201)); // code points, as the service counts them
    expect(counter.textContent).toBe("1 too many (201 / 200)");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    key(input, "Enter");
    expect(c.model.commands("send")).toHaveLength(0);
    expect(c.$("bw-chat-error").textContent).toBe("That message is 201 characters long; the limit is 200.");
    expect(input.value).toBe("😀".repeat(201));
  });

  it("does not send blank text", () => {
    const c = setup();
    type(c.$("bw-chat-input"), "  \n ");
    key(c.$("bw-chat-input"), "Enter");
    expect(c.model.commands("send")).toHaveLength(0);
  });
});

describe("Chat: scrolling", () => {
  it("follows new messages at the bottom; counts unread while scrolled up", () => {
    const c = setup();
    history(c, Array.from({ length: 20 }, (_, i) => msg(i + 1, `m${i + 1}`)));
    c.model.emit({ kind: "message", message: msg(21, "new") });
    expect(c.log.scrollTop).toBe(c.log.scrollHeight - c.log.clientHeight);
    expect(c.$("bw-chat-unread").hidden).toBe(true);

    c.scrollTo(300); // the reader scrolls up
    c.model.emit({ kind: "message", message: msg(22, "one") });
    c.model.emit({ kind: "message", message: msg(23, "two") });
    expect(c.log.scrollTop).toBe(300);
    const badge = c.$("bw-chat-unread");
    expect(badge.hidden).toBe(false);
    expect(badge.textContent).toBe("2 new messages ↓");

    c.model.emit({ kind: "message", message: msg(24, "mine", ME) }); // my own message: jump down
    expect(c.log.scrollTop).toBe(c.log.scrollHeight - c.log.clientHeight);
    expect(badge.hidden).toBe(true);

    c.scrollTo(100);
    c.model.emit({ kind: "message", message: msg(25, "three") });
    expect(badge.textContent).toBe("1 new message ↓");
    c.scrollTo(c.log.scrollHeight); // back at the bottom
    expect(badge.hidden).toBe(true);
  });

  it("loads older history on scroll to the top and keeps the reader's place", () => {
    const c = setup();
    history(c, Array.from({ length: 10 }, (_, i) => msg(i + 11, `m${i + 11}`)));
    c.scrollTo(0);
    const older = c.model.lastCommand("older");
    expect(older).toMatchObject({ action: "older", before: 11 });
    c.scrollTo(0);
    expect(c.model.commands("older")).toHaveLength(1); // one request at a time
    const heightBefore = c.log.scrollHeight;
    c.model.emit({
      kind: "history",
      meeting_id: "m_r3",
      messages: Array.from({ length: 10 }, (_, i) => msg(i + 1, `m${i + 1}`)),
      reset: false,
      complete: true,
    });
    c.model.reply(older);
    expect(c.seqs()).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(c.log.scrollTop).toBe(c.log.scrollHeight - heightBefore);
    expect(c.$("bw-chat-start").textContent).toBe("Start of the conversation.");
    expect(c.$("bw-chat-older").hidden).toBe(true);
    c.scrollTo(0);
    expect(c.model.commands("older")).toHaveLength(1); // complete: nothing older to ask for
  });

  it("follows the participant to another meeting: reset history, new label, stale pages dropped", () => {
    const c = setup();
    history(c, [msg(1, "in room 3"), msg(2, "still room 3")]);
    c.$("bw-chat-older").click();
    c.model.update({ meeting_id: "m_main", meeting_title: "Main meeting" });
    c.model.emit({ kind: "history", meeting_id: "m_main", messages: [msg(40, "hello main")], reset: true, complete: true });
    expect(c.$("bw-chat-room").textContent).toBe("Showing: Main meeting");
    expect(c.seqs()).toEqual([40]);
    expect(c.el.textContent).not.toContain("room 3");
    // The answer to the older request of Room 3 comes late: it is not mixed in.
    c.model.emit({ kind: "history", meeting_id: "m_r3", messages: [msg(0, "old room 3")], reset: false, complete: true });
    expect(c.seqs()).toEqual([40]);
  });
});

describe("Chat: cleanup", () => {
  it("removes its model listeners", () => {
    const c = setup();
    expect(c.model.listenerCount()).toBeGreaterThan(0);
    c.cleanup();
    t = null;
    expect(c.model.listenerCount()).toBe(0);
  });
});
