"""IP address to country (offline), and to city and ASN when a MaxMind database is at hand.

``geoip2fast`` ships its country data inside the package, so the graph needs no
network and no licence key. An analyst with MaxMind GeoLite2/GeoIP2 databases
(``.mmdb``) and the ``geoip2`` package gets city and ASN too; neither is required.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

import pandas as pd


@functools.lru_cache(maxsize=1)
def _reader():
    from geoip2fast import GeoIP2Fast

    return GeoIP2Fast(verbose=False)


def preload() -> None:
    """Load the country data now (0.1 s), for instance while a query runs."""
    _reader()


def _is_public_ip(text: str) -> bool:
    try:
        return ipaddress.ip_address(text).is_global
    except ValueError:
        return False


def country_codes(ips: Iterable[str]) -> dict[str, str | None]:
    """ISO 3166 country code of each public address; AWS service names and private addresses map to None."""
    out: dict[str, str | None] = {}
    reader = None
    for ip in ips:
        if not isinstance(ip, str) or not _is_public_ip(ip):
            out[ip] = None
            continue
        reader = reader or _reader()
        code = reader.lookup(ip).country_code
        out[ip] = code if code and code != "--" else None
    return out


def ip_details(ips: Iterable[str], mmdb_city: str | None = None, mmdb_asn: str | None = None) -> pd.DataFrame:
    """One row per address: country (always), city and ASN (when MaxMind databases and ``geoip2`` exist)."""
    ips = list(dict.fromkeys(i for i in ips if isinstance(i, str)))
    codes = country_codes(ips)
    rows = [{"ip": ip, "country": codes.get(ip), "city": None, "asn": None, "as_org": None} for ip in ips]
    if mmdb_city or mmdb_asn:
        try:
            import geoip2.database
            import geoip2.errors
        except ImportError:  # optional: country from geoip2fast is still there
            return pd.DataFrame(rows)
        city = geoip2.database.Reader(mmdb_city) if mmdb_city else None
        asn = geoip2.database.Reader(mmdb_asn) if mmdb_asn else None
        for row in rows:
            if not _is_public_ip(row["ip"]):
                continue
            try:
                if city:
                    row["city"] = city.city(row["ip"]).city.name
                if asn:
                    a = asn.asn(row["ip"])
                    row["asn"], row["as_org"] = a.autonomous_system_number, a.autonomous_system_organization
            except (geoip2.errors.AddressNotFoundError, ValueError):
                continue
    return pd.DataFrame(rows, columns=["ip", "country", "city", "asn", "as_org"])


def country_data_source() -> str | None:
    """Which country data answered, with its date (``MAXMIND:GeoLite2-Country-IPv4-en-20240618`` for
    geoip2fast 1.2: IPv4 only, so IPv6 addresses get no country); None when it cannot be loaded."""
    try:
        return str(_reader().get_database_info().get("source_info") or "") or None
    except Exception:  # noqa: BLE001 - no country data is a note, not a failed graph
        return None
