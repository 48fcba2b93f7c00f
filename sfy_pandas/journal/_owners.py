"""Who holds a claim, and whether that process may still be sending the create.

An owner token names the host, the pid and the pid's start time, so a claim
left by a process that died (or whose pid was reused) is seen as in doubt.
"""

from __future__ import annotations

import os
import socket
import uuid

__all__ = ["CLAIM_LEASE_SECONDS", "OPEN_OWNERS", "new_owner_token", "owner_is_alive"]

#: A claim older than this is in doubt even if its owner's pid looks alive:
#: pids get reused, and no create retries for this long.
CLAIM_LEASE_SECONDS = 15 * 60

#: Owner tokens of the journals open in this process: a claim made by one of
#: them is alive even though its pid is ours.
OPEN_OWNERS: set[str] = set()


def new_owner_token() -> str:
    """Who claims, precisely enough to tell later whether it is still alive."""
    pid = os.getpid()
    return f"{socket.gethostname()}|{pid}|{_process_start_time(pid)}|{uuid.uuid4().hex}"


def _process_start_time(pid: int) -> str:
    # The start time (in clock ticks since boot) tells a reused pid from the
    # original on Linux; elsewhere the lease bounds how long a reuse can fool us.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "?"


def owner_is_alive(owner: str | None, claimed_at: float | None, now: float) -> bool:
    """True when the process that claimed a profile may still be sending it."""
    if owner is None or claimed_at is None or now - claimed_at > CLAIM_LEASE_SECONDS:
        return False
    if owner in OPEN_OWNERS:
        return True
    try:
        host, pid_text, started, _instance = owner.split("|")
        pid = int(pid_text)
    except ValueError:
        return False
    if host != socket.gethostname():
        return True  # another machine on a shared disk: trust the lease
    if pid == os.getpid():
        return False  # one of ours, and it was closed
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return started in {"?", _process_start_time(pid)}
