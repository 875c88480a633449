"""Actor names: the committed alias table maps what each source writes to one group."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from geo.actors import ACTORS_CSV, UNIDENTIFIED, actor_of, coverage, load_aliases, name_actors
from geo.metrics.units import monthly_actor_groups
from geo.pipeline import ingest

from .real_data import UCDP_EXCERPT, real_export

# How ACLED, UCDP, GTD and report tables write the groups of the issue (each string
# as those sources spell it), and the group each must map to.
SPELLINGS = {
    "TTP: Tehreek-i-Taliban Pakistan": "Tehrik-i-Taliban Pakistan",
    "Tehrik-i-Taliban Pakistan (TTP)": "Tehrik-i-Taliban Pakistan",
    "TTP": "Tehrik-i-Taliban Pakistan",
    "Tehreek-e-Taliban Pakistan": "Tehrik-i-Taliban Pakistan",
    "Pakistani Taliban": "Tehrik-i-Taliban Pakistan",
    "Jamaat-ul-Ahrar": "Jamaat-ul-Ahrar",
    "Tehrik-i-Taliban Pakistan - Jamaat-ul-Ahrar": "Jamaat-ul-Ahrar",
    "Lashkar-e-Islam (Pakistan)": "Lashkar-e-Islam",
    "Hafiz Gul Bahadur Group": "Hafiz Gul Bahadur group",
    "Gul Bahadur group": "Hafiz Gul Bahadur group",
    "Islamic State (Khorasan)": "Islamic State Khorasan Province",
    "Khorasan Chapter of the Islamic State": "Islamic State Khorasan Province",
    "IS-K": "Islamic State Khorasan Province",
    "ISKP": "Islamic State Khorasan Province",
    "ISIS-K": "Islamic State Khorasan Province",
    "Islamic State Khorasan Province": "Islamic State Khorasan Province",
    "BLA: Balochistan Liberation Army": "Balochistan Liberation Army",
    "Baloch Liberation Army (BLA)": "Balochistan Liberation Army",
    "BLF: Balochistan Liberation Front": "Balochistan Liberation Front",
    "Baloch Republican Army (BRA)": "Baloch Republican Army",
    "BRAS: Baloch Raaji Aajoi Sangar": "Baloch Raaji Aajoi Sangar",
    "Baloch Republican Guards (BRG)": "Baloch Republican Guards",
    "LeJ: Lashkar-e-Jhangvi": "Lashkar-e-Jhangvi",
    "Lashkar-e-Jhangvi": "Lashkar-e-Jhangvi",
    "LeJ": "Lashkar-e-Jhangvi",
    "Al-Qaida": "al-Qaida",
    "al-Qaeda": "al-Qaida",
    "Al-Qaida in the Indian Subcontinent": "al-Qaida in the Indian Subcontinent",
    "Military Forces of Pakistan (2018-)": "Pakistani military",
    "Military Forces of Pakistan (2018-) Frontier Corps": "Frontier Corps",
    "Police Forces of Pakistan (2018-)": "Pakistani police",
    "Police Forces of Pakistan (2018-) Levies": "Levies",
    "Police Forces of Pakistan (2018-) Counter Terrorism Department": "Counter Terrorism Department",
    "CTD": "Counter Terrorism Department",
    "Government of Pakistan": "Pakistani state forces (unspecified)",
    "Government of Afghanistan": "Afghan state forces",
    "Military Forces of Afghanistan (2021-)": "Afghan state forces",
    "Unidentified Armed Group (Pakistan)": UNIDENTIFIED,
    "Unknown": UNIDENTIFIED,
    "unknown gunmen": UNIDENTIFIED,
    "": UNIDENTIFIED,
    "a name no table knows": UNIDENTIFIED,
}


@pytest.mark.parametrize(("text", "group"), SPELLINGS.items())
def test_each_spelling_maps_to_its_group(text, group):
    assert actor_of(text)[0] == group


def test_the_table_is_sourced_and_every_row_is_reachable():
    with open(ACTORS_CSV, encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if not r["pattern"].startswith("#")]
    assert rows and all(
        r["actor_group"] and r["actor_family"] and r["seen_in"] and r["reference"] for r in rows
    )
    assert len(load_aliases()) == len(rows)
    families = {r["actor_family"] for r in rows}
    assert {
        "Tehrik-i-Taliban Pakistan and factions",
        "Islamic State",
        "Baloch armed groups",
        "Lashkar-e-Jhangvi",
        "al-Qaida",
        "Pakistani state forces",
        "Afghan forces",
        UNIDENTIFIED,
    } <= families


def test_factions_are_not_swallowed_by_their_parent():
    assert actor_of("Tehrik-i-Taliban Pakistan (Jamaat-ul-Ahrar faction)")[0] == "Jamaat-ul-Ahrar"
    assert actor_of("TTP (Hafiz Gul Bahadur)")[0] == "Hafiz Gul Bahadur group"
    # a short code inside a longer word is not the code
    assert actor_of("Brahui tribesmen")[0] == UNIDENTIFIED


def test_every_actor_string_of_the_real_ucdp_excerpt_is_named(tmp_path):
    path = real_export(UCDP_EXCERPT, tmp_path)
    raw = pd.read_csv(path, skiprows=[1], dtype=str)
    strings = pd.concat([raw["side_a"], raw["side_b"]], ignore_index=True)
    found = coverage(strings)
    assert found == {"strings": 29, "strings_named": 29, "rows": 1176, "rows_named": 1176}
    incidents = ingest([path]).incidents
    assert (incidents["actor_group"] != UNIDENTIFIED).all()
    assert incidents.loc[incidents["perpetrator"] == "BLA", "actor_family"].eq("Baloch armed groups").all()


def test_monthly_actor_group_table_counts_events_and_killed_by_victim_category():
    events = pd.DataFrame(
        {
            "date": ["2024-01-03", "2024-01-20", "2024-02-01", "2024-01-05"],
            "actor_group": ["Tehrik-i-Taliban Pakistan"] * 3 + [UNIDENTIFIED],
            "actor_family": ["Tehrik-i-Taliban Pakistan and factions"] * 3 + [UNIDENTIFIED],
            "killed": pd.array([3, None, 2, 1], dtype="Int32"),
            "killed_civilians": pd.array([1, None, 0, 1], dtype="Int32"),
            "killed_security": pd.array([2, None, 2, 0], dtype="Int32"),
            "killed_militants": pd.array([0, None, 0, 0], dtype="Int32"),
        }
    )
    table = monthly_actor_groups(events).set_index(["actor_group", "month"])
    ttp = table.loc[("Tehrik-i-Taliban Pakistan", "2024-01")]
    assert (ttp["events"], ttp["events_killed_unknown"], ttp["killed"], ttp["killed_security"]) == (
        2,
        1,
        3,
        2,
    )
    assert table.loc[("Tehrik-i-Taliban Pakistan", "2024-02"), "killed"] == 2
    assert table.loc[(UNIDENTIFIED, "2024-01"), "killed_civilians"] == 1
    assert len(table) == 3


def test_name_actors_keeps_the_index_and_leaves_empty_unidentified():
    series = pd.Series(["TTP", None, "BLA"], index=[10, 11, 12], dtype="string")
    named = name_actors(series)
    assert list(named.index) == [10, 11, 12]
    assert list(named["actor_group"]) == [
        "Tehrik-i-Taliban Pakistan",
        UNIDENTIFIED,
        "Balochistan Liberation Army",
    ]
