"""Time the wave analyses and the long-format loader, and print the headline figures they produce.

Usage: python scripts/bench_waves.py [--data-dir DIR] [--rows 200000]
Loads every wave the data directory holds, runs each registered ``waves`` analysis (timed separately), prints
automation / directive share per wave and platform, concentration and the power-law fits; then writes and loads a
synthetic long-format file of ``--rows`` rows to time the strict loader. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from harness.aggregate import analyses_for, load_wave_set
from harness.taxonomy import LONG_FORMAT_COLUMNS, load_long_format


def _synthetic_long_format(path: Path, rows: int) -> None:
    rng = np.random.default_rng(0)
    n_tasks = rows // 2
    names = [f"task number {i}." for i in range(n_tasks)]
    counts = rng.zipf(1.8, size=n_tasks).astype(float) + 14
    frame = pd.DataFrame({
        "geo_id": "GLOBAL", "geography": "global", "date_start": "2025-08-04", "date_end": "2025-08-11",
        "platform_and_product": "1P API", "facet": "onet_task", "level": 0,
        "variable": np.repeat(["onet_task_count", "onet_task_pct"], n_tasks),
        "cluster_name": names * 2, "value": np.r_[counts, 100 * counts / counts.sum()],
    })
    frame[list(LONG_FORMAT_COLUMNS)].to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    started = time.perf_counter()
    waves = load_wave_set(data_dir=args.data_dir)
    print(f"loaded {len(waves.waves)} waves in {time.perf_counter() - started:.2f} s: {', '.join(waves.names)}")
    outputs = {}
    for spec in analyses_for("waves"):
        t0 = time.perf_counter()
        outputs[spec.name] = spec.run(waves)
        print(f"  {spec.name:<14} {time.perf_counter() - t0:6.2f} s")
    pd.set_option("display.width", 160)
    auto = outputs["collaboration"].tables["wave_automation"].table
    print(auto[["wave", "platform", "automation_pct", "automation_pct_of_classified", "directive_pct"]].round(2))
    conc = outputs["concentration"].tables["wave_concentration"].table
    print(conc[["wave", "platform", "n_tasks", "top10_pct", "hhi", "gini"]].round(4))
    fits = outputs["power_law"].tables["wave_power_law"].table
    print(fits[["wave", "platform", "alpha", "sigma", "xmin", "n_tail", "lognormal_r", "lognormal_p",
                "exponential_r", "exponential_p"]].round(3))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "aei_raw_1p_api_synthetic.csv"
        _synthetic_long_format(path, args.rows)
        t0 = time.perf_counter()
        table = load_long_format(path)
        print(f"strict long-format load: {len(table.rows):,} rows in {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
