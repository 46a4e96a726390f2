"""Every gallery example runs and draws its figures."""

import glob
import importlib.util
import os

import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, "examples")


def _renderer():
    spec = importlib.util.spec_from_file_location(
        "render_figures", os.path.join(EXAMPLES, "render_figures.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PATHS = sorted(glob.glob(os.path.join(EXAMPLES, "plot_*.py")))


@pytest.mark.parametrize("path", PATHS, ids=os.path.basename)
def test_example_is_gallery_style(path):
    with open(path, encoding="utf-8") as f:
        source = f.read()
    assert source.startswith('"""\n===') and "# %%" in source
    assert "show_figures()" in source  # a window, or files without a display


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS, ids=os.path.basename)
def test_example_runs_and_draws(path):
    if os.environ.get("SKFASHION_DOCS_BUILD"):
        # CI's documentation build ran every example already (a failing one
        # fails the build), and test_docs checks that each page has figures.
        pytest.skip("the documentation build ran the examples")
    figures = _renderer().run_example(path)
    try:
        assert figures, "the example drew nothing"
        for figure in figures:
            assert figure.axes and any(ax.has_data() for ax in figure.axes)
    finally:
        import matplotlib.pyplot as plt

        plt.close("all")


@pytest.mark.slow
def test_an_example_run_as_a_script_without_a_display_saves_its_figures(tmp_path):
    import subprocess
    import sys

    path = os.path.join(EXAMPLES, "plot_latent_space.py")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("DISPLAY", None)
    result = subprocess.run(
        [sys.executable, path],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "plot_latent_space_1.png").stat().st_size > 1000
    assert "No display: saved" in result.stdout
    assert "non-interactive" not in result.stderr  # no matplotlib warning


def test_the_renderer_writes_outside_tracked_files():
    renderer = _renderer()
    output = os.path.relpath(renderer.DEFAULT_OUTPUT, os.path.dirname(EXAMPLES))
    assert output.split(os.sep)[0] == "build"  # ignored by .gitignore
