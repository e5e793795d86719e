"""Imports sit at the top of a module. An import inside a function is allowed only where an
import cycle forces it, and then says so ("# lazy: <why>"); Django's AppConfig.ready() is the
other place imports belong (checks and signal receivers are registered there)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "casework"
INDENTED_IMPORT = re.compile(r"^\s+(from\s+\S+\s+import\s|import\s)")


def lazy_imports(root=ROOT):
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts or path.name == "apps.py":
            continue
        in_docstring = False
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.count('"""') % 2:
                in_docstring = not in_docstring
                continue
            if not in_docstring and INDENTED_IMPORT.match(line):
                yield f"{path.relative_to(root.parent)}:{number}", line.strip()


def test_every_import_inside_a_function_says_which_cycle_forces_it():
    unexplained = [(where, line) for where, line in lazy_imports() if "# lazy:" not in line]
    assert unexplained == []


def test_the_scan_finds_an_indented_import(tmp_path):
    module = tmp_path / "casework" / "sample.py"
    module.parent.mkdir()
    module.write_text('def f():\n    """Doc."""\n    from casework.cases.models import Case\n    return Case\n')
    assert [line for _where, line in lazy_imports(module.parent)] == ["from casework.cases.models import Case"]
