// EFI_SIGNATURE_LIST sequences (UEFI 2.10 §32.4.1): the data of PK, KEK, db and dbx.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/eventlog/guid.h"

namespace attestd::evidence::eventlog {

// One EFI_SIGNATURE_DATA with the SignatureType of the list that holds it.
struct EfiSignature {
  Guid type;   // guids::cert_sha256(), guids::cert_x509(), …
  Guid owner;  // SignatureOwner
  // SignatureData (a SHA-256 hash, a DER certificate, …), borrowed from the input.
  std::span<const uint8_t> data;
};

// Decodes a whole sequence of EFI_SIGNATURE_LISTs, flattening their entries in order. An empty
// input is an empty sequence (an empty dbx). Fails with kEventDataInvalid when a list's sizes are
// inconsistent (SignatureListSize below its header, SignatureSize below 16 or not dividing the
// entries, a list running past the end). The spans borrow from `bytes`.
std::expected<std::vector<EfiSignature>, Error> decode_signature_lists(std::span<const uint8_t> bytes);

}  // namespace attestd::evidence::eventlog
