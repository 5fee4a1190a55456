#!/usr/bin/env python3
"""Writes the crafted event-log vectors in this folder: <what is wrong>.bin with the reason id
parse_event_log must return in <what is wrong>.reason. Run once by hand; the outputs are committed
(tests never run this script)."""
import hashlib
import struct

SHA1, SHA256 = 0x0004, 0x000B
ALGS = [(SHA1, 20), (SHA256, 32)]


def legacy_event(pcr, typ, data, size=None, digest=b"\0" * 20):
    return struct.pack("<II", pcr, typ) + digest + struct.pack("<I", len(data) if size is None else size) + data


def spec_id(algs=ALGS, vendor=b""):
    d = b"Spec ID Event03\0" + struct.pack("<IBBBBI", 0, 0, 2, 0, 2, len(algs))
    d += b"".join(struct.pack("<HH", a, s) for a, s in algs)
    return d + bytes([len(vendor)]) + vendor


def header(algs=ALGS, vendor=b"", size=None):
    return legacy_event(0, 3, spec_id(algs, vendor), size)


def agile_event(pcr, typ, data, digests=None):
    if digests is None:
        digests = [(SHA1, hashlib.sha1(data).digest()), (SHA256, hashlib.sha256(data).digest())]
    out = struct.pack("<III", pcr, typ, len(digests))
    out += b"".join(struct.pack("<H", a) + d for a, d in digests)
    return out + struct.pack("<I", len(data)) + data


SEP = agile_event(7, 4, b"\0\0\0\0")
VECTORS = {
    "empty": (b"", "eventlog.parse.empty"),
    "shorter_than_one_header": (b"\0" * 20, "eventlog.parse.truncated"),
    "spec_id_event_size_cuts_vendor_info": (
        # EventSize 4 short, the vendorInfo bytes after it: like tpm2-tools specid-vendordata.bin.
        header(vendor=b"\xde\xad\xbe\xef", size=len(spec_id(vendor=b"\xde\xad\xbe\xef")) - 4),
        "eventlog.parse.spec_id_invalid"),
    "spec_id_zero_algorithms": (header(algs=[]), "eventlog.parse.spec_id_invalid"),
    "spec_id_duplicate_algorithm": (header(algs=[(SHA256, 32), (SHA256, 32)]), "eventlog.parse.spec_id_invalid"),
    "spec_id_sha256_size_20": (header(algs=[(SHA256, 20)]), "eventlog.parse.spec_id_invalid"),
    "digest_count_above_spec_id_algorithms": (
        header() + agile_event(7, 4, b"\0\0\0\0", [(SHA1, b"\0" * 20), (SHA256, b"\0" * 32), (SHA1, b"\0" * 20)]),
        "eventlog.parse.digest_count_mismatch"),
    "digest_of_unlisted_sha384": (
        header() + agile_event(7, 4, b"\0\0\0\0", [(SHA1, b"\0" * 20), (0x000C, b"\0" * 48)]),
        "eventlog.parse.unknown_algorithm"),
    "event_size_above_limit": (header() + SEP[:-8] + struct.pack("<I", 0x7FFFFFFF), "eventlog.parse.event_too_large"),
    "event_data_cut_by_end_of_log": (header() + SEP[:-2], "eventlog.parse.truncated"),
    "partial_header_after_last_event": (header() + SEP + b"\xff" * 10, "eventlog.parse.trailing_bytes"),
    "zero_padding_after_last_event": (header() + SEP + b"\0" * 64, "eventlog.parse.digest_count_mismatch"),
}

for name, (data, reason) in VECTORS.items():
    with open(name + ".bin", "wb") as f:
        f.write(data)
    with open(name + ".reason", "w") as f:
        f.write(reason + "\n")

# Well-formed edge case (no .reason: it must parse): four banks, StartupLocality, an unknown
# event type, an event on PCR 30.
with open("ok_four_banks_unknown_type.bin", "wb") as f:
    algs = [(SHA1, 20), (SHA256, 32), (0x000C, 48), (0x000D, 64)]
    data = b"x"
    ds = [(SHA1, hashlib.sha1(data).digest()), (SHA256, hashlib.sha256(data).digest()),
          (0x000C, hashlib.sha384(data).digest()), (0x000D, hashlib.sha512(data).digest())]
    loc = b"StartupLocality\0\x03"
    dsl = [(a, b"\0" * s) for a, s in algs]
    f.write(header(algs) + agile_event(0, 3, loc, dsl) + agile_event(0, 0x8401, data, ds) + agile_event(30, 5, data, ds))
