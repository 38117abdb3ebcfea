"""Workaround: nbclient misses a cell's ``execute_reply`` after a widget cell (the run stalls
until the cell timeout, or forever without one).

Cause (pinned stack: jupyter_client 8.10.0, pyzmq 27.3.0, nbclient 0.11.0). nbclient waits for
the reply with ``await shell_channel.get_msg(timeout)``, a ``zmq.asyncio`` poll that wakes when
the socket's ``ZMQ_FD`` becomes readable. That FD is edge-triggered: libzmq resets it whenever
it processes the socket's pending commands, and every ``zmq_send`` does that. While the poll
waits, nbclient's Output-widget mimic (``nbclient/output_widget.py``, ``OutputWidget.sync_state``
→ ``_publish_msg``) sends a ``comm_msg`` on the same shell socket for every output the widget
captures, and ``jupyter_client/session.py`` (``Session.send``, lines 819-821) sends it on a plain
``zmq.Socket.shadow`` of the asyncio socket, so pyzmq's asyncio socket never learns of the send
and never re-reads ``ZMQ_EVENTS`` (its own sends do, see ``zmq/_future.py``,
``_add_send_event`` → ``_schedule_remaining_events``). When the kernel's reply has reached the
socket just before such a send, the send swallows its wake-up: the reply sits in the socket,
the FD stays silent, and the poll only returns when its timeout expires.

Fix: after every send on an asyncio channel, read ``ZMQ_EVENTS`` through the asyncio socket
(``zmq.asyncio.Socket.get(zmq.EVENTS)``), which re-schedules the waiting poll when a message is
there: what pyzmq documents for edge-triggered sockets (check ``EVENTS`` after each send).

Use: ``apply()`` before running notebooks (idempotent; tools/run_notebooks.py,
tests/conftest.py and tests/benchmarks/bench.py do), or list this file as a Sphinx extension
(``_config.yml``, ``local_extensions``) so myst-nb's in-process execution gets it.
Upstream: jupyter/nbclient#311/#312 and jupyter/jupyter_client#1059 (unresolved).
"""

from __future__ import annotations

import asyncio

import zmq

_MARK = "_rnngrad_nbclient_wakeup"


def _rearm(socket) -> None:
    """Let a zmq.asyncio socket notice messages that arrived while it was written to."""
    if socket is None or socket.closed:
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:          # no loop: nothing can be awaiting this socket here
        return
    socket.get(zmq.EVENTS)        # zmq.asyncio: re-reads EVENTS, wakes a waiting poll


def apply() -> None:
    """Patch ``AsyncZMQSocketChannel.send`` to re-arm its socket after each send."""
    from jupyter_client.channels import AsyncZMQSocketChannel

    if getattr(AsyncZMQSocketChannel.send, _MARK, False):
        return
    send = AsyncZMQSocketChannel.send

    def send_and_rearm(self, msg):
        send(self, msg)
        _rearm(self.socket)

    send_and_rearm.__doc__ = send.__doc__
    setattr(send_and_rearm, _MARK, True)
    AsyncZMQSocketChannel.send = send_and_rearm


def setup(app) -> dict:
    """Sphinx extension: patch before myst-nb executes any notebook."""
    apply()
    return {"parallel_read_safe": True, "parallel_write_safe": True}
