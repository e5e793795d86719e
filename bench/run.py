"""``make bench``: prepare the bench database, measure, print the table, write the JSON.

Variables (environment): BENCH_DATABASE_URL, BENCH_CASES (1,000,000), BENCH_USERS
(cases / 100), BENCH_AUDIT_ENTRIES (10 per case), BENCH_ROUNDS (20), BENCH_WRITE_ROUNDS
(50), BENCH_WRITE_SECONDS (10), BENCH_SERVE_SECONDS (10), BENCH_SERVE_THREADS (4),
BENCH_PARTS (pages,writes,serve: which measurements to run), BENCH_PERSONAS (all; a
comma-separated subset of caseworker_few, caseworker_many, supervisor_one_team,
supervisor_every_team, admin), BENCH_STATEMENT_TIMEOUT_MS (30,000: a page whose query runs
longer answers 500 and counts as a failure).
"""

import dataclasses
import datetime
import json
import os
import platform
import time
from pathlib import Path

from bench import database, environment
from bench.scale import DEFAULT_CASES, Scale

RESULTS = Path(__file__).resolve().parent / "results"
# The design's budgets (DESIGN.md, issue 16).
RATIO_BUDGET = 1.3
AUDIT_SEARCH_BUDGET_MS = 50
WRITE_RATIO_BUDGET = 1.5
REQUESTS_SHARE_BUDGET = 0.5


def _int(name, default):
    return int(os.environ.get(name, default))


def wanted_scale():
    cases = _int("BENCH_CASES", DEFAULT_CASES)
    users = _int("BENCH_USERS", 0) or None
    audit = os.environ.get("BENCH_AUDIT_ENTRIES")
    return Scale.for_cases(cases, users=users, audit_entries=int(audit) if audit else None)


def main():
    scale = wanted_scale()
    must_generate = database.prepare(dataclasses.asdict(scale))
    environment.setup()
    from bench import generate

    # Every run: a reused data set gets the migrations that landed since (new indexes are
    # what a rerun is for) and the static files of this checkout (pages need their manifest).
    database.migrate()
    if must_generate:
        generate.generate(scale)
    found, personas, generation_seconds = generate.recorded()
    parts = os.environ.get("BENCH_PARTS", "pages,writes,serve").split(",")
    result = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "postgresql": _server_version()},
        "scale": dataclasses.asdict(found),
        "generation_seconds": round(generation_seconds),
        "personas": dataclasses.asdict(personas),
        "rounds": _int("BENCH_ROUNDS", 20),
    }
    result.update(_measure(parts, personas, result["rounds"]))
    print(table(result))
    path = _write(result)
    print(f"\nFigures written to {path}")


def _server_version():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def _measure(parts, personas, rounds):
    from bench import pages, serve, writes

    result = {}
    only = [name for name in os.environ.get("BENCH_PERSONAS", "").split(",") if name]
    table_pages = pages.pages_of(dataclasses.asdict(personas), only)
    if "pages" in parts:
        result["pages"] = pages.measure(table_pages, rounds, _int("BENCH_STATEMENT_TIMEOUT_MS", 30_000))
    if "writes" in parts:
        result["writes"] = writes.measure(
            personas.caseworker_many, _int("BENCH_WRITE_ROUNDS", 50), _int("BENCH_WRITE_SECONDS", 10)
        )
    if "serve" in parts:
        case_page = next(
            p for p in pages.pages_of({"caseworker_many": personas.caseworker_many}) if p.name == "case page"
        )
        result["serve"] = serve.measure(
            case_page.client, case_page.url, _int("BENCH_SERVE_SECONDS", 10), _int("BENCH_SERVE_THREADS", 4)
        )
    return result


def _write(result):
    RESULTS.mkdir(exist_ok=True)
    day = result["date"][:10]
    path = RESULTS / f"{day}-{result['scale']['cases']}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


# The table ------------------------------------------------------------------------


_NONE = {"median": None, "p90": None}


def _ms(figures):
    if figures["median"] is None:
        return "–"
    return f"{figures['median']:,.1f} / {figures['p90']:,.1f}"


def over_budget(row):
    """Why a page row misses the design's budget ("" when it does not)."""
    reasons = []
    if row["ratio"] is not None and row["ratio"] > RATIO_BUDGET:
        reasons.append(f"ratio > {RATIO_BUDGET}")
    if row["page"] in ("audit: by case", "audit: by person"):
        # Per query, as the design puts it (older result files have page times only).
        median = row.get("slowest_query_ms", row["restricted_ms"])["median"]
        if median is not None and median >= AUDIT_SEARCH_BUDGET_MS:
            reasons.append(f"query ≥ {AUDIT_SEARCH_BUDGET_MS} ms")
    return ", ".join(reasons)


def table(result):
    scale = result["scale"]
    lines = [
        f"casework bench, {result['date']}: {scale['cases']:,} cases, {scale['users']:,} users, "
        f"{scale['audit_entries']:,} audit entries; PostgreSQL {result['machine']['postgresql']}, "
        f"{result['machine']['cpus']} CPUs; {result['rounds']} interleaved rounds",
        "",
        "| persona | page | status | restricted ms (median / p90) | without filter ms (median / p90) | ratio "
        "| slowest query ms | queries | failures | over budget |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in result.get("pages", []):
        ratio = f"{row['ratio']:.2f}" if row["ratio"] is not None else "–"
        lines.append(
            f"| {row['persona']} | {row['page']} | {row['status']} | {_ms(row['restricted_ms'])} "
            f"| {_ms(row['unrestricted_ms'])} | {ratio} | {_ms(row.get('slowest_query_ms', _NONE))} "
            f"| {row['queries']} | {row['failures']} | {over_budget(row)} |"
        )
    lines += _writes_lines(result.get("writes")) + _serve_lines(result.get("serve"))
    return "\n".join(lines)


def _writes_lines(writes):
    if not writes:
        return []
    per_second = writes["writes_per_second"]
    ratio_note = " (over budget)" if writes["ratio"] > WRITE_RATIO_BUDGET else ""
    scaling_note = "" if per_second["4"] > per_second["1"] else " (writers do not scale)"
    return [
        "",
        f"audited write (contact_add): {writes['audited_ms']} ms; unaudited: {writes['unaudited_ms']} ms; "
        f"ratio {writes['ratio']}{ratio_note}",
        f"audited writes per second: 1 writer {per_second['1']}, 4 writers {per_second['4']}{scaling_note}",
    ]


def _serve_lines(serve):
    if not serve:
        return []
    # The design's "bare page of the same size" read as the site's own signed-in shell: the
    # server's raw ceiling is printed beside it, but no Django page can come near it.
    bare_django = serve.get("bare_django_page")
    share_note = " (over budget)" if (serve.get("ratio_django") or 0) < REQUESTS_SHARE_BUDGET else ""
    return [
        "",
        f"gunicorn, 2 workers, {serve['threads']} client threads for {serve['seconds']} s, pages of "
        f"{serve['page_bytes']:,} bytes: case page {serve['case_page']} req/s; bare Django page (the site's "
        f"shell, signed in, no case) {bare_django} req/s; case page / bare Django page "
        f"{serve.get('ratio_django')}{share_note}; a raw WSGI answer {serve['bare_page']} req/s "
        f"(case page / raw {serve['ratio']})",
    ]


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"make bench took {time.monotonic() - started:.0f} s")
