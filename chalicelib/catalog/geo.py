"""Geohash cells for "near a point" search, and distances. Pure.

In-person listings are indexed under the geohash cell of their location at two precisions: 3
(about 156 x 156 km) and 4 (about 39 x 20 km). A radius search reads the cells that cover the
circle's bounding box at the finest precision that keeps their number small, then keeps what lies
within the radius.
"""

from __future__ import annotations

import math

_BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = 111.32
PRECISIONS = (3, 4)
FINE_RADIUS_KM = 20.0  # up to this radius, precision-4 cells cover the circle with a few cells
MAX_RADIUS_KM = 100.0


def encode(lat: float, lon: float, precision: int) -> str:
    lat_range, lon_range = [-90.0, 90.0], [-180.0, 180.0]
    chars: list[str] = []
    bits, value, even = 0, 0, True
    while len(chars) < precision:
        rng, x = (lon_range, lon) if even else (lat_range, lat)
        mid = (rng[0] + rng[1]) / 2
        value <<= 1
        if x >= mid:
            value |= 1
            rng[0] = mid
        else:
            rng[1] = mid
        even = not even
        bits += 1
        if bits == 5:
            chars.append(_BASE32[value])
            bits, value = 0, 0
    return "".join(chars)


def cell_size_degrees(precision: int) -> tuple[float, float]:
    """(height in latitude, width in longitude) of a cell."""
    total = 5 * precision
    lon_bits = (total + 1) // 2
    return 180.0 / 2 ** (total - lon_bits), 360.0 / 2**lon_bits


def precision_for(radius_km: float) -> int:
    return 4 if radius_km <= FINE_RADIUS_KM else 3


def cover(lat: float, lon: float, radius_km: float, precision: int) -> list[str]:
    """Cells that together contain every point within `radius_km` of (lat, lon)."""
    dlat = radius_km / KM_PER_DEGREE
    dlon = radius_km / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    height, width = cell_size_degrees(precision)
    lats = _steps(max(lat - dlat, -90.0), min(lat + dlat, 90.0), height / 2)
    lons = _steps(lon - dlon, lon + dlon, width / 2)
    cells = {encode(a, _wrap(b), precision) for a in lats for b in lons}
    return sorted(cells)


def _steps(low: float, high: float, step: float) -> list[float]:
    out, x = [], low
    while x < high:
        out.append(x)
        x += step
    out.append(high)
    return out


def _wrap(lon: float) -> float:
    wrapped = (lon + 180.0) % 360.0 - 180.0
    return min(wrapped, 179.999999)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
