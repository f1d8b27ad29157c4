"""Public reads answered from memory until what they were made of changes (issue 15).

A public read such as `GET /api/calls` is the same answer for everyone who is not signed in, and
the data behind it changes a few times a day. A web process keeps that answer, whole (status,
headers, body), and replays it to the next such request without entering Flask, the database or
the schemas. Each replay still gets its own request id and its own request log line.

What makes a kept answer stale, and how each process learns of it:
- **A write to a table the read is made of.** A trigger on each such table (the service's
  migrations) sends `NOTIFY tremplin_public_reads` when a statement changes it; PostgreSQL delivers
  it at commit, to every process listening on that database, whatever wrote it (another process,
  another machine, a migration, psql). Each process listens on one connection of its own, in a
  thread (`Changes`). A write made by this very process is also seen at once, when its connection
  goes back to the pool after the commit, so that a request that follows a write in the same process
  never reads the answer from before it.
- **Time.** An answer that depends on the clock (a call whose closing time passes) is kept only
  until the view says (`keep_until`), and never longer than MAX_AGE_SECONDS.
- **The listening connection being lost.** While it is down, and until it listens again, nothing
  is replayed or kept: every request goes to Flask. A connection that dies silently is found by a
  ping every PING_SECONDS; notifications lost in that window make an answer at most MAX_AGE_SECONDS old.

Every kept answer carries the generation of changes it was read in; any change moves the
generation on, so an answer read while a write committed is either not kept or not replayed.
When an answer has to be read again, one thread of the process reads it; the others asking for it
meanwhile wait for that answer (at most WAIT_SECONDS), then replay it if it may be, rather than
each read it at once.

Only requests that every visitor sends alike are replayed: GET, no query string, no
Authorization header, and no cookie but the language chosen (`lang`, one of the platform's
languages: the answer is kept per language). A visitor signed in, or with any other cookie, is
answered by Flask. On SQLite (`make run`), which has no NOTIFY, nothing is kept.

A service names the paths it serves this way, exactly or with `<int>` for a number (a campaign's
page, `/campaigns/<int>`, kept per campaign).
"""
from __future__ import annotations

import functools
import itertools
import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import make_url
from werkzeug.http import parse_cookie

from shared.core.logs import reset_request_id, set_request_id
from shared.web.i18n import COOKIE as LANGUAGE_COOKIE, LANGUAGES
from shared.web.request_logs import log_answer, request_id_from, request_log

CHANNEL = "tremplin_public_reads"
# How the listening connection shows in pg_stat_activity.
APPLICATION_NAME = "tremplin public reads"
MAX_AGE_SECONDS = 30.0
PING_SECONDS = 5.0
# Where a view's consent to be kept travels from the view to the middleware: the request's WSGI environ.
UNTIL = "tremplin.public_reads.until"
# Bounds the answers kept per process: one per path (a campaign's page is a path of its own), per
# language chosen (none, or its cookie) and per address it was asked at (scheme, host, prefix).
# When full, all are dropped, then read again.
MAX_ENTRIES = 256
# How long a request waits for the answer another thread is reading for it before reading it too.
WAIT_SECONDS = 1.0
# `<int>` in a served path: a number, as Flask's int converter reads it.
_NUMBER = r"\d{1,18}"

log = logging.getLogger("tremplin.public_reads")


@functools.lru_cache(maxsize=64)
def _language_chosen(cookie_header: str) -> str | None:
    """The language of a Cookie header that holds the language chosen and nothing else; None for
    any other header (a session, another cookie, a language the platform does not have)."""
    cookies = parse_cookie(cookie_header)
    if set(cookies) != {LANGUAGE_COOKIE}:
        return None
    chosen = cookies.getlist(LANGUAGE_COOKIE)
    return chosen[0] if len(chosen) == 1 and chosen[0] in LANGUAGES else None


def keep_until(when: datetime) -> None:
    """Called by a view served through `PublicReads.serve`: its answer may be replayed to anyone
    until `when` (or until a table it reads changes). A view that does not call it is never kept."""
    request.environ[UNTIL] = when.timestamp()


class Changes:
    """One process's knowledge of the changes to one database's watched tables: a generation that
    moves on with each change, and whether it is listening (else nothing may be replayed)."""

    _registry: dict[tuple, "Changes"] = {}
    _registry_lock = threading.Lock()

    def __init__(self, connect_args: tuple, connect_kwargs: dict):
        self._connect_args, self._connect_kwargs = connect_args, connect_kwargs
        self._counter = itertools.count(1)
        self.generation = 0
        self.listening = False
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    @classmethod
    def of(cls, engine, listen_url: str | None = None) -> "Changes":
        """The process's one `Changes` of this engine's database, listened to at `listen_url` if
        given (a forked process gets its own: the thread does not survive the fork)."""
        connect_args, connect_kwargs = engine.dialect.create_connect_args(make_url(listen_url or engine.url))
        # The engine's own adapters (`context`) are not needed to listen, and differ per engine.
        connect_kwargs = {name: value for name, value in connect_kwargs.items() if name != "context"}
        key = (os.getpid(), tuple(connect_args), tuple(sorted((k, str(v)) for k, v in connect_kwargs.items())))
        with cls._registry_lock:
            found = cls._registry.get(key)
            if found is None:
                found = cls._registry[key] = cls(tuple(connect_args), dict(connect_kwargs))
            return found

    def changed(self) -> None:
        # next() on a count is atomic under the GIL: two changes at once give two generations.
        self.generation = next(self._counter)

    def start(self) -> None:
        """Starts listening, once: when a gunicorn web process starts (shared/web/server.py), else
        at the first request that could be replayed."""
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._listen, name="public-reads-listener", daemon=True)
                self._thread.start()

    def _listen(self) -> None:
        import psycopg  # here: a process on SQLite (make run) never loads it

        delay, failing = 0.1, False
        while True:
            try:
                with psycopg.connect(*self._connect_args, **{
                    **self._connect_kwargs, "autocommit": True, "connect_timeout": 5, "application_name": APPLICATION_NAME,
                    "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3,
                }) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    # Whatever changed while nobody listened: nothing kept before is replayed.
                    self.changed()
                    self.listening = True
                    if failing:
                        log.warning("listening again for changes to public reads")
                    delay, failing = 0.1, False
                    while True:
                        for _notification in connection.notifies(timeout=PING_SECONDS):
                            self.changed()
                        connection.execute("SELECT 1")
            except Exception as error:  # any loss of the connection: stop replaying, then listen again
                self.listening = False
                self.changed()
                if not failing:
                    log.warning("stopped listening for changes to public reads (%s); answering from the database",
                                type(error).__name__)
                failing = True
                time.sleep(delay)
                delay = min(delay * 2, 5.0)


def watch_local_writes(engine, tables: frozenset[str], changes: Changes) -> None:
    """A write to one of `tables` through this engine moves `changes` on when its connection goes
    back to the pool, after the commit: this process's next request reads the new rows, without
    waiting for the notification. A statement whose table cannot be told counts as a write to them."""

    @event.listens_for(engine, "after_cursor_execute")
    def _written(connection, _cursor, _statement, _parameters, context, _executemany):
        if context is None or not (context.isinsert or context.isupdate or context.isdelete):
            return
        table = getattr(getattr(context.compiled, "statement", None), "table", None)
        if getattr(table, "name", None) in tables or table is None:
            connection.info["public_reads_written"] = True

    @event.listens_for(engine, "commit")
    def _committing(connection):
        if connection.info.pop("public_reads_written", False):
            connection.info["public_reads_committed"] = True

    @event.listens_for(engine, "rollback")
    def _rolled_back(connection):
        if not connection.invalidated:  # an invalidated connection's record is reset anyway
            connection.info.pop("public_reads_written", None)

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record):
        if record.info.pop("public_reads_committed", False):
            changes.changed()


@dataclass(frozen=True, slots=True)
class _Kept:
    generation: int
    expires: float
    status: str
    headers: list[tuple[str, str]]
    body: bytes


class PublicReads:
    """The WSGI middleware in front of a service's Flask app (installed by create_service_app);
    replays nothing until the service names its public reads with `serve`."""

    def __init__(self, app: Flask):
        self.wsgi_app = app.wsgi_app
        self.paths: frozenset[str] = frozenset()
        self.patterns: re.Pattern | None = None  # the paths with `<int>`, as one expression
        self.changes: Changes | None = None
        self.kept: dict[tuple, _Kept] = {}
        self._reading: dict[tuple, threading.Event] = {}  # the answers a thread is reading again, by key
        self._reading_lock = threading.Lock()
        self.log = request_log(app)

    def serve(self, *paths: str, tables: tuple[str, ...], database, listen_url: str | None = None) -> None:
        """Replay the answers of `paths` (views that call `keep_until`), which read `tables`; a
        path may hold `<int>` segments (`/campaigns/<int>`). `listen_url`: where to listen, when the
        database's URL goes through a pooler that cannot (PgBouncer's transaction pooling drops
        LISTEN); "off" replays nothing."""
        if not database.is_postgresql or listen_url == "off":
            return
        self.changes = Changes.of(database.engine, listen_url)
        watch_local_writes(database.engine, frozenset(tables), self.changes)
        self.paths = self.paths | frozenset(path for path in paths if "<int>" not in path)
        patterns = [re.escape(path).replace(re.escape("<int>"), _NUMBER) for path in paths if "<int>" in path]
        if self.patterns is not None:
            patterns.insert(0, self.patterns.pattern)
        if patterns:
            self.patterns = re.compile("|".join(f"(?:{pattern})" for pattern in patterns))

    def _served(self, path: str) -> bool:
        return path in self.paths or (self.patterns is not None and self.patterns.fullmatch(path) is not None)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if (
            environ["REQUEST_METHOD"] != "GET"
            or not self._served(path)
            or environ.get("QUERY_STRING")
            or "HTTP_AUTHORIZATION" in environ
        ):
            return self.wsgi_app(environ, start_response)
        language = ""
        if "HTTP_COOKIE" in environ:
            language = _language_chosen(environ["HTTP_COOKIE"])
            if language is None:
                return self.wsgi_app(environ, start_response)
        changes = self.changes
        changes.start()
        key = (path, language, environ.get("SCRIPT_NAME", ""), environ["wsgi.url_scheme"], environ.get("HTTP_HOST", ""))
        kept = self._replayable(key)
        if kept is not None:
            return self._replay(kept, environ, start_response)
        if not changes.listening:
            return self.wsgi_app(environ, start_response)  # nothing could be kept
        # One thread reads the answer again; the others asking for it meanwhile wait for it rather
        # than all read it at once (after each change, a popular page had every thread read it).
        with self._reading_lock:
            reading = self._reading.get(key)
            if reading is None:
                reading = self._reading[key] = threading.Event()
                mine = True
            else:
                mine = False
        if not mine:
            reading.wait(WAIT_SECONDS)
            kept = self._replayable(key)
            if kept is not None:
                return self._replay(kept, environ, start_response)
            return self._answer_and_keep(key, environ, start_response)  # not kept (a change meanwhile, not a 200)
        try:
            return self._answer_and_keep(key, environ, start_response)
        finally:
            with self._reading_lock:
                del self._reading[key]
            reading.set()

    def _replayable(self, key: tuple) -> _Kept | None:
        """The answer kept for `key`, if it may be replayed now."""
        kept, changes = self.kept.get(key), self.changes
        if (kept is not None and changes.listening and kept.generation == changes.generation
                and time.time() < kept.expires):
            return kept
        return None

    def _replay(self, kept: _Kept, environ, start_response):
        started = time.perf_counter()
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID", ""))
        start_response(kept.status, [*kept.headers, ("X-Request-ID", request_id)])
        token = set_request_id(request_id)
        try:
            log_answer(self.log, "GET", environ["PATH_INFO"], int(kept.status[:3]), started, replayed=True)
        finally:
            reset_request_id(token)
        return [kept.body]

    def _answer_and_keep(self, key: tuple, environ, start_response):
        changes = self.changes
        generation, listening = changes.generation, changes.listening
        answered = {}

        def recording_start_response(status, headers, exc_info=None):
            answered["status"], answered["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, recording_start_response)
        try:
            chunks = list(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        until = environ.get(UNTIL)
        now = time.time()
        if (
            listening and until is not None and until > now
            and answered.get("status", "").startswith("200")
            and changes.listening and changes.generation == generation
            and not any(name.lower() == "set-cookie" for name, _ in answered["headers"])
        ):
            if len(self.kept) >= MAX_ENTRIES:
                self.kept.clear()
            headers = [(name, value) for name, value in answered["headers"] if name.lower() != "x-request-id"]
            self.kept[key] = _Kept(generation, min(until, now + MAX_AGE_SECONDS), answered["status"], headers,
                                   b"".join(chunks))
        return chunks
