// One TLS connection: handshake, then HTTP/1.1 requests in turn until the client, a timeout,
// an error or a stopping server ends it.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "attestd/server/request.h"
#include "attestd/server/response.h"
#include "beast.h"
#include "server_state.h"
#include "tls_stream.h"

namespace attestd::server::detail {

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `overload`: the server is at max_connections; this session only answers its first request
  // with 503 + Retry-After and closes. The socket must have its own strand as executor.
  Session(tcp::socket&& socket, std::shared_ptr<ssl::context> tls, ServerState& state, bool overload);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start();
  // For a stopping server: closes the connection if it waits for a request that has not
  // started to arrive; otherwise the current request finishes and the response closes it.
  // Thread-safe (posts to the session's strand).
  void close_if_idle();

 private:
  using Parser = http::request_parser<http::string_body>;

  void on_handshake(beast::error_code ec);
  void read_request();
  void on_header(beast::error_code ec);
  void read_body();
  void on_body(beast::error_code ec);
  void handle_request();
  // Sends `response`; `keep_alive` false closes the connection after it.
  void send(Response response, bool keep_alive, std::string_view route, std::string_view method);
  void on_write(beast::error_code ec, bool keep_alive);
  // Answers a request that could not be read or is refused before routing, and closes.
  void send_error(int status, std::string reason_id, std::string detail);
  void close();
  void linger();

  std::shared_ptr<ssl::context> tls_;  // keeps the context alive while the stream uses it
  TlsStream stream_;
  ServerState& state_;
  const bool overload_;
  beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::optional<http::response<http::string_body>> response_;
  std::string client_address_;
  uint16_t client_port_ = 0;
  std::optional<PeerCertificate> peer_certificate_;  // from the handshake, for every request
  bool idle_ = false;  // waiting for the first byte of a request
  std::string request_id_;
  std::chrono::steady_clock::time_point started_;  // when the current request's header arrived
  std::string metric_route_;
  std::string metric_method_;
  // Lingering close reads the peer's leftovers into it; allocated only then, since every idle
  // connection would otherwise hold it (issue 10).
  std::unique_ptr<std::array<char, 4096>> discard_;
  size_t lingered_ = 0;
  bool refused_ = false;  // answered by send_error: the peer may still be sending
};

}  // namespace attestd::server::detail
