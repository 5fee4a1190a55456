#!/usr/bin/python3
"""Independent JOSE checks of attestd's EAR tokens with python3-jwcrypto (Debian's /usr/bin/python3).

Run by tests/result/jwcrypto_test.cpp; every mode works in a directory the test owns.

  check DIR      verify DIR/token.jwt against DIR/jwks.json (both written by attestd) and compare the
                 claims with DIR/expect.json; check each JWKS kid is the RFC 7638 thumbprint jwcrypto
                 computes.
  make DIR NOW   write tokens signed by jwcrypto (and forged ones) for attestd's verify_ear, plus
                 JWKs with jwcrypto's thumbprints for attestd to recompute.

Exit status 0 and "OK" on success; otherwise the failed assertion on stderr.
"""
import base64
import json
import os
import sys

from jwcrypto import jwk, jws, jwt

PROFILE = "tag:github.com,2023:veraison/ear"
RFC7638_JWK = {
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
         "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY"
         "368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0f"
         "M4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def check(d: str) -> None:
    with open(os.path.join(d, "jwks.json")) as f:
        jwks_text = f.read()
    with open(os.path.join(d, "token.jwt")) as f:
        token = f.read().strip()
    with open(os.path.join(d, "expect.json")) as f:
        expect = json.load(f)

    keyset = jwk.JWKSet.from_json(jwks_text)
    for entry in json.loads(jwks_text)["keys"]:
        assert set(entry) == {"kty", "crv", "x", "y", "kid", "alg", "use"}, entry
        assert (entry["kty"], entry["crv"], entry["alg"], entry["use"]) == ("EC", "P-256", "ES256", "sig"), entry
        k = jwk.JWK(**entry)
        assert k.thumbprint() == entry["kid"], ("kid is not the RFC 7638 thumbprint", entry["kid"], k.thumbprint())

    # Only ES256 allowed; jwcrypto checks exp/nbf itself (default leeway 60 s).
    t = jwt.JWT(jwt=token, key=keyset, algs=["ES256"])
    header = json.loads(t.header)
    assert header == {"alg": "ES256", "typ": "JWT", "kid": expect["kid"]}, header
    # The signature is JOSE r||s (64 bytes), not DER.
    assert len(base64.urlsafe_b64decode(token.split(".")[2] + "==")) == 64
    claims = json.loads(t.claims)
    assert claims["eat_profile"] == PROFILE, claims
    assert isinstance(claims["iat"], int) and isinstance(claims["exp"], int) and claims["exp"] > claims["iat"]
    assert claims["eat_nonce"] == expect["eat_nonce"], claims["eat_nonce"]
    assert claims["ear.verifier-id"]["developer"] == "attestd"
    assert claims["ear.verifier-id"]["build"].startswith("attestd ")
    assert claims["ear.status"] == expect["status"], claims["ear.status"]
    assert set(claims["submods"]) == set(expect["submods"]), claims["submods"].keys()
    for name, want in expect["submods"].items():
        sub = claims["submods"][name]
        assert sub["ear.status"] == want["status"], (name, sub)
        assert sub["ear.trustworthiness-vector"] == want["vector"], (name, sub)
        assert sub["ear.appraisal-policy-id"] == want["policy"], (name, sub)
        assert sub["ear.attestd.reasons"] == want["reasons"], (name, sub)
        if "akpub" in expect:
            akpub = sub["ear.veraison.key-attestation"]["akpub"]
            assert akpub == expect["akpub"], (name, akpub)
            # akpub is a DER SubjectPublicKeyInfo that a third party can load.
            from cryptography.hazmat.primitives.serialization import load_der_public_key
            load_der_public_key(base64.urlsafe_b64decode(akpub + "=="))
        else:
            assert "ear.veraison.key-attestation" not in sub, sub

    # A tampered payload must fail in jwcrypto too (sanity of the harness itself).
    h, p, s = token.split(".")
    forged = json.loads(base64.urlsafe_b64decode(p + "=="))
    forged["ear.status"] = "affirming" if forged["ear.status"] != "affirming" else "warning"
    try:
        jwt.JWT(jwt=".".join([h, b64(json.dumps(forged).encode()), s]), key=keyset, algs=["ES256"])
    except Exception:
        pass
    else:
        raise AssertionError("jwcrypto accepted a tampered token")


def make(d: str, now: int) -> None:
    key = jwk.JWK.generate(kty="EC", crv="P-256", kid="jwcrypto-key-1")
    other = jwk.JWK.generate(kty="EC", crv="P-256", kid="jwcrypto-key-1")
    public = json.loads(key.export_public())
    with open(os.path.join(d, "ext_jwks.json"), "w") as f:
        json.dump({"keys": [dict(public, alg="ES256", use="sig")]}, f)

    nonce = bytes(range(32))
    claims = {
        "eat_profile": PROFILE,
        "iat": now,
        "exp": now + 300,
        "eat_nonce": b64(nonce),
        "ear.verifier-id": {"build": "jwcrypto", "developer": "test"},
        "ear.status": "affirming",
        "submods": {"tpm0": {"ear.status": "affirming",
                             "ear.trustworthiness-vector": {"instance-identity": 2, "executables": 3},
                             "ear.appraisal-policy-id": "policy/x"}},
    }
    header = {"alg": "ES256", "kid": "jwcrypto-key-1", "typ": "JWT"}

    def signed(k, hdr=header, body=claims):
        t = jwt.JWT(header=hdr, claims=body)
        t.make_signed_token(k)
        return t.serialize()

    ok = signed(key)
    tokens = {"ext_ok": ok}
    # Same kid, another key: the signature must not verify.
    tokens["ext_wrong_key"] = signed(other)
    # Payload changed after signing.
    h, p, s = ok.split(".")
    body = dict(claims, **{"ear.status": "contraindicated"})
    tokens["ext_tampered"] = ".".join([h, b64(json.dumps(body).encode()), s])
    # RFC 7519 §6 unsecured JWT.
    tokens["ext_alg_none"] = ".".join([b64(json.dumps({"alg": "none", "kid": "jwcrypto-key-1"}).encode()),
                                       b64(json.dumps(claims).encode()), ""])
    # Algorithm confusion: HS256 keyed with the public key's own bytes (RFC 8725 §2.1).
    hmac_key = jwk.JWK(kty="oct", k=b64(key.export_to_pem()))
    tokens["ext_hs256"] = signed(hmac_key, dict(header, alg="HS256"))
    # ES384 with a P-384 key under the same kid.
    p384 = jwk.JWK.generate(kty="EC", crv="P-384")
    tokens["ext_es384"] = signed(p384, dict(header, alg="ES384"))
    # A DER signature instead of r||s over the same input.
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    der = key.get_op_key("sign").sign((h + "." + p).encode(), ec.ECDSA(hashes.SHA256()))
    tokens["ext_der_signature"] = ".".join([h, p, b64(der)])
    # Expired (beyond any leeway).
    tokens["ext_expired"] = signed(key, header, dict(claims, iat=now - 7200, exp=now - 3600))
    for name, tok in tokens.items():
        with open(os.path.join(d, name + ".jwt"), "w") as f:
            f.write(tok)

    # Sanity: jwcrypto itself accepts ext_ok and refuses the forgeries it can judge.
    jwt.JWT(jwt=ok, key=jwk.JWKSet.from_json(json.dumps({"keys": [public]})), algs=["ES256"])

    # Thumbprints (RFC 7638) computed by jwcrypto for attestd to match.
    rfc = jwk.JWK(**RFC7638_JWK)
    assert rfc.thumbprint() == RFC7638_THUMBPRINT, rfc.thumbprint()
    thumbs = {"rfc7638": {"jwk": RFC7638_JWK, "thumbprint": rfc.thumbprint()}}
    for name, k in (("ec_p256", key),
                    ("ec_p384", p384),
                    ("rsa_2048", jwk.JWK.generate(kty="RSA", size=2048))):
        pub = json.loads(k.export_public())
        pub["kid"] = "ignored-by-thumbprint"
        thumbs[name] = {"jwk": pub, "thumbprint": k.thumbprint()}
    with open(os.path.join(d, "thumbprints.json"), "w") as f:
        json.dump(thumbs, f)


def main() -> int:
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
