"""The boundary map: self-contained, escaped, reproducible."""

from __future__ import annotations

import re

from geo.maps import boundaries_map, render_self_contained

HOSTILE = '<img src=x onerror="alert(1)"></script><script>alert(2)</script>`${x}`\'"'


def test_text_from_the_data_is_escaped(layers):
    hostile = {name: frame.copy() for name, frame in layers.items()}
    hostile["districts"].loc[0, "district"] = HOSTILE
    page = render_self_contained(boundaries_map(hostile))
    assert "<img src=x" not in page
    assert "<script>alert(2)" not in page
    # HTML-escaped by us, then JSON-escaped by folium's tojson filter: the
    # tooltip's innerHTML shows the text literally.
    assert "\\u0026lt;img src=x onerror=\\u0026quot;alert(1)\\u0026quot;\\u0026gt;" in page


def test_page_inlines_leaflet_and_is_reproducible(layers):
    first = render_self_contained(boundaries_map(layers))
    second = render_self_contained(boundaries_map(layers))
    assert first == second
    assert "L.map(" in first and "Leaflet 1.9.3" in first  # Leaflet's own banner, inlined
    assert not re.search(r"(src|href)=\"https?://[^\"]+\.(js|css)\"", first)
    assert "url(data:image/png;base64," in first  # layer-control icons inlined
    assert len(first.encode()) < 5e6
