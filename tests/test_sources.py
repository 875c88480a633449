"""Pinned source packages: checksums are enforced."""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import zipfile

import pytest

from geo._errors import SourceError
from geo.boundaries import sources


def _fake_package(tmp_path, payload: bytes) -> sources.SourcePackage:
    return dataclasses.replace(sources.ADMIN_UNITS, filename="fake-1.0-py3-none-any.whl",
                               sha256=hashlib.sha256(payload).hexdigest())


def test_cached_file_with_the_pinned_hash_is_used(tmp_path, monkeypatch):
    payload = b"pinned bytes"
    package = _fake_package(tmp_path, payload)
    (tmp_path / package.filename).write_bytes(payload)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("must not download"))
    assert sources.fetch(package, tmp_path) == tmp_path / package.filename


def test_a_download_with_another_hash_is_refused(tmp_path, monkeypatch):
    package = _fake_package(tmp_path, b"pinned bytes")
    (tmp_path / package.filename).write_bytes(b"tampered")

    def fake_download(command, **kwargs):
        dest = command[command.index("--dest") + 1]
        with open(f"{dest}/{package.filename}", "wb") as handle:
            handle.write(b"still tampered")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(subprocess, "run", fake_download)
    with pytest.raises(SourceError, match="expected the pinned"):
        sources.fetch(package, tmp_path)


def test_failed_download_is_one_clear_error(tmp_path, monkeypatch):
    package = _fake_package(tmp_path, b"x")
    monkeypatch.setattr(subprocess, "run", lambda command, **k: subprocess.CompletedProcess(
        command, 1, "", "ERROR: No matching distribution found for fake==1.0"))
    with pytest.raises(SourceError, match="could not fetch .*No matching distribution"):
        sources.fetch(package, tmp_path)


def test_missing_member_is_a_source_error(tmp_path):
    archive = tmp_path / "x.whl"
    with zipfile.ZipFile(archive, "w") as wheel:
        wheel.writestr("a.txt", "a")
    assert sources.read_member(archive, "a.txt") == b"a"
    with pytest.raises(SourceError, match="has no member b.txt"):
        sources.read_member(archive, "b.txt")
