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


@pytest.mark.slow
def test_the_readme_full_data_quick_start(tmp_path, full_data_home):
    """The README's second Python block on the full data: progress and a score."""
    import os
    import re
    import subprocess
    import sys

    readme = os.path.join(os.path.dirname(__file__), "..", "README.md")
    with open(readme, encoding="utf-8") as f:
        first, second = re.findall(r"```python\n(.*?)```", f.read(), re.S)[:2]
    assert "fetch_fashion_mnist" in second and "verbose=1" in second
    imports = "\n".join(
        line for line in first.splitlines() if line.startswith(("from ", "import "))
    )
    env = {**os.environ, "SKFASHION_DATA": str(full_data_home)}
    result = subprocess.run(
        [sys.executable, "-c", imports + "\n" + second],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    score = re.search(r"1-NN on 64-number codes: (0\.\d{4})", result.stdout)
    assert score and float(score.group(1)) > 0.85, result.stdout[-500:]
    assert "train_loss" in result.stdout  # the epochs' table: progress


# -- numbers checked as the options are read (issue 34, item 7) -------------------

# (command, option, bad values): each an exit status 2 within seconds, the
# message naming the option.
_BAD_NUMBERS = [
    ("encoded", "--epochs", ["0", "-1", "1.5", "ten", ""]),
    ("encoded", "--components", ["0", "-3", "785", "1e9"]),
    ("encoded", "--seed", ["-1", str(2**32), "x"]),
    ("encoded", "--candidates", ["-1", "99"]),
    ("classifier", "--epochs", ["0", "-5"]),
    ("classifier", "--n-train", ["0"]),
    ("classifier", "--validation-fraction", ["0", "1", "1.5", "-0.1", "nan", "x"]),
    ("autoencoders", "--epochs", ["0", "-1"]),
    ("search", "--cv", ["1", "0", "-2"]),
    ("search", "--n-jobs", ["0", "x"]),
    ("search", "--n-train", ["0", "-10"]),
    ("generation", "--epochs", ["0"]),
    ("generation", "--n-samples", ["0", "1", "-1"]),
    ("generation", "--classifier-epochs", ["0"]),
    ("generation", "--n-train-conv", ["0"]),
    ("speed", "--epochs", ["0"]),
    ("speed", "--repeats", ["0", "-1"]),
    ("speed", "--n-train", ["0"]),
    ("speed", "--n-train-conv", ["0"]),
]


@pytest.mark.parametrize(
    "command, option, values", _BAD_NUMBERS, ids=[f"{c}{o}" for c, o, _ in _BAD_NUMBERS]
)
def test_a_bad_number_is_refused_before_any_work(
    command, option, values, tmp_path, capsys
):
    module = importlib.import_module(f"skfashion.benchmarks.{COMMANDS[command][0]}")
    for value in values:
        start = time.perf_counter()
        with pytest.raises(SystemExit) as exit_:
            module.main(["--quick", "--output", str(tmp_path), option, value])
        assert exit_.value.code == 2, (option, value)
        assert time.perf_counter() - start < 5
        err = capsys.readouterr().err
        assert f"argument {option}" in err, err
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize(
    "command, argv, message",
    [
        ("classifier", ["--validation-fraction", "0.999"], "--validation-fraction"),
        ("classifier", ["--n-train", "5"], "--validation-fraction"),
        ("search", ["--n-train", "10", "--cv", "5"], "--n-train 10 is too few"),
        ("speed", ["--n-train-conv", "8"], "--n-train-conv 8: the first 8 images"),
        ("speed", ["--n-train", "3"], "use 41 or more"),
    ],
)
def test_numbers_that_do_not_fit_the_data_are_refused_before_any_fit(
    command, argv, message, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("SKFASHION_DATA", str(tmp_path / "none"))
    module = importlib.import_module(f"skfashion.benchmarks.{COMMANDS[command][0]}")
    start = time.perf_counter()
    with pytest.raises(SystemExit) as exit_:
        module.main(["--quick", "--output", str(tmp_path / "out"), *argv])
    assert exit_.value.code == 2 and time.perf_counter() - start < 10
    assert message in capsys.readouterr().err


def test_explicit_options_win_over_quicks_defaults(capsys):
    parser = _common.parser("test")
    parser.add_argument("--epochs", type=_common.positive_int, default=10)
    parser.add_argument("--cv", type=int, default=3)
    args = _common.quick(
        parser.parse_args(["--quick", "--epochs", "7", "--output", "."]),
        epochs=2,
        cv=2,
    )
    assert (args.epochs, args.cv) == (7, 2)
    out = capsys.readouterr().out
    assert "--cv 2" in out and "--epochs" not in out  # says what it set
    args = _common.quick(parser.parse_args(["--epochs", "7", "--output", "."]), cv=2)
    assert (args.epochs, args.cv) == (7, 3)  # no --quick: nothing changed


@pytest.mark.parametrize(
    "command, argv, attribute, expected",
    [
        ("encoded", ["--epochs", "5"], "ae_epochs", 5),
        ("classifier", ["--epochs", "4"], "max_epochs", 4),
        ("generation", ["--n-samples", "50", "--epochs", "3"], "n_samples", 50),
        ("search", ["--cv", "3", "--n-train", "900"], "cv", 3),
        ("speed", ["--repeats", "2", "--epochs", "2"], "repeats", 2),
    ],
)
def test_each_commands_quick_keeps_the_options_named(
    command, argv, attribute, expected, monkeypatch, tmp_path
):
    # the parsed arguments as the command goes on to use them
    seen = {}

    def stop(args):
        seen["args"] = args
        raise SystemExit(0)

    monkeypatch.setattr(
        f"skfashion.benchmarks.{COMMANDS[command][0]}.load", stop, raising=True
    )
    module = importlib.import_module(f"skfashion.benchmarks.{COMMANDS[command][0]}")
    with pytest.raises(SystemExit):
        module.main(["--quick", "--output", str(tmp_path), *argv])
    assert getattr(seen["args"], attribute) == expected


def test_encoded_epochs_are_obeyed_by_every_autoencoder():
    import argparse

    from skfashion.benchmarks import encoded

    for dataset in ("mnist", "fashion-mnist"):
        args = argparse.Namespace(
            ae_epochs=5, quick=False, seed=0, precision="auto", verbose=0
        )
        params = encoded.autoencoder_params(encoded.AUTOENCODER[dataset], 64, args)
        assert params["max_epochs"] == 5
        assert 0 < params["lr_step_size"] <= 1
        args.ae_epochs = None  # unset: the candidate's own (20 on Fashion-MNIST)
        params = encoded.autoencoder_params(encoded.AUTOENCODER[dataset], 64, args)
        assert params["max_epochs"] == {"mnist": 10, "fashion-mnist": 20}[dataset]


def test_a_failed_download_is_an_error_not_the_sample(tmp_path, monkeypatch, capsys):
    from skfashion.datasets import _download

    monkeypatch.setenv("SKFASHION_DATA", str(tmp_path / "home"))
    monkeypatch.setenv("SKFASHION_MIRROR", str(tmp_path / "no-mirror-here"))
    monkeypatch.setattr(_download, "_DOWNLOAD_TIMEOUT", 2)
    module = importlib.import_module("skfashion.benchmarks.encoded")
    with pytest.raises(SystemExit) as exit_:
        module.main(["--download", "--output", str(tmp_path / "out")])
    assert exit_.value.code not in (0, None)
    assert "--download failed" in str(exit_.value.code)
    assert "Could not download" in str(exit_.value.code)
    assert "bundled sample" not in capsys.readouterr().out


def test_quick_and_download_together_are_refused(tmp_path, capsys):
    module = importlib.import_module("skfashion.benchmarks.encoded")
    with pytest.raises(SystemExit) as exit_:
        module.main(["--quick", "--download", "--output", str(tmp_path)])
    assert exit_.value.code == 2
    assert "--quick runs on the bundled sample" in capsys.readouterr().err


def test_a_bare_skfashion_lists_the_commands(capsys):
    from skfashion.benchmarks import main

    assert main([]) == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert f"  {command} " in out


def test_the_quick_note_is_printed_once(tmp_path, capsys):
    import argparse

    args = argparse.Namespace(output=str(tmp_path), quick=True)
    with _common.RunRecord(args, "t", {}, lambda r: "a table", 1) as record:
        record.add({"a": 1})
        record.finish()
    out = capsys.readouterr().out
    assert out.count(_common.QUICK_NOTE) == 1
    assert _common.QUICK_NOTE in (tmp_path / "t.md").read_text()


def test_help_texts_and_labels_name_no_seeds():
    # "the seeds'" was the project's history, not a user's word
    import pathlib

    import skfashion.benchmarks as package

    folder = pathlib.Path(package.__file__).parent
    for command in COMMANDS:
        module = importlib.import_module(f"skfashion.benchmarks.{command}")
        parser = _parser_of_real(module)
        text = parser.format_help()
        assert "seeds'" not in text and "the seeds" not in text, command
    source = (folder / "generation.py").read_text()
    assert "(the seeds')\": lambda" not in source
    assert "seed's" not in (folder / "autoencoders.py").read_text()


def _parser_of_real(module):
    captured = {}
    original = _common._Parser.parse_args

    def capture(self, args=None, namespace=None):
        captured["parser"] = self
        raise SystemExit(0)

    _common._Parser.parse_args = capture
    try:
        with pytest.raises(SystemExit):
            module.main([])
    finally:
        _common._Parser.parse_args = original
    return captured["parser"]


def test_speed_writes_its_incomplete_record_before_measuring(tmp_path, monkeypatch):
    import json

    import numpy as np

    from skfashion.benchmarks import speed

    def data(args):
        X = np.zeros((40, 784), np.float32)
        return X, np.arange(40) % 10, X, np.arange(40) % 10, "sample"

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C during the first measure

    monkeypatch.setattr(speed, "load", data)
    monkeypatch.setattr(speed, "matmul_peak", stopped)
    with pytest.raises(KeyboardInterrupt):
        speed.main(["--quick", "--output", str(tmp_path)])
    results = json.loads((tmp_path / "speed_fashion-mnist.json").read_text())
    assert results["complete"] is False and results["peak_gflops"] is None
    md = (tmp_path / "speed_fashion-mnist.md").read_text()
    assert md.startswith("**incomplete**: 0 of ")
