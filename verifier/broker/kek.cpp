// The key-encryption key file and AES-256-GCM sealing of stored secrets.
#include "attestd/broker/kek.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <fmt/format.h>

namespace attestd::broker {
namespace fs = std::filesystem;

namespace {

std::unexpected<Error> fail(std::string_view id, std::string message) {
  return std::unexpected(Error{id, std::move(message)});
}

std::unexpected<Error> io_fail(std::string_view what, const fs::path& path) {
  return fail(kKekIo, fmt::format("{} {}: {}", what, path.string(), std::strerror(errno)));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

// "attestd-key-v1" 0x00 tenant 0x00 name 0x00 version: NUL-separated so that no two contexts give
// the same bytes (tenant ids are hex and key names [A-Za-z0-9._-], neither contains NUL).
std::string additional_data(const SealContext& where) {
  std::string aad = "attestd-key-v1";
  aad.push_back('\0');
  aad.append(where.tenant_id);
  aad.push_back('\0');
  aad.append(where.key_name);
  aad.push_back('\0');
  aad.append(std::to_string(where.version));
  return aad;
}

std::expected<void, Error> write_new(const fs::path& path, std::span<const uint8_t> bytes) {
  // O_EXCL | O_NOFOLLOW: never reuse or follow something planted there; mode 0600 from creation.
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.get() < 0) return io_fail("cannot create", path);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_fail("cannot write", path);
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd.get(), 0600) != 0 || ::fsync(fd.get()) != 0) return io_fail("cannot finish", path);
  Fd dir(::open(path.parent_path().empty() ? "." : path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ::fsync(dir.get()) != 0) return io_fail("cannot fsync the directory of", path);
  return {};
}

}  // namespace

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

SecretBytes::~SecretBytes() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

void SecretBytes::resize(size_t n) {
  if (n < bytes_.size()) OPENSSL_cleanse(bytes_.data() + n, bytes_.size() - n);
  bytes_.resize(n);
}

struct Kek::Impl {
  std::array<uint8_t, kKekSize> key{};
  std::string id;
  ~Impl() { OPENSSL_cleanse(key.data(), key.size()); }
};

Kek::Kek(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Kek Kek::from_bytes(std::span<const uint8_t, kKekSize> bytes) {
  auto impl = std::make_shared<Impl>();
  std::copy(bytes.begin(), bytes.end(), impl->key.begin());
  std::string input = "attestd-kek-id";
  input.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::array<uint8_t, 32> digest{};
  SHA256(reinterpret_cast<const uint8_t*>(input.data()), input.size(), digest.data());
  OPENSSL_cleanse(input.data(), input.size());
  for (size_t i = 0; i < 8; ++i) impl->id += fmt::format("{:02x}", digest[i]);
  return Kek(std::move(impl));
}

std::expected<Kek, Error> Kek::load_or_create(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno != ENOENT) return io_fail("cannot open", path);
    std::array<uint8_t, kKekSize> fresh{};
    if (RAND_bytes(fresh.data(), kKekSize) != 1) return fail(kSealCrypto, "RAND_bytes failed");
    auto written = write_new(path, fresh);
    Kek kek = from_bytes(fresh);
    OPENSSL_cleanse(fresh.data(), fresh.size());
    if (!written) return std::unexpected(written.error());
    return kek;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io_fail("cannot stat", path);
  if (!S_ISREG(st.st_mode)) return fail(kKekInsecure, fmt::format("{} is not a regular file", path.string()));
  if ((st.st_mode & 077) != 0) {
    return fail(kKekInsecure, fmt::format("{} has mode {:04o}; group and others must have no access", path.string(),
                                          st.st_mode & 07777));
  }
  if (st.st_uid != ::geteuid()) {
    return fail(kKekInsecure, fmt::format("{} is owned by uid {}, not by this process (uid {})", path.string(),
                                          st.st_uid, ::geteuid()));
  }
  if (st.st_size != static_cast<off_t>(kKekSize)) {
    return fail(kKekInvalid, fmt::format("{} must hold exactly {} bytes", path.string(), kKekSize));
  }
  std::array<uint8_t, kKekSize + 1> buf{};  // one more to notice a file that grew meanwhile
  size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n = ::read(fd.get(), buf.data() + done, buf.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_fail("cannot read", path);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  if (done != kKekSize) {
    OPENSSL_cleanse(buf.data(), buf.size());
    return fail(kKekInvalid, fmt::format("{} must hold exactly {} bytes", path.string(), kKekSize));
  }
  Kek kek = from_bytes(std::span<const uint8_t, kKekSize>(buf.data(), kKekSize));
  OPENSSL_cleanse(buf.data(), buf.size());
  return kek;
}

const std::string& Kek::id() const { return impl_->id; }

std::expected<Sealed, Error> Kek::seal(const SealContext& where, std::span<const uint8_t> plaintext) const {
  Sealed out;
  if (RAND_bytes(out.nonce.data(), static_cast<int>(out.nonce.size())) != 1) {
    return fail(kSealCrypto, "RAND_bytes failed");
  }
  const std::string aad = additional_data(where);
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  out.ciphertext.resize(plaintext.size() + kSealTagSize);
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, impl_->key.data(), out.nonce.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const uint8_t*>(aad.data()),
                        static_cast<int>(aad.size())) != 1) {
    return fail(kSealCrypto, "AES-256-GCM setup failed");
  }
  size_t produced = 0;
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx.get(), out.ciphertext.data(), &len, plaintext.data(),
                          static_cast<int>(plaintext.size())) != 1) {
      return fail(kSealCrypto, "AES-256-GCM failed");
    }
    produced = static_cast<size_t>(len);
  }
  if (EVP_EncryptFinal_ex(ctx.get(), out.ciphertext.data() + produced, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kSealTagSize),
                          out.ciphertext.data() + plaintext.size()) != 1) {
    return fail(kSealCrypto, "AES-256-GCM final failed");
  }
  return out;
}

std::expected<SecretBytes, Error> Kek::open(const SealContext& where, std::span<const uint8_t> nonce,
                                            std::span<const uint8_t> ciphertext) const {
  if (nonce.size() != kSealNonceSize || ciphertext.size() < kSealTagSize) {
    return fail(kSealOpenFailed, "sealed secret has a bad nonce or is shorter than its tag");
  }
  const size_t body = ciphertext.size() - kSealTagSize;
  const std::string aad = additional_data(where);
  SecretBytes out(body);
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, impl_->key.data(), nonce.data()) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const uint8_t*>(aad.data()),
                        static_cast<int>(aad.size())) != 1) {
    return fail(kSealCrypto, "AES-256-GCM setup failed");
  }
  if (body > 0 &&
      EVP_DecryptUpdate(ctx.get(), out.span().data(), &len, ciphertext.data(), static_cast<int>(body)) != 1) {
    return fail(kSealOpenFailed, "AES-256-GCM failed");
  }
  std::array<uint8_t, kSealTagSize> tag{};
  std::copy(ciphertext.begin() + static_cast<std::ptrdiff_t>(body), ciphertext.end(), tag.begin());
  uint8_t final_block[16];
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kSealTagSize), tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), final_block, &len) != 1) {
    // The tag does not match: wrong KEK, or the row was moved to another tenant, key or version.
    return fail(kSealOpenFailed, fmt::format("the sealed secret of {} version {} does not open under KEK {}",
                                             where.key_name, where.version, impl_->id));
  }
  return out;
}

}  // namespace attestd::broker
