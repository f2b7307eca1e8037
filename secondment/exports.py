"""Files people download: CSV (UTF-8 with BOM, so Excel opens Chinese correctly) and XLSX.

Any text cell a spreadsheet would run as a formula (starting with =, +, -, @, or a tab/CR) is
prefixed with an apostrophe, so an exported roster can never execute what someone typed into it.
"""
from __future__ import annotations

import io

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "Sheet1") -> bytes:
    buffer = io.BytesIO()
    safe = safe_frame(frame)
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        name = (sheet or "Sheet1")[:31]
        for bad in "[]:*?/\\":
            name = name.replace(bad, " ")
        safe.to_excel(writer, index=False, sheet_name=name)
        ws = writer.sheets[name]
        for idx, column in enumerate(safe.columns, start=1):
            values = [str(column)] + [str(v) for v in safe[column].head(200).tolist()]
            width = min(60, max(8, max(_display_width(v) for v in values) + 2))
            ws.column_dimensions[ws.cell(row=1, column=idx).column_letter].width = width
        ws.freeze_panes = "A2"
    return buffer.getvalue()


def _display_width(text: str) -> int:
    # CJK characters take two columns in a spreadsheet.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def write_file(frame: pd.DataFrame, path, fmt: str, sheet: str = "Sheet1") -> None:
    data = to_csv_bytes(frame) if fmt == "csv" else to_xlsx_bytes(frame, sheet)
    with open(path, "wb") as fh:
        fh.write(data)
