"""Which events a run keeps: by event type, actor group, source and location precision.

Filters select events after linking (every report is still linked against all
the others); the events left out stay in ``reports.*`` with ``in_filters``
false, so no row is lost. Values of one filter are alternatives (any may
match); different filters must all match. Text is compared ignoring case.

- ``event_types``: the event's ``event_type`` as the source writes it, or its
  class in the linker's taxonomy (``explosion``, ``armed_assault``, ``battle``,
  ``abduction``, ``air_strike``, ``state_based``, ``non_state``, ``one_sided``);
- ``actor_groups``: the event's ``actor_group`` or ``actor_family``
  (``geo/data/actors.csv``; a value the table does not know is an error);
- ``sources``: any of the sources that reported the event;
- ``min_precision``: ``geo_precision`` this good or better (1 exact place,
  2 tehsil or district, 3 province); 0 keeps all.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from geo._errors import GeoError

PRECISIONS = (0, 1, 2, 3)


class FilterError(GeoError, ValueError):
    """A filter names a value it can never match, or is of the wrong kind."""


@dataclasses.dataclass(frozen=True)
class Filters:
    """The filters of a run (the ``[filters]`` TOML table, or the CLI options)."""

    event_types: tuple[str, ...] = ()
    actor_groups: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    min_precision: int = 0

    def __post_init__(self) -> None:
        if (
            not isinstance(self.min_precision, int)
            or isinstance(self.min_precision, bool)
            or self.min_precision not in PRECISIONS
        ):
            msg = f"min_precision must be 1, 2 or 3 (or 0 for no filter), got {self.min_precision!r}"
            raise FilterError(msg)
        for name in ("event_types", "actor_groups", "sources"):
            values = getattr(self, name)
            if not all(isinstance(v, str) and v.strip() for v in values):
                msg = f"{name} must be a list of non-empty strings, got {list(values)!r}"
                raise FilterError(msg)
        known = _known_actor_names() if self.actor_groups else set()
        unknown = [v for v in self.actor_groups if v.strip().casefold() not in known]
        if unknown:
            msg = (
                f"unknown actor group(s) {', '.join(repr(v) for v in unknown)}; use a group or family of "
                f"geo/data/actors.csv, e.g. 'Tehrik-i-Taliban Pakistan' or 'Baloch armed groups'"
            )
            raise FilterError(msg)

    @property
    def active(self) -> bool:
        return bool(self.event_types or self.actor_groups or self.sources or self.min_precision)

    def as_record(self) -> dict[str, object]:
        """The filters as run.json records them."""
        return {
            "event_types": list(self.event_types),
            "actor_groups": list(self.actor_groups),
            "sources": list(self.sources),
            "min_precision": self.min_precision,
        }

    def mask(self, events: pd.DataFrame) -> np.ndarray:
        """Which rows of an event table pass every filter."""
        from geo.linking.taxonomy import classes

        keep = np.ones(len(events), dtype=bool)
        if self.event_types:
            wanted = {v.strip().casefold() for v in self.event_types}
            text = events["event_type"].astype("string").str.strip().str.casefold()
            keep &= text.isin(wanted).fillna(False).to_numpy(dtype=bool) | np.isin(
                classes(events["event_type"]), list(wanted)
            )
        if self.actor_groups:
            wanted = {v.strip().casefold() for v in self.actor_groups}
            group = events["actor_group"].astype("string").str.casefold().isin(wanted)
            family = events["actor_family"].astype("string").str.casefold().isin(wanted)
            keep &= (group | family).fillna(False).to_numpy(dtype=bool)
        if self.sources:
            wanted = {v.strip().casefold() for v in self.sources}
            named = events["sources"] if "sources" in events else events["source"]
            keep &= np.array(
                [bool(wanted & {s.strip().casefold() for s in str(v).split("; ")}) for v in named.fillna("")],
                dtype=bool,
            )
        if self.min_precision:
            precision = events["geo_precision"].astype("Float64").to_numpy(dtype=float, na_value=np.inf)
            keep &= precision <= self.min_precision
        return keep


def _known_actor_names() -> set[str]:
    from geo.actors import load_aliases

    return {name.casefold() for alias in load_aliases() for name in (alias.actor_group, alias.actor_family)}


def filters_from_table(table: object, where: str) -> Filters:
    """The ``[filters]`` TOML table as :class:`Filters` (unknown keys and wrong
    types raise a :class:`FilterError` naming them)."""
    if not isinstance(table, dict):
        msg = f"[filters] in {where} must be a table"
        raise FilterError(msg)
    fields = {f.name for f in dataclasses.fields(Filters)}
    unknown = sorted(set(table) - fields)
    if unknown:
        msg = (
            f"unknown key(s) {', '.join(unknown)} in [filters] of {where}; known: {', '.join(sorted(fields))}"
        )
        raise FilterError(msg)
    values: dict[str, object] = {}
    for key, value in table.items():
        if key == "min_precision":
            values[key] = value
        elif isinstance(value, list):
            values[key] = tuple(value)
        else:
            msg = f"[filters] {key} in {where} must be a list of strings, got {value!r}"
            raise FilterError(msg)
    return Filters(**values)
