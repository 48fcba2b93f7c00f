"""Counting a reliability scenario: duplicates, lost rows, what was charged, what went wrong.

Each count comes from the simulator's ledger and its ground truth
(``expected_outcome``), set against the frame the run left.
"""

from __future__ import annotations

import collections
import re
from dataclasses import dataclass

import pandas as pd

from sfy_pandas._linkedin import ProfileURL, parse_profile
from sfy_pandas.simulator import ServerHandle
from sfy_pandas.simulator._ledger import Ledger

API_FINAL = {"completed", "not-found", "failed", "timeout"}
EXPLAINED = {"invalid", "error", "not-sent"}


@dataclass
class Result:
    fault: str
    rows: int
    duplicates: int
    lost_answers: int
    lost_rows: int
    charged: int
    completed: int
    note: str = ""

    def row(self) -> str:
        dup = f"{self.duplicates}"
        if self.lost_answers:
            dup += f" ({self.lost_answers} answers lost)"
        charged = f"{self.charged} / {self.completed}"
        if self.charged != self.completed:
            charged += f" (+{self.charged - self.completed} on re-sent lookups)"
        return (
            f"| {self.fault} | {self.rows:,} | {dup} | {self.lost_rows} | {charged} | {self.note} |"
        )


def _profile(cell: object) -> str | None:
    parsed = parse_profile(cell)
    return parsed.url if isinstance(parsed, ProfileURL) else None


def lost_rows(frame: pd.DataFrame, server: ServerHandle) -> int:
    """Rows without a final status, with a wrong answer, or held back without a reason."""
    lost = 0
    columns = ("linkedin_url", "salesfinity_status", "salesfinity_email", "salesfinity_error")
    for cell, status, email, error in zip(*(frame[c] for c in columns), strict=True):
        if pd.isna(status):
            lost += 1
        elif status in API_FINAL:
            url = _profile(cell)
            truth = server.simulator.expected_outcome(url, "work") if url else None
            got = (status, None if pd.isna(email) else email)
            lost += truth is None or got != (truth.status, truth.email)
        elif status in EXPLAINED:
            lost += pd.isna(error) or not str(error).strip()
            lost += status == "invalid" and _profile(cell) is not None
        else:
            lost += 1  # still pending or processing
    return lost


def completed_profiles(frame: pd.DataFrame) -> int:
    done = frame.loc[frame["salesfinity_status"] == "completed", "linkedin_url"]
    return len({_profile(cell) for cell in done})


def extra_lookups(ledger: Ledger) -> int:
    return sum(count - 1 for count in ledger.duplicates().values())


def _short(reason: str) -> str:
    """A reason in a few words.

    ``not sent: the run failed (The key was refused. Check ...)`` becomes
    ``the run failed: The key was refused``.
    """
    text = reason.removeprefix("not sent: ")
    found = re.fullmatch(r"(.*?) \((.*)\)", text)
    if found is None or " " not in found[2]:
        return text.split(". ")[0]
    return f"{found[1]}: {found[2].split('. ')[0]}"


def held_back(frame: pd.DataFrame) -> str:
    """The rows an analyst must act on, and why, in a few words."""
    rows = frame[frame["salesfinity_status"].isin(["error", "not-sent"])]
    if rows.empty:
        return ""
    statuses = "/".join(sorted(set(rows["salesfinity_status"])))
    reasons = collections.Counter(_short(str(reason)) for reason in rows["salesfinity_error"])
    if len(reasons) == 1:
        return f"{len(rows)} rows {statuses}: {next(iter(reasons))}"
    shown = "; ".join(f"{n} {reason}" for reason, n in reasons.most_common(2))
    return f"{len(rows)} rows {statuses}: {shown}"


def trouble(ledger: Ledger, every_answer_slow: bool = False) -> str:
    """What the simulator did to the client, from its ledger."""
    parts = []
    if ledger.rate_limited:
        parts.append(f"{ledger.rate_limited} answered 429")
    server_errors = sum(ledger.faults.get(code, 0) for code in ("500", "502", "503"))
    if server_errors:
        parts.append(f"{server_errors} answered 5xx")
    if ledger.faults.get("drop"):
        parts.append(f"{ledger.faults['drop']} connections dropped")
    if ledger.faults.get("slow") and not every_answer_slow:  # the kills' set-up, not a fault
        parts.append(f"{ledger.faults['slow']} answers delayed")
    if ledger.responses.get(402):
        parts.append(f"{ledger.responses[402]} answered 402")
    return ", ".join(parts)


def result(fault: str, frame: pd.DataFrame, server: ServerHandle, note: str = "") -> Result:
    ledger = server.ledger
    slow_setup = server.simulator.config.slow_rate == 1.0
    notes = [part for part in (trouble(ledger, slow_setup), note, held_back(frame)) if part]
    return Result(
        fault=fault,
        rows=len(frame),
        duplicates=extra_lookups(ledger),
        lost_answers=ledger.lost_responses,
        lost_rows=lost_rows(frame, server),
        charged=ledger.credits_charged,
        completed=completed_profiles(frame),
        note="; ".join(notes),
    )
