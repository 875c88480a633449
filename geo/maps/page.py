"""A folium map rendered as one self-contained, reproducible HTML page.

Leaflet's JS and CSS are inlined at build time from the pinned
``xstatic-leaflet`` package (the version folium 0.20 is written for), the map's
own script and style from ``geo/maps/assets``, and data travel in
``<script type="application/json">`` blocks whose ``<``, ``>`` and ``&`` are
JSON-escaped, so no text from the data can close the block. Element ids are
numbered, not random, so the same inputs give the same bytes.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import branca.element
import folium
import xstatic.pkg.leaflet as xstatic_leaflet

from geo.atomic import atomic_path

LEAFLET_VERSION = "1.9.3"  # the Leaflet that folium 0.20 is written for
_LEAFLET_JS_URL = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.js"
_LEAFLET_CSS_URL = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.css"
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def bare_map(**options: object) -> folium.Map:
    """A ``folium.Map`` that needs only Leaflet (no jQuery, Bootstrap or icon fonts)."""
    fmap = folium.Map(**options)
    fmap.default_js = [("leaflet", _LEAFLET_JS_URL)]
    fmap.default_css = [("leaflet_css", _LEAFLET_CSS_URL)]
    return fmap


def script_json(value: object) -> str:
    """``value`` as JSON that is safe inside a ``<script>`` element."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group()], text)


class RawMarkup(folium.Element):
    """Markup put into the page as it is.

    ``folium.Element(text)`` would compile ``text`` as a Jinja template, so a
    ``{{ … }}`` in the data would run as code; this element is never templated.
    """

    def __init__(self, markup: str) -> None:
        super().__init__()
        self._name = "RawMarkup"
        self.markup = markup

    def render(self, **kwargs: object) -> str:
        return self.markup


def json_block(element_id: str, value: object) -> RawMarkup:
    """A ``<script type="application/json">`` element holding ``value``."""
    return RawMarkup(f'<script type="application/json" id="{element_id}">{script_json(value)}</script>')


def asset_text(name: str) -> str:
    """One of the map's own scripts or styles, from ``geo/maps/assets``."""
    return resources.files("geo.maps").joinpath("assets", name).read_text(encoding="utf-8")


def _number_elements(element: folium.Element, counter: list[int]) -> None:
    """Replace folium's random element ids with a running number (reproducible HTML)."""
    element._id = f"{counter[0]:06d}"
    counter[0] += 1
    for child in element._children.values():
        _number_elements(child, counter)


def _render_macros_verbatim(self: branca.element.MacroElement, **kwargs: object) -> None:
    """``branca.element.MacroElement.render`` (branca 0.8), with each rendered
    macro added to the page as :class:`RawMarkup` instead of ``Element(text)``,
    which compiles the text, a layer's whole GeoJSON among it, as a Jinja
    template and renders it a second time."""
    figure = self.get_root()
    macros = self._template.module.__dict__
    for part, target in (("header", figure.header), ("html", figure.html), ("script", figure.script)):
        macro = macros.get(part)
        if macro is not None:
            target.add_child(RawMarkup(macro(self, kwargs)), name=self.get_name())
    for element in self._children.values():
        element.render(**kwargs)


@contextlib.contextmanager
def _macros_rendered_verbatim() -> Iterator[None]:
    """While rendering a page, macros are rendered once and never templated
    again: a third of ``map.html``'s time (0.3 s of 0.9 s on 6k incidents),
    and no text the macros write (GeoJSON, a layer's name) is run as a template."""
    original = branca.element.MacroElement.render
    branca.element.MacroElement.render = _render_macros_verbatim
    try:
        yield
    finally:
        branca.element.MacroElement.render = original


def render_self_contained(fmap: folium.Map) -> str:
    """Render ``fmap`` to HTML with Leaflet's JS, CSS and images inlined."""
    root = fmap.get_root()
    _number_elements(root, [0])
    with _macros_rendered_verbatim():
        page = root.render()
    assets = Path(xstatic_leaflet.BASE_DIR)
    script = (assets / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    style = re.sub(r"url\(images/([\w.-]+)\)", lambda m: f"url({_data_uri(assets / 'images' / m.group(1))})",
                   (assets / "leaflet.css").read_text(encoding="utf-8"))
    page = page.replace(f'<script src="{_LEAFLET_JS_URL}"></script>', f"<script>{script}</script>")
    page = page.replace(f'<link rel="stylesheet" href="{_LEAFLET_CSS_URL}"/>', f"<style>{style}</style>")
    if _LEAFLET_JS_URL in page or _LEAFLET_CSS_URL in page:
        msg = "folium's page template changed: Leaflet could not be inlined"
        raise RuntimeError(msg)
    return page


def _data_uri(path: Path) -> str:
    mime = "image/svg+xml" if path.suffix == ".svg" else f"image/{path.suffix.lstrip('.')}"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def write_page(fmap: folium.Map, path: Path) -> Path:
    """Write ``fmap`` as a self-contained page, atomically."""
    page = render_self_contained(fmap)
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return Path(path)
