"""Settings from TOML."""

from __future__ import annotations

import pytest

from geo.config import Settings, SettingsError, load_settings


def test_defaults_and_overrides(tmp_path):
    path = tmp_path / "geo.toml"
    path.write_text('afghan_context_km = 25\nborder_band_edges_km = [0, 5, 20]\nboundaries_dir = "b"\n')
    settings = load_settings(path)
    assert settings.afghan_context_km == 25.0
    assert settings.border_band_edges_km == (0.0, 5.0, 20.0)
    assert settings.boundaries_dir == (tmp_path / "b").resolve()
    assert load_settings(None).border_band_edges_km == Settings().border_band_edges_km


@pytest.mark.parametrize(
    ("text", "message"),
    [("nonsense = 1", "unknown setting"), ("afghan_context_km = 'far'", "must be float"),
     ("border_band_edges_km = [10, 5]", "must start at 0"), ("[[", "cannot read")],
)
def test_bad_settings_are_clear_errors(tmp_path, text, message):
    path = tmp_path / "geo.toml"
    path.write_text(text)
    with pytest.raises(SettingsError, match=message):
        load_settings(path)
