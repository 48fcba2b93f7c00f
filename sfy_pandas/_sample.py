"""Messy sample leads, as analysts' spreadsheets really hold them.

Each person's LinkedIn profile is written several ways (scheme or not, ``www``
or a country subdomain, upper case, tracking queries, trailing paths), and the
column also holds blanks, junk, company pages, old ``/pub/`` links, Sales
Navigator links and numbers. Deterministic for a given seed, so the demo, the
notebook and the tests all see the same rows.
"""

from __future__ import annotations

import random
from importlib.resources import files

import pandas as pd

__all__ = ["messy_leads", "sample_leads_path"]

_FIRST = [
    "Jane",
    "John",
    "Maria",
    "Wei",
    "Aisha",
    "Lucas",
    "Sofia",
    "Mateo",
    "Emma",
    "Noah",
    "Olivia",
    "Liam",
    "Ava",
    "Ethan",
    "Mia",
    "Arjun",
    "Chloe",
    "Yuki",
    "Omar",
    "Lena",
    "Diego",
    "Priya",
    "Hannah",
    "Kofi",
    "Elena",
    "Tomás",
    "Zoë",
    "Björn",
    "Amélie",
    "Chen",
    "Fatima",
    "Sven",
    "Isabel",
    "Rafael",
    "Nora",
    "Malik",
    "Ines",
    "Kenji",
    "Leila",
    "Pablo",
]
_LAST = [
    "Doe",
    "Smith",
    "Garcia",
    "Chen",
    "Khan",
    "Martin",
    "Rossi",
    "Silva",
    "Müller",
    "Johnson",
    "Brown",
    "Lee",
    "Patel",
    "Nguyen",
    "Kowalski",
    "Dubois",
    "Haddad",
    "Tanaka",
    "Okafor",
    "Novak",
    "Larsen",
    "Costa",
    "Fischer",
    "Moreau",
    "Ivanova",
    "O'Brien",
    "Andersson",
    "Schmidt",
    "Rahman",
    "Alvarez",
    "Hughes",
    "Becker",
    "Santos",
    "Kim",
    "Ali",
    "Jensen",
    "Romero",
    "Wright",
]
_COMPANIES = [
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Health",
    "Stark Logistics",
    "Wayne Analytics",
    "Hooli",
    "Vandelay Imports",
    "Soylent Foods",
    "Tyrell Systems",
    "Cyberdyne Labs",
    "Aperture Science",
    "Massive Dynamic",
    "Oscorp",
    "Wonka Industries",
    "Gringotts Finance",
    "Monsters Inc",
    "Pied Piper",
]
_TITLES = [
    "VP Sales",
    "Head of Growth",
    "Marketing Director",
    "CTO",
    "Account Executive",
    "RevOps Manager",
    "SDR Team Lead",
    "Founder",
    "Procurement Lead",
    "Data Analyst",
]

#: Cells that are not a person's profile; each must come back ``invalid``.
JUNK_CELLS: tuple[object, ...] = (
    "",
    "   ",
    None,
    "N/A",
    "https://www.linkedin.com/company/acme-corp/",
    "https://www.linkedin.com/school/stanford-university",
    "https://www.linkedin.com/pub/jane-doe/12/345/678",
    "https://www.linkedin.com/sales/lead/ACwAAAB1234,NAME_SEARCH,abcd",
    "https://example.com/in/jane-doe",
    "jane.doe@acme.com",
    "linkedin",
    42,
    "=A2",
    "https://lnkd.in/abc123",
)


def _handle(first: str, last: str, rng: random.Random) -> str:
    base = f"{first}-{last}".lower().replace("'", "")
    return f"{base}-{rng.getrandbits(28):07x}" if rng.random() < 0.7 else base


def _spellings(handle: str) -> list[str]:
    """The ways one profile turns up in a lead list."""
    return [
        f"https://www.linkedin.com/in/{handle}",
        f"linkedin.com/in/{handle}/",
        f"http://uk.linkedin.com/in/{handle}?trk=public_profile",
        f"  www.linkedin.com/in/{handle}  ",
        f"https://linkedin.com/in/{handle}#experience",
        f"LinkedIn.com/IN/{handle.upper()}",
        f"https://m.linkedin.com/in/{handle}/details/experience/",
        f"https://de.linkedin.com/in/{handle}?originalSubdomain=de",
    ]


def messy_leads(rows: int = 600, *, seed: int = 7, junk_share: float = 0.08) -> pd.DataFrame:
    """A lead list of ``rows`` rows: people written several ways, blanks and junk.

    About a third of the people appear more than once, with different spellings
    of the same profile; ``junk_share`` of the rows are not profiles at all.
    """
    if rows < 0:
        raise ValueError(f"rows must be at least 0, not {rows}")
    rng = random.Random(seed)
    records: list[dict[str, object]] = []
    people: list[tuple[str, str, str, str]] = []
    while len(records) < rows:
        lead_id = f"L{len(records) + 1:06d}"
        if rng.random() < junk_share:
            records.append(
                {
                    "lead_id": lead_id,
                    "first_name": rng.choice(_FIRST),
                    "last_name": rng.choice(_LAST),
                    "company": rng.choice(_COMPANIES),
                    "title": rng.choice(_TITLES),
                    "linkedin_url": rng.choice(JUNK_CELLS),
                }
            )
            continue
        if people and rng.random() < 0.3:
            first, last, company, handle = rng.choice(people)
        else:
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            company, handle = rng.choice(_COMPANIES), ""
            handle = _handle(first, last, rng)
            people.append((first, last, company, handle))
        records.append(
            {
                "lead_id": lead_id,
                "first_name": first,
                "last_name": last,
                "company": company,
                "title": rng.choice(_TITLES),
                "linkedin_url": rng.choice(_spellings(handle)),
            }
        )
    columns = ["lead_id", "first_name", "last_name", "company", "title", "linkedin_url"]
    frame: pd.DataFrame = pd.DataFrame(records, columns=columns)
    return frame


def sample_leads_path() -> str:
    """The bundled sample lead list (``sample_leads.csv``, made by :func:`messy_leads`)."""
    return str(files("sfy_pandas") / "data" / "sample_leads.csv")
