"""The web view at `/` of a real `codekg serve` process (with a token), in a real headless Chromium:
the token prompt, the file tree, a search, a symbol page (source, graph, impact), expanding a node by
double-clicking it on the canvas, following an edge, and a file's outline. A screenshot of the symbol
page is saved (`--web-screenshot`; docs/web.png is made by `make web-screenshot`)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, str(Path(__file__).parent.parent / "api"))
from serving import FIXTURES, TOKEN, codekg, running  # noqa: E402

CHECKOUT = "Function:src/shop/service.py:shop.service.checkout"
HELPER = "Function:src/shop/service.py:shop.service.helper"
INNER = "Function:src/shop/service.py:shop.service.helper.inner"
RUN = "Module:scripts/run.py:scripts.run"
CHECKOUT_NEIGHBOURS = {  # the callers and callees of checkout, as `codekg context` gives them
    RUN: (RUN, CHECKOUT),
    "Class:src/shop/models.py:shop.models.Order": (CHECKOUT, "Class:src/shop/models.py:shop.models.Order"),
    "Method:src/shop/models.py:shop.models.Order.__init__": (CHECKOUT, "Method:src/shop/models.py:shop.models.Order.__init__"),
    "External:os.getcwd": (CHECKOUT, "External:os.getcwd"),
    "Function:src/shop/util.py:shop.util.log": (CHECKOUT, "Function:src/shop/util.py:shop.util.log"),
    HELPER: (CHECKOUT, HELPER),
}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    repo = tmp_path_factory.mktemp("web") / "pyrepo"
    shutil.copytree(FIXTURES / "pyrepo", repo)
    assert codekg("index", str(repo), "--quiet").returncode == 0
    with running("serve", "--repo", str(repo), "--token", TOKEN) as server:
        yield server


def graph(browser) -> tuple[set[str], set[tuple[str, str, str, bool]]]:
    """The nodes and edges (caller, callee, confidence label, dashed) the page's graph holds."""
    nodes = browser.execute_script("return window.codekgView.nodes.getIds()")
    edges = browser.execute_script("return window.codekgView.edges.get().map(e => [e.from, e.to, e.label ?? null, Boolean(e.dashes)])")
    return set(nodes), {tuple(edge) for edge in edges}


def click_on_canvas(browser, x: float, y: float, double: bool = False) -> None:
    """A real mouse click at page-independent canvas coordinates (DOM pixels from the canvas's corner)."""
    canvas = browser.find_element(By.CSS_SELECTOR, "#graph canvas")
    width, height = canvas.size["width"], canvas.size["height"]
    actions = ActionChains(browser).move_to_element_with_offset(canvas, round(x - width / 2), round(y - height / 2))
    (actions.double_click() if double else actions.click()).perform()


def script_errors(browser) -> list[str]:
    """The errors the page's scripts raised since the last look (answers the page expects, a 401 before
    the token or a 404 for an unknown symbol, are logged by the browser as network errors: not these)."""
    return [entry["message"] for entry in browser.get_log("browser")
            if entry["level"] == "SEVERE" and entry["source"] != "network"]


def node_position(browser, node_id: str) -> dict[str, float]:
    return browser.execute_script(
        "const n = window.codekgView.network; return n.canvasToDOM(n.getPositions([arguments[0]])[arguments[0]]);", node_id)


def test_search_open_a_symbol_expand_a_node_follow_an_edge_and_open_a_file(browser, served, request):
    wait = WebDriverWait(browser, 30)
    browser.get(f"{served.url}/")

    # the API answers 401: the page asks for the token, then loads the file tree
    wait.until(seen.visibility_of_element_located((By.ID, "token-form")))
    browser.find_element(By.ID, "token-input").send_keys(TOKEN)
    browser.find_element(By.CSS_SELECTOR, "#token-form button").click()
    wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#tree-body a")) == 5)
    assert [a.get_attribute("title") for a in browser.find_elements(By.CSS_SELECTOR, "#tree-body a")] == [
        "scripts/run.py (python, 7 lines)", "src/shop/__init__.py (python, 4 lines)",
        "src/shop/models.py (python, 36 lines)", "src/shop/service.py (python, 17 lines)",
        "src/shop/util.py (python, 5 lines)"]
    assert browser.find_element(By.ID, "token-form").is_displayed() is False

    # search, then open the first result
    browser.find_element(By.ID, "search-input").send_keys("checkout")
    browser.find_element(By.CSS_SELECTOR, "#search-form button").click()
    wait.until(seen.presence_of_element_located((By.CSS_SELECTOR, "#result-list li.result a")))
    results = browser.find_elements(By.CSS_SELECTOR, "#result-list li.result a")
    assert results[0].text == "shop.service.checkout"
    assert browser.current_url.endswith("#/search/checkout")
    results[0].click()

    # the symbol page: source, callers and callees as a graph, impact list
    wait.until(seen.text_to_be_present_in_element((By.ID, "symbol-title"), "shop.service.checkout"))
    wait.until(seen.presence_of_element_located((By.CSS_SELECTOR, "tr.impact-row")))
    assert browser.find_element(By.ID, "symbol-label").text == "Function"
    assert browser.find_element(By.ID, "symbol-meta").text == "src/shop/service.py:6–10"
    assert browser.find_element(By.ID, "symbol-doc").text == "Place an order."
    service_lines = (FIXTURES / "pyrepo/src/shop/service.py").read_text().splitlines()
    assert browser.find_element(By.ID, "source").text.splitlines() == [  # each line after its number
        f"{number}{line}" for number, line in enumerate(service_lines[5:10], start=6)]
    nodes, edges = graph(browser)
    assert nodes == {CHECKOUT, *CHECKOUT_NEIGHBOURS}
    assert edges == {(*pair, "1.00", False) for pair in CHECKOUT_NEIGHBOURS.values()}
    assert [row.text for row in browser.find_elements(By.CSS_SELECTOR, "tr.impact-row")] == [
        "1 Module scripts.run CALLS 1.00 import scripts/run.py:1"]
    assert [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#legend span")] == [
        "Class", "External", "Function", "Method", "Module"]

    # expand a node: double-click helper on the canvas; its callee joins the graph
    spot = node_position(browser, HELPER)
    click_on_canvas(browser, spot["x"], spot["y"], double=True)
    wait.until(lambda b: INNER in graph(b)[0])
    nodes, edges = graph(browser)
    assert nodes == {CHECKOUT, *CHECKOUT_NEIGHBOURS, INNER}
    assert edges == {(*pair, "1.00", False) for pair in CHECKOUT_NEIGHBOURS.values()} | {(HELPER, INNER, "1.00", False)}
    assert browser.find_element(By.ID, "selection").text.splitlines()[:2] == [
        "Function shop.service.helper", "src/shop/service.py:13"]
    assert browser.find_element(By.ID, "expand-node").is_enabled() is False

    # click the edge from its caller, then follow it
    start, end = node_position(browser, RUN), node_position(browser, CHECKOUT)
    click_on_canvas(browser, (start["x"] + end["x"]) / 2, (start["y"] + end["y"]) / 2)
    wait.until(seen.text_to_be_present_in_element((By.ID, "selection"), "→"))
    assert browser.find_element(By.ID, "selection").text.splitlines()[:3] == [
        "call", "scripts.run → shop.service.checkout", "confidence 1.00 · import · line 5"]
    ActionChains(browser).move_to_element(browser.find_element(By.ID, "selection")).perform()  # no tooltip in the picture
    screenshot = Path(request.config.getoption("--web-screenshot"))
    screenshot = screenshot if screenshot.is_absolute() else request.config.rootpath / screenshot
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    browser.find_element(By.ID, "follow-caller").click()
    wait.until(seen.text_to_be_present_in_element((By.ID, "symbol-title"), "scripts.run"))
    assert browser.current_url.endswith("#/symbol/" + RUN.replace(":", "%3A").replace("/", "%2F"))

    # a file's outline from the tree, and a symbol from it
    browser.find_element(By.CSS_SELECTOR, "#tree-body a[title^='src/shop/models.py']").click()
    wait.until(seen.text_to_be_present_in_element((By.ID, "outline-title"), "src/shop/models.py"))
    wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#outline-list li")) == 9)
    assert [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#outline-list li")] == [
        "Class Base line 4", "Method save line 7", "Method validate line 10", "Class Order line 14",
        "Method __init__ line 17", "Method total line 20", "Method save line 23", "Class Counter line 28",
        "Method bump line 33"]
    browser.find_element(By.LINK_TEXT, "total").click()
    wait.until(seen.text_to_be_present_in_element((By.ID, "symbol-title"), "shop.models.Order.total"))

    assert script_errors(browser) == []


def test_an_unknown_symbol_shows_the_servers_message(browser, served):
    browser.get(f"{served.url}/#/symbol/nowhere.at.all")  # the token is kept for the session
    WebDriverWait(browser, 30).until(seen.text_to_be_present_in_element((By.ID, "status"), "nowhere.at.all"))
    assert browser.find_element(By.ID, "status").text == (
        "no symbol named 'nowhere.at.all' in the index (try a qualified name, e.g. `pkg.module.func`)")
    assert not any(browser.find_element(By.ID, page).is_displayed() for page in ("home", "results", "outline", "symbol"))
    assert script_errors(browser) == []


@pytest.fixture(scope="module")
def served_hub(tmp_path_factory):
    """A function called from 30 places, served without a token."""
    repo = tmp_path_factory.mktemp("hub") / "hub"
    repo.mkdir()
    callers = "".join(f"\n\ndef caller_{n:02d}():\n    return target()\n" for n in range(30))
    (repo / "hub.py").write_text('def target():\n    """Called from everywhere."""\n    return 1\n' + callers)
    assert codekg("index", str(repo), "--quiet").returncode == 0
    with running("serve", "--repo", str(repo)) as server:
        yield server


def test_a_symbol_with_many_callers_shows_them_a_batch_at_a_time(browser, served_hub):
    wait = WebDriverWait(browser, 30)
    browser.get(f"{served_hub.url}/#/symbol/Function%3Ahub.py%3Ahub.target")
    wait.until(seen.text_to_be_present_in_element((By.ID, "symbol-title"), "hub.target"))
    caller = "Function:hub.py:hub.caller_{:02d}".format
    target, more = "Function:hub.py:hub.target", "more:callers:Function:hub.py:hub.target"
    nodes, edges = graph(browser)
    assert nodes == {target, more, *(caller(n) for n in range(12))}
    assert {edge[:2] for edge in edges} == {(more, target), *((caller(n), target) for n in range(12))}
    assert browser.execute_script("return window.codekgView.nodes.get(arguments[0]).label", more) == "+18 more callers"

    browser.execute_script("window.codekgView.network.unselectAll()")
    spot = node_position(browser, more)
    click_on_canvas(browser, spot["x"], spot["y"])  # selecting it offers the next batch
    wait.until(seen.text_to_be_present_in_element((By.ID, "selection"), "+18 more callers"))
    browser.find_element(By.ID, "expand-node").click()
    wait.until(lambda b: caller(23) in graph(b)[0])
    nodes, _ = graph(browser)
    assert nodes == {target, more, *(caller(n) for n in range(24))}
    assert browser.execute_script("return window.codekgView.nodes.get(arguments[0]).label", more) == "+6 more callers"
    spot = node_position(browser, more)
    click_on_canvas(browser, spot["x"], spot["y"], double=True)  # and double-clicking shows it
    wait.until(lambda b: caller(29) in graph(b)[0])
    assert graph(browser)[0] == {target, *(caller(n) for n in range(30))}
    assert script_errors(browser) == []


def test_an_ambiguous_name_lists_each_symbol_it_may_mean_as_a_link(browser, served):
    wait = WebDriverWait(browser, 30)
    browser.get(f"{served.url}/#/symbol/save")
    wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#status li a")) == 2)
    assert browser.find_element(By.ID, "status").text.splitlines() == [
        "“save” means several symbols; pick one:",
        "Method shop.models.Base.save src/shop/models.py:7", "Method shop.models.Order.save src/shop/models.py:23"]
    browser.find_element(By.LINK_TEXT, "shop.models.Order.save").click()
    wait.until(seen.text_to_be_present_in_element((By.ID, "symbol-title"), "shop.models.Order.save"))
    assert browser.title == "shop.models.Order.save · codekg"
    related = browser.find_element(By.ID, "related").text.splitlines()
    assert related[:2] == ["defined in (1)", "shop.models.Order"] and "overrides (1)" in related
    # a stray % in an address is said so, not thrown
    browser.get(f"{served.url}/#/search/100%")
    wait.until(seen.text_to_be_present_in_element((By.ID, "status"), "stray %"))
    assert script_errors(browser) == []
