"""What a user reads first: the README's size and words, and no project history.

The README, the documentation, the examples, the public docstrings, the
commands' help texts and the result files speak of the package as it is: no
issue numbers, validation rounds, "what version 0.2 did", and no name that
only the developers know (the classic course networks are called that).
"""

import io
import re
from contextlib import redirect_stdout
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Words of the project's history: issue numbers, study rounds, earlier
# versions as a reference point, and the developers' name for the course
# networks the defaults started from.
HISTORY = re.compile(
    r"\b[Ii]ssue \d+|\bround \d+\b|\bversion 0\.\d+ did\b|\(0\.\d\)"
    r"|\bseeds?'|\bthe seeds\b|\bseed (?:network|notebook)s?\b"
)


def _history_in(text):
    return sorted({m.group(0) for m in HISTORY.finditer(text)})


def test_the_readme_is_short():
    words = len((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert words <= 1500, f"README.md has {words} words; the rest goes to docs/"


def test_the_history_pattern_finds_what_it_is_for():
    # the test below passes only if this pattern can fail
    assert _history_in("as issue 24 asked, a seeds' network, round 3") == [
        "issue 24",
        "round 3",
        "seeds'",
    ]
    assert _history_in("a random seed, seed=0, seeds of the search") == []


def _files():
    yield ROOT / "README.md"
    yield from sorted((ROOT / "docs").rglob("*.rst"))
    yield from sorted((ROOT / "examples").glob("*.py"))
    yield from sorted((ROOT / "examples").glob("*.rst"))
    yield from sorted((ROOT / "benchmarks" / "results").glob("*.md"))


@pytest.mark.parametrize("path", list(_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_project_history_where_a_user_reads(path):
    if "_build" in path.parts or "auto_examples" in path.parts:
        pytest.skip("a build output")
    found = _history_in(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(ROOT)}: {found}"


def _public_objects():
    import skfashion
    from skfashion import datasets, io, metrics, onnx, plotting, timing

    for module in (skfashion, datasets, io, onnx, plotting):
        for name in module.__all__:
            if name != "__version__":
                yield f"{module.__name__}.{name}", getattr(module, name)
    for module in (metrics, timing):
        yield module.__name__, module


def test_no_project_history_in_public_docstrings():
    found = {}
    for name, obj in _public_objects():
        texts = [obj.__doc__ or ""]
        texts += (
            [
                getattr(member, "__doc__", None) or ""
                for member in vars(obj).values()
                if callable(member) or isinstance(member, property)
            ]
            if isinstance(obj, type)
            else []
        )
        words = _history_in("\n".join(texts))
        if words:
            found[name] = words
    assert not found


def test_no_project_history_in_the_commands_help():
    from skfashion.benchmarks import COMMANDS, main

    found = {}
    for command in COMMANDS:
        out = io.StringIO()
        with redirect_stdout(out), pytest.raises(SystemExit):
            main([command, "--help"])
        words = _history_in(out.getvalue())
        if words:
            found[command] = words
    assert not found
