import socket

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    # Controller cannot bind port 0 (it then connects to the port it was given
    # to check that it is up), so ask the kernel for a free one first.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """Start a real aiosmtpd server around a handler; returns its port."""
    controllers = []

    def start(handler, **smtp_parameters) -> int:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **smtp_parameters)
        controller.start()
        controllers.append(controller)
        return port

    yield start
    for controller in controllers:
        controller.stop()
