"""A real browser for tests: Debian's chromium driven by Playwright, and axe-core on every page.

`playwright install` downloads a browser build of its own, which these machines cannot fetch:
Playwright drives the system's chromium instead (scripts/ensure-services.sh installs it).
axe-core comes bundled in the axe-playwright-python package, so nothing is fetched at run time.
"""
from __future__ import annotations

import os
import shutil

from axe_playwright_python.base import AXE_SCRIPT, AxeResults

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
# RGAA 4 follows WCAG 2.1 at levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
# A step waits this long at most for an element or a page; a navigation a little longer.
ACTION_TIMEOUT_MS = 10_000
NAVIGATION_TIMEOUT_MS = 20_000


def chromium_executable() -> str:
    executable = shutil.which(CHROMIUM) or shutil.which("chromium")
    if executable is None:
        raise RuntimeError("chromium is not installed: `make services` installs it (apt-get install chromium)")
    return executable


def launch(playwright):
    return playwright.chromium.launch(executable_path=chromium_executable(), args=CHROMIUM_ARGS)


class AccessibilityAudit:
    """Runs axe on a page, and knows whether every page the browser loaded was checked.

    Every load of the main frame (a link followed, a form posted and redirected) is a page that
    must pass `check()` before the next one loads; `unchecked` names those that did not.
    """

    def __init__(self, page):
        self.page = page
        self.checked: list[str] = []
        self.unchecked: list[str] = []
        self._pending: str | None = None
        page.on("framenavigated", self._loaded)

    def _loaded(self, frame) -> None:
        if frame != self.page.main_frame:
            return
        if self._pending is not None:
            self.unchecked.append(self._pending)
        self._pending = frame.url

    def check(self) -> None:
        """Assert that axe finds no WCAG 2.1 A/AA violation on the page as it is now."""
        self.page.wait_for_load_state("load")
        # The init script (see `prepare`) put axe in every page; a page loaded before it gets it now.
        if not self.page.evaluate("() => typeof axe !== 'undefined'"):
            self.page.evaluate(AXE_SCRIPT)
        results = AxeResults(self.page.evaluate("options => axe.run(document, options)", AXE_OPTIONS))
        url = self.page.url
        self.checked.append(url)
        if self._pending == url:
            self._pending = None
        assert results.violations_count == 0, f"axe on {url}:\n{results.generate_report()}"

    def pages_left_unchecked(self) -> list[str]:
        return self.unchecked + ([self._pending] if self._pending else [])


def prepare(context) -> None:
    """Bounded waits, and axe injected into every page the context opens."""
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    context.add_init_script(script=AXE_SCRIPT)
