"""The command line: every option explained, the output folder checked first."""

import ast
import importlib
import os
import pathlib
import time

import pytest

from skfashion.benchmarks import COMMANDS, _common


@pytest.fixture(autouse=True)
def _warnings_as_they_were(monkeypatch):
    """A command's main sets how warnings show (and PYTHONWARNINGS for its
    workers under --quick): put both back after each test."""
    import warnings

    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)
    monkeypatch.setenv("PYTHONWARNINGS", os.environ.get("PYTHONWARNINGS", ""))
    with warnings.catch_warnings():
        yield


def _parser_of(command, monkeypatch):
    """The argparse parser a command builds (captured, nothing is run)."""
    captured = {}

    def capture(self, args=None, namespace=None):
        captured["parser"] = self
        raise SystemExit(0)

    monkeypatch.setattr(_common._Parser, "parse_args", capture)
    module = importlib.import_module(f"skfashion.benchmarks.{COMMANDS[command][0]}")
    with pytest.raises(SystemExit):
        module.main([])
    monkeypatch.undo()
    return captured["parser"]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_option_has_help_and_shows_its_default(command, monkeypatch):
    parser = _parser_of(command, monkeypatch)
    options = [a for a in parser._actions if a.option_strings and a.dest != "help"]
    assert [a.option_strings for a in options if not a.help] == []
    text = parser.format_help()
    for action in options:
        if action.default is not None and action.default is not False:
            assert f"default: {action.default}" in " ".join(text.split())


# The options every command takes, where they apply: the searches' epochs
# are an axis of their grids or the resource of successive halving, so
# ``search`` has no --epochs.
COMMON = ["--dataset", "--quick", "--download", "--output", "--precision", "-v"]
NO_EPOCHS = {"search"}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_takes_the_common_options(command, monkeypatch):
    parser = _parser_of(command, monkeypatch)
    options = {o for a in parser._actions for o in a.option_strings}
    expected = COMMON + ([] if command in NO_EPOCHS else ["--epochs"])
    assert [o for o in expected if o not in options] == []
    dataset = next(a for a in parser._actions if a.dest == "dataset")
    assert dataset.default == "fashion-mnist"


def _imports(path):
    """The modules ``path`` imports, relative ones resolved in its package."""
    tree = ast.parse(path.read_text())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "skfashion.benchmarks" if node.level else ""
            module = ".".join(filter(None, [base, node.module]))
            names += [f"{module}.{alias.name}" for alias in node.names]
    return names


@pytest.mark.parametrize("command", list(COMMANDS))
def test_commands_use_only_the_public_api(command):
    import skfashion.benchmarks as package

    folder = pathlib.Path(package.__file__).parent
    path = folder / f"{COMMANDS[command][0]}.py"
    private = [
        name
        for name in _imports(path)
        if name.startswith("skfashion.")
        # the commands' own scaffolding is theirs to share
        and not name.startswith("skfashion.benchmarks._common")
        and any(part.startswith("_") for part in name.split(".")[1:])
    ]
    assert private == []


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_output_that_cannot_be_written_is_an_error_before_any_work(
    command, tmp_path, capsys
):
    module = importlib.import_module(f"skfashion.benchmarks.{COMMANDS[command][0]}")
    a_file = tmp_path / "results.json"
    a_file.write_text("{}")
    args = ["--quick", "--output", str(a_file)]
    start = time.perf_counter()
    with pytest.raises(SystemExit) as exit_:
        module.main(args)
    assert exit_.value.code == 2 and time.perf_counter() - start < 5
    assert "is a file; name a folder" in capsys.readouterr().err
    assert a_file.read_text() == "{}"  # left as it was


@pytest.mark.slow
def test_the_readme_quick_start_runs_on_the_bundled_sample(tmp_path):
    """The README's first Python block, as a new user runs it: no download."""
    import os
    import re
    import subprocess
    import sys

    readme = os.path.join(os.path.dirname(__file__), "..", "README.md")
    with open(readme, encoding="utf-8") as f:
        block = re.search(r"```python\n(.*?)```", f.read(), re.S).group(1)
    assert "load_fashion_mnist_sample" in block
    env = {**os.environ, "SKFASHION_DATA": str(tmp_path / "no-data-here")}
    result = subprocess.run(
        [sys.executable, "-c", block],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"1-NN on 64-number codes: 0\.\d{3}", result.stdout)
    assert "train_loss" in result.stdout  # the epochs' table: progress
