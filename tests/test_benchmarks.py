"""Each benchmark command runs end to end with --quick, on the bundled sample.

They run as a user runs them: ``python -m skfashion COMMAND``, from a folder
outside the repository, with no full data set.
"""

import json
import os
import signal
import subprocess
import sys

import pytest
import torch

from skfashion.benchmarks import COMMANDS

# Each command is a whole run in a subprocess: the full suite, not the fast tier.
pytestmark = pytest.mark.slow


def _env(tmp_path):
    return {**os.environ, "SKFASHION_DATA": str(tmp_path / "no-data-here")}


def run(command, tmp_path, *args):
    result = subprocess.run(
        [sys.executable, "-m", "skfashion", command, "--quick"]
        + ["--output", str(tmp_path), *args],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    # no library's warning on a command's output (tight_layout, metrics, ...)
    assert "Warning" not in result.stdout + result.stderr, result.stderr
    return result.stdout


def test_help_lists_the_commands(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "skfashion", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0
    for command in COMMANDS:
        assert f"  {command} " in result.stdout
    version = subprocess.run(
        [sys.executable, "-m", "skfashion", "--version"],
        capture_output=True,
        text=True,
    )
    assert version.stdout.startswith("skfashion 0.")


def test_speed(tmp_path):
    out = run("speed", tmp_path, "--options")  # --quick alone leaves them out
    results = json.loads((tmp_path / "speed_fashion-mnist.json").read_text())
    peak = results["peak_gflops"]
    assert 0 < peak["float32"] and 0 < peak["bfloat16"]
    assert results["bandwidth_gbs"] > 0
    training = results["training"]
    base = ["plain PyTorch, float32", "plain, fused Adam", "plain, bfloat16"]
    drop = "skfashion's Dropout"
    ae = base + ["plain, fused Adam + bfloat16"]
    clf = ae  # the fully connected modules use torch's own dropout
    conv_ae = base + ["plain, channels_last"]
    conv_ae += ["plain, fused Adam + bfloat16 + channels_last"]
    conv_clf = base + ["plain, channels_last", f"plain, {drop}"]
    conv_clf += [f"plain, fused Adam + bfloat16 + channels_last + {drop}"]
    ours = ["skfashion, float32", "skfashion, defaults"]
    # each option on its own and all together, for every estimator; the
    # option of skfashion's dropout where the module has it (the conv
    # classifier, not the autoencoders nor the fully connected classifier)
    assert [r["way"] for r in training] == (
        ae + ours + clf + ours + conv_clf + ours + conv_ae + ours
    )
    n = results["n_train"]
    # the counted FLOPs of the default autoencoder's epoch: 3 x the forward's
    # products, less the input's gradient of the first layer (not needed)
    forward = 2 * (784 * 1024 + 1024 * 64 + 64 * 1024 + 1024 * 784)
    expected = (3 * forward - 2 * 784 * 1024) * n
    for row in training:
        assert row["s/epoch"] > 0 and row["x plain"] > 0
        assert row["of peak"] == pytest.approx(row["GFLOP/s"] / peak[row["precision"]])
        assert row["of bandwidth"] == pytest.approx(
            row["GB/s moved (est.)"] / results["bandwidth_gbs"]
        )
        assert row["GB/s moved (est.)"] > 0
        if row["estimator"].startswith("Autoencoder"):
            counted = row["GFLOP/s"] * 1e9 * row["s/epoch"]
            assert counted == pytest.approx(expected, rel=1e-6)
    assert [r["option"] for r in results["options"]][:2] == [
        "float32, Adam (foreach)",
        "float32, Adam (fused)",
    ]
    # --quick's inference: 1 and 64 rows (1, 1,000 and 10,000 without it)
    assert [(r["method"], r["rows"]) for r in results["inference"]] == [
        ("transform", 1),
        ("transform", 64),
        ("predict_proba", 1),
        ("predict_proba", 64),
        ("predict_proba", 1),
        ("predict_proba", 64),
        ("transform", 1),
        ("transform", 64),
    ]
    for row in results["inference"]:
        dense = not row["estimator"].startswith("Conv")
        assert row["skfashion ms"] > 0 and row["bare module ms"] > 0
        # scikit-learn's networks of the same layers, for the dense ones only
        assert ("sklearn float64 ms" in row) == ("sklearn float32 ms" in row) == dense
    assert results["precision_of_the_defaults"] in ("float32", "bfloat16")
    assert results["complete"] and results["quick"]
    assert "Matrix-multiply peak" in out and "load average at the start" in out


def test_speed_of_inference_alone(tmp_path):
    run("speed", tmp_path, "--no-training", "--estimators", "autoencoder")
    results = json.loads(
        (tmp_path / "speed_fashion-mnist_autoencoder.json").read_text()
    )
    assert results["training"] == [] and results["peak_gflops"] is None
    assert [r["rows"] for r in results["inference"]] == [1, 64]
    row = results["inference"][0]
    assert row["skfashion / sklearn float64"] == pytest.approx(
        row["skfashion ms"] / row["sklearn float64 ms"]
    )
    assert results["complete"]


def test_speed_of_some_estimators_in_a_file_of_its_own(tmp_path):
    run("speed", tmp_path, "--estimators", "classifier", "--no-options")
    results = json.loads((tmp_path / "speed_fashion-mnist_classifier.json").read_text())
    assert {r["estimator"] for r in results["training"]} == {
        "FeedForwardClassifier (defaults)"
    }
    assert results["options"] == [] and results["complete"]
    assert not (tmp_path / "speed_fashion-mnist.json").exists()


def test_the_plain_loops_train_with_torchs_own_dropout():
    from skfashion._modules import ClassifierModule, ConvClassifierModule, Dropout
    from skfashion.benchmarks.speed import has_own_dropout, with_torch_dropout

    module = ConvClassifierModule((1, 8, 8), (4,), 3, dropout=0.3)
    assert has_own_dropout(module)
    layers = [m for m in with_torch_dropout(module).modules()]
    dropouts = [m for m in layers if isinstance(m, torch.nn.Dropout)]
    assert dropouts and all(type(m) is torch.nn.Dropout for m in dropouts)
    assert all(m.p == 0.3 for m in dropouts)
    assert not any(isinstance(m, Dropout) for m in layers)
    assert not has_own_dropout(module)
    assert not has_own_dropout(ConvClassifierModule((1, 8, 8), (4,), 3))
    assert not has_own_dropout(ClassifierModule(64, (8,), 3, dropout=0.3))


def test_encoded(tmp_path):
    out = run("encoded", tmp_path, "--dataset", "mnist", "--components", "16", "--conv")
    # the data first, then a line per row as it finishes, then the table
    lines = out.splitlines()
    # what --quick set (the options named win), then the data
    assert lines[0].startswith("--quick: the bundled sample, --epochs 2 ")
    assert lines[1] == "MNIST: the bundled sample, 3,000 training and 1,000 test images"
    assert lines[2] == "16 rows: 4 representations x 4 classifiers"
    assert lines[3].startswith("[1/16] 1-NN on raw pixels: ")
    assert "  fitting autoencoder-16 (2 epochs) ..." in lines  # a line per fit
    assert "[16/16] MLP on conv-autoencoder-16: " in out
    results = json.loads((tmp_path / "encoded_mnist.json").read_text())
    assert results["complete"] and results["total_seconds"] > 0
    reps = [r["representation"] for r in results["representations"]]
    assert reps == ["raw pixels", "PCA-16", "autoencoder-16", "conv-autoencoder-16"]
    assert len(results["rows"]) == 4 * 4
    for row in results["rows"]:
        assert 0.1 < row["accuracy"] <= 1
        assert row["total_s"] >= row["classifier_fit_s"] + row["classifier_predict_s"]
    encoded = [r for r in results["rows"] if "autoencoder" in r["representation"]]
    assert all(r["representation_s"] > 0 for r in encoded)
    assert (tmp_path / "encoded_mnist.png").stat().st_size > 10_000
    # the README's layout: a row per classifier, a column per representation
    header = (
        "| classifier | raw pixels | PCA-16 | autoencoder-16 | conv-autoencoder-16 |"
    )
    assert header in out and "| nearest centroid | " in out
    assert "{" not in out  # no raw dicts
    md = (tmp_path / "encoded_mnist.md").read_text()
    assert header in md and "incomplete" not in md
    # the autoencoder's selection mode, on a validation split
    run(
        "encoded",
        tmp_path,
        *("--dataset", "mnist", "--components", "8", "--select"),
        *("--candidates", "0", "5"),
    )
    rows = json.loads((tmp_path / "encoded_selection_mnist.json").read_text())["rows"]
    assert [r["candidate"] for r in rows] == [0, 5]
    assert [r["max_epochs"] for r in rows] == [2, 2]  # --quick caps every candidate
    assert all(0.1 < r["validation 1-NN"] <= 1 for r in rows)


def test_classifier(tmp_path):
    out = run("classifier", tmp_path, "--epochs", "2")
    results = json.loads((tmp_path / "classifier_fashion-mnist.json").read_text())
    assert results["data"] == "sample"
    assert results["n_fit"] + results["n_validation"] == 600  # --quick's images
    assert [r["index"] for r in results["rows"]] == [0, 1, 2]  # 2: ConvClassifier
    for i, row in enumerate(results["rows"]):
        assert row["epochs"] == 2 and 1 <= row["best valid epoch"] <= 2
        assert 0.1 < row["test acc"] <= 1 and 0 < row["macro F1"] <= 1
        assert row["best valid acc"] >= row["last valid acc"]
        assert len(row["per_class"]) == 10 and "Shirt" in row["per_class"]
        cm = row["confusion_matrix"]
        assert sum(map(sum, cm)) == 1000
        accuracy = sum(cm[k][k] for k in range(10)) / 1000
        assert accuracy == pytest.approx(row["test acc"])
        top = row["confused"][0]  # the pair with the most mistakes
        assert top["errors"] == max(
            cm[a][b] + cm[b][a] for a in range(10) for b in range(a + 1, 10)
        )
        for kind in ("confusion", "curves", "misclassified"):
            png = tmp_path / f"classifier_fashion-mnist_{i}_{kind}.png"
            assert png.stat().st_size > 10_000
    assert "Most confused" in out and "| T-shirt/top |" in out
    # --models runs some again and keeps the others' rows
    first = results["rows"][1]
    run("classifier", tmp_path, "--max-epochs", "1", "--models", "0")
    again = json.loads((tmp_path / "classifier_fashion-mnist.json").read_text())
    assert [r["index"] for r in again["rows"]] == [0, 1, 2]
    assert again["rows"][0]["epochs"] == 1 and again["rows"][1] == first


def test_autoencoders(tmp_path):
    out = run("autoencoders", tmp_path, "--dataset", "mnist")
    results = json.loads((tmp_path / "autoencoders_mnist.json").read_text())
    seeds = {row["model"]: row for row in results["seeds"]}
    assert len(seeds) == 4 and "PCA-64" in seeds
    assert seeds["784-144-64, batch 64, 20 epochs"]["notebook's test MSE"] == 0.003
    assert all(0 < row["test MSE"] < 0.25 for row in seeds.values())
    study = results["study"]
    assert [row["model"] for row in study][-1] == "PCA-32"
    for row in study[:-1]:
        assert row["epochs"] == 2
        assert row["mean |code|"] >= abs(row["mean code"])
    adam = next(row for row in study if row["model"] == "Adam, 50 epochs")
    assert adam["last train loss"] < adam["first train loss"]
    for part in ("seeds", "study"):
        assert (tmp_path / f"autoencoders_mnist_{part}.png").stat().st_size > 10_000
    assert "| Adam + L1 1e-5 on the code, 100 epochs |" in out
    assert "three reference autoencoders" in out and "seeds'" not in out


def test_generation(tmp_path):
    run("generation", tmp_path, "--dataset", "fashion-mnist")
    results = json.loads((tmp_path / "generation_fashion-mnist.json").read_text())
    distances = [r["Frechet distance (classifier features)"] for r in results["rows"]]
    assert len(distances) == 8 and all(d >= 0 for d in distances)
    assert distances[0] < min(distances[1:])  # real images are closest
    labels = [r["images"] for r in results["rows"]]
    assert labels[1:3] == ["VAE, prior N(0, I)", "VAE, mixture of its codes"]
    assert labels[5:] == [
        "conv autoencoder, fitted Gaussian",
        "conv VAE, prior N(0, I)",
        "conv VAE, mixture of its codes",
    ]
    assert set(results["fit_seconds"]) == {
        "classifier",
        "vae",
        "autoencoder",
        "conv autoencoder",
        "conv VAE",
    }
    assert (tmp_path / "generation_fashion-mnist.png").exists()


def test_search(tmp_path):
    out = run("search", tmp_path, "--dataset", "mnist")
    results = json.loads((tmp_path / "grid_search_mnist.json").read_text())
    sweeps = results["sweeps"]
    assert set(sweeps) == {
        "autoencoder",
        "classifier",
        "unsupervised",
        "halving",
        "cache",
        "parallel",
        "autoencoder-halving",
    }
    assert sweeps["parallel"]["same_best"]
    halving = sweeps["autoencoder-halving"]
    assert [r["candidates"] for r in halving["rounds"]] == [4, 2]
    assert [r["epochs"] for r in halving["rounds"]] == [1, 2]
    assert all(r["max_epochs"] == "2" for r in halving["top"])
    assert 0.1 < halving["test_score_of_best"] <= 1
    assert sweeps["autoencoder"]["configurations"] == 4
    assert 0.1 < sweeps["autoencoder"]["test_score_of_best"] <= 1
    assert sweeps["unsupervised"]["best_cv_score"] < 0  # negative reconstruction error
    uncached, cached = sweeps["cache"]
    assert uncached["autoencoder fits"] == 5 * 2 + 1
    assert cached["autoencoder fits"] == 2 + 1
    assert (tmp_path / "grid_search_mnist_autoencoder_cv_results.csv").exists()
    assert (tmp_path / "grid_search_mnist_autoencoder.png").exists()
    assert "successive halving" in out


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_a_quick_test(command):
    name = "test_" + command.replace("-", "_")
    assert name in globals(), f"add {name}, a --quick run of {command}"


# What each command is stopped after: its first row, or two where the first
# comes fast. The JSON file each writes as its rows finish.
_STOPPED = {
    "encoded": (["--dataset", "mnist", "--components", "16"], "[2/", "encoded_mnist"),
    "classifier": (["--epochs", "1"], "[1/", "classifier_fashion-mnist"),
    "autoencoders": (["--part", "seeds"], "[1/", "autoencoders_fashion-mnist"),
    "search": (
        ["--sweep", "unsupervised", "cache"],
        "[1/",
        "grid_search_fashion-mnist",
    ),
    "generation": (["--no-conv"], "[2/", "generation_fashion-mnist"),
    "speed": (["--no-options"], "[1/", "speed_fashion-mnist"),
}


def _sigint_as_a_terminal_sends_it():
    # A shell without job control starts background jobs with SIGINT ignored,
    # and Python then never raises KeyboardInterrupt: give the child the
    # default, whoever started pytest.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_ctrl_c_keeps_the_finished_rows(command, tmp_path):
    # Ctrl-C stops the command; the rows it finished are on disk, marked
    # incomplete, no file is half-written, and no figure is drawn from half
    # a table.
    args, after, name = _STOPPED[command]
    process = subprocess.Popen(
        [sys.executable, "-m", "skfashion", command, "--quick"]
        + ["--output", str(tmp_path), *args],
        cwd=tmp_path,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_sigint_as_a_terminal_sends_it if os.name == "posix" else None,
    )
    for line in process.stdout:
        if line.startswith(after):
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "interrupted" in err
    results = json.loads((tmp_path / f"{name}.json").read_text())
    assert not results["complete"] and results["quick"]
    md = (tmp_path / f"{name}.md").read_text()
    assert md.startswith("**incomplete**: ")
    done = int(md.split()[1])
    assert done >= int(after[1:-1])
    if command == "encoded":  # its figure is of the whole table: not drawn
        assert len(results["rows"]) == done and "of 12 rows" in md
        assert not (tmp_path / "encoded_mnist.png").exists()
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".part")]
