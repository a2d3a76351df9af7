"""Mutation score of the pure rule modules (issue 13: aim at least 90% of mutants killed in each).

    .venv/bin/python bench/mutation.py [--module NAME ...]

mutmut changes one thing at a time in a module (a comparison flipped, a constant changed, a branch
dropped, a word in a string) and runs the module's tests against each change; a change no test notices
"survives". Each module runs in a throwaway copy of the project (mutmut writes its mutants beside the
code), with only its own test files, so a module takes a minute or two. Prints, per module: mutants,
killed, survived, the score, and the names of the survivors (`mutmut show NAME` in the copy shows one).
It asserts nothing.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = {  # module: the tests that hold it
    "webapp/rules/classification.py": ["tests/test_classification.py", "tests/test_learning_rules.py"],
    "webapp/obligations/regimes.py": ["tests/test_regimes.py"],
    "webapp/sla/rules.py": ["tests/test_sla.py"],
    "webapp/escalation/policy.py": ["tests/test_policy.py"],
    "webapp/escalation/oncall.py": ["tests/test_oncall.py"],
}
SKIP = (".venv", "node_modules", "test-artifacts", "instance", ".git", "mutants")


def run(module: str, tests: list[str]) -> tuple[int, int, list[str]]:
    work = Path(tempfile.mkdtemp(prefix="mutation_"))
    try:
        shutil.copytree(ROOT, work / "project", ignore=shutil.ignore_patterns(*SKIP))
        project = work / "project"
        with (project / "pyproject.toml").open("a") as config:
            config.write(f'''
[tool.mutmut]
source_paths = ["{module}"]
pytest_add_cli_args_test_selection = {tests!r}
pytest_add_cli_args = ["-p", "no:xdist", "-p", "no:cacheprovider", "-x", "-q", "-k", "not postgresql"]
also_copy = ["tests", "webapp", "templates", "static", "migrations", "service_worker"]
''')
        mutmut = str(Path(sys.executable).parent / "mutmut")
        subprocess.run([mutmut, "run"], cwd=project, capture_output=True, text=True, timeout=3600)
        results = subprocess.run([mutmut, "results", "--all", "true"], cwd=project, capture_output=True,
                                 text=True).stdout
        states = re.findall(r"^\s*(\S+): (\w[\w ]*)$", results, re.M)
        survived = [name for name, state in states if state == "survived"]
        killed = sum(1 for _, state in states if state == "killed")
        return len(states), killed, survived
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", action="append", help="a module path, e.g. webapp/sla/rules.py")
    args = parser.parse_args()
    print(f"{'module':<36}{'mutants':>8}{'killed':>8}{'survived':>9}{'score':>7}")
    for module, tests in MODULES.items():
        if args.module and module not in args.module:
            continue
        total, killed, survived = run(module, tests)
        score = f"{100 * killed / total:.0f}%" if total else "-"
        print(f"{module:<36}{total:>8}{killed:>8}{len(survived):>9}{score:>7}", flush=True)
        for name in survived:
            print(f"    survived: {name}")


if __name__ == "__main__":
    main()
