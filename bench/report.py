"""Turn a run of bench/suite.py into the generated section of docs/benchmarks.md and its plots.

Only the text between SECTION_BEGIN and SECTION_END is rewritten (the section is appended
when the markers are missing); the rest of the file is maintained by hand.

    python bench/report.py [bench/results/suite-latest.json]
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
PLOTS = ROOT / "docs" / "benchmarks"
SECTION_BEGIN, SECTION_END = "<!-- suite:begin -->", "<!-- suite:end -->"
SERVERS = ("support-desk", "floor", "postgraphile")
READS = ("list", "page", "search")
LABELS = {10_000: "10k", 100_000: "100k", 1_000_000: "1M"}
# Where a sampled frame's code lives, by path fragment: the profile's summary.
PACKAGES = [
    ("strawberry", "strawberry"),
    ("graphql", "graphql-core"),
    ("tortoise", "tortoise-orm"),
    ("pypika", "pypika (SQL building)"),
    ("asyncpg", "asyncpg"),
    ("uvicorn", "uvicorn"),
    ("starlette", "starlette"),
    ("(app/", "app (support-desk)"),
    ("jwt", "pyjwt"),
    ("json", "json"),
    ("asyncio", "asyncio"),
    ("uvloop", "uvloop"),
]


ENTRY_FRAMES = ("(app/cli.py", "(app/limits.py")


def figures(run: dict[str, Any], size: int, scenario: str, server: str) -> dict[str, Any] | None:
    for row in run["scenarios"]:
        if (row["size"], row["scenario"], row["server"]) == (size, scenario, server):
            return row
    return None


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def package_of(frame: str) -> str:
    for fragment, name in PACKAGES:
        if fragment in frame:
            return name
    return "other (interpreter, stdlib)"


def profile_summary(folded: Path) -> list[str]:
    """Shares of the samples: by package of the innermost frame, and the functions of the
    service's own code that hold most samples (inclusive)."""
    leaf: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in folded.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        leaf[package_of(frames[-1])] += count
        # The command and the body-size middleware hold every request: not informative.
        inner = {f for f in frames if "(app/" in f and not any(e in f for e in ENTRY_FRAMES)}
        for name in inner:
            own[name.split(":")[0] + ")"] += count
    if not total:
        return []
    lines = ["| where the CPU is (innermost frame) | share of samples |", "|---|---|"]
    lines += [f"| {name} | {n / total:.0%} |" for name, n in leaf.most_common(10)]
    lines += ["", "| the service's functions on the stack | share of samples |", "|---|---|"]
    lines += [f"| `{name}` | {n / total:.0%} |" for name, n in own.most_common(12)]
    return lines


def plot(run: dict[str, Any]) -> list[str]:
    """Latency (p50 and p99) against size, one panel per read scenario."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    sizes = sorted({row["size"] for row in run["scenarios"] if row["scenario"] in READS})
    if len(sizes) < 2:
        return []
    PLOTS.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    for ax, scenario in zip(axes, READS, strict=True):
        for server, colour in zip(SERVERS, ("tab:red", "tab:green", "tab:blue"), strict=True):
            rows = [figures(run, s, scenario, server) for s in sizes]
            points = [(s, r) for s, r in zip(sizes, rows, strict=True) if r]
            xs = [s for s, _ in points]
            ax.plot(xs, [r["p50_ms"] for _, r in points], "o-", color=colour,
                    label=f"{server} p50")  # fmt: skip
            ax.plot(xs, [r["p99_ms"] for _, r in points], "s--", color=colour,
                    label=f"{server} p99")  # fmt: skip
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(sizes, [LABELS.get(s, str(s)) for s in sizes])
        ax.set_xlabel("tickets in the database")
        ax.set_ylabel("latency (ms)")
        ax.set_title(scenario)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(
        f"Latency against size, {run['settings']['concurrency']} clients (commit {run['commit']})"
    )
    fig.tight_layout()
    name = "latency-vs-size.png"
    fig.savefig(PLOTS / name, dpi=100)
    return [f"![latency against size](benchmarks/{name})"]


def targets(run: dict[str, Any]) -> list[str]:
    out = []
    ours = figures(run, 100_000, "list", "support-desk")
    flo = figures(run, 100_000, "list", "floor")
    pgl = figures(run, 100_000, "list", "postgraphile")
    if ours and flo and pgl:
        cpu, fcpu, pcpu = (r["server_cpu_ms_per_request"] for r in (ours, flo, pgl))
        out.append(
            f"- List at 100k, server CPU per request ≤ PostGraphile's: {cpu:.2f} ms against "
            f"{pcpu:.2f} ms, **{cpu / pcpu:.2f}x** ({'met' if cpu <= pcpu else 'not met'})."
        )
        out.append(
            f"- List at 100k, CPU per request aiming for 1.5x the floor's: {cpu:.2f} ms against "
            f"{fcpu:.2f} ms, **{cpu / fcpu:.2f}x** ({'met' if cpu <= 1.5 * fcpu else 'not met'}); "
            f"PostGraphile is {pcpu / fcpu:.2f}x the floor."
        )
        out.append(
            f"- List at 100k, throughput ≥ PostGraphile's: {ours['rps']:.0f} against "
            f"{pgl['rps']:.0f} req/s, **{ours['rps'] / pgl['rps']:.2f}x** "
            f"({'met' if ours['rps'] >= pgl['rps'] else 'not met'})."
        )
    small = figures(run, 10_000, "list", "support-desk")
    large = figures(run, 1_000_000, "list", "support-desk")
    if small and large:
        share = large["p99_ms"] / small["p99_ms"]
        out.append(
            f"- List p99 at 1M ≤ 1.3x at 10k: {large['p99_ms']:.1f} ms against "
            f"{small['p99_ms']:.1f} ms, **{share:.2f}x** ({'met' if share <= 1.3 else 'not met'}); "
            f"the p50 went from {small['p50_ms']:.1f} to {large['p50_ms']:.1f} ms "
            f"({large['p50_ms'] / small['p50_ms']:.2f}x), and a p99 varies more between runs."
        )
    return out


def section(run: dict[str, Any]) -> str:
    m, s = run["machine"], run["settings"]
    lines = [
        SECTION_BEGIN,
        "<!-- Generated by ./scripts/bench (bench/suite.py, then bench/report.py): "
        "edits between these markers are overwritten. -->",
        "",
        "## Suite: the service beside a raw floor and PostGraphile",
        "",
        "### Command",
        "",
        "```",
        "./scripts/bench",
        "```",
        "",
        "It installs what it needs (`.venv` with the `test` and `bench` extras, `npm ci` in "
        "`bench/node` for PostGraphile and Node.js 22), then, under "
        "`flock /tmp/support-desk-bench.lock`, runs "
        f"`{run['command']}` and `bench/report.py`, which writes this section, "
        "`docs/benchmarks/latency-vs-size.png` and `bench/results/suite-<commit>.json`.",
        "",
        f"Run of commit {run['commit']}, {run['date']}, in {run['total_seconds']:.0f} s. "
        f"Machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, Linux "
        f"{m['kernel']}, Python {m['python']}, {m['postgresql_client']} (server on the same "
        f"machine), Node.js {m['node']}, PostGraphile {m['postgraphile']}. Everything runs "
        "on loopback and shares the 2 cores: the load generator, the server, PostgreSQL.",
        "",
        "How: each server runs alone, one process (`support-desk serve`: one uvicorn worker; "
        "the floor: `uvicorn bench.floor:app`; PostGraphile: its CLI with the `amber` "
        f"preset, `NODE_ENV=production`). {s['concurrency']} asyncio httpx clients send "
        f"requests back to back for {s['warmup']:g} s of warm-up, then {s['duration']:g} s "
        f"measured, {s.get('runs', 1)} times per cell; the table keeps the run with the most "
        "req/s (the least disturbed: the machine is shared; every run's req/s and p99 are in "
        "the JSON). Measured: req/s, p50 and p99 latency of the requests that ended in the "
        "window, and "
        "the server process's user + system CPU (`/proc/<pid>/stat`) divided by those "
        "requests. PostgreSQL's own CPU is not counted in any of them.",
        "",
        "- **list**: the dashboard of a Support handler: 50 OPEN tickets by priority then "
        "response deadline, with author, team, assignee and `totalCount`.",
        "- **page**: one ticket (a random one of 2,000 the handler may see) with its "
        "history and the history's actors.",
        '- **search**: `filter: {search: "zeppelin"}` (about 1 % of the tickets), '
        "first 50 with `totalCount`.",
        f"- **submit**: `createDraft` then `submitTicket` by {s['submit_clients']} "
        "requesters at once; one request below is one submission (two HTTP requests).",
        "",
        "The floor (`bench/floor.py`) verifies the token, loads the viewer and runs the "
        "same SQL with asyncpg; before measuring, the suite checks that its JSON equals the "
        "service's for the same request. PostGraphile gets its own equivalent query "
        "(`allTickets` with `condition: {status, teamId}` and `orderBy`, `ticketByNumber` "
        "with `ticketEventsByTicketId`, and for the search a SQL function "
        "`bench_search_tickets` the suite creates, since amber has no substring filter); it "
        "runs as the database superuser with no visibility rules, so the condition states "
        "the handler's team. The suite checks that it returns the same tickets.",
        "",
        "### Data",
        "",
        "| tickets | generated in | history events | messages |",
        "|---|---|---|---|",
    ]
    for key, g in run["generation"].items():
        label = key.replace("m", "M") if key[0].isdigit() else key
        took = f"{g['seconds']:.0f} s" if g["generated"] else "reused"
        lines.append(
            f"| {label} | {took} | {number(g.get('events'), 0)} | {number(g.get('messages'), 0)} |"
        )
    lines += [
        "",
        "`bench/data.py`: the app's migrations and services make teams (Support and Product "
        "internal, Partner Hosting external), routing, 22 handlers and an admin; requesters "
        "(one per 20 tickets), tickets (85 % CLOSED, 6 % OPEN, 5 % PENDING, 2 % WAITING, "
        "2 % DRAFT; French and English texts), their history and messages are COPYed with "
        "the indexes rebuilt afterwards. Deadlines are the app's own business-hours "
        "computation. A database that already holds the data is reused.",
        "",
        "### Checks",
        "",
        "| size | scenario | floor's JSON = service's | PostGraphile's tickets = service's |",
        "|---|---|---|---|",
    ]
    for key, checks in run["checks"].items():
        label = key.replace("m", "M")
        for scenario, c in checks.items():
            lines.append(
                f"| {label} | {scenario} | {'yes' if c['floor_equal'] else '**no**'} | "
                f"{'yes' if c['postgraphile_same_tickets'] else '**no**'} |"
            )
    lines += [
        "",
        "### Results",
        "",
        "| tickets | scenario | server | req/s | p50 ms | p99 ms | server CPU ms/req | "
        "CPU share: server | client | PostgreSQL | other | failures |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in run["scenarios"]:
        lines.append(
            f"| {LABELS.get(r['size'], r['size'])} | {r['scenario']} | {r['server']} | "
            f"{number(r['rps'])} | {number(r['p50_ms'])} | {number(r['p99_ms'])} | "
            f"{number(r['server_cpu_ms_per_request'], 2)} | {r['server_cpu_share']:.2f} | "
            f"{r['client_cpu_share']:.2f} | {r.get('postgres_cpu_share', '-')} | "
            f"{r.get('other_cpu_share', '-')} | {r['failures']} |"
        )
    lines += [
        "",
        "CPU share: CPU seconds per second of the window (1.00 is one core busy; the "
        "machine has 2). A client share near 1 means the load generator, not the server, "
        "set the pace. PostgreSQL is every postgres process of the machine; other is the "
        "rest of the machine's busy time (other people's work on the shared machine): where "
        "it is high, that row is noisy.",
        "",
        "### Ratios",
        "",
        "| tickets | scenario | our CPU/req ÷ floor's | our CPU/req ÷ PostGraphile's | "
        "our req/s ÷ PostGraphile's |",
        "|---|---|---|---|---|",
    ]
    sizes = sorted({r["size"] for r in run["scenarios"] if r["scenario"] in READS})
    for size in sizes:
        for scenario in READS:
            o, f, p = (figures(run, size, scenario, s) for s in SERVERS)
            if not (o and f and p):
                continue
            key = "server_cpu_ms_per_request"
            lines.append(
                f"| {LABELS.get(size, size)} | {scenario} | {ratio(o[key], f[key])} | "
                f"{ratio(o[key], p[key])} | {ratio(o['rps'], p['rps'])} |"
            )
    lines += ["", "### Targets of issue #7", "", *targets(run), ""]
    lines += plot(run)
    profile = run.get("profile")
    if profile and (ROOT / profile["folded"]).exists():
        lines += [
            "",
            "### Profile of the list at 100k",
            "",
            f"`py-spy record --rate 250 --nonblocking` on the service during {s['duration']:g} s "
            f"of the list scenario (raw stacks: `{profile['folded']}`).",
            "",
            *profile_summary(ROOT / profile["folded"]),
        ]
    lines += ["", SECTION_END]
    return "\n".join(lines)


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench/results/suite-latest.json"
    run = json.loads(source.read_text())
    text = DOC.read_text()
    generated = section(run)
    pattern = re.compile(re.escape(SECTION_BEGIN) + ".*?" + re.escape(SECTION_END), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: generated, text)
    else:
        text = text.rstrip("\n") + "\n\n" + generated + "\n"
    DOC.write_text(text)
    print(f"rewrote the suite section of {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
