"""Each benchmark script runs end to end with --quick, on the bundled sample."""

import json
import os
import subprocess
import sys

import pytest

BENCHMARKS = os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks")


def run(script, tmp_path, *args):
    env = {**os.environ, "SKFASHION_DATA": str(tmp_path / "no-data-here")}
    result = subprocess.run(
        [sys.executable, script, "--quick", "--output", str(tmp_path), *args],
        cwd=BENCHMARKS,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_bench_defaults(tmp_path):
    out = run("bench_defaults.py", tmp_path, "--dataset", "mnist")
    results = json.loads(
        (tmp_path / "defaults_mnist_autoencoder_classifier.json").read_text()
    )
    assert results["data"] == "sample"
    kinds = [run["estimator"] for run in results["runs"]]
    assert kinds == ["autoencoder", "classifier"]
    assert 0 < results["runs"][0]["test"]["mse"] < 0.2
    assert 0.1 < results["runs"][1]["test"]["accuracy"] <= 1
    assert (
        "| estimator | params |"
        in (tmp_path / "defaults_mnist_autoencoder_classifier.md").read_text()
    )
    assert "| autoencoder |" in out


def test_bench_speed(tmp_path):
    run("bench_speed.py", tmp_path)
    results = json.loads((tmp_path / "speed_mnist.json").read_text())
    for case in results["cases"]:
        assert case["skfashion / plain"] > 0
        assert len(case["epoch_times"]["plain"]) == 2


@pytest.mark.parametrize(
    "script", sorted(f for f in os.listdir(BENCHMARKS) if f.startswith("bench_"))
)
def test_every_benchmark_has_a_quick_test(script):
    tested = {"bench_defaults.py", "bench_speed.py", "bench_encoded_classifiers.py"}
    assert script in tested, f"add a --quick test for {script}"
