#!/usr/bin/env python3
"""Runs an `age` command on a pseudo-terminal and types a passphrase at each prompt.

age reads a passphrase only from the terminal (never from stdin or a file), so the tests
give it one: `age_pty.py PASSPHRASE age -e -p -o OUT IN`. Exits with the command's status.
"""
import os
import pty
import sys
import time


def main() -> int:
    passphrase = sys.argv[1].encode() + b"\n"
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(sys.argv[2], sys.argv[2:])
    seen = b""
    answered = 0
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            data = os.read(fd, 1024)
        except OSError:
            break
        if not data:
            break
        seen += data
        # One answer per prompt ("Enter passphrase", "Confirm passphrase").
        while seen.lower().count(b"passphrase") > answered and seen.rstrip().endswith(b":"):
            os.write(fd, passphrase)
            answered += 1
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
