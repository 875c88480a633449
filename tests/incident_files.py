"""Writers of small incident files with the real header layouts of each source."""

from __future__ import annotations

import csv
from pathlib import Path

ACLED_HEADER = (
    "event_id_cnty event_date year time_precision disorder_type event_type sub_event_type actor1 "
    "assoc_actor_1 inter1 actor2 assoc_actor_2 inter2 interaction civilian_targeting iso region country "
    "admin1 admin2 admin3 location latitude longitude geo_precision source source_scale notes fatalities "
    "tags timestamp"
).split()
UCDP_HEADER = (
    "id relid year active_year code_status type_of_violence conflict_dset_id conflict_new_id conflict_name "
    "dyad_dset_id dyad_new_id dyad_name side_a_dset_id side_a_new_id side_a side_b_dset_id side_b_new_id side_b "
    "number_of_sources source_article source_office source_date source_headline source_original where_prec "
    "where_coordinates where_description adm_1 adm_2 latitude longitude geom_wkt priogrid_gid country iso3 "
    "country_id region event_clarity date_prec date_start date_end deaths_a deaths_b deaths_civilians "
    "deaths_unknown best high low gwnoa gwnob"
).split()
GTD_HEADER = (
    "eventid iyear imonth iday country_txt provstate city latitude longitude specificity attacktype1_txt "
    "targtype1_txt gname nkill nkillus nkillter nwound summary"
).split()


def write_rows(path: Path, header: list[str], rows: list[dict[str, object]], encoding: str = "utf-8",
               extra_lines: list[str] | None = None) -> Path:
    """A CSV with ``header``; each row gives some columns, the rest stay empty."""
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="raise")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in header})
        for line in extra_lines or []:
            handle.write(line + "\r\n")
    return path


def acled_row(event_id: str, **values: object) -> dict[str, object]:
    row = {"event_id_cnty": event_id, "event_date": "2025-02-28", "year": 2025, "time_precision": 1,
           "event_type": "Battles", "sub_event_type": "Armed clash", "actor1": "Unidentified Armed Group",
           "inter1": 3, "inter2": 1, "country": "Pakistan", "admin1": "Khyber Pakhtunkhwa", "admin2": "Bannu",
           "location": "Bannu", "latitude": 32.98527, "longitude": 70.60403, "geo_precision": 1,
           "fatalities": 2, "notes": "test"}
    row.update(values)
    return row


def ucdp_row(event_id: str, **values: object) -> dict[str, object]:
    row = {"id": event_id, "year": 2024, "type_of_violence": 1, "side_a": "Government of Pakistan",
           "side_b": "TTP", "where_prec": 1, "where_coordinates": "Miran Shah town",
           "adm_1": "Khyber Pakhtunkwa province", "adm_2": "North Waziristan agency",
           "latitude": 33.00059, "longitude": 70.07117, "date_prec": 1, "date_start": "2024-06-01",
           "date_end": "2024-06-01", "deaths_a": 3, "deaths_b": 5, "deaths_civilians": 1, "deaths_unknown": 0,
           "best": 9, "high": 9, "low": 9, "source_headline": "clash"}
    row.update(values)
    return row


def gtd_row(event_id: str, **values: object) -> dict[str, object]:
    row = {"eventid": event_id, "iyear": 2019, "imonth": 3, "iday": 5, "country_txt": "Pakistan",
           "provstate": "Balochistan", "city": "Quetta", "latitude": 30.18414, "longitude": 67.00141,
           "specificity": 1, "attacktype1_txt": "Bombing/Explosion", "targtype1_txt": "Police",
           "gname": "Unknown", "nkill": 4, "nkillus": 0, "nkillter": 1, "nwound": 7, "summary": "test"}
    row.update(values)
    return row
