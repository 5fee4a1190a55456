#include "server_api.h"

#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <stdexcept>

#include "deadline.h"

namespace attestd::agent {

std::expected<std::unique_ptr<ServerApi>, Error> ServerApi::connect(const Config& config) {
  if (!config.client_certificate_file.empty()) {
    // No token: the host's registered client certificate authenticates every request.
    try {
      auto url = client::Url::parse(config.server);
      auto tls = std::make_unique<client::TlsConfig>(config.ca_file);
      tls->use_client_certificate(config.client_certificate_file, config.client_key_file);
      return std::unique_ptr<ServerApi>(
          new ServerApi(std::move(tls), std::move(url), std::string(), std::chrono::seconds(config.server_timeout_s)));
    } catch (const std::exception& e) {
      return std::unexpected(Error{"agent.config.invalid", fmt::format("server {}: {}", config.server, e.what())});
    }
  }
  std::ifstream in(config.credential_file);
  if (!in) return std::unexpected(Error{"agent.config.invalid", fmt::format("cannot read {}", config.credential_file)});
  std::string token((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.empty()) return std::unexpected(Error{"agent.config.invalid", "the credential file is empty"});
  try {
    auto url = client::Url::parse(config.server);
    auto tls = std::make_unique<client::TlsConfig>(config.ca_file);
    return std::unique_ptr<ServerApi>(
        new ServerApi(std::move(tls), std::move(url), std::move(token), std::chrono::seconds(config.server_timeout_s)));
  } catch (const std::exception& e) {
    return std::unexpected(Error{"agent.config.invalid", fmt::format("server {}: {}", config.server, e.what())});
  }
}

std::expected<nlohmann::json, Error> ServerApi::post(const std::string& target, const nlohmann::json& body) {
  client::HttpResponse r;
  try {
    ServerDeadline deadline(4 * timeout_ + std::chrono::seconds(5));
    r = client_->request("POST", target, body.dump(), token_);
  } catch (const std::exception& e) {
    // The client's deadline errors read "<step> timed out" (https_client.cpp).
    const std::string_view what = e.what();
    return std::unexpected(Error{what.ends_with("timed out") ? "agent.server.timeout" : "agent.server.unreachable",
                                 fmt::format("{}: {}", target, what), true});
  }
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (r.status >= 200 && r.status < 300) {
    if (j.is_discarded() || !j.is_object()) {
      return std::unexpected(
          Error{"agent.server.bad_answer", fmt::format("{}: the answer is not a JSON object", target)});
    }
    return j;
  }
  Error e{fmt::format("agent.server.http_{}", r.status), fmt::format("{}: HTTP {}", target, r.status),
          r.status >= 500 || r.status == 429};
  if (!j.is_discarded() && j.is_object()) {
    if (auto reasons = j.find("reasons"); reasons != j.end() && reasons->is_array() && !reasons->empty() &&
                                          (*reasons)[0].contains("id") && (*reasons)[0]["id"].is_string()) {
      e.id = (*reasons)[0]["id"].get<std::string>();
    }
    if (auto d = j.find("detail"); d != j.end() && d->is_string()) e.message += ": " + d->get<std::string>();
  }
  return std::unexpected(e);
}

}  // namespace attestd::agent
