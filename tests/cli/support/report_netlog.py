#!/usr/bin/env python3
"""report_netlog.py NETLOG -- print every URL the page itself asked Chromium to fetch.

Reads a Chromium net log (--log-net-log) and prints, one per line, the URL of each
URL_REQUEST_START_JOB that the page initiated (its initiator is an origin, e.g. "null" for a
file:// page), other than file: and data: URLs. Requests the browser makes on its own
(component updates, account checks: initiator "not an origin") are not the page's and are
left out. Exits 0; an empty output means the page fetched nothing. Used by tests/cli/report.sh.
"""
import json
import sys


def main():
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        text = f.read().rstrip().rstrip(",")
    if not text.endswith("}"):
        text += "]}"  # a log cut short when the browser exited
    log = json.loads(text)
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    seen = []
    for e in log.get("events", []):
        if names.get(e.get("type")) != "URL_REQUEST_START_JOB":
            continue
        p = e.get("params", {})
        url = p.get("url", "")
        if not url or p.get("initiator") == "not an origin" or url.startswith(("file:", "data:")):
            continue
        if url not in seen:
            seen.append(url)
    for url in seen:
        print(url)


if __name__ == "__main__":
    main()
