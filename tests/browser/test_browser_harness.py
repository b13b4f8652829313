"""The harness itself, with a tiny inline anywidget: a view renders in JupyterLab 4 and
in Notebook 7, a click reaches the kernel, and a change made in the kernel while no cell
runs reaches the view."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

COUNTER = '''
import threading

import anywidget
import traitlets


class Counter(anywidget.AnyWidget):
    _esm = """
    export default {
      render({ model, el }) {
        const button = document.createElement("button");
        button.dataset.testid = "smoke-button";
        const show = () => { button.textContent = `count ${model.get("value")}`; };
        button.addEventListener("click", () => {
          model.set("value", model.get("value") + 1);
          model.save_changes();
        });
        model.on("change:value", show);
        show();
        el.append(button);
        return () => model.off("change:value", show);
      },
    };
    """
    value = traitlets.Int(0).tag(sync=True)


counter = Counter()
counter
'''


BROKEN = '''
class Broken(anywidget.AnyWidget):
    _esm = """
    export default {
      render({ el }) {
        const button = document.createElement("button");
        button.dataset.testid = "smoke-broken";
        button.textContent = "throws";
        button.addEventListener("click", () => {
          window.__smokeClicked = true;
          throw new Error("smoke view failed");
        });
        el.append(button);
      },
    };
    """


Broken()
'''


@pytest.mark.parametrize("ui", ["lab", "notebook7"])
def test_inline_widget_round_trip(open_notebook, ui: str) -> None:
    nb = open_notebook(f"smoke-{ui}.ipynb", [COUNTER, "print('ran', 1 + 1)"], ui=ui)
    assert nb.output_text(1) == "ran 2\n"

    button = nb.page.get_by_test_id("smoke-button")
    expect(button).to_have_text("count 0")
    button.click()
    expect(button).to_have_text("count 1")
    assert nb.run_cell("print(counter.value)") == "1\n"

    # A change from the kernel while no cell runs: a timer thread sets the trait later.
    nb.run_cell("threading.Timer(0.3, lambda: setattr(counter, 'value', 41)).start()")
    expect(button).to_have_text("count 41")

    # Text of an execute_result, and a raising cell fails with its traceback.
    assert nb.run_cell("6 * 7") == "42\n"
    with pytest.raises(AssertionError, match="ZeroDivisionError"):
        nb.run_cell("1 / 0")

    # An uncaught error in a view is recorded (the view tests fail on it).
    nb.run_cell(BROKEN)
    nb.page.get_by_test_id("smoke-broken").click()
    nb.page.wait_for_function("() => window.__smokeClicked === true")
    assert len(nb.page_errors) == 1
    assert "smoke view failed" in nb.page_errors[0]
    nb.page_errors.clear()
