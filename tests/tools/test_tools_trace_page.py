"""The trace page: one self-contained file, stepped through in a real headless browser.

The browser test needs Chromium, its WebDriver and the `selenium` package (Debian: `apt-get
install chromium chromium-driver`; `.ci/run` installs them). Without them it is skipped with
the reason, except when the environment variable CI is set: there a missing browser fails.
"""

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn

PAGE_FILES = ("page.html", "page.css", "page.js")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


class HandLinear(nn.Module):
    """y = x Wᵀ + b written out, as in the lessons: the bias is broadcast over the batch, so
    the engine sums its gradient over the rows (an un-broadcast step)."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(minigrad.randn(n_out, n_in) * 0.5)
        self.bias = nn.Parameter(minigrad.randn(n_out) * 0.1)

    def forward(self, x):
        return x @ self.weight.T + self.bias


def small_mlp_trace():
    """A 2-4-2 MLP on 3 points, whose first weight is also used by a penalty term (a tensor used
    twice) and whose first bias is broadcast over the batch."""
    minigrad.manual_seed(0)
    model = nn.Sequential(HandLinear(2, 4), nn.Tanh(), nn.Linear(4, 2))
    x = minigrad.tensor([[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]])
    y = minigrad.tensor([0, 1, 1])
    with minigrad.trace(names={"x": x, "y": y}) as t:
        loss = F.cross_entropy(model(x), y) + 0.1 * (model[0].weight ** 2).sum()
        loss.backward()
    return model, t


def test_page_is_one_self_contained_file(tmp_path):
    _, t = small_mlp_trace()
    page = t.to_html(tmp_path / "trace.html")
    assert (tmp_path / "trace.html").read_text(encoding="utf-8") == page
    # Nothing is fetched: no external script, style sheet, image or font; the only URLs are the
    # SVG and XLink namespace names, which are identifiers, not addresses.
    urls = set(re.findall(r"https?://[^\s\\\"'<>)]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
    assert not re.search(r"<(script|img|iframe)[^>]*\ssrc=", page)
    assert "<link" not in page and "@import" not in page and "url(http" not in page
    data = json.loads(
        re.search(r'id="trace-data" type="application/json">(.*?)</script>', page, re.S).group(1)
    )
    assert len(data["steps"]) == len(t) and "<svg" in data["formulas"]["linear"]["svg"]


def test_page_template_is_package_data():
    folder = Path(minigrad.__file__).parent / "trace_page"
    for name in PAGE_FILES:
        assert (folder / name).is_file()
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert '"trace_page/*"' in pyproject


# ---------------------------------------------------------------------------------------------
# In a real browser
# ---------------------------------------------------------------------------------------------


def browser():
    missing = [
        what
        for what, found in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER))
        if not found
    ]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("the selenium package")
    if missing:
        reason = (
            f"the browser test needs {', '.join(missing)} "
            "(apt-get install chromium chromium-driver; pip install selenium)"
        )
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="minigrad-chromium-")
    # The machine may have no network: without these, Chromium waits on it and hangs.
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options), profile


# One round trip per step: what the page shows in a panel, read by the browser itself.
READ_PANEL = """
return Array.from(document.querySelectorAll(arguments[0] + ' .grad')).map((block) => ({
  label: block.dataset.label,
  values: block.dataset.values ? JSON.parse(block.dataset.values) : null,
  shown: Array.from(block.querySelectorAll('td')).map((td) => td.textContent),
}));
"""


def read_panel(driver, selector):
    return {block["label"]: block for block in driver.execute_script(READ_PANEL, selector)}


def check_block(block, expected):
    """The values the page carries (exactly) and shows (4 significant digits) equal `expected`
    (all of them: the arrays here are small enough to be shown whole)."""
    expected = np.asarray(expected, dtype=np.float64).reshape(-1)
    np.testing.assert_array_equal(np.array(block["values"], dtype=np.float64), expected)
    shown = np.array([float(text) for text in block["shown"]])
    np.testing.assert_allclose(shown, expected, rtol=1e-3, atol=1e-12)


def test_page_steps_through_the_backward_pass_in_a_browser(tmp_path):
    model, t = small_mlp_trace()
    path = tmp_path / "trace.html"
    t.to_html(path)
    driver, profile = browser()
    try:
        driver.get(path.as_uri())
        by_id = driver.find_element
        body = by_id("tag name", "body")
        assert by_id("id", "step-number").text == "0"
        assert by_id("id", "step-count").text == str(len(t))
        assert len(driver.find_elements("css selector", "#graph .node")) >= 10
        for number, step in enumerate(t.steps, start=1):
            if number % 2:  # both ways of moving on: the arrow key and the button
                body.send_keys("\ue014")  # ArrowRight
            else:
                by_id("id", "next").click()
            state = driver.execute_script(
                "return [document.getElementById('step-number').textContent,"
                " document.querySelectorAll('#graph .node.current').length,"
                " document.querySelectorAll('#formula svg').length]"
            )
            assert state[:2] == [str(number), 1]  # the step, and its node highlighted
            blocks = list(read_panel(driver, "#gradients").values())
            check_block(blocks[0], step.output_grad)
            if step.kind == "op":
                assert state[2] == 1  # the formula, drawn
                sent = [g for g in step.input_grads if g is not None]
                assert len(blocks) == 1 + len(sent)
                for block, grad in zip(blocks[1:], sent):
                    check_block(block, grad)
            if step.kind == "un-broadcast":
                check_block(blocks[1], step.input_grads[0])
        kinds = {step.kind for step in t}
        assert kinds == {"op", "un-broadcast", "accumulate", "store .grad"}
        # After the last step each leaf shows the engine's .grad.
        leaves = read_panel(driver, "#leaves")
        for name, parameter in model.named_parameters():
            check_block(leaves[f"{name}.grad"], parameter.grad.numpy())
        body.send_keys("\ue012")  # ArrowLeft: one step back
        assert by_id("id", "step-number").text == str(len(t) - 1)
        by_id("id", "first").click()
        assert read_panel(driver, "#leaves")["0.weight.grad"]["values"] is None  # no .grad yet
        assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
