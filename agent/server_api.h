// The few attestd calls the agent makes, over the shared pinned-CA HTTPS client with the
// attester token. Transport failures become agent.server.unreachable, a step (connect, TLS
// handshake, sending, the response) that takes longer than config.server_timeout_s
// agent.server.timeout, both retryable; an RFC 9457 problem becomes its first reason id (or
// agent.server.http_<status>, retryable for 5xx and 429). What the client cannot bound itself
// (name resolution) runs under a ServerDeadline of all four steps plus a margin.
#pragma once

#include <expected>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "attestd/client/https_client.h"
#include "config.h"
#include "error.h"

namespace attestd::agent {

class ServerApi {
 public:
  // Reads the token from config.credential_file, or presents config.client_certificate_file (with
  // its key) and sends no token. Fails with agent.config.invalid.
  static std::expected<std::unique_ptr<ServerApi>, Error> connect(const Config& config);

  // The JSON answer of a 2xx, or the error.
  std::expected<nlohmann::json, Error> post(const std::string& target, const nlohmann::json& body);

 private:
  ServerApi(std::unique_ptr<client::TlsConfig> tls, client::Url url, std::string token, std::chrono::seconds timeout)
      : tls_(std::move(tls)),
        client_(std::make_unique<client::HttpsClient>(url, *tls_, timeout)),
        token_(std::move(token)),
        timeout_(timeout) {}
  std::unique_ptr<client::TlsConfig> tls_;
  std::unique_ptr<client::HttpsClient> client_;
  std::string token_;
  std::chrono::seconds timeout_;
};

}  // namespace attestd::agent
