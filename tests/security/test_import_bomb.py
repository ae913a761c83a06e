"""Hostile case: compression bombs handed to `lake import`.

A megabyte of gzip or zip can hold a gigabyte of data. Import must refuse such a member after at
most ``max_member_bytes`` of decompressed data, with memory far below the decompressed size, and
report which input it refused and why. Each import runs in a fresh Python process, so its peak
resident memory (``ru_maxrss``) can be measured against a baseline taken just before.
"""

from __future__ import annotations

import gzip
import json
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

GIB = 1 << 30
MIB = 1 << 20
BLOCK = 16 * MIB

MEASURE = r"""
import gzip, json, resource, sys, zipfile
from orginsight.sources.lake_import import import_files

seen = {"bytes": 0}
def counting(read):
    def wrapped(self, *args):
        data = read(self, *args)
        seen["bytes"] += len(data)
        return data
    return wrapped
gzip.GzipFile.read = counting(gzip.GzipFile.read)
gzip.GzipFile.read1 = counting(gzip.GzipFile.read1)
zipfile.ZipExtFile.read = counting(zipfile.ZipExtFile.read)

source, lake, cap = sys.argv[1], sys.argv[2], sys.argv[3]
kwargs = {"max_member_bytes": int(cap)} if cap != "default" else {}
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
report = import_files([source], lake, **kwargs)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"peak_growth": (after - before) * 1024, "decompressed": seen["bytes"],
                  "placed": report.records_placed, "failures": [[f.source, f.reason] for f in report.failures]}))
"""


def import_measured(source: Path, lake: Path, cap: int | None = None) -> dict:
    """Import ``source`` in a new process; its peak memory growth, bytes decompressed, and report."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(source), str(lake), str(cap or "default")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def gzip_bomb(path: Path, head: bytes, filler: bytes, size: int) -> Path:
    """A gzip file of ``head`` then ``filler`` repeated to ``size`` bytes, written without ever holding
    more than one 16 MiB block: gzip members concatenate, so one compressed block is written many times."""
    block = gzip.compress(filler * (BLOCK // len(filler)), compresslevel=9, mtime=0)
    with open(path, "wb") as fh:
        fh.write(gzip.compress(head, mtime=0))
        for _ in range(size // BLOCK):
            fh.write(block)
    return path


def zip_bomb(path: Path, name: str, head: bytes, filler: bytes, size: int) -> Path:
    """A zip holding one deflate member of at least ``size`` bytes (as its header says), built from one compressed
    16 MiB block repeated: after a full flush, deflate blocks do not refer to what came before."""
    first = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = first.compress(head) + first.flush(zlib.Z_FULL_FLUSH)
    again = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = again.compress(filler * (BLOCK // len(filler))) + again.flush(zlib.Z_FULL_FLUSH)
    count = -(-size // BLOCK)
    data = start + block * count + zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    size = len(head) + count * (BLOCK // len(filler)) * len(filler)
    encoded = name.encode()
    crc = 0  # never checked: the member is refused before its end
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0)
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        20,
        20,
        0,
        8,
        0,
        0x21,
        crc,
        len(data),
        size,
        len(encoded),
        0,
        0,
        0,
        0,
        0,
        0,
    )
    offset = len(local) + len(encoded) + len(data)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central) + len(encoded), offset, 0)
    path.write_bytes(local + encoded + data + central + encoded + end)
    return path


def test_gzip_of_a_gigabyte_of_zeros_is_refused_at_once(tmp_path):
    bomb = gzip_bomb(tmp_path / "trail.json.gz", b"", b"\0", GIB)
    assert bomb.stat().st_size < 2 * MIB
    result = import_measured(bomb, tmp_path / "lake")
    assert result["placed"] == 0
    [(source, reason)] = result["failures"]
    assert source == str(bomb) and "not JSON" in reason
    assert result["decompressed"] < 4 * MIB, "refused at its first bytes, not after a gigabyte"
    assert result["peak_growth"] < 64 * MIB


def test_gzip_of_a_gigabyte_of_json_whitespace_stops_at_the_cap(tmp_path):
    """Zeros fail at once as not JSON; whitespace inside ``"Records": [`` is valid JSON, so only the cap stops it."""
    bomb = gzip_bomb(tmp_path / "trail.json.gz", b'{"Records": [', b" ", GIB)
    cap = 32 * MIB
    result = import_measured(bomb, tmp_path / "lake", cap)
    assert result["placed"] == 0
    [(source, reason)] = result["failures"]
    assert source == str(bomb) and f"larger than {cap:,} bytes when decompressed" in reason
    assert cap <= result["decompressed"] <= cap + 2 * MIB
    assert result["peak_growth"] < 64 * MIB


def test_gzip_of_one_gigabyte_long_string_stops_at_the_cap(tmp_path):
    """A string never closed must be held to parse it: memory grows with the cap, not with the bomb."""
    head = b'{"Records": [{"eventID": "e-1", "eventName": "'
    bomb = gzip_bomb(tmp_path / "trail.json.gz", head, b"A", GIB)
    cap = 32 * MIB
    result = import_measured(bomb, tmp_path / "lake", cap)
    assert result["placed"] == 0
    [(_, reason)] = result["failures"]
    assert "larger than" in reason and "--max-member-bytes" in reason
    assert result["decompressed"] <= cap + 2 * MIB
    assert result["peak_growth"] < 6 * cap, "a few copies of the capped text at most, never the gigabyte"


def test_zip_member_of_a_gigabyte_is_refused_by_counting_and_by_its_header(tmp_path):
    bomb = zip_bomb(tmp_path / "export.zip", "../../trail.json", b'{"Records": [', b" ", GIB)
    assert bomb.stat().st_size < 4 * MIB and zipfile.ZipFile(bomb).infolist()[0].file_size > GIB
    by_header = import_measured(bomb, tmp_path / "lake")  # default cap 1 GiB: the header says more
    [(source, reason)] = by_header["failures"]
    assert source == f"{bomb}!../../trail.json" and "larger than" in reason
    assert by_header["decompressed"] == 0
    cap = 16 * MIB  # under a header small enough to be read, counting stops it
    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(
        bomb.read_bytes().replace(
            struct.pack("<I", zipfile.ZipFile(bomb).infolist()[0].file_size), struct.pack("<I", cap - 1)
        )
    )
    assert zipfile.ZipFile(tampered).infolist()[0].file_size == cap - 1
    counted = import_measured(tampered, tmp_path / "lake2", cap)
    [(_, reason)] = counted["failures"]
    assert counted["placed"] == 0 and counted["decompressed"] <= cap + 2 * MIB
    assert counted["peak_growth"] < 64 * MIB
    assert list((tmp_path / "lake").rglob("*.json.gz")) == list((tmp_path / "lake2").rglob("*.json.gz")) == []


def test_bzip2_zip_member_is_refused_unread(tmp_path):
    """zipfile decompresses bzip2 members without a size limit (177 bytes hold 200 MiB), so they are refused."""
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_BZIP2) as zf:
        zf.writestr("trail.json", json.dumps({"Records": []}))
    result = import_measured(archive, tmp_path / "lake")
    [(source, reason)] = result["failures"]
    assert source == f"{archive}!trail.json" and "re-pack the archive with deflate" in reason
    assert result["decompressed"] == 0


def test_cap_is_set_on_the_command_line(tmp_path, capsys):
    from orginsight.cli import main

    bomb = gzip_bomb(tmp_path / "trail.json.gz", b'{"Records": [', b" ", 64 * MIB)
    status = main(["lake", "import", str(bomb), "--lake", str(tmp_path / "lake"), "--max-member-bytes", "4M"])
    out = capsys.readouterr().out
    assert status == 1 and f"larger than {4 * MIB:,} bytes when decompressed" in out
