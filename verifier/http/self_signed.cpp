#include "attestd/server/self_signed.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace attestd::server {
namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const { Free(p); }
};
using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO_free>>;
using Ext = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using Bn = std::unique_ptr<BIGNUM, Deleter<BN_free>>;

std::unexpected<std::string> openssl_error(std::string_view what) {
  unsigned long code = ERR_get_error();
  std::array<char, 256> buf{};
  ERR_error_string_n(code, buf.data(), buf.size());
  ERR_clear_error();
  return std::unexpected(fmt::format("{}: {}", what, code != 0 ? buf.data() : "unknown OpenSSL error"));
}

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

bool add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  Ext ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

// Writes `data` to `path` with `mode` through a temporary file and rename(2), so that readers
// never see a partial file and a crash never leaves a half-written key.
std::expected<void, std::string> write_file_atomically(const std::filesystem::path& path, const std::string& data,
                                                       mode_t mode) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return std::unexpected(fmt::format("{}: {}", tmp.string(), std::strerror(errno)));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return std::unexpected(fmt::format("{}: {}", tmp.string(), std::strerror(e)));
    }
    done += static_cast<size_t>(n);
  }
  // The umask may have narrowed the mode; 0600 for the key is what we promise, so say it again.
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return std::unexpected(fmt::format("{}: {}", tmp.string(), std::strerror(errno)));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return std::unexpected(fmt::format("{}: {}", path.string(), std::strerror(e)));
  }
  return {};
}

}  // namespace

std::expected<PemPair, std::string> generate_self_signed(const SelfSignedOptions& options) {
  PKey key(EVP_EC_gen("P-256"));
  if (!key) return openssl_error("generating a P-256 key");

  Cert cert(X509_new());
  if (!cert) return openssl_error("X509_new");
  if (X509_set_version(cert.get(), 2) != 1) return openssl_error("X509_set_version");  // v3

  // 64 random bits, top bit cleared so the INTEGER stays positive (RFC 5280 §4.1.2.2).
  std::array<unsigned char, 8> serial{};
  if (RAND_bytes(serial.data(), static_cast<int>(serial.size())) != 1) return openssl_error("RAND_bytes");
  serial[0] &= 0x7F;
  serial[0] |= 0x01;
  Bn bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return openssl_error("serial number");
  }

  const long validity_s = static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(options.validity).count());
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), validity_s) == nullptr) {
    return openssl_error("validity");
  }

  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(options.common_name.c_str()), -1, -1,
                                 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1) {
    return openssl_error("subject name");
  }
  if (X509_set_pubkey(cert.get(), key.get()) != 1) return openssl_error("X509_set_pubkey");

  std::string san;
  auto add_name = [&san](std::string_view kind, const std::string& value) {
    if (!san.empty()) san += ',';
    san += kind;
    san += value;
  };
  for (const auto& d : options.dns_names) add_name("DNS:", d);
  for (const auto& ip : options.ip_addresses) add_name("IP:", ip);
  // CA:FALSE and serverAuth: the certificate is pinned by clients (curl --cacert) as its own
  // trust anchor and must not be usable to issue others.
  if (!add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension(cert.get(), NID_key_usage, "critical,digitalSignature") ||
      !add_extension(cert.get(), NID_ext_key_usage, "serverAuth") ||
      !add_extension(cert.get(), NID_subject_key_identifier, "hash") ||
      (!san.empty() && !add_extension(cert.get(), NID_subject_alt_name, san))) {
    return openssl_error("certificate extensions");
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return openssl_error("X509_sign");

  Bio cert_bio(BIO_new(BIO_s_mem()));
  Bio key_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return openssl_error("PEM encoding");
  }
  return PemPair{bio_string(cert_bio.get()), bio_string(key_bio.get())};
}

std::expected<TlsFilesOutcome, std::string> ensure_tls_files(const std::filesystem::path& certificate,
                                                             const std::filesystem::path& private_key,
                                                             const SelfSignedOptions& options) {
  std::error_code ec;
  const bool have_cert = std::filesystem::exists(certificate, ec);
  const bool have_key = std::filesystem::exists(private_key, ec);
  if (have_cert && have_key) return TlsFilesOutcome::existing;
  if (have_cert != have_key) {
    return std::unexpected(fmt::format("{} exists but {} does not; refusing to replace key material",
                                       (have_cert ? certificate : private_key).string(),
                                       (have_cert ? private_key : certificate).string()));
  }
  for (const auto& p : {certificate, private_key}) {
    if (p.has_parent_path()) {
      std::filesystem::create_directories(p.parent_path(), ec);
      if (ec) return std::unexpected(fmt::format("{}: {}", p.parent_path().string(), ec.message()));
    }
  }
  auto pems = generate_self_signed(options);
  if (!pems) return std::unexpected(pems.error());
  // A crash between the two renames leaves one file without the other; the next start reports
  // that rather than guessing which one to trust.
  if (auto r = write_file_atomically(private_key, pems->private_key_pem, 0600); !r) return std::unexpected(r.error());
  if (auto r = write_file_atomically(certificate, pems->certificate_pem, 0644); !r) return std::unexpected(r.error());
  return TlsFilesOutcome::generated;
}

}  // namespace attestd::server
