// Decryption of the JWEs attestd releases keys in (RFC 7516 compact serialisation) with the
// agent's ephemeral private key. Only what the key broker sends is accepted, everything else is
// refused before any key is touched:
//   alg RSA-OAEP-256   (RFC 7518 §4.3; the CEK under RSAES-OAEP, SHA-256 and MGF1-SHA-256)
//   alg ECDH-ES+A256KW (RFC 7518 §4.6; Concat KDF over ECDH(epk, key), then AES key wrap)
//   enc A256GCM        (RFC 7518 §5.3; AAD = ASCII(BASE64URL(protected header)))
// No "zip", no "crit".
#pragma once

#include <expected>
#include <string_view>

#include "codec.h"
#include "ephemeral_key.h"
#include "error.h"

namespace attestd::agent {

// The plaintext. Fails with jwe.malformed (not five base64url parts, header not a JSON object,
// bad IV / tag sizes), jwe.alg_unsupported, jwe.enc_unsupported, jwe.header_unsupported (zip,
// crit), jwe.key_mismatch (alg does not fit the key's type, epk not on the key's curve),
// jwe.key_unwrap_failed (OAEP or AES key wrap refused the encrypted key) or jwe.decrypt_failed
// (the GCM tag does not verify). `key` is only used during the call.
std::expected<Bytes, Error> jwe_decrypt(std::string_view compact, const EphemeralKey& key);

}  // namespace attestd::agent
