#include "session.h"

#include <algorithm>
#include <cctype>
#include <ctime>

#include <fmt/format.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "attestd/server/problem.h"
#include "attestd/server/request.h"

namespace attestd::server::detail {
namespace {

constexpr std::chrono::seconds kLingerTime{2};
constexpr size_t kLingerBytes = 1024 * 1024;

std::string lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "Application/JSON; charset=utf-8" → "application/json".
std::string media_type(std::string_view content_type) {
  auto semi = content_type.find(';');
  std::string_view t = content_type.substr(0, semi);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  return lower(t);
}

// Errors that mean the peer went away or a timer fired: nothing to answer.
bool is_disconnect(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted ||
         ec == net::error::eof || ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == ssl::error::stream_truncated || ec.category() == net::error::get_ssl_category() ||
         ec.category() == net::error::get_system_category();
}

// The fingerprint and expiry of the certificate the client proved it holds the key of, nullopt
// when it sent none (or, fail closed, when it cannot be encoded or read).
std::optional<PeerCertificate> peer_certificate_of(SSL* ssl) {
  X509* peer = SSL_get0_peer_certificate(ssl);
  if (peer == nullptr) return std::nullopt;
  unsigned char* der = nullptr;
  const int len = i2d_X509(peer, &der);
  if (len <= 0) return std::nullopt;
  PeerCertificate out;
  SHA256(der, static_cast<size_t>(len), out.der_sha256.data());
  OPENSSL_free(der);
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(peer), &tm) != 1) return std::nullopt;
  out.not_after = std::chrono::system_clock::from_time_t(timegm(&tm));
  return out;
}

}  // namespace

Session::Session(tcp::socket&& socket, std::shared_ptr<ssl::context> tls, ServerState& state, bool overload)
    : tls_(std::move(tls)), stream_(std::move(socket), *tls_), state_(state), overload_(overload) {
  beast::error_code ec;
  auto& sock = stream_.socket();
  // Small request/response exchanges on keep-alive: Nagle + delayed ACK would add ~40 ms.
  sock.set_option(tcp::no_delay(true), ec);
  auto remote = sock.remote_endpoint(ec);
  if (!ec) {
    client_address_ = remote.address().to_string();
    client_port_ = remote.port();
  }
}

Session::~Session() { state_.remove_session(this, overload_); }

void Session::start() {
  state_.add_session(shared_from_this());
  // The socket's executor is this connection's strand: run everything on it.
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    self->stream_.expires_after(self->state_.config.handshake_timeout);
    self->stream_.async_handshake(ssl::stream_base::server,
                                  [self](beast::error_code ec) { self->on_handshake(ec); });
  });
}

void Session::close_if_idle() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->idle_ && self->buffer_.size() == 0 && self->parser_ && !self->parser_->got_some()) {
      // Cancelling the read completes it with operation_aborted; on_header then sees the
      // stopping server and lets the session go.
      self->stream_.cancel();
    }
  });
}

void Session::on_handshake(beast::error_code ec) {
  if (ec) {
    state_.metrics.handshake_failures.inc();
    return;  // the socket closes with the session
  }
  // Once per connection (a resumed session carries the certificate of its full handshake).
  peer_certificate_ = peer_certificate_of(stream_.native_handle());
  read_request();
}

void Session::read_request() {
  if (state_.stopping.load()) {
    close();
    return;
  }
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(std::min<size_t>(state_.config.max_header_bytes, UINT32_MAX)));
  parser_->body_limit(state_.config.max_body_bytes);
  idle_ = true;
  // An idle keep-alive connection holds no request buffer (issue 10): the capacity the last
  // request grew it to (a record or more for an attestation) goes back until bytes arrive.
  if (buffer_.size() == 0) buffer_.shrink_to_fit();
  // One deadline covers waiting for and receiving the whole header: a client trickling a byte
  // at a time (slow loris) is cut off when it expires, however steadily it sends.
  stream_.expires_after(state_.config.idle_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code e, size_t) { self->on_header(e); });
}

void Session::on_header(beast::error_code ec) {
  idle_ = false;
  started_ = std::chrono::steady_clock::now();
  if (ec == http::error::header_limit) {
    send_error(431, "http.header.too_large",
               fmt::format("request header larger than {} bytes", state_.config.max_header_bytes));
    return;
  }
  if (ec == http::error::body_limit) {  // a Content-Length beyond the limit, known before the body
    send_error(413, "http.body.too_large", fmt::format("body larger than {} bytes", state_.config.max_body_bytes));
    return;
  }
  if (ec) {
    if (is_disconnect(ec)) return;
    send_error(400, "http.request.malformed", fmt::format("malformed HTTP request: {}", ec.message()));
    return;
  }
  if (overload_) {
    send_error(503, "http.overloaded", "the server is at its connection limit; retry later");
    return;
  }
  const auto& req = parser_->get();
  if (auto expect = req[http::field::expect]; !expect.empty()) {
    if (lower(std::string_view(expect.data(), expect.size())) != "100-continue") {
      send_error(417, "http.expect.unsupported", "only Expect: 100-continue is supported");
      return;
    }
    if (req.version() >= 11) {
      continue_.emplace(http::status::continue_, req.version());
      stream_.expires_after(state_.config.write_timeout);
      http::async_write(stream_, *continue_, [self = shared_from_this()](beast::error_code e, size_t) {
        self->continue_.reset();
        if (e) return;
        self->read_body();
      });
      return;
    }
  }
  read_body();
}

void Session::read_body() {
  if (parser_->is_done()) {
    handle_request();
    return;
  }
  stream_.expires_after(state_.config.read_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code e, size_t) { self->on_body(e); });
}

void Session::on_body(beast::error_code ec) {
  if (ec == http::error::body_limit) {  // a chunked body that grew beyond the limit
    send_error(413, "http.body.too_large", fmt::format("body larger than {} bytes", state_.config.max_body_bytes));
    return;
  }
  if (ec) {
    if (is_disconnect(ec)) return;
    send_error(400, "http.request.malformed", fmt::format("malformed HTTP request: {}", ec.message()));
    return;
  }
  handle_request();
}

void Session::handle_request() {
  http::request<http::string_body> raw = parser_->release();
  parser_.reset();
  request_id_ = state_.request_ids->next();

  Request req;
  auto method = parse_method(std::string_view(raw.method_string().data(), raw.method_string().size()));
  if (!method) {
    metric_method_ = "other";
    metric_route_ = "none";
    send(problem_response(Problem::make(501, "http.method.unknown", "method not implemented"), request_id_),
         raw.keep_alive(), metric_route_, metric_method_);
    return;
  }
  req.method = *method;
  req.target = std::string(raw.target().data(), raw.target().size());
  // Only origin-form targets ("/path?query"): absolute-form and authority-form are for proxies.
  if (req.target.empty() || req.target.front() != '/') {
    send_error(400, "http.target.malformed", "request target must start with '/'");
    return;
  }
  split_target(req.target, req.path, req.query);
  req.headers.reserve(static_cast<size_t>(std::distance(raw.begin(), raw.end())));
  for (const auto& field : raw) {
    req.headers.emplace_back(lower(std::string_view(field.name_string().data(), field.name_string().size())),
                             std::string(field.value().data(), field.value().size()));
  }
  if (auto ct = req.header("content-type")) req.content_type = media_type(*ct);
  req.body = std::move(raw.body());
  req.client_address = client_address_;
  req.client_port = client_port_;
  req.client_certificate = peer_certificate_;
  req.request_id = request_id_;
  req.max_nesting_depth = state_.config.max_nesting_depth;

  // The pool's queue is bounded (issue 11): beyond capacity a request is answered 503 at once,
  // before any handler work, instead of waiting behind a queue that only grows. The body has
  // been read, so the connection stays in step and may be kept.
  if (state_.pending_requests.fetch_add(1) >= state_.config.max_pending_requests) {
    state_.pending_requests.fetch_sub(1);
    Response r = problem_response(
        Problem::make(503, "http.overloaded", "the server has more requests in progress than it admits; retry later"),
        request_id_);
    r.with_header("Retry-After", std::to_string(state_.config.retry_after.count()));
    metric_method_ = std::string(to_string(req.method));
    metric_route_ = "none";
    send(std::move(r), raw.keep_alive() && !state_.stopping.load(), metric_route_, metric_method_);
    return;
  }
  // Handlers are synchronous and may wait for the database (a group commit, a busy reader), so
  // they run on the handler pool, not on this I/O thread: its other connections keep moving, and
  // the requests waiting together make the commit batches. The work guard keeps the I/O workers
  // (and with them a graceful stop) waiting for the answer.
  net::post(*state_.handler_pool, [self = shared_from_this(), req = std::move(req), keep_alive = raw.keep_alive(),
                                   guard = net::make_work_guard(stream_.get_executor())]() mutable {
    Response response = self->state_.router->dispatch(req);
    self->state_.pending_requests.fetch_sub(1);
    std::string route = req.route_pattern.empty() ? std::string("none") : std::string(req.route_pattern);
    net::post(self->stream_.get_executor(), [self, response = std::move(response), route = std::move(route),
                                             method = req.method, keep_alive, guard = std::move(guard)]() mutable {
      self->metric_route_ = std::move(route);
      self->metric_method_ = std::string(to_string(method));
      const bool keep = keep_alive && !self->state_.stopping.load();
      self->send(std::move(response), keep, self->metric_route_, self->metric_method_);
    });
  });
}

void Session::send_error(int status, std::string reason_id, std::string detail) {
  if (request_id_.empty()) request_id_ = state_.request_ids->next();
  Response r = problem_response(Problem::make(status, std::move(reason_id), std::move(detail)), request_id_);
  if (status == 503) r.with_header("Retry-After", std::to_string(state_.config.retry_after.count()));
  metric_route_ = "none";
  metric_method_ = "none";
  refused_ = true;
  // The connection cannot be trusted to be in sync after a refused request: close it.
  send(std::move(r), false, metric_route_, metric_method_);
}

void Session::send(Response response, bool keep_alive, std::string_view route, std::string_view method) {
  const int status = std::clamp(response.status, 100, 999);
  auto& res = response_.emplace(static_cast<http::status>(status), 11);
  for (auto& [name, value] : response.headers) res.insert(name, value);
  if (!response.content_type.empty()) res.set(http::field::content_type, response.content_type);
  // Responses carry verdicts, tokens and keys: never let an intermediary keep them.
  if (res[http::field::cache_control].empty()) res.set(http::field::cache_control, "no-store");
  res.set("X-Request-Id", request_id_);
  res.body() = std::move(response.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();

  state_.metrics.requests.with({route, method, std::to_string(status)}).inc();
  state_.metrics.latency.with({route})
      .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());

  stream_.expires_after(state_.config.write_timeout);
  http::async_write(stream_, res, [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
    self->on_write(ec, keep_alive);
  });
}

void Session::on_write(beast::error_code ec, bool keep_alive) {
  response_.reset();
  request_id_.clear();
  if (ec) return;
  if (!keep_alive) {
    close();
    return;
  }
  read_request();
}

void Session::close() {
  // Send our close_notify but do not wait for the peer's: marking it as received makes
  // SSL_shutdown complete once ours is written. Waiting would let a client that keeps the socket
  // open hold a connection slot (and a stopping server) until a timer fires; the response is
  // framed by Content-Length, so the peer loses nothing.
  SSL_set_shutdown(stream_.native_handle(), SSL_RECEIVED_SHUTDOWN);
  stream_.expires_after(state_.config.write_timeout);
  stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
    beast::error_code ignored;
    auto& socket = self->stream_.socket();
    if (!self->refused_) {
      socket.shutdown(tcp::socket::shutdown_both, ignored);
      return;
    }
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    // One deadline for the whole drain (the stream's expiry holds until changed).
    self->stream_.expires_after(kLingerTime);
    self->discard_ = std::make_unique<std::array<char, 4096>>();
    self->linger();
  });
}

// Lingering close, after a refused request only: a peer whose body we refused (413) may still be
// sending it. Closing with
// unread bytes in the receive buffer makes the kernel answer with a reset, which can destroy our
// response before the peer reads it. So after our FIN, read and discard until the peer closes,
// a read fails, or kLingerTime or kLingerBytes runs out; the session (and socket) then goes.
void Session::linger() {
  stream_.async_read_some_raw(
      net::buffer(*discard_), [self = shared_from_this()](beast::error_code ec, size_t n) {
        if (ec) return;
        self->lingered_ += n;
        if (self->lingered_ < kLingerBytes) self->linger();
      });
}

}  // namespace attestd::server::detail
