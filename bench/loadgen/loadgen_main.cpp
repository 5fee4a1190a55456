// attestd_loadgen: drives the full challenge + attestation exchange against a running attestd
// (issue 4, bench/; issue 10, "full attestation through HTTPS").
//
// Setup (not timed): a test TPM CA is registered (POST /v1/tpm-roots), the reference set and policy
// `loadgen` are put (sha256 PCRs 0-9 of the replayed sb-shim-grub log), and every simulated host is
// created (POST /v1/hosts) and enrolled by credential activation (POST .../enrollment, software
// TPM2_ActivateCredential, POST .../activate). Then each connection thread loops: POST
// /v1/challenges, a software TPM2_Quote over the nonce, POST /v1/attestations with the quote, the
// PCRs and the whole event log; every verdict must be `affirming`, anything else is an error.
//
// With --release-key each exchange also goes through key release as DESIGN.md §1 draws it: every
// connection holds a P-256 TEE key made the way attest-agent makes it (agent/ephemeral_key.h), the
// quote's qualifyingData is SHA-256(nonce ‖ RFC 7638 thumbprint), the attestation carries the key as
// tee_public_key, and then the workload fetches `loadgen-key` (put in the setup with policies
// ["loadgen"] and a random secret) by GET /v1/keys/loadgen-key/release with the EAR as bearer token
// and opens the JWE with the agent's decryption; a JWE that does not open to the secret is an error.
//
// Open loop (--rate R): each of the N connections sends at R/N per second on a fixed schedule and
// latency counts from the scheduled time, so a slow server is not hidden by the generator waiting
// for it (coordinated omission). Closed loop (--rate 0): each connection sends as soon as it can.
//
// --healthz replaces the exchange with GET /healthz and does no setup: the floor of one keep-alive
// HTTPS round trip through attestd's own TLS and HTTP stack, for the same connection counts.
//
// Exit status: 0 all attestations affirming, 1 errors during the run, 2 setup failure.
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/rand.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <latch>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "attestd/client/https_client.h"
#include "ephemeral_key.h"
#include "jwe_decrypt.h"
#include "sim_host.h"

namespace {

using namespace attestd::loadgen;
using attestd::client::HttpResponse;
using attestd::client::HttpsClient;
using attestd::client::TlsConfig;
using attestd::client::Url;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
namespace agent = attestd::agent;

// The key the loadgen's own setup puts and every --release-key exchange fetches.
constexpr std::string_view kReleaseKeyName = "loadgen-key";

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

struct Options {
  std::string url;
  std::string cacert;
  std::string admin_token_file;
  std::string attester_token_file;
  std::string event_log = ATTESTD_LOADGEN_DEFAULT_LOG;
  unsigned connections = 16;
  unsigned hosts = 0;  // 0: as many as connections
  unsigned extra_reference_values = 0;  // random alternatives added to the reference set
  double duration = 10;
  uint64_t count = 0;  // when set, overrides duration
  double rate = 0;
  std::string ak = "rsa";
  bool release_key = false;
  bool healthz = false;
  int server_pid = 0;
  unsigned cores = 0;
  bool json_out = false;
  std::string json_file;
};

std::string read_token(const std::string& path) {
  const Bytes b = read_file(path);
  std::string t(b.begin(), b.end());
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  if (t.empty()) fail("empty token file " + path);
  return t;
}

// The reason a problem+json names (its first reason id, else its type), for error counting.
std::string problem_kind(const HttpResponse& r) {
  try {
    const json j = json::parse(r.body);
    if (auto it = j.find("reasons"); it != j.end() && it->is_array() && !it->empty()) {
      return (*it)[0].value("id", std::string("?"));
    }
    return j.value("type", std::string("?"));
  } catch (const std::exception&) {
    return "non-json body";
  }
}

// A setup request that must succeed with `want`.
json expect(const HttpResponse& r, unsigned want, const std::string& what) {
  if (r.status != want) fail(fmt::format("{}: HTTP {} (wanted {}): {}", what, r.status, want, r.body));
  return r.body.empty() ? json() : json::parse(r.body);
}

struct Sample {
  std::vector<double> exchange_us, challenge_us, attestation_us, quote_us, release_us;
};

struct WorkerResult {
  Sample samples;
  uint64_t affirming = 0;
  std::map<std::string, uint64_t> errors;
  uint64_t connects = 0, resumed = 0;
  // HTTP body bytes of the affirming exchanges, both directions (for the TLS record floor), and
  // the size of the EAR's JWS signing input (header.payload, what ES256 hashes).
  uint64_t request_body_bytes = 0, response_body_bytes = 0;
  size_t ear_signing_input = 0;
  Clock::time_point last_done{};
  std::string setup_error;
};

struct Shared {
  const Options& opt;
  Url url;
  const TlsConfig& tls;
  std::string admin_token, attester_token;
  std::string run_id;
  const PcrSet& pcrs;
  std::string pcr_json;    // {"sha256":{...}}
  std::string log_base64;  // the whole event log
  Bytes release_secret;    // what loadgen-key must decrypt to (--release-key)
  const TestCa& ca;
  std::vector<std::unique_ptr<SimHost>> hosts;
  std::vector<std::string> host_ids;
  std::latch enrolled;
  std::latch go;
  Clock::time_point t0{};
  Clock::time_point deadline{};
  std::atomic<uint64_t> issued{0};
};

// Creates, enrolls and activates host `i` (POST /v1/hosts, enrollment, activate).
void enroll_host(Shared& s, HttpsClient& client, size_t i) {
  const AkKind kind = s.opt.ak == "ecc" ? AkKind::p256 : AkKind::rsa2048;
  s.hosts[i] = std::make_unique<SimHost>(SimHost::generate(kind));
  const SimHost& h = *s.hosts[i];
  const std::string& id = s.host_ids[i];
  const std::string ak_b64 = base64_encode(h.ak_public());
  expect(client.request("POST", "/v1/hosts", json{{"host_id", id}, {"ak_public", ak_b64}, {"policy", "loadgen"}}.dump(),
                        s.admin_token),
         201, "POST /v1/hosts " + id);
  const json e = expect(client.request("POST", fmt::format("/v1/hosts/{}/enrollment", id),
                                       json{{"ak_public", ak_b64},
                                            {"ek_public", base64_encode(h.ek_public())},
                                            {"ek_certificate", base64_encode(s.ca.issue_ek_certificate(h.ek_key()))}}
                                           .dump(),
                                       s.attester_token),
                        201, "POST /v1/hosts/" + id + "/enrollment");
  const Bytes secret = h.activate_credential(base64_decode(e.at("credential_blob").get<std::string>()),
                                             base64_decode(e.at("encrypted_secret").get<std::string>()));
  const json a = expect(client.request("POST",
                                       fmt::format("/v1/hosts/{}/enrollment/{}/activate", id,
                                                   e.at("enrollment_id").get<std::string>()),
                                       json{{"secret", base64_encode(secret)}}.dump(), s.attester_token),
                        200, "activate " + id);
  if (!a.value("trusted", false)) fail("activation of " + id + " did not make the AK trusted");
}

double us_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

void worker(Shared& s, unsigned index, WorkerResult& out) {
  HttpsClient client(s.url, s.tls);
  const unsigned n = s.opt.connections;
  const size_t host_count = s.hosts.size();
  // This connection's hosts: i ≡ index (mod n), or one shared host when there are fewer hosts.
  std::vector<size_t> mine;
  for (size_t i = index; i < host_count; i += n) mine.push_back(i);
  bool setup_ok = true;
  try {
    for (size_t i : mine) enroll_host(s, client, i);
  } catch (const std::exception& e) {
    out.setup_error = e.what();
    setup_ok = false;
  }
  if (mine.empty()) mine.push_back(index % host_count);
  s.enrolled.count_down();
  s.go.wait();
  if (!setup_ok || s.deadline == Clock::time_point{}) return;

  const bool open_loop = s.opt.rate > 0;
  // Connection `index` sends at rate/n, offset by index/rate so the connections interleave.
  const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(n / std::max(s.opt.rate, 1e-9)));
  auto next = s.t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(index / std::max(s.opt.rate, 1e-9)));
  const size_t reserve = s.opt.count > 0 ? s.opt.count / n + 1 : 4096;
  out.samples.exchange_us.reserve(reserve);
  out.samples.challenge_us.reserve(reserve);
  out.samples.attestation_us.reserve(reserve);
  out.samples.quote_us.reserve(reserve);
  if (s.opt.release_key) out.samples.release_us.reserve(reserve);
  // One TEE key per connection, not per exchange: the server's work does not depend on it, and
  // the client's key generation would only take CPU from the server on the shared cores.
  std::optional<agent::EphemeralKey> tee;
  std::string tee_jwk;
  if (s.opt.release_key) {
    auto k = agent::EphemeralKey::generate(agent::EphemeralKeyType::p256);
    if (!k) {
      ++out.errors["tee key: " + k.error().message];
      return;
    }
    tee = std::move(*k);
    tee_jwk = tee->public_jwk().dump();
  }
  const std::string release_target = fmt::format("/v1/keys/{}/release", kReleaseKeyName);
  std::string body;
  for (uint64_t k = 0;; ++k) {
    Clock::time_point start;
    if (open_loop) {
      if (next >= s.deadline) break;
      std::this_thread::sleep_until(next);
      start = next;
      next += interval;
    } else {
      start = Clock::now();
      if (start >= s.deadline) break;
    }
    if (s.opt.count > 0 && s.issued.fetch_add(1) >= s.opt.count) break;
    const size_t hi = mine[k % mine.size()];
    const SimHost& host = *s.hosts[hi];
    const std::string& host_id = s.host_ids[hi];
    try {
      const auto c0 = Clock::now();
      const std::string ch_body = "{\"host_id\":\"" + host_id + "\"}";
      const HttpResponse ch = client.request("POST", "/v1/challenges", ch_body, s.attester_token);
      const auto c1 = Clock::now();
      if (ch.status != 201) {
        ++out.errors[fmt::format("challenge HTTP {} {}", ch.status, problem_kind(ch))];
        continue;
      }
      const json cj = json::parse(ch.body);
      const Bytes nonce = from_hex(cj.at("nonce").get<std::string>());
      // DESIGN.md §1: qualifyingData = SHA-256(nonce ‖ thumbprint) when a key is wanted.
      const Quote q = host.quote(tee ? agent::binding(nonce, &*tee) : nonce, s.pcrs);
      body.clear();
      body.append("{\"challenge_id\":\"").append(cj.at("challenge_id").get<std::string>());
      body.append("\",\"host_id\":\"").append(host_id).append("\",\"tpm\":{\"quote\":\"");
      body.append(base64_encode(q.attest)).append("\",\"signature\":\"").append(base64_encode(q.signature));
      body.append("\",\"pcrs\":").append(s.pcr_json).append(",\"event_log\":\"").append(s.log_base64).append("\"}");
      if (tee) body.append(",\"tee_public_key\":").append(tee_jwk);
      body.append("}");
      const auto a0 = Clock::now();
      const HttpResponse at = client.request("POST", "/v1/attestations", body, s.attester_token);
      const auto a1 = Clock::now();
      out.last_done = a1;
      if (at.status != 200) {
        ++out.errors[fmt::format("attestation HTTP {} {}", at.status, problem_kind(at))];
        continue;
      }
      const json aj = json::parse(at.body);
      const std::string verdict = aj.value("verdict", std::string("?"));
      if (verdict != "affirming") {
        std::string first = "no reason";
        if (auto r = aj.find("reasons"); r != aj.end() && r->is_array() && !r->empty()) first = (*r)[0].value("id", "?");
        ++out.errors[fmt::format("verdict {} {}", verdict, first)];
        continue;
      }
      auto done = a1;
      const std::string& ear = aj.at("token").get_ref<const std::string&>();
      uint64_t sent = ch_body.size() + body.size(), received = ch.body.size() + at.body.size();
      if (tee) {
        // The workload's side: the EAR is the only credential for the release.
        const auto r0 = Clock::now();
        const HttpResponse rel = client.request("GET", release_target, "", ear);
        done = Clock::now();
        out.last_done = done;
        if (rel.status != 200) {
          ++out.errors[fmt::format("release HTTP {} {}", rel.status, problem_kind(rel))];
          continue;
        }
        const auto opened = agent::jwe_decrypt(json::parse(rel.body).at("jwe").get<std::string>(), *tee);
        if (!opened) {
          ++out.errors["release JWE " + opened.error().id];
          continue;
        }
        if (*opened != s.release_secret) {
          ++out.errors["release JWE opens to another secret"];
          continue;
        }
        out.samples.release_us.push_back(us_between(r0, done));
        received += rel.body.size();
      }
      ++out.affirming;
      out.request_body_bytes += sent;
      out.response_body_bytes += received;
      out.ear_signing_input = ear.rfind('.');
      out.samples.exchange_us.push_back(us_between(start, done));
      out.samples.challenge_us.push_back(us_between(c0, c1));
      out.samples.attestation_us.push_back(us_between(a0, a1));
      out.samples.quote_us.push_back(us_between(c1, a0));
    } catch (const std::exception& e) {
      out.last_done = Clock::now();
      ++out.errors[fmt::format("transport: {}", e.what())];
    }
  }
  out.connects = client.connects();
  out.resumed = client.resumed();
}

// utime + stime of a process in seconds (/proc/PID/stat fields 14 and 15, proc(5)).
double process_cpu_seconds(int pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(in, line)) fail(fmt::format("cannot read /proc/{}/stat", pid));
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int f = 3; f <= 15 && rest >> field; ++f) {
    if (f == 14 || f == 15) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double self_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
  size_t n = 0;
};

Percentiles percentiles(std::vector<double> v) {
  Percentiles p;
  p.n = v.size();
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  // Nearest rank (ceil(q·n)), so p99 of 100 samples is the 99th, never an interpolated value.
  auto at = [&](double q) { return v[static_cast<size_t>(std::max(1.0, std::ceil(q * static_cast<double>(v.size())))) - 1]; };
  p.p50 = at(0.50);
  p.p90 = at(0.90);
  p.p99 = at(0.99);
  p.max = v.back();
  double sum = 0;
  for (double x : v) sum += x;
  p.mean = sum / static_cast<double>(v.size());
  return p;
}

json to_json(const Percentiles& p) {
  return {{"p50_ms", p.p50 / 1e3}, {"p90_ms", p.p90 / 1e3}, {"p99_ms", p.p99 / 1e3}, {"max_ms", p.max / 1e3},
          {"mean_ms", p.mean / 1e3}, {"n", p.n}};
}

// --healthz: GET /healthz on every connection, closed or open loop like the exchange. The first
// request of each connection (TCP + TLS handshake) is made before the clock starts.
int run_healthz(const Options& opt) {
  if (opt.connections == 0) fail("--connections must be at least 1");
  const Url url = Url::parse(opt.url);
  const TlsConfig tls(opt.cacert);
  struct Result {
    std::vector<double> us;
    uint64_t errors = 0;
    Clock::time_point last_done{};
    std::string setup_error;
  };
  std::vector<Result> results(opt.connections);
  std::latch ready(opt.connections);
  std::latch go(1);
  Clock::time_point t0{}, deadline{};
  std::atomic<uint64_t> issued{0};
  const unsigned n = opt.connections;
  std::vector<std::thread> threads;
  for (unsigned index = 0; index < n; ++index) {
    threads.emplace_back([&, index] {
      Result& out = results[index];
      HttpsClient client(url, tls);
      try {
        if (client.request("GET", "/healthz", "", "").status != 200) out.setup_error = "GET /healthz did not answer 200";
      } catch (const std::exception& e) {
        out.setup_error = e.what();
      }
      ready.count_down();
      go.wait();
      if (!out.setup_error.empty()) return;
      const bool open_loop = opt.rate > 0;
      const auto interval =
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(n / std::max(opt.rate, 1e-9)));
      auto next = t0 + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(index / std::max(opt.rate, 1e-9)));
      out.us.reserve(opt.count > 0 ? opt.count / n + 1 : 1 << 16);
      for (;;) {
        Clock::time_point start;
        if (open_loop) {
          if (next >= deadline) break;
          std::this_thread::sleep_until(next);
          start = next;
          next += interval;
        } else {
          start = Clock::now();
          if (start >= deadline) break;
        }
        if (opt.count > 0 && issued.fetch_add(1) >= opt.count) break;
        try {
          const HttpResponse r = client.request("GET", "/healthz", "", "");
          out.last_done = Clock::now();
          if (r.status != 200) {
            ++out.errors;
            continue;
          }
          out.us.push_back(us_between(start, out.last_done));
        } catch (const std::exception&) {
          out.last_done = Clock::now();
          ++out.errors;
        }
      }
    });
  }
  ready.wait();
  std::string setup_errors;
  for (const auto& r : results) {
    if (!r.setup_error.empty()) setup_errors += "\n  " + r.setup_error;
  }
  const double server_cpu0 = opt.server_pid > 0 ? process_cpu_seconds(opt.server_pid) : 0;
  const double client_cpu0 = self_cpu_seconds();
  t0 = Clock::now();
  // A connection that failed: nobody runs (the deadline is now), and the run fails below.
  deadline = !setup_errors.empty() ? t0
             : opt.count > 0       ? Clock::time_point::max() - std::chrono::hours(1)
                                   : t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt.duration));
  go.count_down();
  for (auto& t : threads) t.join();
  if (!setup_errors.empty()) fail("connecting failed:" + setup_errors);
  Clock::time_point end = t0;
  std::vector<double> all;
  uint64_t errors = 0;
  for (const auto& r : results) {
    end = std::max(end, r.last_done);
    all.insert(all.end(), r.us.begin(), r.us.end());
    errors += r.errors;
  }
  const double elapsed = std::max(1e-9, std::chrono::duration<double>(end - t0).count());
  const double client_cpu = self_cpu_seconds() - client_cpu0;
  const double server_cpu = opt.server_pid > 0 ? process_cpu_seconds(opt.server_pid) - server_cpu0 : 0;
  const uint64_t total = all.size() + errors;
  const double per = total > 0 ? 1e6 / static_cast<double>(total) : 0;
  const double rate = static_cast<double>(all.size()) / elapsed;
  const auto p = percentiles(all);
  json j = {{"mode", "healthz"}, {"connections", n}, {"loop", opt.rate > 0 ? "open" : "closed"},
            {"target_rate", opt.rate}, {"elapsed_s", elapsed}, {"requests", total}, {"errors", errors},
            {"requests_per_s", rate}, {"request", to_json(p)}, {"client_cpu_us_per_request", client_cpu * per}};
  if (opt.server_pid > 0) j["server_cpu_us_per_request"] = server_cpu * per;
  if (!opt.json_file.empty()) std::ofstream(opt.json_file) << j.dump(2) << '\n';
  if (opt.json_out) {
    std::cout << j.dump(2) << '\n';
  } else {
    fmt::print("GET /healthz, {} keep-alive connections, {} loop: {:.0f} req/s, p50 {:.3f} ms, p99 {:.3f} ms, "
               "{} errors{}\n",
               n, opt.rate > 0 ? "open" : "closed", rate, p.p50 / 1e3, p.p99 / 1e3, errors,
               opt.server_pid > 0 ? fmt::format(", server CPU {:.1f} µs/request", server_cpu * per) : "");
  }
  return errors == 0 && !all.empty() ? 0 : 1;
}

int run(const Options& opt) {
  if (opt.connections == 0) fail("--connections must be at least 1");
  if (opt.admin_token_file.empty() || opt.attester_token_file.empty()) {
    fail("--admin-token and --attester-token are required (only --healthz runs without them)");
  }
  if (opt.ak != "rsa" && opt.ak != "ecc") fail("--ak must be rsa or ecc");
  const Url url = Url::parse(opt.url);
  const TlsConfig tls(opt.cacert);
  const std::string admin = read_token(opt.admin_token_file);
  const std::string attester = read_token(opt.attester_token_file);
  const Bytes log = read_file(opt.event_log);
  const PcrSet pcrs = replay_sha256(log, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  const TestCa ca = TestCa::generate();

  // Tenant-wide setup on one connection: trust the test CA, put the reference set and policy.
  HttpsClient setup(url, tls);
  expect(setup.request("POST", "/v1/tpm-roots", json{{"certificate", ca.certificate_pem()}}.dump(), admin), 201,
         "POST /v1/tpm-roots");
  json golden = json::object();
  for (size_t i = 0; i < pcrs.indices.size(); ++i) {
    golden[std::to_string(pcrs.indices[i])] = json::array({to_hex(pcrs.values[i])});
  }
  // Extra alternatives never match a real boot, so they only add size: what a fleet's golden set
  // of many firmware and kernel versions looks like to the appraisal.
  for (unsigned i = 0; i < opt.extra_reference_values; ++i) {
    std::array<uint8_t, 32> random{};
    if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) fail("RAND_bytes");
    golden[std::to_string(pcrs.indices[i % pcrs.indices.size()])].push_back(to_hex(random));
  }
  expect(setup.request("PUT", "/v1/reference-sets/loadgen",
                       json{{"version", 1}, {"name", "loadgen"}, {"pcrs", {{"sha256", golden}}}}.dump(), admin),
         200, "PUT /v1/reference-sets/loadgen");
  expect(setup.request("PUT", "/v1/policies/loadgen",
                       json{{"version", 1},
                            {"name", "loadgen"},
                            {"require", {{"tpm", true}, {"event_log", true}, {"gpus", 0}}},
                            {"reference_sets", {"loadgen"}},
                            {"pcrs", {{"sha256", pcrs.indices}}},
                            {"max_age_seconds", 300}}
                           .dump(),
                       admin),
         200, "PUT /v1/policies/loadgen");
  Bytes release_secret;
  if (opt.release_key) {
    // A known secret, so that each exchange can check what its JWE opens to. A second run against
    // the same server rotates the key (200, a new version): releases give the newest.
    release_secret.resize(32);
    if (RAND_bytes(release_secret.data(), static_cast<int>(release_secret.size())) != 1) fail("RAND_bytes");
    const HttpResponse put = setup.request(
        "PUT", fmt::format("/v1/keys/{}", kReleaseKeyName),
        json{{"secret", base64_encode(release_secret)}, {"policies", {"loadgen"}}}.dump(), admin);
    expect(put, put.status == 200 ? 200 : 201, fmt::format("PUT /v1/keys/{}", kReleaseKeyName));
  }

  std::array<uint8_t, 4> rid{};
  if (RAND_bytes(rid.data(), static_cast<int>(rid.size())) != 1) fail("RAND_bytes");
  const unsigned host_count = opt.hosts == 0 ? opt.connections : opt.hosts;
  Shared s{.opt = opt, .url = url, .tls = tls, .admin_token = admin, .attester_token = attester,
           .run_id = to_hex(rid), .pcrs = pcrs, .pcr_json = "{\"sha256\":" + pcrs.json_bank() + "}",
           .log_base64 = base64_encode(log), .release_secret = release_secret, .ca = ca, .hosts = {}, .host_ids = {},
           .enrolled = std::latch(opt.connections), .go = std::latch(1)};
  s.hosts.resize(host_count);
  for (unsigned i = 0; i < host_count; ++i) s.host_ids.push_back(fmt::format("loadgen-{}-{}", s.run_id, i));

  std::vector<WorkerResult> results(opt.connections);
  std::vector<std::thread> threads;
  const auto setup_start = Clock::now();
  for (unsigned i = 0; i < opt.connections; ++i) {
    threads.emplace_back([&s, &results, i] { worker(s, i, results[i]); });
  }
  s.enrolled.wait();
  const double setup_s = std::chrono::duration<double>(Clock::now() - setup_start).count();
  std::string setup_errors;
  for (const auto& r : results) {
    if (!r.setup_error.empty()) setup_errors += "\n  " + r.setup_error;
  }
  if (!setup_errors.empty()) {
    s.go.count_down();  // deadline stays unset: workers return at once
    for (auto& t : threads) t.join();
    fail("host enrollment failed:" + setup_errors);
  }

  // The measured phase: CPU of both processes from here to the last response.
  const double server_cpu0 = opt.server_pid > 0 ? process_cpu_seconds(opt.server_pid) : 0;
  const double client_cpu0 = self_cpu_seconds();
  s.t0 = Clock::now();
  s.deadline = opt.count > 0 ? Clock::time_point::max() - std::chrono::hours(1)
                             : s.t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt.duration));
  s.go.count_down();
  for (auto& t : threads) t.join();
  Clock::time_point end = s.t0;
  for (const auto& r : results) end = std::max(end, r.last_done);
  const double elapsed = std::max(1e-9, std::chrono::duration<double>(end - s.t0).count());
  const double client_cpu = self_cpu_seconds() - client_cpu0;
  const double server_cpu = opt.server_pid > 0 ? process_cpu_seconds(opt.server_pid) - server_cpu0 : 0;

  Sample all;
  uint64_t affirming = 0, connects = 0, resumed = 0, request_bytes = 0, response_bytes = 0;
  size_t ear_signing_input = 0;
  std::map<std::string, uint64_t> errors;
  for (auto& r : results) {
    affirming += r.affirming;
    connects += r.connects;
    resumed += r.resumed;
    request_bytes += r.request_body_bytes;
    response_bytes += r.response_body_bytes;
    ear_signing_input = std::max(ear_signing_input, r.ear_signing_input);
    for (const auto& [k, v] : r.errors) errors[k] += v;
    auto append = [](std::vector<double>& to, const std::vector<double>& from) { to.insert(to.end(), from.begin(), from.end()); };
    append(all.exchange_us, r.samples.exchange_us);
    append(all.challenge_us, r.samples.challenge_us);
    append(all.attestation_us, r.samples.attestation_us);
    append(all.quote_us, r.samples.quote_us);
    append(all.release_us, r.samples.release_us);
  }
  uint64_t error_count = 0;
  for (const auto& [k, v] : errors) error_count += v;
  const uint64_t total = affirming + error_count;
  const double rate = static_cast<double>(affirming) / elapsed;
  const unsigned cores = opt.cores > 0 ? opt.cores : std::max(1u, std::thread::hardware_concurrency());
  const double per = total > 0 ? 1.0 / static_cast<double>(total) : 0;
  const double server_us = server_cpu * 1e6 * per;
  const double client_us = client_cpu * 1e6 * per;
  const double capacity = server_us > 0 ? cores * 1e6 / server_us : 0;
  const auto ex = percentiles(all.exchange_us), chp = percentiles(all.challenge_us),
             atp = percentiles(all.attestation_us), qp = percentiles(all.quote_us),
             relp = percentiles(all.release_us);

  json j = {{"connections", opt.connections}, {"hosts", host_count}, {"ak", opt.ak},
              {"mode", opt.rate > 0 ? "open" : "closed"}, {"target_rate", opt.rate}, {"elapsed_s", elapsed},
              {"setup_s", setup_s}, {"attestations", total}, {"affirming", affirming}, {"errors", error_count},
              {"attestations_per_s", rate}, {"exchange", to_json(ex)}, {"challenge_request", to_json(chp)},
              {"attestation_request", to_json(atp)}, {"client_quote", to_json(qp)},
              {"client_cpu_us_per_attestation", client_us}, {"cores", cores},
              {"tls_connects", connects}, {"tls_resumed", resumed}, {"errors_by_kind", errors},
              {"release_key", opt.release_key}, {"event_log_bytes", log.size()},
              {"ear_signing_input_bytes", ear_signing_input},
              {"request_body_bytes_per_attestation", affirming > 0 ? request_bytes / affirming : 0},
              {"response_body_bytes_per_attestation", affirming > 0 ? response_bytes / affirming : 0}};
  if (opt.release_key) j["key_release_request"] = to_json(relp);
  if (opt.server_pid > 0) {
    j["server_cpu_us_per_attestation"] = server_us;
    j["implied_server_capacity_per_s"] = capacity;
  }
  if (!opt.json_file.empty()) std::ofstream(opt.json_file) << j.dump(2) << '\n';
  if (opt.json_out) {
    std::cout << j.dump(2) << '\n';
  } else {
    fmt::print("attestd_loadgen: {} connections, {} hosts ({} AK){}, {} loop{}, {:.1f} s measured (setup {:.1f} s)\n\n",
               opt.connections, host_count, opt.ak == "ecc" ? "P-256 ECDSA" : "RSA-2048 RSASSA",
               opt.release_key ? ", key release" : "", opt.rate > 0 ? "open" : "closed",
               opt.rate > 0 ? fmt::format(" at {:.0f}/s", opt.rate) : "", elapsed, setup_s);
    fmt::print("| {:<36} | {:>10} | {:>8} | {:>8} | {:>8} | {:>8} |\n", "figure", "value", "p50 ms", "p90 ms",
               "p99 ms", "max ms");
    fmt::print("|{:-<38}|{:->12}|{:->10}|{:->10}|{:->10}|{:->10}|\n", "", "", "", "", "", "");
    fmt::print("| {:<36} | {:>10} | {:>8} | {:>8} | {:>8} | {:>8} |\n", "attestations (affirming / errors)",
               fmt::format("{}/{}", affirming, error_count), "", "", "", "");
    fmt::print("| {:<36} | {:>10.1f} | {:>8} | {:>8} | {:>8} | {:>8} |\n", "attestations/s", rate, "", "", "", "");
    auto row = [](const char* name, const Percentiles& p) {
      fmt::print("| {:<36} | {:>10} | {:>8.2f} | {:>8.2f} | {:>8.2f} | {:>8.2f} |\n", name, p.n, p.p50 / 1e3,
                 p.p90 / 1e3, p.p99 / 1e3, p.max / 1e3);
    };
    row(opt.rate > 0 ? "full exchange (from schedule)" : "full exchange", ex);
    row("  POST /v1/challenges", chp);
    row("  client quote + sign + body", qp);
    row("  POST /v1/attestations", atp);
    if (opt.release_key) row("  GET /v1/keys/{name}/release + JWE", relp);
    fmt::print("| {:<36} | {:>10.0f} | {:>8} | {:>8} | {:>8} | {:>8} |\n", "client CPU µs / attestation", client_us, "",
               "", "", "");
    if (opt.server_pid > 0) {
      fmt::print("| {:<36} | {:>10.0f} | {:>8} | {:>8} | {:>8} | {:>8} |\n", "server CPU µs / attestation", server_us,
                 "", "", "", "");
      fmt::print("| {:<36} | {:>10.0f} | {:>8} | {:>8} | {:>8} | {:>8} |\n",
                 fmt::format("implied server capacity ({} cores)/s", cores), capacity, "", "", "", "");
    }
    fmt::print("| {:<36} | {:>10} | {:>8} | {:>8} | {:>8} | {:>8} |\n", "TLS connects (resumed)",
               fmt::format("{} ({})", connects, resumed), "", "", "", "");
    if (!errors.empty()) {
      fmt::print("\nerrors by kind:\n");
      for (const auto& [k, v] : errors) fmt::print("  {:>8}  {}\n", v, k);
    }
  }
  return error_count == 0 && affirming > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{"attestd load generator: challenge + software TPM quote + attestation, over keep-alive HTTPS"};
  app.add_option("--url", opt.url, "https://HOST:PORT of attestd")->required();
  app.add_option("--cacert", opt.cacert, "PEM file to verify the server certificate (DATA/tls/server.crt)")->required();
  app.add_option("--admin-token", opt.admin_token_file, "file holding an admin token (DATA/demo-admin.token)");
  app.add_option("--attester-token", opt.attester_token_file, "file holding an attester token (attestctl token create)");
  app.add_option("--event-log", opt.event_log, "binary event log sent with every attestation")->capture_default_str();
  app.add_option("--connections", opt.connections, "keep-alive connections, one thread each")->capture_default_str();
  app.add_option("--hosts", opt.hosts, "simulated hosts (default: one per connection)");
  app.add_option("--extra-reference-values", opt.extra_reference_values,
                 "random alternatives added to the reference set's PCRs (a large golden set; verdicts stay affirming)");
  app.add_option("--duration", opt.duration, "seconds to run (ignored with --count)")->capture_default_str();
  app.add_option("--count", opt.count, "total attestations to run instead of a duration");
  app.add_option("--rate", opt.rate, "open-loop target attestations/s over all connections (0: closed loop)")
      ->capture_default_str();
  app.add_option("--ak", opt.ak, "AK type: rsa (RSA-2048 RSASSA-SHA256) or ecc (P-256 ECDSA-SHA256)")
      ->capture_default_str();
  app.add_flag("--release-key", opt.release_key,
               "bind a TEE key into each quote and fetch loadgen-key with the EAR (GET /v1/keys/NAME/release)");
  app.add_flag("--healthz", opt.healthz, "GET /healthz instead of the exchange: the HTTPS round-trip floor, no setup");
  app.add_option("--server-pid", opt.server_pid, "attestd's pid: report its CPU time per attestation (/proc/PID/stat)");
  app.add_option("--cores", opt.cores, "cores for the implied capacity (default: this machine's)");
  app.add_flag("--json", opt.json_out, "print the results as JSON instead of the table");
  app.add_option("--json-file", opt.json_file, "also write the results as JSON to this file");
  CLI11_PARSE(app, argc, argv);
  try {
    return opt.healthz ? run_healthz(opt) : run(opt);
  } catch (const std::exception& e) {
    std::cerr << "attestd_loadgen: " << e.what() << '\n';
    return 2;
  }
}
