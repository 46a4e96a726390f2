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


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    sorted(glob.glob(os.path.join(EXAMPLES, "plot_*.py"))),
    ids=os.path.basename,
)
def test_example_runs_and_draws(path):
    figures = _renderer().run_example(path)
    try:
        assert figures, "the example drew nothing"
        for figure in figures:
            assert figure.axes and any(ax.has_data() for ax in figure.axes)
        with open(path, encoding="utf-8") as f:
            source = f.read()
        assert source.startswith('"""\n===') and "# %%" in source  # gallery style
    finally:
        import matplotlib.pyplot as plt

        plt.close("all")
