// Fixed inputs shared by the HTTP request-path fuzzer and its seed generator: the software AKs of
// the fuzz hosts (the harness registers their public halves, make_seeds signs quotes with them),
// the nonce of every fuzz challenge and the TEE key the key-release seeds bind. They must stay
// fixed: the committed seeds carry quotes signed over this nonce by these keys. Test keys, made
// for this purpose with `openssl genpkey`; they protect nothing.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace attestd::fuzz_http {

// RSA-2048 AK of host "vm-pcr" (RSASSA-SHA256 quotes).
inline constexpr std::string_view kRsaAkPem = R"(
-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCOQbDcccMjkcT4
cVSkUYbc3lV4nHYpRX1PxsdgoXq/yEcSVVnkQ/r/+bZP4olLaskfcufZHcM+17q9
gbXf7x7cpbbAXBo6nrwoJdBzTxuTm+35vZ1ssR7gxgZrkNL7/KrrV8uhK+ZEMpPp
1ldd49ujga7vbYf+s9Q69DBMvzobToQQyJIQpIIQiVhdkblsdaC6iM3dYXqtyBw3
ViySKDsArbkipQwEFxX8qB0P0ltibWempfwEtwKCl6xpE4mKrlkZzy8zWq1CN66W
0eU07sbHzVbVmqz3tOa7Y0w6GYmacSCqSAA6aAkHkpaUAtGXzM7mgi9wimlDuL1x
j6digHUZAgMBAAECggEABJdV6Q1yX/Thy6djtRBtBvaVgViiXyNfH5qhn2qiwqsI
8SxoQ+vWP1nssoAUEIcsIcvUc/9ICICPpjNYHneyEiq2fteSIKN0HOMYisoqMI3D
JNDj8mi2f4hgl2rjhk6xqPoKyEM5kaikubKpW+5BTdH/BnrtXVDqN/Ne1jFDQ7ON
EVkDnBt7/sW6QxlN4J/y6IHUbG11nNBj3FNmH8prOCHxOBHTcNoh6M7gywuZctWR
brpL33KJTS0QMcxoJ/iJxXo+TxIQkLwiJjd5x0QF/u4N0/nradVTPL5v/5WPhQvc
J+K/xqUSi2/fj04w0dULCQG+ri+qvOexDHF5JZSvkQKBgQDCiFqhF4oNoVXBQr6z
9W/Q2Uf41UGQoqqiaQzzrgXaVSMS7fhsyx0MM555AHuFhBYIf5RjJ7xN+E5mrOLy
aq+YQgCSJOfyZqPr2XX22Zh9cP96gmBk+SMmp5r+VVxpdDm5n1J3dlMRRlfRtRIA
YZjgpQPac3KqzFU9mOg/aoEpiQKBgQC7NMFmEqzgk5sCQVHlqC7iNON2q6OrQTOS
zaJiXg4DOfKatMhG2M6dwWC2PUEFHBTNLmTPb0n7ZPqhuMniWMBQ+e/Fq5/29bI+
qld/tBApXJuSCZRQGnBGsBsPwWuVBiRgOFfHQxgbWj2JvV59AA6jZ+7W/IlMHJeY
N9gBT6FbEQKBgDEqrV1Ryb6wLDBwYiqxudUbVal6nNulgWMTEgb00N3h7r92DffR
TkIrOb5zdMTGIZt8Q1DcVieOvqIMyD9k34SoCeTmFwmZD40opTwCuxvZV3jrQtnC
bjPy4KWvhW/RxFU6A2nWKiCPmtqR3T7ja/Q7QMIRs8WfZ1vuLaT5kjOhAoGANG5T
GDZ0yrUsfdYzjMGs19f+OPdbcJRjUGNdbnVvMUIii2fEi+se+xn07zV6p2a1AL5U
p7BApTMj6vVpPYaj3koR+GfX9n/buydUOEUDHcJ9I8qhCkpNVc7u1VvTuLoup/A/
zWQiNU7x20j5VMMWVne+ceHqxjFf19cUHVHjHDECgYBuN22SmnMtLTHz6kr9ZDY6
+FKvItNzH+zy4HAWRagpvnGMXDM58VP4ThoWJnQccwpTeV2O4W8wc4jIVPcdoMLX
ikpvTL+DwcTgQkahVgUwuaJPyQSIz8wRUPljy8X/+8fZgrCMlasKLUoEE4ca3qJt
nFZgWv36Ed4JLVlsBrQPoQ==
-----END PRIVATE KEY-----
)";

// ECC P-256 AK of host "vm-events" (ECDSA-SHA256 quotes).
inline constexpr std::string_view kEccAkPem = R"(
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgljAW4yDZWfm4sbRK
ayst4rLIomsvKMmqwd7mtzf/r6ShRANCAASIwY3Fbx4dcYWITMpSgrogOQLMVgQb
3HZ21LpO8xOWhb1/0uGfSAfCqNC1IsLkzOaGOsudHb2YS/RO1ti3QqGW
-----END PRIVATE KEY-----
)";

// The nonce of every fuzz challenge: the nonce of the real H100 report in
// ../shared/testdata/go-nvtrust/pkg/gonvtrust/mocks/attestationReport.txt (nvtrust config.NONCE),
// so that this report verifies as GPU evidence bound to the challenge (without a TEE key).
inline constexpr std::array<uint8_t, 32> kNonce = {
    0x4c, 0xff, 0x7f, 0x53, 0x80, 0xea, 0xd8, 0xfa, 0xd8, 0xec, 0x2c, 0x53, 0x1c, 0x11, 0x0a, 0xca,
    0x43, 0x02, 0xa8, 0x8f, 0x60, 0x37, 0x92, 0x80, 0x1a, 0x8c, 0xa2, 0x9e, 0xe1, 0x51, 0xaf, 0x2e};

// Public EC P-256 JWK the key-release seeds send as tee_public_key (private half discarded).
inline constexpr std::string_view kTeeJwk =
    R"({"kty":"EC","crv":"P-256","x":"DjjPS0TeGyA4DtDESdhmq9M2tEeJItq2NfM5SawendQ","y":"vzs3IRXq0hMhaQPdWmn3_jNrata-oW6qASABo5zZDH4"})";

// The harness's clock: every request runs at this instant (2026-06-01T00:00:00Z), so verdicts
// do not depend on when the fuzzer runs.
inline constexpr int64_t kNowUnixSeconds = 1780272000;

}  // namespace attestd::fuzz_http
