"""CSV for people who open it in Excel: a cell that starts like a formula is written as text.

Spreadsheets run a cell beginning with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or a carriage
return) as a formula, so a lead named ``=HYPERLINK(...)`` in an uploaded file or typed into a field would
run on the reader's machine (CSV injection). A leading apostrophe makes Excel show the text as it is."""

import csv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text that a spreadsheet would read as a formula, prefixed with an apostrophe; numbers as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unescape_cell(value: str) -> str:
    """A cell ``safe_cell`` wrote, as it was: for files that come back after being fixed in Excel."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


class SafeWriter:
    """``csv.writer`` whose rows are written through ``safe_cell``."""

    def __init__(self, stream, **kwargs):
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([safe_cell(value) for value in row])
