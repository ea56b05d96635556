"""``harness analyze --waves`` / ``--aei-release NAME``: the registered analyses of the later Economic Index data.

Not a command module of its own: ``harness/cli/_analyze.py`` adds these options and hands over to :func:`run_waves`.
"""

from __future__ import annotations

import argparse
import json
import time

from harness.cli._args import fraction
from harness.errors import UsageError

_WAVES_HELP = (
    "analyse the Economic Index waves v1..v5 found in the data directory (consumer and API): collaboration "
    "(pattern mix, automation and directive share, consumer vs API, wave-to-wave trend), task_mix (share by SOC "
    "major group), concentration (top-10 share, HHI, Gini), power_law (Clauset-Shalizi-Newman fit with "
    "likelihood-ratio tests); each a table and a figure with intervals. A wave is read from its release's "
    "long-format files when present, else from release_2025_02_10/_03_27 (v1, v2) or the third-party extracts "
    "(v3..v5), and every table names its source"
)


def add_wave_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the wave and long-format analyses on ``harness analyze``."""
    group = parser.add_argument_group("later releases (waves, long format)")
    group.add_argument("--waves", action="store_true", help=_WAVES_HELP)
    group.add_argument("--wave", action="append", default=None, metavar="vN",
                       help="with --waves: only this wave (repeatable; default all)")
    group.add_argument("--platform", action="append", choices=["consumer", "api"], default=None,
                       help="with --waves: only this platform (repeatable; default both)")
    group.add_argument("--aei-release", default=None, metavar="NAME",
                       help="analyse a long-format release folder (e.g. 2025_09_15, fetched with `harness data "
                       "fetch --aei-release NAME`): facets (what it holds) and geography (usage share and per-capita "
                       "usage index by country and US state vs GDP per working-age person, log-log fits)")
    group.add_argument("--confidence", type=fraction, default=0.95, help="coverage of the intervals (default 0.95)")
    group.add_argument("--n-boot", type=int, default=200,
                       help="bootstrap draws of the concentration intervals (default 200)")
    group.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (default 0)")


def run_waves(args: argparse.Namespace) -> int:
    """Run the registered ``waves`` and/or ``long_format`` analyses and write them to ``--out``."""
    from harness.aggregate import Analysis, load_wave_set, run_analyses, write_analysis
    from harness.taxonomy import load_aei_release

    if args.facts:
        raise UsageError("--waves/--aei-release analyse published data; they do not combine with --facts")
    if args.n_boot < 0:
        raise UsageError(f"--n-boot must be >= 0, got {args.n_boot}")
    if (args.wave or args.platform) and not args.waves:
        raise UsageError("--wave and --platform select waves; they need --waves")
    started = time.perf_counter()
    options = {"confidence": args.confidence, "n_boot": args.n_boot, "seed": args.seed}
    parts: list[Analysis] = []
    if args.waves:
        waves = load_wave_set(data_dir=args.data_dir, waves=args.wave, platforms=args.platform or ("consumer", "api"))
        listed = {w.label: w.source for w in waves.waves}
        parts.append(run_analyses("waves", waves, name="waves", summary={"waves": listed,
                                                                         "links": waves.links_source}, **options))
    if args.aei_release:
        table = load_aei_release(args.aei_release, data_dir=args.data_dir)
        parts.append(run_analyses("long_format", table, name=f"release_{args.aei_release}",
                                  summary={"release": args.aei_release, "files": [str(p) for p in table.paths]},
                                  **options))
    tables = {k: v for part in parts for k, v in part.tables.items()}
    figures = {k: v for part in parts for k, v in part.figures.items()}
    summary = parts[0].summary if len(parts) == 1 else {part.name: part.summary for part in parts}
    analysis = Analysis(" + ".join(part.name for part in parts), tables, figures, summary)
    out = write_analysis(analysis, args.out)
    print(json.dumps(analysis.summary, indent=2, default=str))
    print(f"wrote {len(tables)} tables and {len(figures)} figures to {out} in {time.perf_counter() - started:.1f} s")
    return 0
