#!/usr/bin/python3
"""Encrypts a plaintext to a public JWK with python3-jwcrypto, an implementation independent of the
agent's, the way attestd's key broker does (compact JWE, enc A256GCM).

usage: make_jwe.py ALG PUBLIC_JWK_JSON PLAINTEXT_HEX   prints the compact JWE
"""
import json
import sys

from jwcrypto import jwe, jwk

alg, public, plaintext = sys.argv[1], jwk.JWK(**json.loads(sys.argv[2])), bytes.fromhex(sys.argv[3])
token = jwe.JWE(plaintext, protected={"alg": alg, "enc": "A256GCM", "kid": "k:1"})
token.add_recipient(public)
print(token.serialize(compact=True))
