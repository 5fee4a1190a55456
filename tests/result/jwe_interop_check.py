#!/usr/bin/python3
"""Independent decryption of attestd's JWEs, for tests (run by Debian's /usr/bin/python3).

  jwe_interop_check.py jwk PEM OUT_JWK     writes the private key of PEM as a JWK (for `jose`)
  jwe_interop_check.py decrypt PEM JWE_FILE  decrypts with python3-jwcrypto, prints the header
                                           JSON on line 1 and the plaintext as hex on line 2
Exit 0 on success, 1 with a message on stderr otherwise.
"""
import json
import sys

from jwcrypto import jwe, jwk


def load(pem_path):
    with open(pem_path, "rb") as f:
        return jwk.JWK.from_pem(f.read())


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, pem, other = argv[1:]
    key = load(pem)
    if cmd == "jwk":
        with open(other, "w") as f:
            f.write(key.export_private())
        return 0
    if cmd == "decrypt":
        with open(other) as f:
            token = f.read().strip()
        obj = jwe.JWE()
        # Only what attestd may produce: anything else would mean it chose a weaker algorithm.
        obj.allowed_algs = ["RSA-OAEP-256", "ECDH-ES+A256KW", "A256GCM"]
        try:
            obj.deserialize(token, key=key)
        except Exception as e:  # jwcrypto raises several types; any is a failure to report
            print(f"jwcrypto refused the JWE: {e!r}", file=sys.stderr)
            return 1
        print(json.dumps(obj.jose_header, sort_keys=True))
        print(obj.payload.hex())
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
