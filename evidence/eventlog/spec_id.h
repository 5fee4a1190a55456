// The Spec ID header event (internal to the parser).
#pragma once

#include <expected>
#include <string_view>

#include "attestd/evidence/error.h"
#include "attestd/evidence/eventlog/event_log.h"

namespace attestd::evidence::eventlog {

using namespace std::string_view_literals;

// Signatures are 16 bytes, NUL included.
inline constexpr std::string_view kSpecIdSignature03 = "Spec ID Event03\0"sv;  // TPM 2.0, PFP 1.04 §9.4.5.1
inline constexpr std::string_view kSpecIdSignature00 = "Spec ID Event00\0"sv;  // TPM 1.2, PC Client BIOS spec
inline constexpr std::string_view kSpecIdSignature02 = "Spec ID Event02\0"sv;  // TPM 1.2, TCG EFI Platform 1.22

// Validates the crypto-agile header event (a TCG_PCR_EVENT whose data starts with
// kSpecIdSignature03) and returns its fields; kParseSpecIdInvalid otherwise.
std::expected<SpecIdEvent, Error> parse_spec_id_event03(const Event& header);

// The TPM 1.2 TCG_PCClientSpecIDEventStruct at the head of a legacy log; kParseSpecIdInvalid when
// malformed.
std::expected<SpecIdEvent, Error> parse_spec_id_legacy(const Event& header);

}  // namespace attestd::evidence::eventlog
