"""``make bench-compare A=bench/results/x.json B=bench/results/y.json``: two runs side by side."""

import json
import sys


def _median(row, key):
    value = row[key]["median"]
    return "–" if value is None else f"{value:,.1f}"


def compare(a, b):
    lines = [
        f"A: {a['date']}, {a['scale']['cases']:,} cases    B: {b['date']}, {b['scale']['cases']:,} cases",
        "",
        "| persona | page | A ms | B ms | B/A | A ratio | B ratio | A queries | B queries |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    rows_b = {(row["persona"], row["page"]): row for row in b.get("pages", [])}
    for row_a in a.get("pages", []):
        row_b = rows_b.get((row_a["persona"], row_a["page"]))
        if row_b is None:
            continue
        ms_a, ms_b = row_a["restricted_ms"]["median"], row_b["restricted_ms"]["median"]
        change = f"{ms_b / ms_a:.2f}" if ms_a and ms_b else "–"
        lines.append(
            f"| {row_a['persona']} | {row_a['page']} | {_median(row_a, 'restricted_ms')} "
            f"| {_median(row_b, 'restricted_ms')} | {change} | {row_a['ratio']} | {row_b['ratio']} "
            f"| {row_a['queries']} | {row_b['queries']} |"
        )
    for part in ("writes", "serve"):
        if part in a or part in b:
            lines += ["", f"{part}: A {json.dumps(a.get(part))}", f"{part}: B {json.dumps(b.get(part))}"]
    return "\n".join(lines)


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: python -m bench.compare A.json B.json (or make bench-compare A=... B=...)")
    runs = [json.loads(open(path, encoding="utf-8").read()) for path in argv]  # noqa: SIM115
    print(compare(*runs))


if __name__ == "__main__":
    main(sys.argv[1:])
