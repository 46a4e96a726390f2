"""The documentation: built with warnings as errors, its links and images there.

The build takes about half a minute; CI builds the site once
(``python -m sphinx -W -b html docs docs/_build/html``) and points
``SKFASHION_DOCS_BUILD`` at it, else the test builds it into a temporary
folder.
"""

import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("sphinx_gallery")
pytest.importorskip("pydata_sphinx_theme")

pytestmark = pytest.mark.slow

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    built = os.environ.get("SKFASHION_DOCS_BUILD")
    if built:
        return Path(built)
    out = tmp_path_factory.mktemp("docs") / "html"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(DOCS), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return out


class _Links(HTMLParser):
    """The hrefs and srcs of a page, and the ids it defines."""

    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for name in ("href", "src"):
            if attrs.get(name):
                self.links.append((tag, attrs[name]))


def _parse(path):
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_every_page_links_to_pages_anchors_and_images_that_exist(site):
    # the pages, not the theme's templates copied into _static
    pages = sorted(p for p in site.rglob("*.html") if "_static" not in p.parts)
    assert len(pages) > 50  # the API reference has a page a public name
    ids = {}
    broken = []
    for page in pages:
        for tag, link in _parse(page).links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "data:")):
                continue  # external
            target = (
                (page.parent / unquote(parts.path)).resolve() if parts.path else page
            )
            if not target.exists():
                broken.append(f"{page.relative_to(site)}: <{tag}> {link}")
                continue
            if parts.fragment and target.suffix == ".html":
                if target not in ids:
                    ids[target] = _parse(target).ids
                if unquote(parts.fragment) not in ids[target]:
                    broken.append(f"{page.relative_to(site)}: <{tag}> {link} (anchor)")
    assert not broken, "\n".join(broken[:20])


def test_every_public_name_has_a_page(site):
    import skfashion
    from skfashion import datasets, io, metrics, onnx, plotting, timing

    names = [f"skfashion.{n}" for n in skfashion.__all__ if n != "__version__"]
    for module in (datasets, io, onnx, plotting):
        names += [f"{module.__name__}.{n}" for n in module.__all__]
    for module in (metrics, timing):
        names += [
            f"{module.__name__}.{n}"
            for n, value in vars(module).items()
            if not n.startswith("_")
            and getattr(value, "__module__", "") == module.__name__
        ]
    missing = [n for n in names if not (site / "generated" / f"{n}.html").exists()]
    assert not missing


def test_every_gallery_page_shows_its_figures(site):
    # The default build runs the examples: each page embeds the figures it drew
    # (sphinx-gallery's sphx_glr_<example>_NNN.png), none a placeholder.
    examples = sorted((DOCS.parent / "examples").glob("plot_*.py"))
    assert examples
    bare = []
    for example in examples:
        page = site / "auto_examples" / f"{example.stem}.html"
        images = [
            link
            for tag, link in _parse(page).links
            if tag == "img" and f"sphx_glr_{example.stem}_" in link
        ]
        if not images:
            bare.append(example.name)
    assert not bare, f"gallery pages without figures: {bare}"
    thumbnails = (site / "_images").glob("sphx_glr_*_thumb.png")
    placeholders = [p.name for p in thumbnails if "no_image" in p.name]
    assert not placeholders, placeholders
