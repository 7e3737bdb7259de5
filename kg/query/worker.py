"""The query worker processes: one lean "zygote" loads the store once and forks the workers.

Why a zygote: every worker used to load its own copy of the release in a process that also
held the forkserver's imports. Forked after loading, the workers share the store's pages
copy-on-write (queries only read them), and a worker killed for a runaway query is replaced
by a fork in milliseconds instead of a reload.

Why this module imports so little: it runs as ``python -c`` in a fresh interpreter (never a
copy of the HTTP worker), and imports only `kg.query.engine` (pyoxigraph and the standard
library, not even asyncio), so a worker holds no rdflib, web framework or spreadsheet code it
never runs.

Order in the zygote: set the memory limit, load the store in a helper thread (pyoxigraph's
random generator, used by RAND/UUID/STRUUID/BNODE, lives per thread and is not reseeded by
fork: a generator seeded in the forking thread would give every worker the same sequence),
then fence off the network (the seccomp filter and the network namespace are inherited by
every fork; the zygote itself only ever receives sockets over its AF_UNIX control socket).

Control protocol on the zygote's socket (frames as on a worker's socket, see
`kg.query.engine`): the parent sends the StoreSpec, the zygote answers ("ready", counts,
sandboxed) or ("failed", why); then ("fork",) with one socket passed along (SCM_RIGHTS)
is answered ("forked", pid), and ("kill", pid) is not answered. End of stream: the zygote
kills its workers and exits.
"""

from __future__ import annotations

import array
import contextlib
import ctypes
import gc
import os
import pickle
import resource
import select
import signal
import socket
import sys
import threading
from typing import Any

from kg.query.engine import (
    StoreSpec,
    enter_network_sandbox,
    load_store,
    send_frame,
    serve_jobs,
)

_PR_SET_PDEATHSIG = 1


def _receive(ctrl: socket.socket) -> tuple[Any, socket.socket | None]:
    """One control frame and the socket passed with it, if any (frames here are small)."""
    fds = array.array("i")
    header = b""
    sock = None
    while len(header) < 8:
        data, ancdata, _, _ = ctrl.recvmsg(8 - len(header), socket.CMSG_SPACE(fds.itemsize))
        if not data:
            return None, None
        header += data
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    if fds:
        sock = socket.socket(fileno=fds[0])
        for extra in fds[1:]:
            os.close(extra)
    size = int.from_bytes(header, "big")
    body = b""
    while len(body) < size:
        chunk = ctrl.recv(size - len(body))
        if not chunk:
            return None, None
        body += chunk
    return pickle.loads(body), sock


def _reap(children: set[int]) -> None:
    while children:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            children.clear()
            return
        if pid == 0:
            return
        children.discard(pid)


def _become_worker(
    ctrl: socket.socket, conn: socket.socket, zygote: int, store: Any, spec: StoreSpec, hello: Any
) -> None:
    """In the fork: die with the zygote, drop its control socket, answer jobs until EOF."""
    try:
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != zygote:  # the zygote died before the line above
            os._exit(1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        ctrl.close()
        send_frame(conn, hello)
        serve_jobs(conn, store, spec)
    finally:
        os._exit(0)  # never back into the zygote's loop


def main(fd: int) -> None:
    """Entry point of the zygote: `fd` is its end of the control socket."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    ctrl = socket.socket(fileno=fd)
    spec, _ = _receive(ctrl)
    if spec is None:
        return
    if spec.memory_limit:
        resource.setrlimit(resource.RLIMIT_AS, (spec.memory_limit, spec.memory_limit))
    loaded: dict[str, Any] = {}

    def load() -> None:
        try:
            loaded["store"], loaded["counts"] = load_store(spec)
        except Exception as e:  # report why, then die: the parent logs it
            loaded["error"] = f"{type(e).__name__}: {e}"

    loader = threading.Thread(target=load, name="kg-store-loader")
    loader.start()
    loader.join()
    if "error" in loaded:
        send_frame(ctrl, ("failed", loaded["error"]))
        return
    store = loaded.pop("store")
    sandboxed = spec.sandbox_network and enter_network_sandbox()
    hello = ("ready", loaded["counts"], sandboxed)
    send_frame(ctrl, hello)
    gc.collect()
    gc.freeze()  # objects made so far stay untouched by the workers' collections: shared pages
    children: set[int] = set()
    zygote = os.getpid()
    while True:
        readable, _, _ = select.select([ctrl], [], [], 1.0)  # wake up to reap ended workers
        _reap(children)
        if not readable:
            continue
        message, conn = _receive(ctrl)
        if message is None:
            break
        if message[0] == "kill":
            if message[1] in children:  # still ours, never reaped: the pid cannot be reused
                with contextlib.suppress(ProcessLookupError):
                    os.kill(message[1], signal.SIGKILL)
            continue
        if message[0] != "fork" or conn is None:
            continue
        pid = os.fork()
        if pid == 0:
            _become_worker(ctrl, conn, zygote, store, spec, hello)
        conn.close()
        children.add(pid)
        send_frame(ctrl, ("forked", pid))
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for pid in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


if __name__ == "__main__":
    main(int(sys.argv[1]))
