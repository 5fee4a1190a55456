#include "harness.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "attestd/broker/kek.h"
#include "attestd/broker/key_broker.h"
#include "attestd/result/ear.h"
#include "attestd/result/signing_key.h"
#include "attestd/server/request.h"
#include "attestd/server/router.h"
#include "attestd/service/service.h"
#include "fixed_inputs.h"
#include "stub_store.h"

namespace attestd::fuzz_http {

namespace {

constexpr std::string_view kToken = "fuzz-attester-token";
constexpr std::string_view kTenantId = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0";

// A property the service promises does not hold: say which, then abort so libFuzzer keeps the
// input (and the replay test fails).
[[noreturn]] void violated(const std::string& what, const server::Response& r) {
  std::fprintf(stderr, "http_attestation_fuzz: property violated: %s\nstatus %d, body: %.2000s\n", what.c_str(),
               r.status, r.body.c_str());
  std::abort();
}

[[noreturn]] void setup_failed(const std::string& what) {
  std::fprintf(stderr, "http_attestation_fuzz: setup failed: %s\n", what.c_str());
  std::abort();
}

std::string read_text(const std::string& relative) {
  const std::string path = std::string(ATTESTD_HTTP_FUZZ_SOURCE_DIR) + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) setup_failed("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// DER SubjectPublicKeyInfo of a PEM private key: what the hosts are registered with.
store::Bytes spki_of(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = bio != nullptr ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (key == nullptr) setup_failed("fixed AK PEM does not load");
  const int len = i2d_PUBKEY(key, nullptr);
  store::Bytes der(static_cast<size_t>(len > 0 ? len : 0));
  uint8_t* p = der.data();
  if (len <= 0 || i2d_PUBKEY(key, &p) != len) setup_failed("fixed AK has no SPKI");
  EVP_PKEY_free(key);
  return der;
}

store::Sha256 sha256_of(std::string_view text) {
  store::Sha256 out{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
}

std::chrono::system_clock::time_point fixed_now() {
  return std::chrono::system_clock::time_point(std::chrono::seconds(kNowUnixSeconds));
}

store::Timestamp at(std::chrono::seconds offset) {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(fixed_now() + offset);
}

bool known_verdict(std::string_view v) {
  return v == "affirming" || v == "warning" || v == "contraindicated" || v == "none";
}

}  // namespace

std::string Outcome::summary() const {
  std::string out = fmt::format("{} {}", status, status == 200 ? verdict : problem_id);
  if (!reasons.empty()) {
    out += " [";
    for (const auto& id : reasons) out += (id == *reasons.begin() ? "" : " ") + id;
    out += "]";
  }
  for (const auto& [name, result] : keys) out += fmt::format(" {}={}", name, result);
  return out;
}

struct Harness::World {
  std::shared_ptr<StubStore> store;
  std::shared_ptr<const result::KeySet> keys;
  std::optional<server::Router> router;
};

Harness::Harness() : world_(std::make_unique<World>()) {
  auto& w = *world_;
  w.store = std::make_shared<StubStore>(std::string(kTenantId));
  StubStore& s = *w.store;
  s.add_token(sha256_of(kToken), store::Role::attester, std::nullopt);

  struct HostSpec {
    const char* id;
    std::string_view ak_pem;
    nlohmann::json labels;
    bool trusted;
  };
  const HostSpec hosts[] = {
      {"vm-pcr", kRsaAkPem, {{"image", "vmboot"}, {"boot", "sb-shim-grub"}}, true},
      {"vm-events", kEccAkPem, {{"image", "vmboot"}, {"boot", "sb-shim-grub-events"}}, true},
      {"vm-gpu", kRsaAkPem, {{"role", "gpu-node"}}, true},
      {"vm-nopolicy", kRsaAkPem, nlohmann::json::object(), true},
      {"vm-untrusted", kRsaAkPem, nlohmann::json::object(), false},
  };
  for (const auto& h : hosts) {
    store::Host host;
    host.host_id = h.id;
    host.ak_public = spki_of(h.ak_pem);
    host.labels = h.labels;
    host.trusted = h.trusted;
    host.created_at = at(std::chrono::hours(-24));
    s.add_host(std::move(host));
    store::Challenge c;
    c.id = fmt::format("c-{}", h.id);
    c.host_id = h.id;
    std::copy(kNonce.begin(), kNonce.end(), c.nonce.begin());
    c.created_at = at(std::chrono::seconds(-10));
    c.expires_at = at(std::chrono::seconds(110));
    s.add_challenge(c);
    if (std::string_view(h.id) == "vm-pcr") {
      store::Challenge expired = c;
      expired.id = "c-vm-pcr-expired";
      expired.created_at = at(std::chrono::seconds(-130));
      expired.expires_at = at(std::chrono::seconds(-10));
      s.add_challenge(expired);
      store::Challenge used = c;
      used.id = "c-vm-pcr-used";
      used.consumed_at = at(std::chrono::seconds(-5));
      s.add_challenge(used);
    }
  }

  const auto policy = store::DocumentKind::policy;
  const auto refset = store::DocumentKind::reference_set;
  const std::pair<store::DocumentKind, const char*> documents[] = {
      {policy, "golden-values/examples/policy-vmboot-sb-shim-grub.json"},
      {policy, "golden-values/examples/policy-vmboot-sb-events.json"},
      {policy, "golden-values/examples/policy-h100-node.json"},
      {refset, "golden-values/examples/reference-set-vmboot-sb-shim-grub.json"},
      {refset, "golden-values/examples/reference-set-vmboot-sb-shim-grub-events.json"},
      {refset, "golden-values/examples/reference-set-gh100-driver-550.144.03.json"},
  };
  for (const auto& [kind, file] : documents) {
    auto doc = nlohmann::json::parse(read_text(file), nullptr, false);
    if (doc.is_discarded() || !doc.contains("name") || !doc["name"].is_string()) setup_failed(file);
    s.add_document(kind, doc["name"].get<std::string>(), doc, at(std::chrono::hours(-24)));
  }

  auto signing = result::SigningKey::generate();
  if (!signing) setup_failed("EAR signing key: " + signing.error().message);
  w.keys = std::make_shared<const result::KeySet>(*signing);

  std::array<uint8_t, broker::kKekSize> kek_bytes{};
  kek_bytes.fill(0x4b);
  auto broker = std::make_shared<broker::KeyBroker>(w.store, broker::Kek::from_bytes(kek_bytes));
  const store::RequestContext setup_ctx{at(std::chrono::hours(-1)), "fuzz-setup", ""};
  const std::vector<std::string> vmboot_policies = {"vmboot-secure-boot", "vmboot-secure-boot-events"};
  for (const bool gpu : {false, true}) {
    broker::SecretBytes secret(32);
    std::fill(secret.span().begin(), secret.span().end(), gpu ? 0x47 : 0x53);
    broker::KeyConditions conditions;
    conditions.host_labels["image"] = "vmboot";
    conditions.gpu_required = gpu;
    auto put = broker->put(s.setup_scope(), gpu ? "gpu-only-key" : "vmboot-disk-key", secret, vmboot_policies,
                           conditions, setup_ctx);
    if (!put) setup_failed("sealing a key");
  }

  service::ServiceDeps deps;
  deps.store = w.store;
  deps.keys = w.keys;
  deps.clock = fixed_now;
  deps.broker = broker;
  service::ServiceOptions options;
  options.nvidia_device_root_pem = read_text("golden-values/nvidia/device_identity_root.pem");
  auto api = service::make_api(deps, options);
  if (!api) setup_failed("make_api: " + api.error());
  auto router = server::Router::create(std::move(api->routes), {api->authenticator, api->auth_failure_observer});
  if (!router) setup_failed("router: " + router.error());
  w.router.emplace(std::move(*router));
}

Harness::~Harness() = default;

Harness& Harness::instance() {
  static Harness harness;
  return harness;
}

Outcome Harness::run(std::span<const uint8_t> input) {
  ++counts_.inputs;
  Outcome out;
  if (input.empty()) return out;
  auto& w = *world_;
  w.store->reset();

  const bool cbor_body = (input[0] & 1U) != 0;
  const bool cbor_answer = (input[0] & 2U) != 0;
  server::Request req;
  req.method = server::Method::post;
  req.target = "/v1/attestations";
  req.path = req.target;
  req.headers = {{"authorization", fmt::format("Bearer {}", kToken)},
                 {"content-type", cbor_body ? "application/cbor" : "application/json"}};
  if (cbor_answer) req.headers.emplace_back("accept", "application/cbor");
  req.content_type = cbor_body ? "application/cbor" : "application/json";
  req.body.assign(reinterpret_cast<const char*>(input.data() + 1), input.size() - 1);
  req.client_address = "127.0.0.1";
  req.client_port = 40000;
  req.request_id = "fuzz";

  const server::Response r = w.router->dispatch(req);
  out.status = r.status;
  const auto effects = w.store->effects();
  w.store->reset();  // drop the recorded attestation now: the next input meets the seeded state anyway
  if (r.status >= 500) violated("no 5xx on any input", r);
  if (effects.consumed > 1) violated("a challenge is consumed at most once per request", r);
  if ((r.status == 200) != (effects.consumed == 1)) violated("the challenge is consumed exactly when 200", r);

  if (r.status != 200) {
    auto problem = nlohmann::json::parse(r.body, nullptr, false);
    if (problem.is_discarded() || !problem.contains("reasons") || !problem["reasons"].is_array() ||
        problem["reasons"].empty() || !problem["reasons"][0].contains("id") ||
        !problem["reasons"][0]["id"].is_string() || problem["reasons"][0]["id"].get<std::string>().empty()) {
      violated("a problem answer names a reason id", r);
    }
    out.problem_id = problem["reasons"][0]["id"].get<std::string>();
    if (effects.audit_rows != 0) violated("a refused request releases no key", r);
    return out;
  }

  const bool is_cbor = r.content_type.starts_with("application/cbor");
  if (is_cbor != cbor_answer) violated("the answer is in the encoding the client accepts", r);
  nlohmann::json answer = is_cbor ? nlohmann::json::from_cbor(r.body, true, false)
                                  : nlohmann::json::parse(r.body, nullptr, false);
  if (answer.is_discarded() || !answer.is_object()) violated("a 200 answer is an object", r);
  if (!answer.contains("verdict") || !answer["verdict"].is_string() ||
      !known_verdict(answer["verdict"].get<std::string>())) {
    violated("a 200 answer has a known verdict", r);
  }
  out.verdict = answer["verdict"].get<std::string>();
  if (!answer.contains("reasons") || !answer["reasons"].is_array()) violated("a 200 answer lists its reasons", r);
  for (const auto& reason : answer["reasons"]) {
    if (!reason.is_object() || !reason.contains("id") || !reason["id"].is_string()) violated("a reason has an id", r);
    out.reasons.insert(reason["id"].get<std::string>());
  }
  if ((out.verdict == "affirming") != out.reasons.empty() && out.verdict != "warning") {
    violated("affirming exactly when nothing is wrong", r);
  }
  if (!answer.contains("token") || !answer["token"].is_string()) violated("a 200 answer carries an EAR", r);
  const auto now_s = std::chrono::floor<std::chrono::seconds>(fixed_now());
  result::EarExpectations expect;
  expect.nonce = std::span<const uint8_t>(kNonce);
  auto ear = result::verify_ear(answer["token"].get<std::string>(), w.keys->verification_keys(), now_s, expect);
  if (!ear) violated("the EAR verifies with the challenge nonce: " + ear.error().message, r);

  size_t decisions = 0;
  if (answer.contains("keys")) {
    if (!answer["keys"].is_object()) violated("keys is an object", r);
    for (const auto& [name, jwe] : answer["keys"].items()) {
      if (out.verdict != "affirming") violated("keys are released only with an affirming verdict", r);
      if (!ear->tee_key_spki) violated("keys are released only to a TEE key bound into the EAR", r);
      if (!jwe.is_string()) violated("a released key is a JWE string", r);
      out.keys[name] = "released";
      ++decisions;
      ++counts_.released;
    }
  }
  if (answer.contains("key_refusals")) {
    for (const auto& [name, why] : answer["key_refusals"].items()) {
      if (!why.is_object() || !why.contains("id") || !why["id"].is_string()) violated("a refusal has an id", r);
      out.keys[name] = why["id"].get<std::string>();
      ++decisions;
    }
  }
  if (static_cast<size_t>(effects.audit_rows) != decisions) violated("every key decision is audited", r);

  if (out.verdict == "affirming") ++counts_.affirming;
  if (out.verdict == "warning") ++counts_.warning;
  if (out.verdict == "contraindicated") ++counts_.contraindicated;
  if (out.verdict == "none") ++counts_.none;
  return out;
}

}  // namespace attestd::fuzz_http
