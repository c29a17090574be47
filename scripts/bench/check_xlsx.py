#!/usr/bin/env python3
"""Check an exported workbook cheaply: data rows, header, and agreement with another workbook.

Counting rows with openpyxl would parse every cell, which takes longer than some
of the exports being measured. Instead the worksheet XML is streamed out of the
zip and its <row> elements are counted; each sheet's first row is the header.
The header and the first data rows are read with openpyxl in read-only mode,
which stops after the rows requested.

Prints one line of JSON with rows, sheets and columns. Exits with status 1 when
--expect-rows or --compare-with finds a difference, and prints which.
"""

import argparse
import json
import re
import sys
import zipfile
from datetime import datetime

from openpyxl import load_workbook

CHUNK_BYTES = 1 << 20
ROW_TAG = re.compile(rb"<row[\s>/]")
SHEET_PATH = re.compile(r"xl/worksheets/sheet(\d+)\.xml")


SHEET_NAME = re.compile(rb'<sheet [^>]*name="([^"]*)"')


def account_sheet_numbers(archive):
    """Return the numbers N of the xl/worksheets/sheetN.xml parts that hold
    accounts: the sheets named Accounts or Accounts (2) and so on, in the
    workbook's order. The About this export sheet is left out."""
    names = SHEET_NAME.findall(archive.read("xl/workbook.xml"))
    return {
        str(position + 1)
        for position, name in enumerate(names)
        if name == b"Accounts" or name.startswith(b"Accounts (")
    }


def count_rows(path):
    """Return (sheets, data rows): <row> elements across the account sheets minus one header per sheet."""
    total_rows = 0
    sheets = 0
    with zipfile.ZipFile(path) as archive:
        numbers = account_sheet_numbers(archive)
        for name in archive.namelist():
            match = SHEET_PATH.fullmatch(name)
            if not match or match.group(1) not in numbers:
                continue
            sheets += 1
            tail = b""
            with archive.open(name) as stream:
                while True:
                    chunk = stream.read(CHUNK_BYTES)
                    if not chunk:
                        break
                    # A match is 5 bytes, so the 4 bytes carried over from the
                    # previous chunk complete a split tag but never hold a whole one.
                    data = tail + chunk
                    total_rows += len(ROW_TAG.findall(data))
                    tail = data[-4:]
    return sheets, total_rows - sheets


def first_rows(path, count):
    """Return the first `count` rows of the first sheet as lists of values."""
    workbook = load_workbook(path, read_only=True)
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(min_row=1, max_row=count, values_only=True)]
    finally:
        workbook.close()


def normalize(value):
    """Make cell values comparable across writers: numbers as floats, datetimes to the millisecond."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime):
        return value.replace(microsecond=round(value.microsecond / 1000) * 1000 % 1_000_000)
    return value


def trimmed(row):
    """Drop trailing empty cells, which writers store differently."""
    values = [normalize(value) for value in row]
    while values and values[-1] is None:
        values.pop()
    return values


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", help="the .xlsx file to check")
    parser.add_argument("--expect-rows", type=int, help="number of data rows the workbook must have")
    parser.add_argument("--compare-with", help="another .xlsx whose header and first data rows must be equal")
    parser.add_argument("--compare-rows", type=int, default=20, help="data rows compared with --compare-with")
    args = parser.parse_args()

    try:
        sheets, rows = count_rows(args.workbook)
        header = first_rows(args.workbook, 1)[0]
    except (OSError, zipfile.BadZipFile, KeyError, IndexError) as error:
        print(f"error: {args.workbook} could not be read as an .xlsx workbook: {error!r}", file=sys.stderr)
        return 1
    print(json.dumps({"rows": rows, "sheets": sheets, "columns": len(header)}))

    problems = []
    if args.expect_rows is not None and rows != args.expect_rows:
        problems.append(f"{args.workbook} has {rows} data rows, expected {args.expect_rows}")
    if args.compare_with:
        mine = first_rows(args.workbook, args.compare_rows + 1)
        theirs = first_rows(args.compare_with, args.compare_rows + 1)
        for number, (left, right) in enumerate(zip(mine, theirs), start=1):
            if trimmed(left) != trimmed(right):
                differing = [
                    (position, a, b)
                    for position, (a, b) in enumerate(zip(trimmed(left) + [None] * len(right), trimmed(right) + [None] * len(left)))
                    if a != b
                ][:3]
                problems.append(f"row {number} differs from {args.compare_with}: (column index, this, other) {differing}")
                break
        if len(mine) != len(theirs):
            problems.append(f"{len(mine)} rows read here but {len(theirs)} in {args.compare_with}")

    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
