"""Sphinx configuration of skfashion's documentation.

Build (warnings are errors, the gallery pages from the examples' sources):

    pip install -e ".[docs]"
    python -m sphinx -W -b html docs docs/_build/html

The gallery's scripts run as the site is built (a few minutes on the bundled
samples), so that every example's page shows its figures; their figures go
into the build, never into the repository. ``SKFASHION_GALLERY=0`` skips them
for a quick look at the text (the gallery's pages then lack their figures).
To look at the build as a reader does, headless Chromium (the distribution's
``chromium`` package) screenshots a page::

    chromium --headless --no-sandbox --window-size=1280,1600 \
        --screenshot=index.png file://$PWD/docs/_build/html/index.html
"""

import os

import skfashion

project = "skfashion"
author = "The skfashion developers"
copyright = "2026, the skfashion developers"
release = version = skfashion.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build"]
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Without network access no intersphinx inventories: scikit-learn's glossary
# terms in the docstrings (:term:`fit`) are rendered as plain emphasis.
numpydoc_xref_param_type = False
default_role = "literal"

html_theme = "pydata_sphinx_theme"
html_title = f"skfashion {version}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # render_figures.py saves the examples' figures; it is not an example.
    "ignore_pattern": r"render_figures\.py",
    "filename_pattern": r"/plot_",
    "plot_gallery": os.environ.get("SKFASHION_GALLERY", "1") != "0",
    "download_all_examples": False,
    "reference_url": {"skfashion": None},
    "matplotlib_animations": False,
}


# scikit-learn's docstrings, which the estimators inherit (score,
# set_output, the metadata routing requests), refer to its glossary and
# labels. Without network access there is no intersphinx inventory: these
# few resolve to scikit-learn's pages; any other missing reference still
# fails the build.
SKLEARN = "https://scikit-learn.org/stable/"
SKLEARN_LABELS = {
    "metadata_routing": "metadata_routing.html",
    "accuracy_score": "modules/model_evaluation.html#accuracy-score",
    "df_output_transform": "auto_examples/miscellaneous/plot_set_output.html",
    "sphx_glr_auto_examples_miscellaneous_plot_set_output.py": (
        "auto_examples/miscellaneous/plot_set_output.html"
    ),
}


def _to_scikit_learn(app, env, node, contnode):
    from docutils import nodes

    target = node.get("reftarget", "")
    if node.get("reftype") == "term":
        anchor = "term-" + target.lower().replace(" ", "-")
        uri = f"{SKLEARN}glossary.html#{anchor}"
    elif node.get("reftype") == "ref" and target in SKLEARN_LABELS:
        uri = SKLEARN + SKLEARN_LABELS[target]
    else:
        return None
    reference = nodes.reference("", "", internal=False, refuri=uri)
    reference += contnode
    return reference


def setup(app):
    app.connect("missing-reference", _to_scikit_learn)
