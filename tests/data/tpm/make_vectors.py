#!/usr/bin/env python3
"""Regenerates the crafted TPM vectors in this folder from real files of ../shared/testdata.

Each vector is named after what is wrong in it; <name>.reason beside it holds the reason id the
parser must return. Run from anywhere: python3 tests/data/tpm/make_vectors.py [TESTDATA_DIR]
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../../shared/testdata")
BOOT = os.path.join(TESTDATA, "vmboot/sb-shim-grub")


def real(name):
    with open(os.path.join(BOOT, name), "rb") as f:
        return bytearray(f.read())


def put(folder, name, data, reason):
    os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    with open(os.path.join(HERE, folder, name), "wb") as f:
        f.write(bytes(data))
    stem = name.rsplit(".", 1)[0]
    with open(os.path.join(HERE, folder, stem + ".reason"), "w") as f:
        f.write(reason + "\n")


# --- TPMS_ATTEST (sb-shim-grub quote.msg: clockInfo at 76, safe at 92, TPML_PCR_SELECTION at 101,
#     pcrDigest size at 111) ---
q = real("quote.msg")
assert len(q) == 145 and q[:4] == b"\xff\x54\x43\x47"
put("attest", "trailing_zero_byte.bin", q + b"\x00", "tpm.attest.trailing_bytes")
put("attest", "truncated_inside_pcr_digest.bin", q[:-1], "tpm.attest.malformed")
put("attest", "empty.bin", b"", "tpm.attest.malformed")
v = bytearray(q); v[111:113] = struct.pack(">H", 65); v += b"\x00"
put("attest", "pcr_digest_size_65_above_tpm2b_maximum.bin", v, "tpm.attest.malformed")
v = bytearray(q); v[4:6] = b"\x80\x99"
put("attest", "unknown_attest_type_0x8099.bin", v, "tpm.attest.malformed")
v = bytearray(q); v[101:105] = struct.pack(">I", 17)
put("attest", "pcr_selection_count_17_above_16.bin", v, "tpm.attest.malformed")
v = bytearray(q); v[105:107] = b"\x00\x06"
put("attest", "pcr_bank_0x0006_not_a_hash.bin", v, "tpm.attest.malformed")
v = bytearray(q); v[107] = 5; v[111:111] = b"\x00\x00"
put("attest", "size_of_select_5_above_4.bin", v, "tpm.attest.malformed")
v = bytearray(q); v[92] = 2
put("attest", "clock_safe_is_2_not_yes_or_no.bin", v, "tpm.attest.malformed")
v = bytearray(q); v[6:8] = b"\xff\xff"
put("attest", "qualified_signer_size_0xffff.bin", v, "tpm.attest.malformed")

# --- TPMT_SIGNATURE ---
s = real("quote.sig")
e = real("quote_ecc.sig")
put("signature", "trailing_zero_byte.bin", s + b"\x00", "tpm.signature.trailing_bytes")
put("signature", "truncated_ecdsa_s.bin", e[:-1], "tpm.signature.malformed")
v = bytearray(s); v[0:2] = b"\x00\x05"
put("signature", "hmac_scheme.bin", v, "tpm.signature.unsupported")
v = bytearray(e); v[0:2] = b"\x00\x1a"
put("signature", "ecdaa_scheme.bin", v, "tpm.signature.unsupported")
v = bytearray(s); v[2:4] = b"\x00\x12"
put("signature", "sm3_hash.bin", v, "tpm.signature.unsupported")
put("signature", "rsa_size_513_above_tpm2b_maximum.bin", b"\x00\x14\x00\x0b\x02\x01" + b"\x5a" * 513,
    "tpm.signature.malformed")

# --- Public keys (ak.pub: keyBits at 18, exponent at 20; ak_ecc.pub: curve at 18, y at 58) ---
a = real("ak.pub")
c = real("ak_ecc.pub")
assert a[18:20] == b"\x08\x00" and c[18:20] == b"\x00\x03"
put("public_key", "tpm2b_trailing_zero_byte.pub", a + b"\x00", "tpm.key.trailing_bytes")
v = bytearray(a); v[0:2] = struct.pack(">H", len(a) - 1); v += b"\x00"
put("public_key", "tpm2b_size_covers_a_byte_after_the_tpmt.pub", v, "tpm.key.malformed")
v = bytearray(c); v[-1] ^= 0x01
put("public_key", "ecc_point_not_on_curve.pub", v, "tpm.key.invalid")
v = bytearray(c); v[18:20] = b"\x00\x10"
put("public_key", "ecc_curve_bn_p256.pub", v, "tpm.key.unsupported")
v = bytearray(a); v[18:20] = struct.pack(">H", 1024)
put("public_key", "rsa_keybits_1024.pub", v, "tpm.key.unsupported")
v = bytearray(a); v[20:24] = struct.pack(">I", 4)
put("public_key", "rsa_exponent_4_even.pub", v, "tpm.key.invalid")
v = bytearray(a); v[-1] &= 0xfe
put("public_key", "rsa_modulus_even.pub", v, "tpm.key.invalid")
# keyedHash: type 0008, nameAlg sha256, attributes, empty authPolicy, HMAC-SHA256 scheme, unique 32 B.
keyed = b"\x00\x08\x00\x0b\x00\x04\x00\x72\x00\x00\x00\x05\x00\x0b\x00\x20" + b"\x11" * 32
put("public_key", "keyedhash_object.tpmt", keyed, "tpm.key.unsupported")
put("public_key", "unknown_object_type_0x0099.tpmt", b"\x00\x99" + a[4:], "tpm.key.unsupported")
with open(os.path.join(BOOT, "ak.pem"), "rb") as f:
    put("public_key", "pem_followed_by_junk.pem", f.read() + b"junk\n", "tpm.key.trailing_bytes")

# --- tpm2-tools PCR file (quote.pcrs: sha256 0-9, two digest lists at 136 and 668) ---
p = real("quote.pcrs")
assert len(p) == 1200
put("pcr_file", "trailing_zero_byte.pcrs", p + b"\x00", "tpm.pcr_file.trailing_bytes")
put("pcr_file", "truncated_last_digest_list.pcrs", p[:-1], "tpm.pcr_file.malformed")
put("pcr_file", "shorter_than_header.pcrs", p[:135], "tpm.pcr_file.malformed")
v = bytearray(p); v[668:672] = struct.pack("<I", 1)
put("pcr_file", "one_value_fewer_than_selected.pcrs", v, "tpm.pcr_file.count_mismatch")
v = bytearray(p); v[668:672] = struct.pack("<I", 3); v[672 + 2 * 66:672 + 2 * 66 + 2] = struct.pack("<H", 32)
put("pcr_file", "one_value_more_than_selected.pcrs", v, "tpm.pcr_file.count_mismatch")
v = bytearray(p); v[0:4] = struct.pack("<I", 17)
put("pcr_file", "selection_count_17_above_16.pcrs", v, "tpm.pcr_file.malformed")
v = bytearray(p); v[4:6] = struct.pack("<H", 0x0099)
put("pcr_file", "bank_0x0099_not_a_hash.pcrs", v, "tpm.pcr_file.unsupported_hash")
v = bytearray(p); v[140:142] = struct.pack("<H", 20)
put("pcr_file", "sha256_value_of_20_bytes.pcrs", v, "tpm.pcr_file.malformed")
v = bytearray(p); v[136:140] = struct.pack("<I", 9)
put("pcr_file", "digest_list_count_9_above_8.pcrs", v, "tpm.pcr_file.malformed")
v = bytearray(p); v[132:136] = struct.pack("<I", 0xffffffff)
put("pcr_file", "digest_list_count_0xffffffff.pcrs", v, "tpm.pcr_file.malformed")
v = bytearray(p); v[6] = 5
put("pcr_file", "size_of_select_5_above_4.pcrs", v, "tpm.pcr_file.malformed")
