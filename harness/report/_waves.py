"""Report sections for the later-release analyses: waves (consumer vs API, trend, task mix, concentration, power
law), drift between two runs, and the long-format geography analyses.

They read the tables and figures that ``harness analyze --waves`` / ``--aei-release`` and ``harness drift`` write
into a run's ``analysis/`` folder (names starting ``wave_``, ``drift_``, ``geo_`` and ``aei_``), and appear only
when the run has them. Those tables were walled when they were produced; nothing here reads conversation text.
"""

from __future__ import annotations

from ._load import RunData
from ._model import Block, Figure, Section, Table, Text

__all__ = ["claimed_by_later_sections", "later_sections"]

# (section id, title, name prefixes, intro, tables in reading order with titles, figures with titles)
_SECTIONS = (
    ("waves", "Economic Index waves: consumer vs API, trend, concentration", ("wave_",),
     "Per wave (v1..v5) and platform (consumer Claude.ai, first-party API): collaboration patterns, automation "
     "and directive share with intervals, the API minus consumer gap, the wave-to-wave trend, the task mix by SOC "
     "major group, concentration of use and a power-law fit of conversations per task. Each table names the "
     "release and the origin of its numbers (official files or the third-party extracts).",
     (("wave_automation", "Automation and directive share by wave"),
      ("wave_consumer_vs_api", "API minus consumer"),
      ("wave_trend", "Wave-to-wave change"),
      ("wave_collaboration", "Collaboration patterns by wave"),
      ("wave_task_mix", "Task mix by SOC major group"),
      ("wave_concentration", "Concentration of use"),
      ("wave_power_law", "Power-law fit of conversations per task")),
     (("wave_automation_trend", "Automation and directive share by wave"),
      ("wave_pattern_mix", "Collaboration patterns by wave"),
      ("wave_task_mix", "Task mix by SOC major group"),
      ("wave_concentration", "Lorenz curves and top-10 share"),
      ("wave_power_law", "Conversations per task, CCDF and power-law fits"))),
    ("drift", "Drift between two runs", ("drift_",),
     "Change in share from the first run to the second, per task, occupation, major group and pattern, for cells "
     "released by both runs' privacy walls; intervals and a Benjamini–Hochberg list of significant movers.",
     (("drift_summary", "What was compared"),
      ("drift_major_group", "Major groups"),
      ("drift_pattern", "Collaboration patterns"),
      ("drift_occupation", "Occupations"),
      ("drift_task", "Tasks"),
      ("drift_movers", "Significant movers (FDR)")),
     (("drift_major_group", "Major groups"), ("drift_pattern", "Collaboration patterns"),
      ("drift_occupation", "Occupations"), ("drift_task", "Tasks"))),
    ("geography", "Geography (long-format release)", ("geo_", "aei_"),
     "Usage share and per-capita usage index by country and US state against GDP per working-age person, with "
     "log-log fits; places below the documented minimum of conversations are left out.",
     (("geo_country_fits", "Countries: log-log fits"), ("geo_country_usage", "Countries"),
      ("geo_state_us_fits", "US states: log-log fits"), ("geo_state_us_usage", "US states"),
      ("aei_facets", "What the release holds")),
     (("geo_usage_vs_gdp", "Usage index against GDP per working-age person"),)),
)


def claimed_by_later_sections(name: str) -> bool:
    """Whether an ``analysis/`` table or figure is shown by one of these sections (the generic Economic Index
    section then leaves it out, so nothing appears twice)."""
    return any(name.startswith(prefix) for section in _SECTIONS for prefix in section[2])


def later_sections(run: RunData) -> tuple[Section, ...]:
    """The sections whose tables or figures the run's ``analysis/`` folder holds (none when it holds none)."""
    analysis = run.analysis
    if analysis is None:
        return ()
    out = []
    for section_id, title, prefixes, intro, tables, figures in _SECTIONS:
        present = [n for n in (*analysis.tables, *analysis.figures) if n.startswith(prefixes)]
        if not present:
            continue
        blocks: list[Block] = [Text(intro, "note")]
        for name, caption in figures:
            if name in analysis.figures:
                blocks.append(Figure(f"{section_id}.{name}", caption, analysis.figures[name],
                                     alt=f"{caption} (from {name}.png of the analysis folder)."))
        for name, caption in tables:
            if name in analysis.tables:
                blocks.append(Table(f"{section_id}.{name}", caption, analysis.tables[name],
                                    note=analysis.notes.get(name, ""), digits=3, max_rows=25))
        out.append(Section(section_id, title, tuple(blocks)))
    return tuple(out)
