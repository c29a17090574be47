#!/usr/bin/env python3
"""Export every account to .xlsx the way a plain Python script would: the benchmark's reference.

It pages through accounts.list with requests.Session (pages of 500, following
next_cursor, as the product does) and writes one row per account with openpyxl
in write-only mode. The columns and cell values follow the product's column
catalogue in src-tauri/columns.rs. There are 19 standard columns, with users as
"Name <email>", tags as "name" or "name: value", lists joined with "; " and
dates as Excel date-times in UTC. Then comes one column per custom field key,
in the order the keys first appear (sorted within a page).

A write-only sheet needs its header before any row, and a custom field key may
first appear on a late page, so the rows are built as pages arrive, kept in
memory and written after the last page.

Like the product, the sheet gets a bold, frozen header and an autofilter, text
starting with "=" is stored as text rather than a formula, and text longer than
a cell allows is cut. Unlike the product, it does not fit column widths and
writes a single sheet, so it does a little less work than the product.
"""

import argparse
import json
import sys
import time
import urllib.parse
from datetime import datetime, timezone

import requests
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError

PAGE_SIZE = 500
MAX_PAGES = 100_000
LIST_SEPARATOR = "; "
SHEET_NAME = "Accounts"
DATETIME_NUMBER_FORMAT = "yyyy-mm-dd hh:mm:ss"
# Excel's limit is in UTF-16 units. Counting Python characters is close enough
# for the generated data, which has no text near the limit.
MAX_CELL_CHARS = 32_767
TRUNCATION_MARKER = "… [truncated]"


def text(value):
    """Return a non-empty string, or None for a missing or empty one."""
    return value if value else None


def joined(items):
    """Join the non-empty items with the list separator. No items give an empty cell."""
    return LIST_SEPARATOR.join(item for item in items if item) or None


def user_label(user):
    """Format a user as "Full Name <email>", falling back to display name, display ID, then ID."""
    if not user:
        return None
    name = None
    for candidate in (user.get("full_name"), user.get("display_name"), user.get("display_id")):
        if candidate and candidate.strip():
            name = candidate
            break
    email = user.get("email")
    if name and email:
        return f"{name} <{email}>"
    return name or email or user.get("id") or None


def tag_label(entry):
    """Format a tag as "name", or "name: value" when it has a value."""
    tag = entry.get("tag") or {}
    name = tag.get("name") or tag.get("id") or ""
    value = entry.get("value")
    return f"{name}: {value}" if value else name


def account_label(account):
    """Format a referenced account as "Name (ACC-1)", or whichever of the parts it has."""
    if not account:
        return None
    name = account.get("display_name")
    display_id = account.get("display_id")
    if name and display_id:
        return f"{name} ({display_id})"
    return name or display_id or account.get("id") or None


def artifact_label(artifact):
    """Name an artifact by its file name, falling back to its display ID, then its ID."""
    file = artifact.get("file") or {}
    return file.get("name") or artifact.get("display_id") or artifact.get("id") or ""


def parse_datetime(value):
    """Convert an RFC 3339 timestamp to a naive UTC datetime, as Excel stores no time zone."""
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(timezone.utc).replace(tzinfo=None)


def custom_field_cell(value):
    """Convert a custom field's JSON value to a cell value, as the product does."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        # A number only when a float represents the integer exactly, else its digits as text.
        return float(value) if int(float(value)) == value else str(value)
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        return value or None
    if isinstance(value, list):
        return joined(
            item if isinstance(item, str) else json.dumps(item, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
            for item in value
            if item is not None
        )
    if isinstance(value, dict):
        if not value:
            return None
        return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return str(value)


def standard_cells(account):
    """Build the 19 standard cells of one account, in the product's column order."""
    return [
        text(account.get("display_id")),
        text(account.get("display_name")),
        text(account.get("tier")),
        text(account.get("subtype")),
        joined(user_label(user) for user in account.get("owned_by") or ()),
        joined(account.get("domains") or ()),
        joined(account.get("websites") or ()),
        joined(tag_label(tag) for tag in account.get("tags") or ()),
        joined(account.get("external_refs") or ()),
        text(account.get("description")),
        parse_datetime(account.get("created_date")),
        user_label(account.get("created_by")),
        parse_datetime(account.get("modified_date")),
        user_label(account.get("modified_by")),
        account_label(account.get("primary_account")),
        joined(artifact_label(artifact) for artifact in account.get("artifacts") or ()),
        joined(account.get("custom_schema_fragments") or ()),
        text(account.get("stock_schema_fragment")),
        text(account.get("id")),
    ]


STANDARD_HEADERS = [
    "Account ID",
    "Name",
    "Tier",
    "Subtype",
    "Owners",
    "Domains",
    "Websites",
    "Tags",
    "External refs",
    "Description",
    "Created (UTC)",
    "Created by",
    "Modified (UTC)",
    "Modified by",
    "Primary account",
    "Artifacts",
    "Custom schema fragments",
    "Stock schema fragment",
    "DevRev ID",
]


DATETIME_POSITIONS = (STANDARD_HEADERS.index("Created (UTC)"), STANDARD_HEADERS.index("Modified (UTC)"))


def readable_key(key):
    """Make a custom field key readable: tnt__region_code becomes "Region code"."""
    for prefix in ("tnt__", "ctype__"):
        if key.startswith(prefix):
            key = key[len(prefix):]
            break
    spaced = " ".join(word for word in key.split("_") if word)
    return spaced[:1].upper() + spaced[1:]


def unique_header(key, used_headers):
    """Return a header for a custom field that no other column uses, comparing case-insensitively."""
    header = readable_key(key) or key
    if header.lower() in used_headers:
        header = f"{header} ({key})"
    base = header
    suffix = 2
    while header.lower() in used_headers:
        header = f"{base} {suffix}"
        suffix += 1
    used_headers.add(header.lower())
    return header


def fetch_rows(session, url, timeout):
    """Read every page and build the rows; return the custom field keys and the rows."""
    custom_keys = []
    known_keys = set()
    rows = []
    cursor = None
    for page in range(1, MAX_PAGES + 1):
        request = {"limit": PAGE_SIZE}
        if cursor:
            request["cursor"] = cursor
        response = session.post(url, json=request, timeout=timeout)
        if response.status_code != 200:
            raise RuntimeError(f"POST {url} returned HTTP {response.status_code} on page {page}: {response.text[:300]}")
        body = response.json()
        accounts = body.get("accounts") or []

        page_keys = set()
        for account in accounts:
            page_keys.update((account.get("custom_fields") or {}).keys())
        for key in sorted(page_keys - known_keys):
            custom_keys.append(key)
            known_keys.add(key)

        for account in accounts:
            row = standard_cells(account)
            fields = account.get("custom_fields") or {}
            row.extend(custom_field_cell(fields.get(key)) for key in custom_keys)
            rows.append(row)

        next_cursor = body.get("next_cursor")
        if not next_cursor:
            return custom_keys, rows
        if next_cursor == cursor:
            raise RuntimeError(f"the server sent the same cursor twice, on page {page}")
        cursor = next_cursor
    raise RuntimeError(f"stopped after {MAX_PAGES} pages; the server keeps sending next_cursor")


def special_text_cell(sheet, value):
    """Wrap text that a plain append would get wrong: cut over-long text, keep "=..." as text."""
    if len(value) > MAX_CELL_CHARS:
        value = value[: MAX_CELL_CHARS - len(TRUNCATION_MARKER)] + TRUNCATION_MARKER
    if not value.startswith("="):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def write_workbook(path, custom_keys, rows):
    """Write the header and rows to a write-only workbook at path."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_NAME)
    used_headers = {header.lower() for header in STANDARD_HEADERS}
    headers = STANDARD_HEADERS + [unique_header(key, used_headers) for key in custom_keys]
    column_count = len(headers)
    last_row = len(rows) + 1

    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(column_count)}{last_row}"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)

    for row in rows:
        # Rows built before a late custom key appeared are shorter; Excel reads
        # the missing trailing cells as empty. Plain values go in as they are,
        # so the common cell costs one type check and no function call.
        cells = [
            value
            if value.__class__ is not str or (value[:1] != "=" and len(value) <= MAX_CELL_CHARS)
            else special_text_cell(sheet, value)
            for value in row
        ]
        for position in DATETIME_POSITIONS:
            if cells[position] is not None:
                cell = WriteOnlyCell(sheet, value=cells[position])
                cell.number_format = DATETIME_NUMBER_FORMAT
                cells[position] = cell
        try:
            sheet.append(cells)
        except IllegalCharacterError:
            sheet.append([ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value for value in cells])
    workbook.save(path)
    return column_count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="server address, such as http://127.0.0.1:8080")
    parser.add_argument("--token", required=True, help="bearer token the server accepts")
    parser.add_argument("--out", required=True, help="workbook to write")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for one response")
    args = parser.parse_args()

    url = urllib.parse.urlsplit(args.base_url)
    if url.scheme != "http" or url.hostname not in ("127.0.0.1", "::1", "localhost"):
        print(f"error: {args.base_url} is not a plain-HTTP loopback address; the reference only talks to this computer.", file=sys.stderr)
        return 2
    endpoint = args.base_url.rstrip("/") + "/accounts.list"

    started = time.perf_counter()
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {args.token}"
        # Ignore proxy variables: the server is on loopback.
        session.trust_env = False
        try:
            custom_keys, rows = fetch_rows(session, endpoint, (5, args.timeout))
        except (requests.RequestException, RuntimeError, ValueError) as error:
            print(f"error: reading accounts failed: {error}", file=sys.stderr)
            return 1
    fetched = time.perf_counter()
    columns = write_workbook(args.out, custom_keys, rows)
    finished = time.perf_counter()

    print(json.dumps({
        "rows": len(rows),
        "columns": columns,
        "fetch_seconds": round(fetched - started, 3),
        "write_seconds": round(finished - fetched, 3),
        "seconds": round(finished - started, 3),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
