// The result-signing key on disk: see signing_key.h for the layout and the rules.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "attestd/result/base64url.h"
#include "attestd/result/reasons.h"
#include "attestd/result/signing_key.h"
#include "ossl.h"

namespace attestd::result {
namespace {

namespace fs = std::filesystem;
using detail::BioPtr;

inline constexpr size_t kMaxKeyFileSize = 64 * 1024;

std::unexpected<Error> fail(std::string_view id, std::string message) {
  detail::clear_errors();
  return std::unexpected(Error{id, std::move(message)});
}

std::unexpected<Error> io_fail(std::string_view what, const fs::path& path) {
  return fail(kSigningKeyIo, fmt::format("{} {}: {}", what, path.string(), std::strerror(errno)));
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
  [[nodiscard]] int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// Reads a whole file that must be a regular file (O_NOFOLLOW: a symlink planted in the data
// directory is not followed) whose mode grants none of forbidden_bits. nullopt-like ENOENT is
// reported through *missing.
std::expected<std::string, Error> read_guarded(const fs::path& path, mode_t forbidden_bits, bool* missing) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT && missing != nullptr) {
      *missing = true;
      return std::string();
    }
    return io_fail("cannot open", path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io_fail("cannot stat", path);
  if (!S_ISREG(st.st_mode)) return fail(kSigningKeyInsecure, fmt::format("{} is not a regular file", path.string()));
  if ((st.st_mode & forbidden_bits) != 0) {
    return fail(kSigningKeyInsecure, fmt::format("{} has mode {:04o}; it must grant nothing in {:04o}", path.string(),
                                                 st.st_mode & 07777, forbidden_bits));
  }
  if (st.st_size < 0 || static_cast<uint64_t>(st.st_size) > kMaxKeyFileSize) {
    return fail(kSigningKeyInvalid, fmt::format("{} is too large", path.string()));
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(fd.get(), out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_fail("cannot read", path);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

std::expected<void, Error> fsync_dir(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) return io_fail("cannot fsync", dir);
  return {};
}

// Writes content to a new temporary file beside target with the given mode, fsync'ed, and returns
// its path. The caller links or renames it into place.
std::expected<fs::path, Error> write_temp(const fs::path& target, std::string_view content, mode_t mode) {
  uint8_t rnd[8];
  if (RAND_bytes(rnd, sizeof(rnd)) != 1) return fail(kSigningKeyCrypto, "RAND_bytes failed");
  const fs::path tmp = target.parent_path() / fmt::format(".{}.tmp-{}", target.filename().string(), base64url_encode(rnd));
  // O_EXCL: never reuse or follow an existing file; the mode is set at creation, so the key is
  // never readable by others even for an instant (umask can only remove bits).
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (fd.get() < 0) return io_fail("cannot create", tmp);
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::unlink(tmp.c_str());
      return io_fail("cannot write", tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd.get(), mode) != 0 || ::fsync(fd.get()) != 0 || ::close(fd.release()) != 0) {
    ::unlink(tmp.c_str());
    return io_fail("cannot finish", tmp);
  }
  return tmp;
}

std::expected<std::vector<VerificationKey>, Error> load_retired(const fs::path& data_dir) {
  const fs::path dir = data_dir / kRetiredKeysDirName;
  std::vector<VerificationKey> out;
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return out;
    return io_fail("cannot stat", dir);
  }
  // Whoever can add a file here can add a key that verifies EARs.
  if (!S_ISDIR(st.st_mode) || (st.st_mode & 022) != 0) {
    return fail(kSigningKeyInsecure, fmt::format("{} must be a directory not writable by group or others", dir.string()));
  }
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".pem") files.push_back(entry.path());
  }
  if (ec) return fail(kSigningKeyIo, fmt::format("cannot list {}: {}", dir.string(), ec.message()));
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    auto pem = read_guarded(file, 022, nullptr);
    if (!pem) return std::unexpected(pem.error());
    BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
    PkeyPtr pkey(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!pkey) return fail(kSigningKeyInvalid, fmt::format("{} is not a PUBLIC KEY PEM", file.string()));
    auto jwk = public_jwk_from_pkey(pkey.get());
    if (!jwk || jwk->type() != JwkType::kEcP256) {
      return fail(kSigningKeyInvalid, fmt::format("{} is not an EC P-256 public key", file.string()));
    }
    auto key = verification_key_from_jwk(jwk->to_json());
    if (!key) return fail(kSigningKeyInvalid, fmt::format("{}: {}", file.string(), key.error().message));
    out.push_back(std::move(*key));
  }
  return out;
}

std::expected<SigningKey, Error> load_or_create_active(const fs::path& data_dir) {
  const fs::path path = data_dir / kSigningKeyFileName;
  bool missing = false;
  auto pem = read_guarded(path, 077, &missing);
  if (!pem) return std::unexpected(pem.error());
  if (!missing) {
    auto key = SigningKey::from_pem(*pem);
    if (!key) return fail(key.error().id, fmt::format("{}: {}", path.string(), key.error().message));
    return key;
  }
  auto key = SigningKey::generate();
  if (!key) return key;
  auto tmp = write_temp(path, key->to_pem(), 0600);
  if (!tmp) return std::unexpected(tmp.error());
  // link(2) fails with EEXIST instead of replacing: when two processes start on an empty data
  // directory at once, exactly one key wins and both use it.
  const int linked = ::link(tmp->c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(tmp->c_str());
  if (linked != 0) {
    if (link_errno != EEXIST) {
      errno = link_errno;
      return io_fail("cannot link", path);
    }
    auto again = read_guarded(path, 077, nullptr);
    if (!again) return std::unexpected(again.error());
    return SigningKey::from_pem(*again);
  }
  if (auto synced = fsync_dir(data_dir); !synced) return std::unexpected(synced.error());
  return key;
}

std::string public_pem(const SigningKey& key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key.verification_key().jwk().pkey()) != 1) {
    detail::clear_errors();
    return {};
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

}  // namespace

std::expected<KeySet, Error> load_or_create_key_set(const fs::path& data_dir) {
  auto active = load_or_create_active(data_dir);
  if (!active) return std::unexpected(active.error());
  auto retired = load_retired(data_dir);
  if (!retired) return std::unexpected(retired.error());
  return KeySet(std::move(*active), std::move(*retired));
}

std::expected<KeySet, Error> rotate_signing_key(const fs::path& data_dir) {
  auto current = load_or_create_key_set(data_dir);
  if (!current) return current;
  const fs::path retired_dir = data_dir / kRetiredKeysDirName;
  if (::mkdir(retired_dir.c_str(), 0700) != 0 && errno != EEXIST) return io_fail("cannot create", retired_dir);
  // The old public key is retired first: if we crash after this step the old key is still active
  // and also listed as retired, which is harmless (KeySet drops the duplicate).
  const std::string pub = public_pem(current->active());
  if (pub.empty()) return fail(kSigningKeyCrypto, "cannot encode the public key");
  const fs::path retired_file = retired_dir / (current->active().kid() + ".pem");
  auto tmp_pub = write_temp(retired_file, pub, 0644);
  if (!tmp_pub) return std::unexpected(tmp_pub.error());
  if (::rename(tmp_pub->c_str(), retired_file.c_str()) != 0) {
    ::unlink(tmp_pub->c_str());
    return io_fail("cannot rename into", retired_file);
  }
  if (auto synced = fsync_dir(retired_dir); !synced) return std::unexpected(synced.error());

  auto next = SigningKey::generate();
  if (!next) return std::unexpected(next.error());
  const fs::path path = data_dir / kSigningKeyFileName;
  auto tmp = write_temp(path, next->to_pem(), 0600);
  if (!tmp) return std::unexpected(tmp.error());
  // rename(2) replaces atomically: a reader sees the old key or the new one, never neither.
  if (::rename(tmp->c_str(), path.c_str()) != 0) {
    ::unlink(tmp->c_str());
    return io_fail("cannot rename into", path);
  }
  if (auto synced = fsync_dir(data_dir); !synced) return std::unexpected(synced.error());
  return load_or_create_key_set(data_dir);
}

}  // namespace attestd::result
