"""State: the SQLite journal that makes a rerun resume instead of paying twice."""

from ._journal import Claim, ClaimResult, Entry, Journal, NullJournal, State, open_journal

__all__ = ["Claim", "ClaimResult", "Entry", "Journal", "NullJournal", "State", "open_journal"]
