"""The leads every benchmark sends: generated LinkedIn profiles, some spelled twice.

lead_urls(1_000)                      # one row in ten respells an earlier profile
lead_urls(1_000, duplicate_every=0)   # every row a distinct profile
"""

from __future__ import annotations

import random
from typing import Any

#: By default one row in this many is a profile already met, spelled another way.
DUPLICATE_EVERY = 10
_SPELLINGS = (
    "linkedin.com/in/{}/",
    "http://www.linkedin.com/in/{}?trk=public_profile",
    " https://LinkedIn.com/in/{} ",
)


def profile_url(n: int) -> str:
    return f"https://www.linkedin.com/in/bench-lead-{n:07d}"


def lead_urls(rows: int, seed: int = 1, duplicate_every: int = DUPLICATE_EVERY) -> list[str]:
    """``rows`` LinkedIn cells: one in ``duplicate_every`` respells an earlier profile.

    ``duplicate_every=0`` gives ``rows`` distinct profiles.
    """
    if not duplicate_every:
        return [profile_url(n) for n in range(rows)]
    rng = random.Random(seed)
    urls: list[str] = []
    profiles = 0
    for row in range(rows):
        if row % duplicate_every == duplicate_every - 1:
            handle = f"bench-lead-{rng.randrange(profiles):07d}"
            urls.append(_SPELLINGS[row // duplicate_every % len(_SPELLINGS)].format(handle))
        else:
            urls.append(profile_url(profiles))
            profiles += 1
    return urls


def unique_profiles(rows: int, duplicate_every: int = DUPLICATE_EVERY) -> int:
    """How many distinct profiles ``lead_urls(rows, duplicate_every=...)`` holds."""
    return rows - rows // duplicate_every if duplicate_every else rows


def lead_frame(rows: int, duplicate_every: int = DUPLICATE_EVERY) -> Any:
    import pandas as pd

    urls = lead_urls(rows, duplicate_every=duplicate_every)
    return pd.DataFrame(
        {"lead_id": [f"L{n:07d}" for n in range(rows)], "linkedin_url": urls},
    )
