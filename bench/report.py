"""Render the bench results as markdown."""

from __future__ import annotations

from typing import Any

import streaming

OURS = "ours (twitter_api)"
OURS_ENDPOINT = "ours, to first endpoint (no request)"
SIZE_LIMIT = 2_000_000  # "2 MB", read strictly as decimal megabytes of disk usage


def _f(value: Any, fmt: str) -> str:
    return format(value, fmt) if isinstance(value, int | float) else "n/a"


def _label(spec_file: str) -> str:
    return spec_file.removeprefix("x-api-v2-").removesuffix(".json")


def _x(value: Any) -> str:
    return f"{value:.2f}x" if isinstance(value, int | float) else "n/a"


def _gen_table(gen: dict[str, Any]) -> list[str]:
    lines = [
        f"### Generation time, X API spec (median of {gen['pairs']} rounds, seconds)",
        "",
        "| spec | operations | schemas | ours | stock openapi-python-client | ours / stock |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    rows = gen["rows"]
    for spec, row in rows.items():
        lines.append(
            f"| {_label(spec)} | {row['operations']} | {row['schemas']} | "
            f"{_f(row.get('ours_s'), '.2f')} | "
            f"{_f(row.get('stock_s'), '.2f')} | {_x(row.get('ratio'))} |"
        )
    growth = gen_growth(gen)
    if growth:
        lines += [
            "",
            f"Growth {growth['from']} -> {growth['to']} (median of per-round ratios): "
            f"operations {growth['ops']:.2f}x, schemas {growth['schemas']:.2f}x, "
            f"ours {_x(growth.get('ours'))}, "
            f"stock {_x(growth.get('stock'))}.",
        ]
    for key, err in gen["errors"].items():
        lines.append(f"\n- {key} failed: `{err}`")
    return lines


def gen_growth(gen: dict[str, Any]) -> dict[str, Any] | None:
    """Paired growth of each generator's time from the first spec to the last."""
    rows = list(gen["rows"].items())
    if len(rows) < 2:
        return None
    (first, a), (last, b) = rows[0], rows[-1]
    out: dict[str, Any] = {
        "from": _label(first),
        "to": _label(last),
        "ops": b["operations"] / a["operations"],
        "schemas": b["schemas"] / a["schemas"],
    }
    out.update(gen.get("growth", {}))
    return out


def _startup_table(st: dict[str, Any]) -> list[str]:
    lines = [
        f"### Import + construct + first call, fresh process (median of {st['rounds']} runs, ms)",
        "",
        "| client | import | construct | first call | total | x `import httpx` "
        "| x raw httpx | process wall |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in st["rows"].items():
        lines.append(
            f"| {name} | {r['import_ms']:.1f} | {r['construct_ms']:.1f} | {r['call_ms']:.1f} | "
            f"{r['total_ms']:.1f} | {_x(r.get('ratio'))} | {_x(r.get('ratio_floor'))} | "
            f"{r['wall_ms']:.0f} |"
        )
    lines += [f"| {n} | unavailable: {why} | | | | | | |" for n, why in st["unavailable"].items()]
    return lines


def _spread(row: dict[str, float]) -> str:
    """Median per-round ratio, with the middle half of the rounds in parentheses."""
    if "ratio" not in row:
        return "n/a"
    return f"{row['ratio']:.2f}x ({row['ratio_q1']:.2f}-{row['ratio_q3']:.2f})"


def _percall_table(pc: dict[str, Any]) -> list[str]:
    lines = [
        f"### Per call over keep-alive loopback ({pc['rounds']} interleaved rounds; "
        f"batches of {pc['single_batch']} single / {pc['page_batch']} page calls)",
        "",
        "| client | single post (us) | x raw httpx | 100-post page (us) | x raw httpx |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, s in pc["single"].items():
        p = pc["page"].get(name, {})
        lines.append(
            f"| {name} | {s['median_us']:.0f} | {_spread(s)} | "
            f"{_f(p.get('median_us'), '.0f')} | {_spread(p)} |"
        )
    lines += [f"| {n} | unavailable: {why} | | | |" for n, why in pc["unavailable"].items()]
    return lines


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB"


def _size_lines(sizes: dict[str, Any]) -> list[str]:
    lines = [
        "### Package size (`__pycache__` excluded)",
        "",
        "| package | files | disk usage (du) | apparent size |",
        "|---|---:|---:|---:|",
    ]
    for name, s in sizes.items():
        if s is None:
            lines.append(f"| {name} | not generated yet | | |")
        else:
            lines.append(f"| {name} | {s['files']} | {_mb(s['disk'])} | {_mb(s['apparent'])} |")
    return lines


def targets(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(metric, target, measured, verdict) for each target of the issue."""
    out: list[tuple[str, str, str, str]] = []

    def verdict(value: float | None, limit: float) -> str:
        return "n/a" if value is None else ("met" if value <= limit else "MISSED")

    gen = results["generation"]
    last = list(gen["rows"].values())[-1] if gen["rows"] else {}
    ratio = last.get("ratio")
    out.append(("generation 2.167, ours / stock", "<= 0.50x", _x(ratio), verdict(ratio, 0.5)))
    growth = gen_growth(gen)
    if growth:
        g = growth.get("ours")
        out.append(
            (
                f"generation growth {growth['from']} -> {growth['to']}",
                f"<= {growth['ops']:.2f}x (operations)",
                _x(g),
                verdict(g, growth["ops"]),
            )
        )
    rows = results["startup"]["rows"]
    st = rows.get(OURS_ENDPOINT, {}).get("ratio")
    out.append(
        ("import + construct + first endpoint", "<= 1.30x import httpx", _x(st), verdict(st, 1.3))
    )
    call = rows.get(OURS, {}).get("ratio_floor")
    out.append(
        (
            "... and a first request (reference)",
            "raw httpx doing the same = 1.00x",
            _x(call),
            "reference",
        )
    )
    pc = results["percall"]
    single = pc["single"].get(OURS, {}).get("ratio")
    page = pc["page"].get(OURS, {}).get("ratio")
    out.append(("per call, single post", "<= 1.10x raw httpx", _x(single), verdict(single, 1.10)))
    out.append(("per call, 100-post page", "<= 1.15x raw httpx", _x(page), verdict(page, 1.15)))
    for scale in (results.get("scale") or {}).values():
        if "unavailable" in scale:
            out.append((f"scale, {scale['label']}", "", "n/a", "n/a"))
            continue
        what = f"scale, {scale['label']} ({scale['operations']:,} operations)"
        out.append(
            (f"{what}: generation", "a few seconds", f"{scale['generate_s']:.1f} s", "reference")
        )
        out.append(
            (
                f"{what}: import + construct + first endpoint",
                "<= 1.30x import httpx",
                _x(scale["ratio"]),
                verdict(scale["ratio"], 1.3),
            )
        )
    streamed = (results.get("streaming") or {}).get("rows", {}).get(streaming.OURS, {})
    sr = streamed.get("ratio")
    out.append(
        (
            "streaming throughput",
            ">= 0.90x raw httpx + json.loads",
            _x(sr),
            "n/a" if sr is None else ("met" if sr >= 0.9 else "MISSED"),
        )
    )
    size = results["sizes"].get("generated/twitter_api")
    disk = size["disk"] if size else None
    shown = f"{_mb(size['disk'])} du ({_mb(size['apparent'])} in files)" if size else "n/a"
    out.append(("generated package size", "<= 2 MB", shown, verdict(disk, SIZE_LIMIT)))
    return out


_SCALE_SOURCES = {
    "github": "`@octokit/openapi`, pinned in `bench/github/`",
    "synthetic": "`bench/synthetic.py`, ten times the X spec",
}


def _scale_lines(scales: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["### Scale (cold start: median of alternated fresh processes, ms)"]
    for key, scale in scales.items():
        lines += ["", f"**{scale['label']}** ({_SCALE_SOURCES.get(key, key)})."]
        if "unavailable" in scale:
            lines.append(f"Not measured: {scale['unavailable']}")
            continue
        rows = "".join(f"| {name} | {ms:.1f} |\n" for name, ms in scale["startup_ms"].items())
        lines += [
            f"{scale['operations']:,} operations, {scale['schemas']:,} schemas, "
            f"{scale['spec_bytes'] / 1e6:.1f} MB of JSON -> {scale['files']:,} files; "
            f"`_client.py` {scale['client_bytes'] / 1e3:.0f} kB, the methods in "
            f"{scale['groups']} group modules (largest {scale['largest_group_bytes'] / 1e3:.0f} "
            f"kB), each loaded on first use. `sdkgen generate`: {scale['generate_s']:.1f} s "
            f"(median of {scale['generate_runs']}). {scale['rounds']} rounds:",
            "",
            "| probe | ms |",
            "|---|---:|",
            rows.rstrip("\n"),
            "",
            f"Ratio to `import httpx`: {_x(scale['ratio'])}.",
        ]
    return lines


def render(results: dict[str, Any]) -> str:
    m, v = results["machine"], results["versions"]
    lines = [
        "## Benchmarks",
        "",
        f"Measured {results['date']} on {m['cpu']} ({m['cores']} cores, {m['os']}, load average "
        f"{m['load']} at start), Python {v.get('python', '?')}; "
        + ", ".join(f"{k} {val}" for k, val in v.items() if k != "python")
        + f". Run time {results['elapsed_s']:.0f} s. Reproduce with `python bench/run.py`.",
        "",
        "| target | limit | measured | |",
        "|---|---|---:|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in targets(results)]
    lines += ["", *_gen_table(results["generation"])]
    lines += ["", *_startup_table(results["startup"])]
    lines += ["", *_percall_table(results["percall"])]
    lines += ["", *_size_lines(results["sizes"])]
    if results.get("scale"):
        lines += ["", *_scale_lines(results["scale"])]
    if results.get("streaming"):
        lines += ["", *streaming.table(results["streaming"])]
    notes = results.get("notes", [])
    if notes:
        lines += ["", "Notes:", "", *(f"- {n}" for n in notes)]
    return "\n".join(lines) + "\n"
