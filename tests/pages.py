"""Reading pages in tests the way a browser would: the form's CSRF token, the visible text."""
import html
import re

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str) -> str:
    page = client.get(path)
    match = CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token in the form at {path}"
    return match.group(1)


def post_form(client, path: str, data: dict, form_path: str | None = None, **kwargs):
    """GET the form page (for its token), then POST the form as a browser would."""
    token = csrf_token(client, form_path or path)
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))
