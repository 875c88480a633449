"""Name normalisation."""

import pytest

from geo.boundaries.names import compact, display_name, normalise_unit_name, slug


@pytest.mark.parametrize(
    ("left", "right"),
    [("Killa Abdullah", "Qila Abdullah"), ("HALIMZAI", "Halim Zai"), ("D.I.KHAN", "Dera Ismail Khan"),
     ("Ziarat Sub Division", "Ziarat"), ("Khuzdār District", "KHUZDAR"), ("DAK_", "Dak")],
)
def test_variants_compare_equal(left, right):
    assert compact(left) == compact(right)


def test_qualifiers_are_dropped_but_a_bare_qualifier_survives():
    assert normalise_unit_name("PANJ PAI SUB-") == "panj pai"
    assert normalise_unit_name("City") == "city"


def test_display_names_and_slugs():
    assert display_name("SAMARBAGH(BARWA)") == "Samarbagh (Barwa)"
    assert display_name("Peshawar III") == "Peshawar III"
    assert slug("Upper South Waziristan") == "upper-south-waziristan"
