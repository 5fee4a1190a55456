#include "attestd/client/https_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <stdexcept>

// Boost arrives as system headers; the pragmas keep warnings of templates instantiated here out of
// -Werror builds (as verifier/http/beast.h does).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
#pragma GCC diagnostic ignored "-Woverloaded-virtual"
#pragma GCC diagnostic ignored "-Wcast-align"
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#pragma GCC diagnostic pop

namespace attestd::client {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {


bool is_ip_literal(const std::string& host) {
  in6_addr a6{};
  in_addr a4{};
  return inet_pton(AF_INET, host.c_str(), &a4) == 1 || inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

struct SessionFree {
  void operator()(SSL_SESSION* s) const { SSL_SESSION_free(s); }
};

}  // namespace

Url Url::parse(std::string_view text) {
  constexpr std::string_view kScheme = "https://";
  if (!text.starts_with(kScheme)) throw std::runtime_error("the URL must start with https://");
  text.remove_prefix(kScheme.size());
  if (text.ends_with('/')) text.remove_suffix(1);
  if (text.empty()) throw std::runtime_error("the URL has no host");
  Url u;
  std::string_view rest;
  if (text.front() == '[') {  // IPv6 literal: [addr][:port]
    const auto close = text.find(']');
    if (close == std::string_view::npos) throw std::runtime_error("unterminated IPv6 address in the URL");
    u.host = std::string(text.substr(1, close - 1));
    rest = text.substr(close + 1);
  } else {
    const auto colon = text.find(':');
    u.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) rest = text.substr(colon);
  }
  if (rest.empty()) {
    u.port = "443";
  } else {
    if (rest.front() != ':') throw std::runtime_error("unexpected characters after the URL's host");
    u.port = std::string(rest.substr(1));
  }
  if (u.host.empty()) throw std::runtime_error("the URL has no host");
  if (u.port.empty() || u.port.find_first_not_of("0123456789") != std::string::npos) {
    throw std::runtime_error("the URL's port is not a number");
  }
  return u;
}

struct TlsConfig::Impl {
  ssl::context ctx{ssl::context::tls_client};
};

TlsConfig::TlsConfig(const std::string& ca_file) : impl_(std::make_unique<Impl>()) {
  auto& ctx = impl_->ctx;
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx.set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    ctx.set_default_verify_paths(ec);
    if (ec) throw std::runtime_error("cannot load the system trust store: " + ec.message());
  } else {
    ctx.load_verify_file(ca_file, ec);
    if (ec) throw std::runtime_error("cannot load CA file " + ca_file + ": " + ec.message());
  }
  // Client-side session cache so that SSL_get1_session hands out resumable sessions.
  SSL_CTX_set_session_cache_mode(ctx.native_handle(), SSL_SESS_CACHE_CLIENT);
}

void TlsConfig::use_client_certificate(const std::string& certificate_file, const std::string& private_key_file) {
  auto& ctx = impl_->ctx;
  boost::system::error_code ec;
  ctx.use_certificate_chain_file(certificate_file, ec);
  if (ec) throw std::runtime_error("cannot load client certificate " + certificate_file + ": " + ec.message());
  ctx.use_private_key_file(private_key_file, ssl::context::pem, ec);
  if (ec) throw std::runtime_error("cannot load client key " + private_key_file + ": " + ec.message());
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    throw std::runtime_error("client key " + private_key_file + " does not match certificate " + certificate_file);
  }
}

TlsConfig::~TlsConfig() = default;

struct HttpsClient::Impl {
  Url url;
  const TlsConfig& tls;
  net::io_context io;
  std::optional<ssl::stream<tcp::socket>> stream;
  boost::beast::flat_buffer buffer;
  std::unique_ptr<SSL_SESSION, SessionFree> session;
  std::optional<tcp::resolver::results_type> endpoints;
  std::chrono::milliseconds timeout;
  uint64_t connects = 0;
  uint64_t resumed = 0;
  std::string request_text;

  Impl(const Url& u, const TlsConfig& t, std::chrono::milliseconds to) : url(u), tls(t), timeout(to) {}

  // Runs one asynchronous operation to completion or until the deadline. Blocking socket calls
  // cannot time out under Asio (a receive timeout only makes it poll again, forever), so every
  // step is an async operation on this private io_context, run for at most the timeout. On
  // expiry the socket is closed, the cancelled handler is run (it refers to this frame) and the
  // caller gets a "timed out" error; the next request reconnects.
  template <class Start>
  void run_with_deadline(Start&& start, const char* what) {
    boost::system::error_code result;
    bool done = false;
    start([&](boost::system::error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    io.restart();
    io.run_for(timeout);
    if (!done) {
      boost::system::error_code ignored;
      if (stream) stream->next_layer().close(ignored);
      io.restart();
      io.run();  // the aborted handler, which must not outlive this frame
      stream.reset();
      throw std::runtime_error(std::string(what) + " timed out");
    }
    if (result) throw boost::system::system_error(result);
  }

  void connect() {
    if (!endpoints) {
      tcp::resolver resolver(io);
      endpoints = resolver.resolve(url.host, url.port);
    }
    stream.emplace(io, tls.impl().ctx);
    buffer.clear();
    run_with_deadline([&](auto handler) { net::async_connect(stream->next_layer(), *endpoints, handler); }, "connect");
    auto& sock = stream->next_layer();
    // Requests are written whole; Nagle would only add delay to the response path.
    sock.set_option(tcp::no_delay(true));

    SSL* ssl_handle = stream->native_handle();
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
    if (is_ip_literal(url.host)) {
      if (X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str()) != 1) throw std::runtime_error("bad IP in --url");
    } else {
      // SSL_set_tlsext_host_name is a macro with a C cast: the call it stands for.
      SSL_ctrl(ssl_handle, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, url.host.data());
      if (SSL_set1_host(ssl_handle, url.host.c_str()) != 1) throw std::runtime_error("bad host in --url");
    }
    if (session) SSL_set_session(ssl_handle, session.get());
    run_with_deadline([&](auto handler) { stream->async_handshake(ssl::stream_base::client, handler); },
                      "TLS handshake");
    ++connects;
    if (SSL_session_reused(ssl_handle) == 1) ++resumed;
  }

  void drop() {
    if (stream) {
      boost::system::error_code ignored;
      stream->next_layer().close(ignored);
      stream.reset();
    }
  }
};

HttpsClient::HttpsClient(const Url& url, const TlsConfig& tls, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(url, tls, timeout)) {}
HttpsClient::~HttpsClient() = default;

uint64_t HttpsClient::connects() const { return impl_->connects; }
uint64_t HttpsClient::resumed() const { return impl_->resumed; }

HttpResponse HttpsClient::request(std::string_view method, std::string_view target, std::string_view body,
                                  std::string_view bearer_token, std::string_view content_type) {
  Impl& im = *impl_;
  try {
    if (!im.stream) im.connect();
    // One buffer per request: header and body leave in as few TLS records as the engine allows.
    std::string& req = im.request_text;
    req.clear();
    req.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(im.url.host);
    req.append(":").append(im.url.port).append("\r\n");
    if (!bearer_token.empty()) req.append("Authorization: Bearer ").append(bearer_token).append("\r\n");
    if (!body.empty() || method == "POST" || method == "PUT") {
      req.append("Content-Type: ").append(content_type).append("\r\nContent-Length: ");
      req.append(std::to_string(body.size()));
      req.append("\r\n");
    }
    req.append("\r\n").append(body);
    im.run_with_deadline([&](auto handler) { net::async_write(*im.stream, net::buffer(req), handler); },
                         "sending the request");

    http::response_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    im.run_with_deadline([&](auto handler) { http::async_read(*im.stream, im.buffer, parser, handler); },
                         "waiting for the response");
    auto res = parser.release();
    if (!im.session) im.session.reset(SSL_get1_session(im.stream->native_handle()));
    HttpResponse out{res.result_int(), std::string(res[http::field::content_type]), std::move(res.body()), {}};
    for (const auto& field : res) {
      std::string name(field.name_string());
      std::ranges::transform(name, name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      out.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    if (!res.keep_alive()) im.drop();
    return out;
  } catch (const boost::system::system_error& e) {
    im.drop();
    throw std::runtime_error(e.code().message());
  } catch (const std::runtime_error&) {
    im.drop();
    throw;
  }
}

}  // namespace attestd::client
