"""Steps the browser journeys share: reading an email in the mailbox page, signing in with the keyboard."""
from __future__ import annotations

import html
import urllib.request

from tests.conftest import wait_until

MAX_TABS = 30


def _mailbox_lists(notifications: str, recipient: str, subject: str) -> bool:
    with urllib.request.urlopen(f"{notifications}/mailbox", timeout=5) as response:
        listing = html.unescape(response.read().decode())
    return any(recipient in row and subject in row for row in listing.split("<tr>"))


def open_mail(page, audit, notifications: str, recipient: str, subject: str) -> None:
    """Wait for the email to reach the mailbox (the relay and the worker take a moment), then
    open the mailbox page and the message, as a person would."""
    wait_until(lambda: _mailbox_lists(notifications, recipient, subject), timeout=30, interval=0.3,
               message=f"the email {subject!r} to {recipient} in the mailbox")
    page.goto(f"{notifications}/mailbox")
    audit.check()
    row = page.get_by_role("row").filter(has_text=recipient).filter(has_text=subject).first
    row.get_by_role("link").click()
    audit.check()
    assert subject in page.get_by_role("heading", level=1).inner_text()


def focused_id(page) -> str:
    return page.evaluate("() => document.activeElement && document.activeElement.id")


def tab_to(page, element_id: str) -> None:
    """Press Tab until the element has the focus, as someone without a mouse does."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if focused_id(page) == element_id:
            return
    raise AssertionError(f"#{element_id} is not reached with Tab from the top of {page.url}")


def sign_in_with_keyboard(page, audit, email: str, password: str) -> None:
    """On the sign-in page: Tab to each field, type, Enter; no click."""
    assert page.get_by_role("heading", level=1).inner_text() == "Se connecter"
    tab_to(page, "email")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    assert focused_id(page) == "password"
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    audit.check()
    assert page.get_by_role("link", name="Se déconnecter").is_visible()
