#!/usr/bin/env python3
"""Counts test cases across meson test logs and prints "N passed, N failed".

A Criterion executable reports its cases in a "Synthesis" line; any other
test counts as one case, passed or failed by its meson result."""
import json
import re
import sys

SYNTH = re.compile(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)")


def main(argv):
    passed = failed = 0
    extras = []
    logs = []
    i = 0
    while i < len(argv):
        if argv[i] == "--extra":
            extras.append(argv[i + 1])
            i += 2
        else:
            logs.append(argv[i])
            i += 1
    for path in logs:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = f.readlines()
        except OSError as e:
            print(f"summary: cannot read {path}: {e}", file=sys.stderr)
            failed += 1
            continue
        for line in lines:
            t = json.loads(line)
            text = (t.get("stdout") or "") + (t.get("stderr") or "")
            ok = t.get("result") in ("OK", "EXPECTEDFAIL")
            m = SYNTH.findall(text)
            if m:
                tested, passing, failing, crashing = map(int, m[-1])
                passed += passing
                failed += failing + crashing
                if not ok and failing + crashing == 0:
                    failed += 1  # crashed or timed out outside any case
            elif ok:
                passed += 1
            else:
                failed += 1
    for e in extras:
        name, _, code = e.partition("=")
        if code == "0":
            passed += 1
        else:
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
