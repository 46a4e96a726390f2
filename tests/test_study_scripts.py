"""The developer studies of ``benchmarks/`` (not shipped with the package) run.

``defaults.py`` chose the estimators' defaults on validation splits and
``run_length.py`` their epochs; they run as their README lines run them,
``python benchmarks/SCRIPT.py``, on the bundled sample.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

SCRIPTS = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"


def run(script, tmp_path, *args):
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / script), "--quick"]
        + ["--output", str(tmp_path), *args],
        cwd=tmp_path,
        env={**os.environ, "SKFASHION_DATA": str(tmp_path / "no-data-here")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize(
    "estimator",
    # one estimator a path of the command (autoencoders, VAEs, classifiers): the
    # dense VAE, the conv autoencoder and the dense classifier take the same
    # paths as these, and are left out for time
    ["autoencoder", "conv-vae", "conv-classifier"],
)
def test_defaults(estimator, tmp_path):
    args = ["--dataset", "mnist", "--estimator", estimator, "--candidates", "0", "1"]
    out = run("defaults.py", tmp_path, *args, "--sizes", "300", "1200")
    name = f"defaults_mnist_{estimator}"
    results = json.loads((tmp_path / f"{name}.json").read_text())
    assert results["data"] == "sample"
    rows = results["rows"]
    # two candidates at two sizes on the validation split, then one test row
    assert [(r["n_train"], r["split"]) for r in rows] == [
        (300, "validation"),
        (300, "validation"),
        (1200, "validation"),
        (1200, "validation"),
        (3000, "test"),
    ]
    for row in rows:
        if estimator.endswith("classifier"):
            assert 0.1 < row["accuracy"] <= 1
        else:
            assert 0 < row["mse"] < 0.2 and 0.1 < row["code_1nn"] <= 1
        if estimator.endswith("vae"):  # the generation command's judge too
            assert row["frechet"] > 0 and row["neg_elbo"] > 0
            # the same decoder on the codes' fitted Gaussian, and the codes used
            assert row["frechet_fitted"] > 0 and 0 <= row["active_codes"] <= 16
            assert row["frechet_mixture"] > 0 and 0.3 < row["nearer_seen"] < 3
            assert isinstance(row["active_codes"], int)
    md = (tmp_path / f"{name}.md").read_text()
    assert md.count("| validation |") == 4 and "| test |" in md
    assert "| candidate | params |" in out
    if estimator != "autoencoder":
        return  # --append takes the same path for every estimator
    # --append adds rows to the earlier run's instead of replacing them
    run("defaults.py", tmp_path, *args, "--sizes", "300", "--no-test")
    first = json.loads((tmp_path / f"{name}.json").read_text())
    n_candidates = len(first["candidates"])
    assert len(first["rows"]) == n_candidates == 2
    run(
        "defaults.py",
        tmp_path,
        *args,
        "--sizes",
        "300",
        "--no-test",
        "--append",
    )
    again = json.loads((tmp_path / f"{name}.json").read_text())

    def untimed(rows):
        # what the rows are, not their figures: a fit's threads follow the
        # machine's load, and its last digits with them
        keys = ("candidate", "params", "n_train", "split", "epochs")
        return [{k: row[k] for k in keys} for row in rows]

    assert again["rows"][:n_candidates] == first["rows"]  # kept as they were
    assert untimed(again["rows"][n_candidates:]) == untimed(first["rows"])


def test_run_length(tmp_path):
    out = run("run_length.py", tmp_path, "--sizes", "500", "3000", "--epochs", "1", "3")
    assert out.startswith("Fashion-MNIST: the bundled sample, 3,000 training")
    results = json.loads((tmp_path / "run_length_fashion-mnist.json").read_text())
    assert results["complete"]
    rows = results["rows"]
    pca = [r for r in rows if r["epochs"] == "PCA-64"]
    fits = [r for r in rows if r["epochs"] in (1, 3)]
    assert [r["n_train"] for r in pca] == [500, 3000]
    assert len(fits) == 2 * 2 * 2  # two sizes, two run lengths, two estimators
    for row in fits:
        assert row["train_loss"] > 0 and row["fit_s"] > 0
        if row["estimator"] == "classifier":
            assert 0.1 < row["test_accuracy"] <= 1
        else:
            assert 0.1 < row["code_1nn"] <= 1 and 0 < row["test_mse"] < 0.2
    # the verdict is the comparison of the rows, not a constant
    for key, ok in results["never_worse"].items():
        estimator, n = key.split(" n_train=")
        losses = [
            r["train_loss"]
            for r in sorted(fits, key=lambda r: r["epochs"])
            if r["estimator"] == estimator and r["n_train"] == int(n)
        ]
        assert ok == (losses[1] <= losses[0])
    assert "never worse with more epochs" in out
