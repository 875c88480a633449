"""Byte-level helpers for text in Arrow arrays (the cells read, CSV cells,
GeoJSON features): questions about a large string array answered in one
numpy pass over its bytes, not a regex per value, and its text written
without copying."""

from __future__ import annotations

from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa


def large_text(values: pd.Series) -> pa.Array:
    """The text of a column as one large string array (missing values null):
    the Arrow buffers of a string column, in one chunk, as the helpers here read them."""
    text = pa.array(values.astype("string").array, type=pa.large_string())
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


def text_buffers(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The value offsets (``len(text) + 1`` of them) and the UTF-8 bytes of a large string array."""
    _, offsets_buffer, data_buffer = text.buffers()
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    if not len(text):
        return np.zeros(1, dtype=np.int64), data
    return np.frombuffer(offsets_buffer, dtype=np.int64)[text.offset: text.offset + len(text) + 1], data


def first_bytes(text: pa.Array) -> np.ndarray:
    """The first byte of each value of a large string array, 0 for an empty or missing one."""
    offsets, data = text_buffers(text)
    if not len(data):
        return np.zeros(len(text), dtype=np.uint8)
    starts, nonempty = offsets[:-1], offsets[1:] > offsets[:-1]
    first = np.where(nonempty, data[np.where(nonempty, starts, 0)], 0)
    return np.where(np.asarray(text.is_valid(), dtype=bool), first, 0).astype(np.uint8)


# Bytes that may start or end a value that str.strip (or Arrow's utf8_trim_whitespace) changes: the ASCII
# spaces and controls, and every byte of a non-ASCII character (U+0085, U+00A0, U+2028… are spaces too).
_MAYBE_SPACE = np.ones(256, dtype=bool)
_MAYBE_SPACE[0x21:0x7F] = False


def maybe_padded(text: pa.Array) -> bool:
    """Whether some value of a large string array may start or end with
    white space (False: stripping every value would change none)."""
    offsets, data = text_buffers(text)
    starts, ends = offsets[:-1], offsets[1:]
    filled = np.flatnonzero(ends > starts)  # a missing or empty value has nothing to strip
    return bool(_MAYBE_SPACE[data[starts[filled]]].any() or _MAYBE_SPACE[data[ends[filled] - 1]].any())


def holding(text: pa.Array, byte_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which values of a large string array hold one of ``byte_values`` (ASCII
    codes, so never part of a longer UTF-8 character), and which of those
    bytes occur at all."""
    offsets, data = text_buffers(text)
    hit = np.zeros(len(text), dtype=bool)
    used = data[offsets[0]: offsets[-1]]
    values = np.unique(np.asarray(byte_values, dtype=np.uint8))
    # Most columns hold none of the bytes: asked with memchr (bytes.find) per byte, and the control
    # characters with one comparison, not a per-byte table lookup over the text (8x slower).
    blob = used.tobytes()
    printable = [v for v in values[values >= 32].tolist() if blob.find(bytes((v,))) >= 0]
    positions = np.zeros(0, dtype=np.int64)
    if printable:
        marked = used == printable[0]
        for value in printable[1:]:
            marked |= used == value
        positions = np.flatnonzero(marked)
    controls = values[values < 32]
    if len(controls) and len(used) and used.min() < 32:
        table = np.zeros(32, dtype=bool)
        table[controls] = True
        below = np.flatnonzero(used < 32)
        positions = np.union1d(positions, below[table[used[below]]])
    if not len(positions):
        return hit, np.zeros(0, dtype=np.uint8)
    # the value each hit falls in (a missing value spans no bytes)
    hit[np.searchsorted(offsets, positions + offsets[0], side="right") - 1] = True
    return hit & np.asarray(text.is_valid(), dtype=bool), np.unique(used[positions])


def write_text(out: BinaryIO, text: pa.Array | pa.ChunkedArray, trim_end: int = 0) -> None:
    """Write the text of a large string array as it is stored, without copying,
    less ``trim_end`` bytes at its very end."""
    chunks = [c for c in (text.chunks if isinstance(text, pa.ChunkedArray) else [text]) if len(c)]
    for number, chunk in enumerate(chunks, start=1):
        offsets, data = text_buffers(chunk)
        end = offsets[-1] - (trim_end if number == len(chunks) else 0)
        out.write(memoryview(data)[offsets[0]: end])
