"""The built documentation site, loaded in a real browser (headless Chromium).

Runs only when ``RETENTION_KPIS_SITE_DIR`` points to a built site (``mkdocs build``);
``.ci/run`` builds the site, serves it on 127.0.0.1 and runs this file, and fails if it was
skipped. To run it yourself (Debian: ``apt-get install chromium chromium-driver``)::

    pip install -e ".[docs]" && mkdocs build --strict -d /tmp/site
    RETENTION_KPIS_SITE_DIR=/tmp/site python -m pytest tests/docs

It checks what a reader sees and the strict build cannot: the formulas are typeset by
KaTeX (its output elements exist, no KaTeX error), every picture loads (``naturalWidth``
> 0), the search finds ``probability_alive``, the copy button leaves out ``>>>`` prompts and
printed output, and no page asks for anything outside the site (the site reads offline).
A screenshot of each page goes to ``RETENTION_KPIS_SCREENSHOT_DIR`` (default: a
``screenshots`` folder beside the site).

The browser is Debian's ``chromium`` driven by its ``chromedriver`` through selenium; no
browser is downloaded. ``RETENTION_KPIS_SITE_URL`` gives the address of a server already
serving the site; without it the test serves the folder itself with ``python -m
http.server`` on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE_DIR = os.environ.get("RETENTION_KPIS_SITE_DIR", "")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not SITE_DIR,
        reason=(
            "browser test of the built docs site: set RETENTION_KPIS_SITE_DIR to a site built "
            "by 'mkdocs build' (needs the docs extra and Debian's chromium + chromium-driver; "
            ".ci/run does all of this)"
        ),
    ),
]

# Pages with formulas and how many display or inline formulas each has at least.
FORMULA_PAGES = {"clv/bgnbd/": 20, "clv/pareto_nbd/": 10, "metrics/orders/": 5}
# Pages with pictures: the generated plots and a notebook's stored outputs.
IMAGE_PAGES = (
    "gallery/",
    "",
    "cohorts/",
    "clv/",
    "metrics/",
    "notebooks/03_cohorts_attribution/",
)
TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def site_dir() -> Path:
    path = Path(SITE_DIR)
    assert (path / "index.html").is_file(), f"{path} is not a built site (no index.html)"
    return path


@pytest.fixture(scope="module")
def base_url(site_dir: Path) -> Iterator[str]:
    given = os.environ.get("RETENTION_KPIS_SITE_URL")
    if given:
        yield given.rstrip("/") + "/"
        return
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=site_dir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def screenshots(site_dir: Path) -> Path:
    folder = Path(
        os.environ.get("RETENTION_KPIS_SCREENSHOT_DIR") or site_dir.parent / "screenshots"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # selenium comes with the docs extra: this module imports (and skips) without it.
    from selenium import webdriver  # noqa: PLC0415
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    assert chromium, "Debian's chromium is not installed (apt-get install chromium)"
    assert driver_path, "chromedriver is not installed (apt-get install chromium-driver)"
    os.environ.setdefault("SE_OFFLINE", "true")  # selenium never downloads a driver here
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1600",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(TIMEOUT)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(browser: Any, script: str, what: str) -> Any:
    """Poll a JavaScript expression until it is truthy; fail with ``what`` after TIMEOUT."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        value = browser.execute_script(f"return {script};")
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {TIMEOUT:.0f} s waiting for {what}")
        time.sleep(0.2)


def _open(browser: Any, url: str) -> None:
    browser.get(url)
    _wait(browser, "document.readyState === 'complete'", f"{url} to load")


def _shot(browser: Any, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    browser.save_screenshot(str(path))
    assert path.stat().st_size > 0


@pytest.mark.parametrize(("page", "at_least"), FORMULA_PAGES.items())
def test_formulas_are_typeset(
    browser: Any, base_url: str, screenshots: Path, page: str, at_least: int
) -> None:
    _open(browser, base_url + page)
    counts = _wait(
        browser,
        "(() => { const all = document.querySelectorAll('.arithmatex');"
        " const done = [...all].filter(e => e.querySelector('.katex'));"
        " return all.length > 0 && done.length === all.length"
        " ? {formulas: all.length, errors: document.querySelectorAll('.katex-error').length}"
        " : null; })()",
        f"KaTeX to typeset every formula of {page}",
    )
    _shot(browser, screenshots, "formulas_" + page.strip("/").replace("/", "_"))
    assert counts["formulas"] >= at_least, counts
    assert counts["errors"] == 0, f"{counts['errors']} formulas of {page} failed to parse"
    # The typeset maths has a size: it is laid out, not hidden source text.
    height = browser.execute_script(
        "return document.querySelector('.arithmatex .katex-display, .arithmatex .katex')"
        ".getBoundingClientRect().height;"
    )
    assert height > 0


@pytest.mark.parametrize("page", IMAGE_PAGES)
def test_images_load(browser: Any, base_url: str, screenshots: Path, page: str) -> None:
    _open(browser, base_url + page)
    browser.execute_script(  # lazy images load once they are near the viewport
        "document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; });"
    )
    images = _wait(
        browser,
        "(() => { const imgs = [...document.querySelectorAll('article img')];"
        " return imgs.length && imgs.every(i => i.complete)"
        " ? imgs.map(i => [i.getAttribute('src').slice(0, 80), i.naturalWidth]) : null; })()",
        f"the images of {page or 'the home page'} to finish loading",
    )
    _shot(browser, screenshots, "images_" + (page.strip("/").replace("/", "_") or "home"))
    broken = [src for src, width in images if width == 0]
    assert not broken, f"images that did not load on {page!r}: {broken}"


def test_gallery_shows_every_generated_plot(browser: Any, base_url: str) -> None:
    _open(browser, base_url + "gallery/")
    sources = browser.execute_script(
        "return [...document.querySelectorAll('article img')].map(i => i.src);"
    )
    plots = [src for src in sources if "/images/plots/" in src]
    assert len(plots) >= 6, sources  # the six plots of tools/docs_plots.py at least


def test_search_finds_probability_alive(browser: Any, base_url: str, screenshots: Path) -> None:
    from selenium.webdriver.common.by import By  # noqa: PLC0415 - see browser()

    _open(browser, base_url)
    browser.find_element(By.CSS_SELECTOR, "label.md-search__icon, .md-search__input").click()
    field = browser.find_element(By.CSS_SELECTOR, "input.md-search__input")
    field.send_keys("probability_alive")
    links = _wait(
        browser,
        "(() => { const items = document.querySelectorAll('.md-search-result__item a');"
        " return items.length ? [...items].map(a => a.href) : null; })()",
        "search results for 'probability_alive'",
    )
    _shot(browser, screenshots, "search_probability_alive")
    assert any("clv" in link for link in links), links


def test_copy_button_copies_code_only(browser: Any, base_url: str) -> None:
    """Material copies ``code.innerText`` while ``data-md-copying`` is set on the block.

    With the ``pycon`` lexer and ``docs/stylesheets/extra.css`` that text is the home page
    example's code lines, without the ``>>>`` prompts and without the printed output.
    """
    source = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    block = source.split("```pycon", 1)[1].split("```", 1)[0]
    expected = [line[4:] for line in block.splitlines() if line.startswith((">>> ", "... "))]
    _open(browser, base_url)
    copied, shown = browser.execute_script(
        "const code = [...document.querySelectorAll('.highlight code')]"
        "  .find(c => c.querySelector('.gp'));"
        "const shown = code.innerText;"
        "code.setAttribute('data-md-copying', '');"
        "const copied = code.innerText;"
        "code.removeAttribute('data-md-copying');"
        "return [copied, shown];"
    )
    assert ">>> " in shown  # the page shows the prompts and the output
    assert "array([1.226])" in shown
    lines = [line.rstrip() for line in copied.splitlines() if line.strip()]
    assert lines == [line.rstrip() for line in expected]


def test_pages_ask_for_nothing_outside_the_site(browser: Any, base_url: str) -> None:
    browser.get_log("performance")  # drop what earlier tests requested
    for page in ("", "clv/bgnbd/", "notebooks/01_quickstart/", "reference/funnels/"):
        _open(browser, base_url + page)
    requested = [
        json.loads(entry["message"])["message"]["params"]["request"]["url"]
        for entry in browser.get_log("performance")
        if json.loads(entry["message"])["message"]["method"] == "Network.requestWillBeSent"
    ]
    outside = sorted({url for url in requested if not url.startswith((base_url, "data:", "blob:"))})
    assert requested
    assert not outside, f"requests outside the site: {outside}"
