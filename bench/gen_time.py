"""Generation time: our `sdkgen generate` against stock openapi-python-client, paired runs.

Each pair runs both generators on the same spec back to back (who goes first alternates), into
fresh temporary directories, with the bench venv's bin/ first on PATH so stock finds `ruff` for
its post-generation hooks (without ruff it silently skips them and looks faster than it is).

Stock 0.29.1 needs `literal_enums: true`: with its default Enum classes it aborts on the X spec
("Duplicate key CONTEXTS in enum SearchNewsNewsFieldsItem"), because two enum values map to the
same Python identifier.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

STOCK_CONFIG = "literal_enums: true\n"
_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def spec_counts(spec: Path) -> tuple[int, int]:
    """(operations, component schemas) of a spec."""
    doc = json.loads(spec.read_text())
    ops = sum(1 for item in doc["paths"].values() for m in item if m in _METHODS)
    return ops, len(doc.get("components", {}).get("schemas", {}))


@dataclass(frozen=True)
class Generators:
    bin_dir: Path
    repo: Path
    work: Path

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PATH"] = f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}"
        env.pop("PYTHONPATH", None)
        return env

    def stock_config(self) -> Path:
        path = self.work / "stock-config.yaml"
        path.write_text(STOCK_CONFIG)
        return path

    def ours_cmd(self, spec: Path, out: Path) -> list[str]:
        return [str(self.bin_dir / "sdkgen"), "generate", "--spec", str(spec), "--output", str(out)]

    def stock_cmd(self, spec: Path, out: Path) -> list[str]:
        return [
            str(self.bin_dir / "openapi-python-client"), "generate", "--path", str(spec),
            "--output-path", str(out), "--meta", "none", "--config", str(self.stock_config()),
            "--overwrite",
        ]  # fmt: skip

    def timed(self, cmd: list[str]) -> float:
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=self.repo, env=self.env(), capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise RuntimeError(f"{Path(cmd[0]).name} exited {done.returncode}: {' | '.join(tail)}")
        return elapsed


def generate_stock(gens: Generators, spec: Path, package_dir: Path) -> None:
    """Stock output kept for the import and per-call benchmarks."""
    if package_dir.exists():
        shutil.rmtree(package_dir)
    package_dir.parent.mkdir(parents=True, exist_ok=True)
    gens.timed(gens.stock_cmd(spec, package_dir))


def measure(gens: Generators, specs: list[Path], pairs: int, with_ours: bool) -> dict[str, object]:
    """Median seconds per generator and spec, paired ratios, and paired growth across specs.

    One round runs both generators on every spec; the order of specs and of generators
    alternates between rounds, so drift of a shared machine hits all four numbers alike.
    A generator that fails on a spec even once gets no number for it.
    """
    who_all = ["ours", "stock"] if with_ours else ["stock"]
    times: dict[tuple[str, str], list[float]] = {(w, s.name): [] for w in who_all for s in specs}
    errors: dict[str, str] = {}
    for i in range(pairs):
        order_specs = specs if i % 2 == 0 else specs[::-1]
        order_who = who_all if i % 2 == 0 else who_all[::-1]
        with tempfile.TemporaryDirectory(dir=gens.work) as tmp:
            for spec in order_specs:
                for who in order_who:
                    out = Path(tmp) / who / spec.stem / "pkg"
                    cmd = gens.ours_cmd(spec, out) if who == "ours" else gens.stock_cmd(spec, out)
                    try:
                        times[(who, spec.name)].append(gens.timed(cmd))
                    except RuntimeError as exc:
                        errors[f"{who} {spec.name}"] = str(exc)[:300]
    complete = {k: v for k, v in times.items() if f"{k[0]} {k[1]}" not in errors and v}
    rows: dict[str, dict[str, object]] = {}
    for spec in specs:
        ops, schemas = spec_counts(spec)
        row: dict[str, object] = {"operations": ops, "schemas": schemas}
        for who in who_all:
            if (who, spec.name) in complete:
                row[f"{who}_s"] = statistics.median(complete[(who, spec.name)])
        if ("ours", spec.name) in complete and ("stock", spec.name) in complete:
            pairs_ = zip(complete[("ours", spec.name)], complete[("stock", spec.name)], strict=True)
            row["ratio"] = statistics.median(o / s for o, s in pairs_)
        rows[spec.name] = row
    growth: dict[str, float] = {}
    first, last = specs[0].name, specs[-1].name
    for who in who_all:
        if (who, first) in complete and (who, last) in complete:
            steps = zip(complete[(who, last)], complete[(who, first)], strict=True)
            growth[who] = statistics.median(b / a for b, a in steps)
    return {"rows": rows, "errors": errors, "pairs": pairs, "growth": growth}
