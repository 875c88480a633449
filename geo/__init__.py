"""geo: offline risk mapping of militant violence in Khyber Pakhtunkhwa, Balochistan
and along the Pakistan–Afghanistan border."""

from geo._errors import GeoError

__version__ = "0.1.0"

__all__ = ["GeoError", "__version__"]
