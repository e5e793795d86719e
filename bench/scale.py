"""The size of a generated data set, and the people the bench signs in as (no Django needed)."""

from dataclasses import dataclass

DEFAULT_CASES = 1_000_000
# Per case, on average: the default scale (1,000,000 cases) has 10,000 users and 10,000,000 entries.
CASES_PER_USER = 100
AUDIT_ENTRIES_PER_CASE = 10


@dataclass
class Scale:
    cases: int
    users: int
    audit_entries: int
    seed: int = 1

    @classmethod
    def for_cases(cls, cases, *, users=None, audit_entries=None, seed=1):
        users = users or max(40, cases // CASES_PER_USER)
        audit_entries = AUDIT_ENTRIES_PER_CASE * cases if audit_entries is None else audit_entries
        return cls(cases=cases, users=users, audit_entries=audit_entries, seed=seed)


@dataclass
class Personas:
    """Usernames of the generated users the bench signs in as."""

    caseworker_few: str = ""
    caseworker_many: str = ""
    supervisor_one_team: str = ""
    supervisor_every_team: str = ""
    admin: str = ""
    reporting: str = ""  # empty in a bench database generated before the reports
