#!/usr/bin/env python3
"""Runs the examples of README.md and compares their output with the text.

An example is a line `$ COMMAND` inside a fenced block, followed by the
output the README shows for it (up to the next `$ ` line or the end of the
block).  Commands run in order, in one scratch directory that holds links
to the repository's `scenarios/`, `tests/`, `bench/` and `tools/`, a copy
of `docs/` (examples write there) and `../shared` when it exists, with
`dsim` on the PATH, so one example may read what an earlier one wrote
(`--out out`, then `dsim check out/...`).

The README often shows part of an output: the lines it shows must appear
in the real output in the same order; a line `...` stands for any lines.
Lines that measure the machine (`speed`, `memory`, `took`, seconds of wall
time) are compared with their numbers left out, and a command stopped by
`--timeout` or `--time` with none of its numbers.

An example runs if its command starts with `dsim`, `echo $?`, `ls`,
`head`, `cat`, `grep`, `python3 bench/` (the generators) or `tools/` (the
scripts that run a scenario over many seeds), or is `make run` (compared
as the `dsim run scenarios/default.scn` it ends with), and every file it
names exists; an example about a file the text only describes is counted
as not run.  The files the text describes as a repository scenario with a
few keys changed (`DERIVED`) are made before the first example, and `cat
FILE` of a file that does not exist writes the README's listing into it,
so the listing is the input of the examples after it.

    readme_examples.py README.md BUILD/cli/dsim [REPO]

Prints one line per example that differs, with a diff, and a summary; exit
code 1 if any differs.
"""
import difflib
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

RUNNABLE = ("dsim ", "echo $?", "ls ", "head ", "cat ", "grep ", "python3 bench/", "tools/")

# Files the README's text describes as a repository scenario with a few
# keys changed: NAME -> (repository file, [(section, key, value), ...]).
DERIVED = {
    "raft-vote-without-log-check.scn":
        ("scenarios/raft/random-faults.scn", [("raft", "bug", "vote-without-log-check")]),
    "pbft-commit-with-2f-prepares.scn":
        ("scenarios/explore/pbft-commit-with-2f-prepares.scn", [("pbft", "bug", "none")]),
    "raft-two-changes-at-once.scn":
        ("scenarios/explore/raft-two-changes-at-once.scn", [("raft", "bug", "none")]),
    "paxos.scn":
        ("scenarios/explore/paxos-volatile-promise.scn",
         [("paxos", "bug", "none"), ("explore", "depth", "8"), ("explore", "crashes", "0"),
          ("explore", "restarts", "0")]),
}


def derive(src, edits):
    """The text of scenario `src` with each `key = value` in its [section]."""
    lines = open(src, encoding="utf-8").read().split("\n")
    for section, key, value in edits:
        set_key(lines, section, key, value)
    return "\n".join(lines)


def set_key(lines, section, key, value):
    start = lines.index(f"[{section}]")
    end = next((k for k in range(start + 1, len(lines)) if lines[k].startswith("[")), len(lines))
    for k in range(start + 1, end):
        if re.match(rf"{re.escape(key)}\s*=", lines[k]):
            lines[k] = f"{key} = {value}"
            break
    else:
        lines.insert(start + 1, f"{key} = {value}")
TIMEOUT_S = 300
# The README has over a hundred runnable examples (104 without ../shared):
# far fewer means the reader no longer finds them.
MIN_SHOWN = 90


def examples(text):
    """(line, command, shown output) for each `$ ` line of a fenced block
    (an indented block, in a list item, is read without its indent)."""
    out, cur, fence = [], None, None
    for i, line in enumerate(text.split("\n"), 1):
        if line.lstrip().startswith("```"):
            if cur is not None:
                out.append(cur)
                cur = None
            fence = None if fence is not None else len(line) - len(line.lstrip())
            continue
        if fence is None:
            continue
        line = line[fence:] if line[:fence].strip() == "" else line
        if line.startswith("$ "):
            if cur is not None:
                out.append(cur)
            cur = (i, line[2:], [])
        elif cur is not None and not cur[2] and cur[1].endswith("\\"):
            cur = (cur[0], cur[1][:-1] + line.strip(), cur[2])
        elif cur is not None:
            cur[2].append(line)
    return out


MEASURED = re.compile(r"^(speed|memory|took|wall|time)\b")


def norm(line, timed=False):
    """A line with what depends on the machine left out (all numbers, for
    a command stopped by the clock: how far it got depends on the speed)."""
    line = line.rstrip()
    if timed:
        return re.sub(r"\d+(\.\d+)?(e-?\d+)?", "N", line)
    if MEASURED.match(line):
        return MEASURED.match(line).group(1)
    line = re.sub(r"\d+(\.\d+)? ?(ms|s)\b(?![a-z])", "T", line)
    line = re.sub(r"\d+(\.\d+)? (MB|KB|KiB|MiB)\b", "M", line)
    return line


def shown_in(shown, got, timed):
    """Whether the shown lines appear in order among the real ones (for a
    command stopped by the clock, whose numbers wrap lines differently,
    the shown text between `...` lines in order in the real text)."""
    if timed:
        groups = [[]]
        for line in shown:
            if line.strip() == "...":
                groups.append([])
            else:
                groups[-1].append(line)
        text, k = " ".join(norm(w, True) for w in " ".join(got).split()), 0
        for g in groups:
            part = " ".join(norm(w, True) for w in " ".join(g).split())
            k = text.find(part, k)
            if k < 0:
                return False, part
        return True, None
    want = [norm(l, timed) for l in shown if l.strip() not in ("...", "")]
    have = [norm(l, timed) for l in got]
    k = 0
    for w in want:
        while k < len(have) and have[k] != w:
            k += 1
        if k == len(have):
            return False, w
        k += 1
    return True, None


def command_files(cmd):
    """The words of a command that look like files it reads."""
    try:
        words = shlex.split(cmd.split("#")[0].split("|")[0].split(";")[0])
    except ValueError:
        return []
    files = []
    for i, w in enumerate(words[1:], 1):
        prev = words[i - 1]
        if w.startswith("-") or prev in (">", "-o", "--out", "--diagram", "--trace", "--history",
                                         "--merge-out"):
            continue
        if re.search(r"\.(scn|edn|jsonl|log|txt|json)$", w):
            files.append(w)
        elif "*" in w:
            files.append(w)
    return files


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    readme, dsim = sys.argv[1], os.path.abspath(sys.argv[2])
    repo = os.path.abspath(sys.argv[3] if len(sys.argv) > 3 else os.path.dirname(readme) or ".")
    text = open(readme, encoding="utf-8").read()
    top = tempfile.mkdtemp(prefix="dsim-readme-")
    work = os.path.join(top, "main")
    os.mkdir(work)
    for d in ("scenarios", "tests", "bench", "tools"):
        os.symlink(os.path.join(repo, d), os.path.join(work, d))
    shutil.copytree(os.path.join(repo, "docs"), os.path.join(work, "docs"))  # examples write there
    shared = os.path.join(repo, "..", "shared")
    if os.path.isdir(shared):
        os.symlink(os.path.abspath(shared), os.path.join(top, "shared"))
    bindir = os.path.join(top, "bin")
    os.mkdir(bindir)
    os.symlink(dsim, os.path.join(bindir, "dsim"))
    env = dict(os.environ, PATH=bindir + ":" + os.environ.get("PATH", ""), LC_ALL="C.UTF-8",
               DSIM=dsim)
    env.pop("DSIM_PROGRESS", None)
    for name, (src, edits) in DERIVED.items():
        with open(os.path.join(work, name), "w", encoding="utf-8") as f:
            f.write(derive(os.path.join(repo, src), edits))
    same = differ = not_run = 0
    last_rc = None
    for line, cmd, shown in examples(text):
        if cmd == "make run":  # what it prints after the build
            cmd = "dsim run scenarios/default.scn"
        if not cmd.startswith(RUNNABLE) or (cmd == "echo $?" and last_rc is None):
            not_run += 1
            last_rc = None
            continue
        missing = [f for f in command_files(cmd)
                   if not glob.glob(os.path.join(work, f))]
        if cmd.startswith("cat ") and len(missing) == 1:
            with open(os.path.join(work, missing[0]), "w", encoding="utf-8") as f:
                f.write("\n".join(shown).rstrip("\n") + "\n")
            same += 1
            continue
        if missing:
            skipped = "SKIPPED: " if missing[0].startswith("../shared/") else ""
            print(f"{skipped}README.md:{line}: not run, {missing[0]} does not exist: $ {cmd}")
            not_run += 1
            last_rc = None
            continue
        if cmd == "echo $?":
            got, rc = [str(last_rc)], last_rc
            outs = [got]
        else:
            try:
                p = subprocess.run(["bash", "-c", cmd], cwd=work, env=env, capture_output=True,
                                   text=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
                # A terminal shows stderr's lines where they were written;
                # through pipes only the two orders can be tried.
                outs = [(a + b).rstrip("\n").split("\n") for a, b in
                        ((p.stdout, p.stderr), (p.stderr, p.stdout))]
                got, rc = outs[0], p.returncode
            except subprocess.TimeoutExpired:
                got, rc = [f"(no answer within {TIMEOUT_S} s)"], -1
                outs = [got]
        last_rc = rc
        timed = re.search(r"--time(out)? ", cmd) is not None
        if cmd.startswith("ls "):  # columns on a terminal, one a line through a pipe
            shown = [" ".join(sorted(" ".join(shown).split()))]
            outs = [[" ".join(sorted(" ".join(got).split()))]]
        ok, first = False, None
        for o in outs:
            ok, first = shown_in(shown, o, timed)
            if ok:
                break
        if ok:
            same += 1
            continue
        differ += 1
        print(f"README.md:{line}: the output differs: $ {cmd}")
        print(f"  first line shown that the run does not print in order: {first.strip()}")
        for d in list(difflib.unified_diff(shown, got, "README", "run", lineterm="", n=1))[2:40]:
            print("    " + d)
    shutil.rmtree(top, ignore_errors=True)
    print(f"{same} examples as shown, {differ} differ, {not_run} not run")
    if same < MIN_SHOWN:
        print(f"only {same} examples ran as shown, fewer than {MIN_SHOWN}: the README's "
              "blocks were not read as examples")
        return 1
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
