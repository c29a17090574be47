#!/usr/bin/env python3
"""Fetch every account page from accounts.list and discard it: the benchmark's floor.

The time of this script is the cost of transfer plus server time for the same
requests the product sends (pages of 500, following next_cursor), with as little
client work as Python allows. It keeps one HTTP/1.1 connection open
(http.client keep-alive), reads each response body fully and finds next_cursor
with a regular expression on the raw bytes instead of decoding the JSON, so the
accounts themselves are never parsed.

The last occurrence of "next_cursor" in the body is taken as the cursor, which
is right as long as no account contains that key after the top-level one. The
demo server's accounts have no such key.

Prints one line of JSON: pages, bytes and seconds, plus accounts with
--count-accounts. Counting is left out of timed runs because it scans every
byte once more.
"""

import argparse
import http.client
import json
import re
import sys
import time
import urllib.parse

PAGE_SIZE = 500
MAX_PAGES = 100_000

CURSOR_PATTERN = re.compile(rb'"next_cursor"\s*:\s*"((?:[^"\\]|\\.)*)"')
# Every account object of the demo server has exactly one stock_schema_fragment
# key, and nested objects (users, tags, artifacts) have none, so counting the
# key counts accounts without a JSON parse.
ACCOUNT_MARKER = b'"stock_schema_fragment"'


def find_next_cursor(body: bytes):
    """Return the next_cursor of a page body, or None when the page is the last."""
    start = body.rfind(b'"next_cursor"')
    if start < 0:
        return None
    match = CURSOR_PATTERN.match(body, start)
    if match is None:
        # The key is present but not a string: null ends the read, anything
        # else is a server bug worth stopping on.
        if re.match(rb'"next_cursor"\s*:\s*null', body[start:]):
            return None
        raise ValueError(f"next_cursor at byte {start} is neither a string nor null")
    raw = match.group(1)
    if b"\\" in raw:
        return json.loads(b'"' + raw + b'"')
    return raw.decode("utf-8") or None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="server address, such as http://127.0.0.1:8080")
    parser.add_argument("--token", required=True, help="bearer token the server accepts")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for one response")
    parser.add_argument("--count-accounts", action="store_true", help="also count the accounts received (demo server data only)")
    args = parser.parse_args()

    url = urllib.parse.urlsplit(args.base_url)
    if url.scheme != "http" or url.hostname not in ("127.0.0.1", "::1", "localhost"):
        print(f"error: {args.base_url} is not a plain-HTTP loopback address; the floor only talks to this computer.", file=sys.stderr)
        return 2
    path = url.path.rstrip("/") + "/accounts.list"
    headers = {
        "Authorization": f"Bearer {args.token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }

    started = time.perf_counter()
    connection = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=args.timeout)
    cursor = None
    pages = 0
    total_bytes = 0
    accounts = 0
    try:
        while True:
            if pages == MAX_PAGES:
                print(f"error: stopped after {MAX_PAGES} pages; the server keeps sending next_cursor.", file=sys.stderr)
                return 1
            request = {"limit": PAGE_SIZE}
            if cursor is not None:
                request["cursor"] = cursor
            connection.request("POST", path, body=json.dumps(request), headers=headers)
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                print(f"error: POST {path} returned HTTP {response.status} on page {pages + 1}: {body[:300]!r}", file=sys.stderr)
                return 1
            pages += 1
            total_bytes += len(body)
            if args.count_accounts:
                accounts += body.count(ACCOUNT_MARKER)
            next_cursor = find_next_cursor(body)
            if next_cursor is None:
                break
            if next_cursor == cursor:
                print(f"error: the server sent the same cursor twice, on page {pages}.", file=sys.stderr)
                return 1
            cursor = next_cursor
    finally:
        connection.close()
    elapsed = time.perf_counter() - started

    result = {"pages": pages, "bytes": total_bytes, "seconds": round(elapsed, 3)}
    if args.count_accounts:
        result["accounts"] = accounts
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
