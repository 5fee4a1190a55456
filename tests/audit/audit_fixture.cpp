// Writes a small but realistic audit log through the real store and checkpointer, for the tamper
// tests: two tenants with hosts, challenges, attestations (with reason ids), documents, and
// checkpoints signed with DIR/ear-signing-key.pem.
//   audit_fixture DIR
#include <fmt/format.h>
#include <openssl/rand.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "attestd/result/signing_key.h"
#include "attestd/service/audit_checkpoints.h"
#include "attestd/store/store.h"

using namespace attestd;

namespace {

store::Timestamp at(int64_t ms) { return store::Timestamp(std::chrono::milliseconds(1'704'067'200'000LL + ms)); }
store::RequestContext ctx(int64_t ms) { return {at(ms), fmt::format("req-{}", ms), "192.0.2.7"}; }

store::Sha256 random32() {
  store::Sha256 h{};
  RAND_bytes(h.data(), static_cast<int>(h.size()));
  return h;
}

int die(const std::string& what) {
  fmt::print(stderr, "audit_fixture: {}\n", what);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return die("usage: audit_fixture DIR");
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
  auto opened = store::Store::open(dir / "attestd.db", {.durability = store::Durability::normal});
  if (!opened) return die(opened.error().message);
  std::shared_ptr<store::Store> st = std::move(*opened);
  auto keys = result::load_or_create_key_set(dir);
  if (!keys) return die(keys.error().message);
  auto key_set = std::make_shared<const result::KeySet>(std::move(*keys));
  service::Checkpointer checkpointer(st, key_set, {.every_records = 1000, .interval = std::chrono::seconds(60)},
                                     [] { return std::chrono::system_clock::time_point(at(500'000)); });

  int64_t t = 0;
  for (const std::string tenant : {"acme", "globex"}) {
    if (!st->create_tenant(tenant, "fixture-operator", ctx(++t))) return die("tenant");
    store::NewToken token;
    token.role = store::Role::admin;
    token.token_sha256 = random32();
    if (!st->create_token(tenant, token, "fixture-operator", ctx(++t))) return die("token");
    auto cred = st->authenticate(token.token_sha256, at(t));
    if (!cred) return die("authenticate");
    const store::TenantScope scope = *cred->scope;
    if (!st->put_document(scope, store::DocumentKind::policy, "default", {{"name", "default"}}, ctx(++t))) {
      return die("policy");
    }
    for (int h = 0; h < 3; ++h) {
      store::NewHost host;
      host.host_id = fmt::format("{}-web-{}", tenant, h);
      host.ak_public = {1, 2, 3};
      host.ak_name = {0, 11, 0xaa};
      if (!st->create_host(scope, host, ctx(++t))) return die("host");
      for (int round = 0; round < 2; ++round) {
        ++t;
        auto ch = st->create_challenge(scope, host.host_id, random32(), at(t + 120'000), ctx(t));
        if (!ch) return die("challenge");
        store::NewAttestation a;
        a.verdict = round == 0 ? store::Verdict::affirming : store::Verdict::contraindicated;
        if (round == 1) a.reasons = {{"tpm.quote.pcr_digest_mismatch", "PCR 7"}, {"eventlog.replay.pcr_mismatch", ""}};
        a.token = "eyJ.fixture";
        a.policy_name = "default";
        a.policy_version = 1;
        a.evidence_digests = {{"tpm.quote", fmt::format("{:064x}", t)}};
        if (!st->consume_challenge_and_record(scope, ch->id, host.host_id, a, ctx(++t))) return die("attestation");
      }
      // A checkpoint in the middle of the chain and, at the end, one over all of it.
      if (h == 1) {
        if (auto r = checkpointer.run_once(/*force=*/true); !r) return die(r.error());
      }
    }
  }
  if (auto r = checkpointer.run_once(/*force=*/true); !r) return die(r.error());
  fmt::print("{}\n", (dir / "attestd.db").string());
  return 0;
}
