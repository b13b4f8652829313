"""Reading a list of names from a list, a CSV file or a pandas DataFrame."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import InvalidInput


def names_from(source: Any) -> list[str]:
    """Names from an iterable of strings, a CSV path (a ``name`` column, or the first
    column), or a DataFrame with a ``name`` column (pandas is optional)."""
    if hasattr(source, "columns") and hasattr(source, "__getitem__"):  # a DataFrame
        if "name" not in source.columns:
            raise InvalidInput("the DataFrame needs a 'name' column")
        # like a CSV file: trim names and skip empty cells (None / NaN / NA for pandas)
        column = source["name"]
        column = column.dropna() if hasattr(column, "dropna") else column
        cells = (str(n).strip() for n in column.tolist() if n is not None)
        return [n for n in cells if n]
    if isinstance(source, (str, os.PathLike)):
        return _from_csv(Path(source))
    if isinstance(source, Iterable):
        names = list(source)
        if not all(isinstance(n, str) for n in names):
            raise InvalidInput("names must be strings")
        return names
    raise InvalidInput("give a list of names, a CSV path or a DataFrame with a 'name' column")


def _from_csv(path: Path) -> list[str]:
    if not path.exists():
        raise InvalidInput(f"no such CSV file: {path}")
    with path.open(newline="", encoding="utf-8-sig") as f:
        rows = [row for row in csv.reader(f) if any(cell.strip() for cell in row)]
    if not rows:
        raise InvalidInput(f"{path} holds no names")
    header = [c.strip().lower() for c in rows[0]]
    if "name" in header:
        col = header.index("name")
        return [row[col].strip() for row in rows[1:] if len(row) > col and row[col].strip()]
    return [row[0].strip() for row in rows if row[0].strip()]
