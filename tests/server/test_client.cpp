#include "test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <charconv>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace attestd::server::test {
namespace {

std::string ssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "handshake failed (no OpenSSL error queued)";
  std::array<char, 256> buf{};
  ERR_error_string_n(code, buf.data(), buf.size());
  return buf.data();
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  auto n = lower(name);
  for (const auto& [k, v] : headers) {
    if (k == n) return v;
  }
  return {};
}

SSL_CTX* make_client_ctx(const ClientOptions& o) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (o.allow_legacy) {
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
  }
  SSL_CTX_set_min_proto_version(ctx, o.min_version);
  SSL_CTX_set_max_proto_version(ctx, o.max_version);
  if (!o.tls12_ciphers.empty()) SSL_CTX_set_cipher_list(ctx, o.tls12_ciphers.c_str());
  if (!o.ca_file.empty()) {
    SSL_CTX_load_verify_locations(ctx, o.ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  }
  return ctx;
}

std::expected<TlsClient, std::string> TlsClient::connect(uint16_t port, const ClientOptions& options) {
  // Writing to a connection the server has cut must fail, not kill the test binary.
  static const bool sigpipe_ignored = [] { return std::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)sigpipe_ignored;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::unexpected("socket");
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(options.timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((options.timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return std::unexpected("connect failed");
  }
  SSL_CTX* ctx = make_client_ctx(options);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  // SSL_set_tlsext_host_name is a macro with a C cast.
  static char kHost[] = "localhost";
  SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, kHost);
  if (!options.ca_file.empty()) SSL_set1_host(ssl, "localhost");
  TlsClient client(fd, ctx, ssl);
  if (SSL_connect(ssl) != 1) return std::unexpected(ssl_error());
  return client;
}

TlsClient::TlsClient(TlsClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      ctx_(std::exchange(other.ctx_, nullptr)),
      ssl_(std::exchange(other.ssl_, nullptr)),
      pending_(std::move(other.pending_)) {}

TlsClient& TlsClient::operator=(TlsClient&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = std::exchange(other.fd_, -1);
    ctx_ = std::exchange(other.ctx_, nullptr);
    ssl_ = std::exchange(other.ssl_, nullptr);
    pending_ = std::move(other.pending_);
  }
  return *this;
}

TlsClient::~TlsClient() { reset(); }

void TlsClient::reset() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
  ssl_ = nullptr;
  ctx_ = nullptr;
  fd_ = -1;
}

bool TlsClient::send_raw(std::string_view bytes) {
  while (!bytes.empty()) {
    int n = SSL_write(ssl_, bytes.data(), static_cast<int>(std::min<size_t>(bytes.size(), 1 << 20)));
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::expected<HttpResponse, std::string> TlsClient::request(
    std::string_view method, std::string_view target, const std::vector<std::pair<std::string, std::string>>& headers,
    std::string_view body) {
  std::string req = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n";
  bool has_length = false;
  for (const auto& [k, v] : headers) {
    req += k + ": " + v + "\r\n";
    if (lower(k) == "content-length" || lower(k) == "transfer-encoding") has_length = true;
  }
  if (!has_length && (!body.empty() || method == "POST" || method == "PUT")) {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n";
  req += body;
  if (!send_raw(req)) return std::unexpected("write failed");
  return read_response();
}

std::expected<HttpResponse, std::string> TlsClient::read_response() {
  std::array<char, 16384> buf{};
  auto fill = [&]() -> bool {
    int n = SSL_read(ssl_, buf.data(), static_cast<int>(buf.size()));
    if (n <= 0) return false;
    pending_.append(buf.data(), static_cast<size_t>(n));
    return true;
  };
  size_t end = 0;
  while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) return std::unexpected("connection closed before a response header");
  }
  std::string_view head(pending_.data(), end);
  HttpResponse r;
  auto line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.1 ")) return std::unexpected("bad status line");
  std::from_chars(status_line.data() + 9, status_line.data() + 12, r.status);
  size_t content_length = 0;
  std::string_view rest = line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
  while (!rest.empty()) {
    auto e = rest.find("\r\n");
    std::string_view line = rest.substr(0, e);
    rest = e == std::string_view::npos ? std::string_view() : rest.substr(e + 2);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name = lower(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (name == "content-length") std::from_chars(value.data(), value.data() + value.size(), content_length);
    r.headers.emplace_back(std::move(name), std::string(value));
  }
  pending_.erase(0, end + 4);
  while (pending_.size() < content_length) {
    if (!fill()) return std::unexpected("connection closed in the body");
  }
  r.body = pending_.substr(0, content_length);
  pending_.erase(0, content_length);
  return r;
}

bool TlsClient::wait_closed(std::chrono::milliseconds within) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(within.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((within.count() % 1000) * 1000);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::array<char, 256> buf{};
  int n = SSL_read(ssl_, buf.data(), static_cast<int>(buf.size()));
  if (n > 0) return false;
  int err = SSL_get_error(ssl_, n);
  ERR_clear_error();
  // ZERO_RETURN: close_notify; SYSCALL with EOF or reset: closed without it. A timeout shows
  // as SYSCALL with EAGAIN.
  if (err == SSL_ERROR_ZERO_RETURN) return true;
  if (err == SSL_ERROR_SYSCALL) return errno != EAGAIN && errno != EWOULDBLOCK;
  return err == SSL_ERROR_SSL;
}

int TlsClient::protocol_version() const { return SSL_version(ssl_); }
std::string TlsClient::cipher() const { return SSL_get_cipher_name(ssl_); }

std::string TlsClient::peer_certificate_der() const {
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr) return {};
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(std::max(len, 0)));
  OPENSSL_free(der);
  X509_free(cert);
  return out;
}

std::expected<HttpResponse, std::string> fetch(uint16_t port, std::string_view method, std::string_view target,
                                               const std::vector<std::pair<std::string, std::string>>& headers,
                                               std::string_view body) {
  auto c = TlsClient::connect(port);
  if (!c) return std::unexpected(c.error());
  return c->request(method, target, headers, body);
}

}  // namespace attestd::server::test
