"""SOC structure facts and task-statement normalisation shared by the O*NET and Economic Index loaders."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["SOC_MAJOR_GROUPS", "major_group_of", "normalise_statement", "statements_table"]

# The 23 major groups of the 2018 SOC (O*NET-SOC 2019 builds on it). Group 55 (military) has no O*NET tasks.
SOC_MAJOR_GROUPS: dict[str, str] = {
    "11": "Management Occupations",
    "13": "Business and Financial Operations Occupations",
    "15": "Computer and Mathematical Occupations",
    "17": "Architecture and Engineering Occupations",
    "19": "Life, Physical, and Social Science Occupations",
    "21": "Community and Social Service Occupations",
    "23": "Legal Occupations",
    "25": "Educational Instruction and Library Occupations",
    "27": "Arts, Design, Entertainment, Sports, and Media Occupations",
    "29": "Healthcare Practitioners and Technical Occupations",
    "31": "Healthcare Support Occupations",
    "33": "Protective Service Occupations",
    "35": "Food Preparation and Serving Related Occupations",
    "37": "Building and Grounds Cleaning and Maintenance Occupations",
    "39": "Personal Care and Service Occupations",
    "41": "Sales and Related Occupations",
    "43": "Office and Administrative Support Occupations",
    "45": "Farming, Fishing, and Forestry Occupations",
    "47": "Construction and Extraction Occupations",
    "49": "Installation, Maintenance, and Repair Occupations",
    "51": "Production Occupations",
    "53": "Transportation and Material Moving Occupations",
    "55": "Military Specific Occupations",
}

_SOC_RE = re.compile(r"^(\d{2})-\d{4}(\.\d{2})?$")
_SPACE_RE = re.compile(r"\s+")


def major_group_of(soc_code: str) -> str:
    """Return the 2-digit major group of an (O*NET-)SOC code such as ``"15-1252.00"``.

    Raises:
        ValueError: when ``soc_code`` is not of the form ``NN-NNNN`` or ``NN-NNNN.NN``.
    """
    match = _SOC_RE.match(soc_code.strip())
    if not match:
        raise ValueError(f"not an O*NET-SOC code: {soc_code!r} (expected NN-NNNN or NN-NNNN.NN)")
    return match.group(1)


def normalise_statement(text: str) -> str:
    """Key under which identical task statements are recognised as one.

    Case, surrounding space and runs of whitespace do not distinguish statements; the Economic Index releases
    publish task names in lower case, so this key also joins them to O*NET statements.
    """
    return _SPACE_RE.sub(" ", text.strip()).lower()


def statements_table(tasks: pd.DataFrame) -> pd.DataFrame:
    """Collapse identical statement texts into one row linked to every Task ID and occupation that lists them.

    Args:
        tasks: One row per Task ID with ``task_id``, ``soc_code``, ``statement`` and ``statement_key``.

    Returns:
        ``statement_key``, ``statement`` (text of the smallest Task ID), ``task_ids`` and ``soc_codes`` (sorted
        tuples) and ``n_occupations``, one row per key, sorted by key.
    """
    grouped = tasks.sort_values("task_id").groupby("statement_key", sort=True)
    frame = pd.DataFrame(
        {
            "statement": grouped["statement"].first(),
            "task_ids": grouped["task_id"].agg(tuple),
            "soc_codes": grouped["soc_code"].agg(lambda s: tuple(sorted(set(s)))),
        }
    ).reset_index()
    frame["n_occupations"] = frame["soc_codes"].map(len).astype(np.int64)
    return frame
