// The key-encryption key (KEK) of the key broker and the AES-256-GCM sealing of stored secrets
// (DESIGN §5: "key material is stored only encrypted, under a key that is not in the database").
//
// The KEK is 32 random bytes in a file outside the database (default `<data dir>/key-encryption-key`,
// config `key_encryption_key`), created with mode 0600 on first start. A file that group or others
// may read or write, that is not a regular file, that is not owned by the effective user, or that
// is not exactly 32 bytes is refused: the service does not start.
//
// Sealing binds each ciphertext to where it belongs: the AES-GCM additional data is
//   "attestd-key-v1" 0x00 tenant_id 0x00 key name 0x00 decimal version
// (ids and names contain no NUL), so a row copied to another tenant, key or version fails to open.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attestd/evidence/error.h"

namespace attestd::broker {

using Error = attestd::evidence::Error;

inline constexpr std::string_view kKekFileName = "key-encryption-key";
inline constexpr size_t kKekSize = 32;
inline constexpr size_t kSealNonceSize = 12;  // AES-GCM 96-bit IV (NIST SP 800-38D §8.2.2)
inline constexpr size_t kSealTagSize = 16;

// Reason ids.
inline constexpr std::string_view kKekIo = "kek.io_error";
// Group/other permission bits set, not a regular file, or owned by someone else.
inline constexpr std::string_view kKekInsecure = "kek.insecure_permissions";
// The file is not exactly 32 bytes.
inline constexpr std::string_view kKekInvalid = "kek.invalid";
// A sealed secret does not open: wrong KEK, or the row was moved or altered.
inline constexpr std::string_view kSealOpenFailed = "kek.unseal_failed";
inline constexpr std::string_view kSealCrypto = "kek.crypto_error";

// Where a sealed secret belongs; the additional data of its encryption.
struct SealContext {
  std::string_view tenant_id;
  std::string_view key_name;
  int64_t version = 0;
};

struct Sealed {
  std::array<uint8_t, kSealNonceSize> nonce{};
  std::vector<uint8_t> ciphertext;  // ciphertext ‖ 16-byte tag
};

// A secret held in memory only; wiped (OPENSSL_cleanse) when destroyed. Move-only.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t n) : bytes_(n) {}
  SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) { other.bytes_.clear(); }
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();
  [[nodiscard]] std::span<uint8_t> span() { return bytes_; }
  [[nodiscard]] std::span<const uint8_t> span() const { return bytes_; }
  [[nodiscard]] size_t size() const { return bytes_.size(); }
  void resize(size_t n);  // wipes what it drops

 private:
  std::vector<uint8_t> bytes_;
};

class Kek {
 public:
  // Loads the KEK at path, creating it (32 bytes from OpenSSL's DRBG, mode 0600, O_EXCL) when it
  // does not exist. Fails with kek.insecure_permissions, kek.invalid or kek.io_error.
  static std::expected<Kek, Error> load_or_create(const std::filesystem::path& path);
  // A KEK from bytes (tests, benchmarks).
  static Kek from_bytes(std::span<const uint8_t, kKekSize> bytes);

  // A short public id of the KEK (hex of the first 8 bytes of SHA-256("attestd-kek-id" ‖ KEK)),
  // stored beside each ciphertext so that a replaced KEK is named, not guessed.
  [[nodiscard]] const std::string& id() const;

  // AES-256-GCM with a fresh random nonce. Fails with kek.crypto_error.
  [[nodiscard]] std::expected<Sealed, Error> seal(const SealContext& where, std::span<const uint8_t> plaintext) const;
  // Opens what seal() made for the same context. Fails with kek.unseal_failed.
  [[nodiscard]] std::expected<SecretBytes, Error> open(const SealContext& where, std::span<const uint8_t> nonce,
                                                       std::span<const uint8_t> ciphertext) const;

 private:
  struct Impl;
  explicit Kek(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace attestd::broker
