"""How gunicorn serves each service: `gunicorn --config python:shared.web.server ...`.

The Procfile (`make run`) and docker-compose.yml start the web processes with this module, so
both run the same worker model with the same `WEB_CONCURRENCY`.

A client that opens a connection and stalls must not starve a service. gunicorn's threaded
worker reads each request in a thread of its own, so:
- each worker has several threads, and there are several workers: a few stalled clients leave
  threads free for everyone else;
- a client that stops sending its request, or stops reading the answer, for
  `WEB_CLIENT_TIMEOUT_SECONDS` is dropped and its thread freed at once. A client still
  sending, however slowly, is not cut off: the timeout is per read and per write.

A connection kept open between requests (HTTP keep-alive) outlives the proxy's use of it: the
proxy in front (deploy/Caddyfile) stops reusing an idle connection to a service before the service
would close it (`WEB_KEEPALIVE_SECONDS`). The other way round, a request the proxy sends on a
connection gunicorn is closing at that moment is lost: Go's HTTP client, in Caddy, sends a GET
again on a new one, but answers a POST (a sign-in, a pledge) with an empty 502.
"""
import errno
import os
import socket

from gunicorn.workers import gthread

# Threads and processes, not gevent: SQLite (make run) waits for its lock inside C, which
# would freeze every greenlet of the process while one waits.
worker_class = "shared.web.server.ThreadWorker"
workers = int(os.environ.get("WEB_CONCURRENCY", 2))
threads = int(os.environ.get("WEB_THREADS", 8))
CLIENT_TIMEOUT_SECONDS = float(os.environ.get("WEB_CLIENT_TIMEOUT_SECONDS", 10))
# How long an idle connection stays open for a next request (gunicorn's default is 2 s): longer
# than the proxy keeps an idle connection to a service (`keepalive 2s` in deploy/Caddyfile; a load
# balancer's idle timeout, behind one). It is also how long a new connection may wait for its
# first byte, holding no thread meanwhile.
keepalive = int(os.environ.get("WEB_KEEPALIVE_SECONDS", 5))
# Each worker process listens on a socket of its own on the service's port (SO_REUSEPORT), and
# the kernel spreads new connections evenly over them. On the one socket they used to share, the
# process that woke first took most of them, often all: one process, one core, served every kept
# connection (the proxy's, the bench's) while the other waited (issue 15; docs/architecture.md,
# "Scaling out"). The cost: connections a process has not yet accepted when it dies are reset,
# where on a shared socket another process would take them. `on_starting` keeps the port's
# other guarantee: a second server on a port already served refuses to start, rather than share it.
reuse_port = True
# Files are sent with ordinary writes, which the client timeout bounds.
sendfile = False
# `gunicornc` is not used; its socket would be one more file shared by every service.
control_socket_disable = True


class ClientSocket(socket.socket):
    """A client's connection whose blocking reads and writes give up after the client timeout.

    gunicorn sets a connection blocking before a thread reads it: that becomes the timeout.
    A stalled client then looks like one that went away: gunicorn closes the connection
    quietly, without waiting (in its main loop) for a peer that will not answer.
    """

    @classmethod
    def adopt(cls, sock: socket.socket) -> "ClientSocket":
        return cls(sock.family, sock.type, sock.proto, fileno=sock.detach())

    def setblocking(self, flag: bool) -> None:
        if flag:
            self.settimeout(CLIENT_TIMEOUT_SECONDS)
        else:
            super().setblocking(False)

    def recv(self, *args) -> bytes:
        try:
            return super().recv(*args)
        except TimeoutError:
            self._give_up()
            return b""

    def sendall(self, *args) -> None:
        try:
            super().sendall(*args)
        except TimeoutError:
            self._give_up()
            raise BrokenPipeError(errno.EPIPE, "the client stopped reading") from None

    def _give_up(self) -> None:
        try:
            self.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class ThreadWorker(gthread.ThreadWorker):
    """gunicorn's threaded worker, with the client timeout on every connection."""

    def enqueue_req(self, conn):
        if not isinstance(conn.sock, ClientSocket):
            conn.sock = ClientSocket.adopt(conn.sock)
        super().enqueue_req(conn)


def post_worker_init(worker) -> None:
    """A web process listens for changes to its public reads from its start
    (shared.web.public_reads), not from its first such request: that request, and every one
    behind it until the listening connection is up, would otherwise be answered by Flask."""
    reads = getattr(getattr(worker, "wsgi", None), "extensions", {}).get("public_reads")
    if reads is not None and reads.changes is not None:
        reads.changes.start()


def on_starting(arbiter) -> None:
    """Refuse to start on a port another server already listens on.

    With `reuse_port` a process may listen on a port where another process of the same user
    listens with the same option: a second copy of a service (a `make run` started twice, a
    deployment's old release still up) would silently take half of the first one's connections.
    A plain socket, bound here before any worker binds its own, finds the port taken. The new
    master of a live upgrade (USR2) shares the port with the old one on purpose, and is let be."""
    if arbiter.master_pid:
        return
    for address in arbiter.cfg.address:
        if not isinstance(address, tuple):
            continue  # a Unix socket's path, or a file descriptor given by the system
        host, port = address[0], address[1]
        if not port:
            raise RuntimeError(f"bind {host}:0 names no port: each worker process would listen on one of its own")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            # As gunicorn's own sockets: a connection of an earlier run in TIME_WAIT does not count.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    raise RuntimeError(f"{host}:{port} is already served by another process") from None
                raise
