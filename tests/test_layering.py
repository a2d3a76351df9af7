"""The layers of webapp hold (.importlinter, checked by import-linter) and no import hides inside a
function to dodge a cycle."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_no_module_of_the_app_is_imported_inside_a_function():
    hidden = []
    for path in sorted((ROOT / "webapp").rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if (isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("webapp"))
                        or isinstance(node, ast.Import) and any(a.name.startswith("webapp") for a in node.names)):
                    hidden.append(f"{path.relative_to(ROOT)}:{node.lineno} in {function.name}()")
    assert hidden == []
