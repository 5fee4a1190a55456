// kill_client: the load side of the crash-safety test (issue 11, tests/hardening/kill_test.py).
//
// Sets up one tenant (test TPM CA, reference set, policy, a releasable key) and N simulated hosts
// enrolled by credential activation, prints READY, then runs challenge + attestation (+ key
// release in the attestation) on N keep-alive connections until its stdin closes. attestd is
// killed and restarted under it: transport errors are expected, logged and retried after a pause.
//
// Every outcome is one flushed line in --log, written only after the response arrived, so the
// line exists only for what the server acknowledged:
//   CHALLENGE <challenge_id> <host_id> <nonce hex>        201 to POST /v1/challenges
//   ACK <challenge_id> <attestation_id> <verdict> <released 0|1>   200 to POST /v1/attestations
//   REFUSED <challenge_id> <status> <reason id>           any other answer to an attestation
//   LOST <challenge_id>                                   the attestation's answer never came
// The body of every attestation is kept as --bodies/<challenge_id>.json so the test can submit
// it again after a restart.
//
// With --setup-only it stops after READY: tests/hardening/limits_test.py needs enrolled hosts.
//
// Test code: setup failures exit 2 naming the step.
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/sha.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "attestd/client/https_client.h"
#include "sim_host.h"

namespace {

using namespace attestd::loadgen;
using attestd::client::HttpResponse;
using attestd::client::HttpsClient;
using attestd::client::TlsConfig;
using attestd::client::Url;
using nlohmann::json;

struct Options {
  std::string url, cacert, admin_token_file, attester_token_file, log_file, bodies_dir;
  std::string tee_jwk;         // public JWK (JSON) the released key is encrypted to
  std::string tee_thumbprint;  // its RFC 7638 SHA-256 thumbprint, hex
  unsigned connections = 8;
  std::string event_log;       // replayed for the PCR values the quotes carry
  bool setup_only = false;     // enrolled hosts for tests/hardening/limits_test.py, no load
};

std::string read_token(const std::string& path) {
  const Bytes b = read_file(path);
  std::string t(b.begin(), b.end());
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  return t;
}

json expect(const HttpResponse& r, unsigned want, const std::string& what) {
  if (r.status != want) throw std::runtime_error(fmt::format("{}: HTTP {} (wanted {}): {}", what, r.status, want, r.body));
  return r.body.empty() ? json() : json::parse(r.body);
}

// The first reason id of a problem+json, else its type.
std::string problem_id(const HttpResponse& r) {
  try {
    const json j = json::parse(r.body);
    if (auto it = j.find("reasons"); it != j.end() && it->is_array() && !it->empty()) {
      return (*it)[0].value("id", std::string("?"));
    }
    return j.value("type", std::string("?"));
  } catch (const std::exception&) {
    return "non-json";
  }
}

class Log {
 public:
  explicit Log(const std::string& path) : f_(std::fopen(path.c_str(), "a")) {
    if (f_ == nullptr) throw std::runtime_error("cannot open " + path);
  }
  ~Log() { std::fclose(f_); }
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;
  void line(const std::string& s) {
    std::lock_guard lock(m_);
    std::fputs(s.c_str(), f_);
    std::fputc('\n', f_);
    std::fflush(f_);
  }

 private:
  std::FILE* f_;
  std::mutex m_;
};

struct Shared {
  const Options& opt;
  Url url;
  const TlsConfig& tls;
  std::string attester;
  const PcrSet& pcrs;
  std::vector<std::unique_ptr<SimHost>> hosts;
  std::vector<std::string> host_ids;
  Bytes thumbprint;
  json tee_jwk;
  Log& log;
  std::atomic<bool> stop{false};
};

void worker(Shared& s, size_t index) {
  HttpsClient client(s.url, s.tls, std::chrono::seconds(5));
  const SimHost& host = *s.hosts[index];
  const std::string& host_id = s.host_ids[index];
  const std::string pcr_json = "{\"sha256\":" + s.pcrs.json_bank() + "}";
  auto pause = [] { std::this_thread::sleep_for(std::chrono::milliseconds(30)); };
  while (!s.stop.load()) {
    HttpResponse ch;
    try {
      ch = client.request("POST", "/v1/challenges", json{{"host_id", host_id}}.dump(), s.attester);
    } catch (const std::exception&) {
      pause();
      continue;
    }
    if (ch.status != 201) {
      pause();
      continue;
    }
    const json cj = json::parse(ch.body);
    const std::string cid = cj.at("challenge_id").get<std::string>();
    const std::string nonce_hex = cj.at("nonce").get<std::string>();
    s.log.line(fmt::format("CHALLENGE {} {} {}", cid, host_id, nonce_hex));
    // binding = SHA-256(nonce || thumbprint) (DESIGN.md §1).
    Bytes bound = from_hex(nonce_hex);
    bound.insert(bound.end(), s.thumbprint.begin(), s.thumbprint.end());
    Bytes binding(SHA256_DIGEST_LENGTH);
    SHA256(bound.data(), bound.size(), binding.data());
    const Quote q = host.quote(binding, s.pcrs);
    const std::string body = json{{"challenge_id", cid},
                                  {"host_id", host_id},
                                  {"tpm", {{"quote", base64_encode(q.attest)},
                                           {"signature", base64_encode(q.signature)},
                                           {"pcrs", json::parse(pcr_json)}}},
                                  {"tee_public_key", s.tee_jwk},
                                  {"release", {"kill-key"}}}
                                 .dump();
    std::ofstream(std::filesystem::path(s.opt.bodies_dir) / (cid + ".json")) << body;
    HttpResponse at;
    try {
      at = client.request("POST", "/v1/attestations", body, s.attester);
    } catch (const std::exception&) {
      s.log.line(fmt::format("LOST {}", cid));
      pause();
      continue;
    }
    if (at.status != 200) {
      s.log.line(fmt::format("REFUSED {} {} {}", cid, at.status, problem_id(at)));
      continue;
    }
    const json aj = json::parse(at.body);
    const bool released = aj.contains("keys") && aj["keys"].contains("kill-key");
    s.log.line(fmt::format("ACK {} {} {} {}", cid, aj.at("attestation_id").get<std::string>(),
                           aj.value("verdict", std::string("?")), released ? 1 : 0));
  }
}

int run(const Options& opt) {
  const Url url = Url::parse(opt.url);
  const TlsConfig tls(opt.cacert);
  const std::string admin = read_token(opt.admin_token_file);
  const PcrSet pcrs = replay_sha256(read_file(opt.event_log), {0, 1, 2, 3, 4, 5, 6, 7});
  const TestCa ca = TestCa::generate();
  Log log(opt.log_file);
  Shared s{.opt = opt, .url = url, .tls = tls, .attester = read_token(opt.attester_token_file), .pcrs = pcrs,
           .hosts = {}, .host_ids = {}, .thumbprint = from_hex(opt.tee_thumbprint),
           .tee_jwk = json::parse(opt.tee_jwk), .log = log};

  HttpsClient setup(url, tls);
  expect(setup.request("POST", "/v1/tpm-roots", json{{"certificate", ca.certificate_pem()}}.dump(), admin), 201,
         "POST /v1/tpm-roots");
  json golden = json::object();
  for (size_t i = 0; i < pcrs.indices.size(); ++i) {
    golden[std::to_string(pcrs.indices[i])] = json::array({to_hex(pcrs.values[i])});
  }
  expect(setup.request("PUT", "/v1/reference-sets/kill",
                       json{{"version", 1}, {"name", "kill"}, {"pcrs", {{"sha256", golden}}}}.dump(), admin),
         200, "PUT /v1/reference-sets/kill");
  expect(setup.request("PUT", "/v1/policies/kill",
                       json{{"version", 1},
                            {"name", "kill"},
                            {"require", {{"tpm", true}, {"event_log", false}, {"gpus", 0}}},
                            {"reference_sets", {"kill"}},
                            {"pcrs", {{"sha256", pcrs.indices}}},
                            {"max_age_seconds", 300}}
                           .dump(),
                       admin),
         200, "PUT /v1/policies/kill");
  expect(setup.request("PUT", "/v1/keys/kill-key", json{{"generate", "aes-256"}, {"policies", {"kill"}}}.dump(), admin),
         201, "PUT /v1/keys/kill-key");

  for (unsigned i = 0; i < opt.connections; ++i) {
    s.hosts.push_back(std::make_unique<SimHost>(SimHost::generate(AkKind::p256)));
    s.host_ids.push_back(fmt::format("kill-{}", i));
    const SimHost& h = *s.hosts.back();
    const std::string& id = s.host_ids.back();
    const std::string ak = base64_encode(h.ak_public());
    expect(setup.request("POST", "/v1/hosts", json{{"host_id", id}, {"ak_public", ak}, {"policy", "kill"}}.dump(), admin),
           201, "POST /v1/hosts " + id);
    const json e = expect(setup.request("POST", fmt::format("/v1/hosts/{}/enrollment", id),
                                        json{{"ak_public", ak},
                                             {"ek_public", base64_encode(h.ek_public())},
                                             {"ek_certificate", base64_encode(ca.issue_ek_certificate(h.ek_key()))}}
                                            .dump(),
                                        s.attester),
                          201, "enrollment " + id);
    const Bytes secret = h.activate_credential(base64_decode(e.at("credential_blob").get<std::string>()),
                                               base64_decode(e.at("encrypted_secret").get<std::string>()));
    expect(setup.request("POST", fmt::format("/v1/hosts/{}/enrollment/{}/activate", id,
                                             e.at("enrollment_id").get<std::string>()),
                         json{{"secret", base64_encode(secret)}}.dump(), s.attester),
           200, "activate " + id);
  }
  std::cout << "READY" << std::endl;
  if (opt.setup_only) return 0;

  std::vector<std::thread> threads;
  for (size_t i = 0; i < opt.connections; ++i) threads.emplace_back([&s, i] { worker(s, i); });
  // The test stops the load by closing our stdin.
  std::string ignored;
  while (std::getline(std::cin, ignored)) {
  }
  s.stop.store(true);
  for (auto& t : threads) t.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{"crash-safety load client for tests/hardening/kill_test.py"};
  app.add_option("--url", opt.url)->required();
  app.add_option("--cacert", opt.cacert)->required();
  app.add_option("--admin-token", opt.admin_token_file)->required();
  app.add_option("--attester-token", opt.attester_token_file)->required();
  app.add_option("--log", opt.log_file)->required();
  app.add_option("--bodies", opt.bodies_dir)->required();
  app.add_option("--tee-jwk", opt.tee_jwk)->required();
  app.add_option("--tee-thumbprint", opt.tee_thumbprint)->required();
  app.add_option("--event-log", opt.event_log)->required();
  app.add_option("--connections", opt.connections);
  app.add_flag("--setup-only", opt.setup_only);
  CLI11_PARSE(app, argc, argv);
  try {
    return run(opt);
  } catch (const std::exception& e) {
    std::cerr << "kill_client: " << e.what() << '\n';
    return 2;
  }
}
