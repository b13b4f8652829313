import { afterEach, describe, expect, it } from "vitest";
import poll, { percent } from "../poll.js";
import { mount } from "./fake-model.js";

let t;

function setup(traits = {}) {
  t = mount(poll, {
    question: "Which is faster?",
    options: ["A", "B", "C"],
    results: { A: 3, B: 1, C: 0 },
    votes: 4,
    status: "open",
    my_vote: null,
    can_vote: true,
    can_close: false,
    ...traits,
  });
  const bar = (option) => t.el.querySelector(`[data-testid=bw-poll-bar][data-option="${option}"]`);
  const button = (option) => t.el.querySelector(`[data-testid=bw-poll-option][data-option="${option}"]`);
  const row = (option) => t.el.querySelector(`.bw-poll-row[data-option="${option}"]`);
  return { ...t, bar, button, row };
}

afterEach(() => {
  t?.cleanup();
  document.body.replaceChildren();
});

describe("PollWidget", () => {
  it("shows the question, vote buttons and result bars with counts and percent", () => {
    const p = setup();
    expect(p.model.sent[0]).toEqual({ kind: "hello" });
    expect(p.$("bw-poll-question").textContent).toBe("Which is faster?");
    expect(p.$$("bw-poll-option").map((b) => b.dataset.option)).toEqual(["A", "B", "C"]);
    expect(p.bar("A").style.width).toBe("75%");
    expect(p.bar("B").style.width).toBe("25%");
    expect(p.bar("C").style.width).toBe("0%");
    expect(p.row("A").textContent).toContain("3 · 75%");
    expect(p.$("bw-poll-status").textContent).toBe("Open · 4 votes");
  });

  it("updates bars in place when results change", () => {
    const p = setup();
    const bar = p.bar("B");
    p.model.update({ results: { A: 3, B: 5, C: 2 }, votes: 10 });
    expect(p.bar("B")).toBe(bar);
    expect(bar.style.width).toBe("50%");
    expect(p.$("bw-poll-status").textContent).toBe("Open · 10 votes");
  });

  it("voting sends the option's text; the buttons are busy until the reply; my_vote is highlighted", () => {
    const p = setup();
    p.button("B").click();
    const cmd = p.model.lastCommand("vote");
    expect(cmd).toMatchObject({ action: "vote", option: "B" });
    expect(p.button("A").getAttribute("aria-busy")).toBe("true");
    p.button("A").click();
    expect(p.model.commands("vote")).toHaveLength(1);
    p.model.update({ my_vote: "B", results: { A: 3, B: 2, C: 0 }, votes: 5 });
    p.model.reply(cmd);
    expect(p.button("A").hasAttribute("aria-busy")).toBe(false);
    expect(p.button("B").getAttribute("aria-pressed")).toBe("true");
    expect(p.row("B").classList.contains("bw-mine")).toBe(true);
    expect(p.row("B").textContent).toContain("Your vote");
    expect(p.button("A").getAttribute("aria-pressed")).toBe("false");
  });

  it("a refused vote shows the message", () => {
    const p = setup();
    p.button("C").click();
    p.model.reply(p.model.lastCommand("vote"), { code: "forbidden", message: "the poll is closed" });
    expect(p.$("bw-poll-error").textContent).toBe("the poll is closed");
  });

  it("offers Close only when can_close, and sends close", () => {
    const p = setup();
    expect(p.$("bw-poll-close").hidden).toBe(true);
    p.model.update({ can_close: true });
    expect(p.$("bw-poll-close").hidden).toBe(false);
    p.$("bw-poll-close").click();
    expect(p.model.lastCommand("close")).toMatchObject({ action: "close" });
  });

  it("a closed poll shows final results and no vote buttons", () => {
    const p = setup({ can_close: true, my_vote: "A" });
    p.model.update({ status: "closed" });
    expect(p.$$("bw-poll-option").filter((b) => !b.hidden)).toHaveLength(0);
    expect(p.$("bw-poll-close").hidden).toBe(true);
    expect(p.$("bw-poll-status").textContent).toBe("Closed · final results · 4 votes");
    expect(p.bar("A").style.width).toBe("75%");
    expect(p.row("A").classList.contains("bw-mine")).toBe(true);
  });

  it("without can_vote there are results but no buttons; option text is text", () => {
    const p = setup({ can_vote: false, options: ["<img src=x onerror=alert(1)>", "B"], results: {}, votes: 0 });
    expect(p.$$("bw-poll-option").filter((b) => !b.hidden)).toHaveLength(0);
    expect(p.el.querySelector("img")).toBeNull();
    expect(p.el.textContent).toContain("<img src=x onerror=alert(1)>");
    expect(p.$("bw-poll-status").textContent).toBe("Open · 0 votes");
  });

  it("percent rounds and survives zero votes", () => {
    expect(percent(1, 3)).toBe(33);
    expect(percent(2, 3)).toBe(67);
    expect(percent(0, 0)).toBe(0);
  });
});
