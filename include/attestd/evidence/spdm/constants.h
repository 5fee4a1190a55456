// SPDM wire constants (DSP0274 1.0 - 1.3): versions, request/response codes, field sizes and
// algorithm bits, named once so that every parser and test uses the same values.
#pragma once

#include <cstddef>
#include <cstdint>

namespace attestd::evidence::spdm {

// SPDMVersion byte: major nibble . minor nibble (DSP0274 clause 9.1, Table 2).
inline constexpr uint8_t kVersion10 = 0x10;
inline constexpr uint8_t kVersion11 = 0x11;
inline constexpr uint8_t kVersion12 = 0x12;
inline constexpr uint8_t kVersion13 = 0x13;
inline constexpr bool is_supported_version(uint8_t v) { return v >= kVersion10 && v <= kVersion13; }

// RequestResponseCode (DSP0274 1.3 Tables 4 and 5).
inline constexpr uint8_t kCodeGetVersion = 0x84;
inline constexpr uint8_t kCodeVersion = 0x04;
inline constexpr uint8_t kCodeGetCapabilities = 0xE1;
inline constexpr uint8_t kCodeCapabilities = 0x61;
inline constexpr uint8_t kCodeNegotiateAlgorithms = 0xE3;
inline constexpr uint8_t kCodeAlgorithms = 0x63;
inline constexpr uint8_t kCodeGetDigests = 0x81;
inline constexpr uint8_t kCodeDigests = 0x01;
inline constexpr uint8_t kCodeGetCertificate = 0x82;
inline constexpr uint8_t kCodeCertificate = 0x02;
inline constexpr uint8_t kCodeChallenge = 0x83;
inline constexpr uint8_t kCodeChallengeAuth = 0x03;
inline constexpr uint8_t kCodeGetMeasurements = 0xE0;
inline constexpr uint8_t kCodeMeasurements = 0x60;
inline constexpr uint8_t kCodeError = 0x7F;
inline constexpr bool is_request_code(uint8_t code) { return code >= 0x80; }

// Every message starts with SPDMVersion, RequestResponseCode, Param1, Param2.
inline constexpr size_t kHeaderSize = 4;
inline constexpr size_t kNonceSize = 32;
inline constexpr size_t kRequesterContextSize = 8;
// OpaqueDataLength limit (DSP0274 1.2 Table 45 / 1.3 Table 56).
inline constexpr size_t kMaxOpaqueDataLength = 1024;

// GET_MEASUREMENTS Param1 request attributes (DSP0274 1.3 Table 50).
inline constexpr uint8_t kAttrSignatureRequested = 0x01;
inline constexpr uint8_t kAttrRawBitStreamRequested = 0x02;
inline constexpr uint8_t kAttrNewMeasurementRequested = 0x04;
// GET_MEASUREMENTS Param2 operations.
inline constexpr uint8_t kOperationCountOnly = 0x00;
inline constexpr uint8_t kOperationAll = 0xFF;
// SlotIDParam 0xF: the pre-provisioned public key (DSP0274 1.2+).
inline constexpr uint8_t kSlotProvisionedKey = 0x0F;

// MEASUREMENTS Param2 (DSP0274 1.3 Table 55): SlotID bits[3:0], ContentChanged bits[5:4].
inline constexpr uint8_t kSlotIdMask = 0x0F;
inline constexpr uint8_t kContentChangedMask = 0x30;

// Measurement block (DSP0274 1.3 Table 57) and DMTF measurement (Table 58).
inline constexpr uint8_t kMeasurementSpecDmtf = 0x01;
inline constexpr size_t kBlockHeaderSize = 4;      // Index, MeasurementSpecification, MeasurementSize
inline constexpr size_t kDmtfHeaderSize = 3;       // ValueType, ValueSize
inline constexpr uint8_t kValueTypeRawBitStream = 0x80;
inline constexpr uint8_t kValueTypeMask = 0x7F;

// ALGORITHMS BaseAsymSel bits (DSP0274 1.3 Table 21).
inline constexpr uint32_t kAsymRsassa2048 = 0x001;
inline constexpr uint32_t kAsymRsapss2048 = 0x002;
inline constexpr uint32_t kAsymRsassa3072 = 0x004;
inline constexpr uint32_t kAsymRsapss3072 = 0x008;
inline constexpr uint32_t kAsymEcdsaP256 = 0x010;
inline constexpr uint32_t kAsymRsassa4096 = 0x020;
inline constexpr uint32_t kAsymRsapss4096 = 0x040;
inline constexpr uint32_t kAsymEcdsaP384 = 0x080;
inline constexpr uint32_t kAsymEcdsaP521 = 0x100;
inline constexpr uint32_t kAsymSm2 = 0x200;
inline constexpr uint32_t kAsymEd25519 = 0x400;
inline constexpr uint32_t kAsymEd448 = 0x800;

// ALGORITHMS BaseHashSel bits (DSP0274 1.3 Table 21).
inline constexpr uint32_t kHashSha256 = 0x01;
inline constexpr uint32_t kHashSha384 = 0x02;
inline constexpr uint32_t kHashSha512 = 0x04;
inline constexpr uint32_t kHashSha3_256 = 0x08;
inline constexpr uint32_t kHashSha3_384 = 0x10;
inline constexpr uint32_t kHashSha3_512 = 0x20;
inline constexpr uint32_t kHashSm3 = 0x40;

// ALGORITHMS MeasurementHashAlgo bits (DSP0274 1.3 Table 21).
inline constexpr uint32_t kMeasHashRawOnly = 0x01;
inline constexpr uint32_t kMeasHashSha256 = 0x02;
inline constexpr uint32_t kMeasHashSha384 = 0x04;
inline constexpr uint32_t kMeasHashSha512 = 0x08;
inline constexpr uint32_t kMeasHashSha3_256 = 0x10;
inline constexpr uint32_t kMeasHashSha3_384 = 0x20;
inline constexpr uint32_t kMeasHashSha3_512 = 0x40;
inline constexpr uint32_t kMeasHashSm3 = 0x80;

}  // namespace attestd::evidence::spdm
