#include "role_table.h"

#include <gtest/gtest.h>

namespace attestd::access_test {

namespace {

using server::Access;
using server::Method;
using server::Role;

const Access kAdmin = Access::roles({Role::admin});
const Access kReaders = Access::roles({Role::admin, Role::auditor});
const Access kAttester = Access::roles({Role::attester});
const Access kEnrollers = Access::roles({Role::attester, Role::admin});

const std::vector<Variant> kNoObject = {Variant::own};
const std::vector<Variant> kObject = {Variant::own, Variant::other, Variant::missing};
const std::vector<Variant> kNested = {Variant::own, Variant::other, Variant::missing, Variant::other_child,
                                      Variant::missing_child};

const Expect kOk{200, ""};
const Expect kCreated{201, ""};
const Expect kNotFound{404, "api.not_found"};

// The variant's choice among the caller's object, the other tenant's, and a fresh identifier
// shaped like the other tenant's (same prefix and length).
std::string pick(Variant v, const std::string& own, const std::string& other, const std::string& missing) {
  switch (v) {
    case Variant::own:
    case Variant::other_child:
    case Variant::missing_child: return own;
    case Variant::other: return other;
    case Variant::missing: return missing;
  }
  return own;
}

Call get(std::string target, std::vector<std::string> names = {}) {
  return {Method::get, std::move(target), std::nullopt, std::move(names)};
}

// Routes without an object: the caller's view of its own tenant.
RouteSpec collection(std::string pattern, Access access, std::function<void(World&, const HttpResponse&)> check = {}) {
  RouteSpec s;
  s.method = Method::get;
  s.pattern = pattern;
  s.access = access;
  s.object = "-";
  s.variants = kNoObject;
  s.call = [pattern](World&, Variant) { return get(pattern); };
  s.own = kOk;
  s.check_own = std::move(check);
  return s;
}

bool lists(const nlohmann::json& items, std::string_view member, const std::string& value) {
  if (!items.is_array()) return false;
  return std::any_of(items.begin(), items.end(), [&](const nlohmann::json& i) { return i.value(member, "") == value; });
}

void add_document_routes(std::vector<RouteSpec>& t, std::string collection_path, store::DocumentKind kind) {
  const bool policy = kind == store::DocumentKind::policy;
  const auto own_name = [policy](World& w) { return policy ? w.a.policy : w.a.reference_set; };
  const auto other_name = [policy](World& w) { return policy ? w.b.policy : w.b.reference_set; };
  const auto prefix = std::string(policy ? "policy" : "golden");
  const auto doc = [policy](World& w, const std::string& name) {
    return policy ? World::policy_doc(name, w.a.reference_set) : World::reference_set_doc(name);
  };
  const auto item = collection_path + "/{name}";
  const auto path = [collection_path](const std::string& name) { return collection_path + "/" + name; };

  // PUT of the other tenant's name is a new name for the caller: version 1, as for a fresh name,
  // never a 409 or version 2 that would betray the other tenant's document.
  t.push_back({Method::put,
               item,
               kAdmin,
               "path {name}: document name",
               kObject,
               [=](World& w, Variant v) {
                 const auto name =
                     pick(v, own_name(w), policy ? w.b.reused_policy : w.b.reused_set, World::random_name(prefix));
                 return Call{Method::put, path(name), doc(w, name), {name}};
               },
               kOk,
               kOk,
               {},
               false,
               {},
               [](World&, const HttpResponse& r) { EXPECT_GE(r.json().value("version", 0), 2) << r.body; }});
  t.push_back(
      {Method::get,
       item,
       kReaders,
       "path {name}: document name",
       kObject,
       [=](World& w, Variant v) {
         const auto name = pick(v, own_name(w), other_name(w), World::random_name(prefix));
         return get(path(name), {name});
       },
       kOk,
       kNotFound,
       {},
       false,
       {},
       [=](World& w, const HttpResponse& r) { EXPECT_EQ(r.json()["document"]["name"], own_name(w)) << r.body; }});
  // Each DELETE of the caller's own retires a document made for it, so no case depends on another.
  t.push_back({Method::delete_,
               item,
               kAdmin,
               "path {name}: document name",
               kObject,
               [=](World& w, Variant v) {
                 const auto name = v == Variant::own ? w.fresh_document(w.a, kind)
                                                     : pick(v, "", other_name(w), World::random_name(prefix));
                 return Call{Method::delete_, path(name), std::nullopt, {name}};
               },
               kOk,
               kNotFound,
               {},
               false,
               {},
               [](World&, const HttpResponse& r) { EXPECT_EQ(r.json()["retired"], true) << r.body; }});
  t.push_back(collection(collection_path, kReaders, [=](World& w, const HttpResponse& r) {
    EXPECT_TRUE(lists(r.json()["documents"], "name", own_name(w))) << r.body;
  }));
  t.push_back({Method::get,
               item + "/versions",
               kReaders,
               "path {name}: document name",
               kObject,
               [=](World& w, Variant v) {
                 const auto name = pick(v, own_name(w), other_name(w), World::random_name(prefix));
                 return get(path(name) + "/versions", {name});
               },
               kOk,
               kNotFound,
               {},
               false,
               {},
               [](World&, const HttpResponse& r) { EXPECT_FALSE(r.json()["versions"].empty()) << r.body; }});
}

std::vector<RouteSpec> build_table() {
  std::vector<RouteSpec> t;

  // Built-in and public routes: no tenant data, the same answer for everyone.
  for (const char* p : {"/healthz", "/readyz", "/metrics", "/.well-known/jwks.json"}) {
    t.push_back(collection(p, Access::anyone()));
  }

  // ---- hosts
  // Creating a host named like the other tenant's is creating a new host: 201, as for a fresh id.
  t.push_back({Method::post,
               "/v1/hosts",
               kAdmin,
               "body host_id: host id",
               kObject,
               [](World& w, Variant v) {
                 const auto id = pick(v, w.a.host, w.b.reused_host, World::random_name("host"));
                 const auto pem = World::shared_bytes("vmboot/nosb-direct/ak.pem");
                 return Call{Method::post,
                             "/v1/hosts",
                             nlohmann::json{{"host_id", id}, {"ak_public", std::string(pem.begin(), pem.end())}},
                             {id}};
               },
               {409, "api.conflict"},
               kCreated});
  t.push_back(collection("/v1/hosts", kReaders, [](World& w, const HttpResponse& r) {
    EXPECT_TRUE(lists(r.json()["hosts"], "host_id", w.a.host)) << r.body;
  }));
  t.push_back({Method::get,
               "/v1/hosts/{id}",
               kReaders,
               "path {id}: host id",
               kObject,
               [](World& w, Variant v) {
                 const auto id = pick(v, w.a.host, w.b.host, World::random_name("host"));
                 return get("/v1/hosts/" + id, {id});
               },
               kOk,
               kNotFound,
               {},
               false,
               {},
               [](World& w, const HttpResponse& r) {
                 EXPECT_EQ(r.json()["labels"]["canary"], w.a.canary) << r.body;
                 EXPECT_EQ(r.json()["trusted"], true) << r.body;
               }});
  t.push_back(
      {Method::patch, "/v1/hosts/{id}", kAdmin, "path {id}: host id", kObject,
       [](World& w, Variant v) {
         const auto id = pick(v, w.a.host, w.b.host, World::random_name("host"));
         return Call{Method::patch, "/v1/hosts/" + id, nlohmann::json{{"labels", {{"canary", w.a.canary}}}}, {id}};
       },
       kOk, kNotFound});
  // ---- host client certificates (issue 8). The own POST registers a fresh certificate; the own
  // DELETE revokes one registered for it, never the one Who::host_certificate presents.
  t.push_back({Method::post,
               "/v1/hosts/{id}/certificates",
               kAdmin,
               "path {id}: host id",
               kObject,
               [](World& w, Variant v) {
                 const auto id = pick(v, w.a.host, w.b.host, World::random_name("host"));
                 return Call{Method::post, "/v1/hosts/" + id + "/certificates",
                             nlohmann::json{{"certificate", w.fresh_certificate_pem()}}, {id}};
               },
               kCreated,
               kNotFound,
               {},
               false,
               {},
               [](World& w, const HttpResponse& r) { EXPECT_EQ(r.json()["host_id"], w.a.host) << r.body; }});
  t.push_back({Method::get,
               "/v1/hosts/{id}/certificates",
               kAdmin,
               "path {id}: host id",
               kObject,
               [](World& w, Variant v) {
                 const auto id = pick(v, w.a.host, w.b.host, World::random_name("host"));
                 return get("/v1/hosts/" + id + "/certificates", {id});
               },
               kOk,
               kNotFound,
               {},
               false,
               {},
               [](World& w, const HttpResponse& r) {
                 EXPECT_TRUE(lists(r.json()["certificates"], "certificate_id", w.a.certificate_id)) << r.body;
               }});
  {
    RouteSpec s{Method::delete_,
                "/v1/hosts/{id}/certificates/{cid}",
                kAdmin,
                "path {id}: host id, {cid}: certificate id",
                kNested,
                [](World& w, Variant v) {
                  const auto host = pick(v, w.a.host, w.b.host, World::random_name("host"));
                  std::string cid;
                  switch (v) {
                    case Variant::own: cid = w.fresh_certificate(w.a); break;
                    case Variant::other:
                    case Variant::other_child: cid = w.b.certificate_id; break;
                    case Variant::missing:
                    case Variant::missing_child: cid = World::random_id(); break;
                  }
                  return Call{Method::delete_, "/v1/hosts/" + host + "/certificates/" + cid, std::nullopt, {host, cid}};
                },
                kOk,
                kNotFound,
                {},
                false,
                {},
                [](World&, const HttpResponse& r) { EXPECT_FALSE(r.json()["revoked_at"].is_null()) << r.body; }};
    s.absent_child = kNotFound;
    t.push_back(std::move(s));
  }
  // A root the other tenant trusts is new to the caller: 201 as for a root nobody trusts; its
  // own root again is a conflict.
  t.push_back({Method::post,
               "/v1/tpm-roots",
               kAdmin,
               "body certificate: a trusted TPM root",
               kObject,
               [](World& w, Variant v) {
                 const auto pem = [](std::string_view rel) {
                   const auto b = World::shared_bytes(rel);
                   return "-----BEGIN CERTIFICATE-----\n" + World::base64(b) + "\n-----END CERTIFICATE-----\n";
                 };
                 std::string cert;
                 if (v == Variant::own) {
                   const auto b = World::shared_bytes("vmboot/nosb-direct/ca/issuercert.pem");
                   cert.assign(b.begin(), b.end());
                 } else if (v == Variant::other) {
                   cert = pem("go-tpm-tools/server/ca-certs/tpm_ek_root_1.cer");
                 } else {
                   cert = w.unused_root_pem;
                 }
                 return Call{Method::post, "/v1/tpm-roots", nlohmann::json{{"certificate", cert}}, {}};
               },
               {409, "api.conflict"},
               kCreated});

  // ---- credential activation
  // The own case runs the real enrollment: MakeCredential for the swtpm EK of the vmboot data,
  // whose certificate chains to the swtpm CA the caller's tenant trusts.
  t.push_back(
      {Method::post,
       "/v1/hosts/{id}/enrollment",
       kEnrollers,
       "path {id}: host id",
       kObject,
       [](World& w, Variant v) {
         const auto id = pick(v, w.a.host, w.b.host, World::random_name("host"));
         return Call{Method::post,
                     "/v1/hosts/" + id + "/enrollment",
                     nlohmann::json{{"ak_public", w.enrollment_body_ak},
                                    {"ek_public", w.enrollment_body_ek},
                                    {"ek_certificate", w.enrollment_body_ek_cert}},
                     {id}};
       },
       kCreated,
       kNotFound,
       {},
       true,
       {},
       [](World&, const HttpResponse& r) { EXPECT_FALSE(r.json().value("credential", "").empty()) << r.body; }});
  // The own case activates an enrollment made for it with a secret the test knows, so the real
  // activation (constant-time secret check, AK installed, host trusted) runs.
  {
    RouteSpec s{Method::post,
                "/v1/hosts/{id}/enrollment/{eid}/activate",
                kEnrollers,
                "path {id}: host id, {eid}: enrollment id",
                kNested,
                [](World& w, Variant v) {
                  std::string host;
                  std::string eid;
                  std::vector<uint8_t> secret(32, 0x5a);
                  if (v == Variant::own) {
                    host = w.a.host;
                    std::tie(eid, secret) = w.fresh_enrollment(w.a);
                  } else {
                    host = pick(v, w.a.host, w.b.host, World::random_name("host"));
                    eid = v == Variant::other || v == Variant::other_child ? w.b.enrollment : World::random_id();
                  }
                  return Call{Method::post,
                              "/v1/hosts/" + host + "/enrollment/" + eid + "/activate",
                              nlohmann::json{{"secret", World::base64(secret)}},
                              {host, eid}};
                },
                kOk,
                kNotFound,
                {},
                true,
                {},
                [](World& w, const HttpResponse& r) {
                  EXPECT_EQ(r.json()["host_id"], w.a.host) << r.body;
                  EXPECT_EQ(r.json()["trusted"], true) << r.body;
                }};
    s.absent_child = kNotFound;
    t.push_back(std::move(s));
  }

  // ---- challenges and attestations
  t.push_back({Method::post,
               "/v1/challenges",
               kAttester,
               "body host_id: host id",
               kObject,
               [](World& w, Variant v) {
                 const auto id = pick(v, w.a.host, w.b.host, World::random_name("host"));
                 return Call{Method::post, "/v1/challenges", nlohmann::json{{"host_id", id}}, {id}};
               },
               kCreated,
               kNotFound,
               {},
               true});
  // A full success needs real TPM evidence (the swtpm e2e tests have it). Here the own case sends
  // a fresh challenge of its trusted host and no evidence: it passes authorization, both lookups
  // and the appraisal, and is recorded with the verdict "contraindicated", which differs from
  // any not-found answer.
  {
    RouteSpec s{Method::post,
                "/v1/attestations",
                kAttester,
                "body host_id: host id, challenge_id: challenge id",
                kNested,
                [](World& w, Variant v) {
                  std::string host = pick(v, w.a.host, w.b.host, World::random_name("host"));
                  std::string challenge;
                  switch (v) {
                    case Variant::own: challenge = w.fresh_challenge(w.a, w.a.host); break;
                    case Variant::other:
                    case Variant::other_child: challenge = w.b.challenge; break;
                    case Variant::missing:
                    case Variant::missing_child: challenge = World::random_id(); break;
                  }
                  return Call{Method::post,
                              "/v1/attestations",
                              nlohmann::json{{"challenge_id", challenge}, {"host_id", host}},
                              {host, challenge}};
                },
                kOk,
                kNotFound,
                {},
                true,
                {},
                [](World&, const HttpResponse& r) { EXPECT_EQ(r.json()["verdict"], "contraindicated") << r.body; }};
    s.absent_child = {404, "attestation.challenge_not_found"};
    t.push_back(std::move(s));
  }
  t.push_back({Method::get,
               "/v1/attestations/{id}",
               kReaders,
               "path {id}: attestation id",
               kObject,
               [](World& w, Variant v) {
                 const auto id = pick(v, w.a.attestation, w.b.attestation, World::random_id());
                 return get("/v1/attestations/" + id, {id});
               },
               kOk,
               kNotFound,
               {},
               false,
               {},
               [](World& w, const HttpResponse& r) { EXPECT_EQ(r.json()["token"], w.a.attestation_token) << r.body; }});

  // ---- golden values and policies
  add_document_routes(t, "/v1/reference-sets", store::DocumentKind::reference_set);
  add_document_routes(t, "/v1/policies", store::DocumentKind::policy);

  // ---- audit
  // The host filter names an object: the other tenant's host finds nothing, like a missing one.
  t.push_back({Method::get,
               "/v1/audit",
               kReaders,
               "query host: host id",
               kObject,
               [](World& w, Variant v) {
                 const auto id = pick(v, w.a.host, w.b.host, World::random_name("host"));
                 return get("/v1/audit?host=" + id, {id});
               },
               kOk,
               kOk,
               {},
               false,
               {},
               [](World&, const HttpResponse& r) { EXPECT_FALSE(r.json()["records"].empty()) << r.body; }});
  t.push_back(collection("/v1/audit/export", kReaders, [](World& w, const HttpResponse& r) {
    EXPECT_NE(r.body.find(w.a.host), std::string::npos) << r.body.substr(0, 400);
  }));
  t.push_back(collection("/v1/audit/checkpoints", kReaders, [](World& w, const HttpResponse& r) {
    EXPECT_EQ(r.json()["tenant"], w.a.id) << r.body;
    EXPECT_TRUE(lists(r.json()["checkpoints"], "head", w.a.checkpoint_head)) << r.body;
  }));

  // ---- keys
  // PUT of the other tenant's key name creates the caller's version 1 (201), as for a fresh name;
  // the caller's own name is a rotation (200).
  t.push_back({Method::put,
               "/v1/keys/{name}",
               kAdmin,
               "path {name}: key name",
               kObject,
               [](World& w, Variant v) {
                 const auto name = pick(v, w.a.key, w.b.reused_key, World::random_name("key"));
                 return Call{Method::put,
                             "/v1/keys/" + name,
                             nlohmann::json{{"generate", "aes-256"}, {"policies", {w.a.policy}}},
                             {name}};
               },
               kOk,
               kCreated,
               {},
               false,
               {},
               [](World&, const HttpResponse& r) { EXPECT_GE(r.json().value("version", 0), 2) << r.body; }});
  t.push_back(collection("/v1/keys", kReaders, [](World& w, const HttpResponse& r) {
    EXPECT_TRUE(lists(r.json()["keys"], "name", w.a.key)) << r.body;
  }));
  t.push_back({Method::get,
               "/v1/keys/{name}",
               kReaders,
               "path {name}: key name",
               kObject,
               [](World& w, Variant v) {
                 const auto name = pick(v, w.a.key, w.b.key, World::random_name("key"));
                 return get("/v1/keys/" + name, {name});
               },
               kOk,
               kNotFound,
               {},
               false,
               {},
               [](World& w, const HttpResponse& r) { EXPECT_EQ(r.json()["name"], w.a.key) << r.body; }});
  t.push_back({Method::delete_,
               "/v1/keys/{name}",
               kAdmin,
               "path {name}: key name",
               kObject,
               [](World& w, Variant v) {
                 const auto name =
                     v == Variant::own ? w.fresh_key(w.a) : pick(v, "", w.b.key, World::random_name("key"));
                 return Call{Method::delete_, "/v1/keys/" + name, std::nullopt, {name}};
               },
               kOk,
               {404, "key.not_found"},
               {},
               false,
               {},
               [](World&, const HttpResponse& r) { EXPECT_EQ(r.json()["destroyed_versions"], 1) << r.body; }});
  // Public for the router: the bearer credential is an EAR the handler verifies itself. An API
  // token of any role is no EAR; the caller's EAR releases its own tenant's key and finds no key
  // of the other tenant (the EAR names the tenant, the path cannot).
  {
    RouteSpec s{Method::get,
                "/v1/keys/{name}/release",
                Access::anyone(),
                "path {name}: key name",
                kObject,
                [](World& w, Variant v) {
                  const auto name = pick(v, w.a.key, w.b.key, World::random_name("key"));
                  return get("/v1/keys/" + name + "/release", {name});
                },
                kOk,
                {404, "key.not_found"},
                {},
                false,
                [](Who who, Variant v) -> Expect {
                  if (who != Who::ear) return {401, "ear.invalid"};
                  return v == Variant::own ? kOk : Expect{404, "key.not_found"};
                },
                [](World&, const HttpResponse& r) {
                  const std::string jwe = r.json().value("jwe", "");
                  EXPECT_EQ(std::count(jwe.begin(), jwe.end(), '.'), 4) << r.body;  // JWE compact
                }};
    t.push_back(std::move(s));
  }

  // ---- operator: tenants and tokens. The operator manages every tenant, so "another tenant's
  // object" does not apply: the variants are an existing object and a missing one. Its answers
  // may name tenants and token ids but never tenant data or a token's secret.
  const Access kOperator = Access::roles({Role::operator_});
  const std::vector<Variant> kOwnOrMissing = {Variant::own, Variant::missing};
  t.push_back({Method::post, "/v1/tenants", kOperator, "body name: a new tenant name", kNoObject,
               [](World&, Variant) {
                 const auto name = World::random_name("tenant-x");
                 return Call{Method::post, "/v1/tenants", nlohmann::json{{"name", name}}, {name}};
               },
               kCreated, kCreated});
  t.push_back(collection("/v1/tenants", kOperator, [](World& w, const HttpResponse& r) {
    EXPECT_TRUE(lists(r.json()["tenants"], "name", w.a.name)) << r.body;
  }));
  // Deleting the other tenant would end the other tenant's part of this matrix: the own case
  // deletes a tenant made for it.
  t.push_back({Method::delete_,
               "/v1/tenants/{name}",
               kOperator,
               "path {name}: tenant name",
               kOwnOrMissing,
               [](World& w, Variant v) {
                 const auto name = v == Variant::own ? w.fresh_tenant() : World::random_name("tenant-x");
                 return Call{Method::delete_, "/v1/tenants/" + name, std::nullopt, {name}};
               },
               kOk,
               kNotFound,
               {},
               false,
               {},
               [](World&, const HttpResponse& r) { EXPECT_EQ(r.json()["deleted"], true) << r.body; }});
  t.push_back({Method::post,
               "/v1/tokens",
               kOperator,
               "body tenant: tenant name",
               kOwnOrMissing,
               [](World& w, Variant v) {
                 const auto name = v == Variant::own ? w.a.name : World::random_name("tenant-a");
                 return Call{Method::post, "/v1/tokens", nlohmann::json{{"tenant", name}, {"role", "auditor"}}, {name}};
               },
               kCreated,
               kNotFound,
               {},
               false,
               {},
               [](World&, const HttpResponse& r) { EXPECT_FALSE(r.json().value("token", "").empty()) << r.body; }});
  t.push_back({Method::get,
               "/v1/tokens",
               kOperator,
               "query tenant: tenant name",
               kOwnOrMissing,
               [](World& w, Variant v) {
                 const auto name = v == Variant::own ? w.a.name : World::random_name("tenant-a");
                 return get("/v1/tokens?tenant=" + name, {name});
               },
               kOk,
               kNotFound,
               {},
               false,
               {},
               [](World& w, const HttpResponse& r) {
                 EXPECT_TRUE(lists(r.json()["tokens"], "id", w.a.token_ids.front())) << r.body;
                 EXPECT_EQ(r.body.find(w.a.tokens.at(Who::admin)), std::string::npos) << "a token's secret, listed";
               }});
  t.push_back({Method::delete_,
               "/v1/tokens/{id}",
               kOperator,
               "path {id}: token id",
               kOwnOrMissing,
               [](World& w, Variant v) {
                 const auto id = v == Variant::own ? w.fresh_token(w.a) : World::random_id();
                 return Call{Method::delete_, "/v1/tokens/" + id, std::nullopt, {id}};
               },
               kOk,
               kNotFound,
               {},
               false,
               {},
               [](World&, const HttpResponse& r) { EXPECT_FALSE(r.json()["revoked_at"].is_null()) << r.body; }});
  return t;
}

}  // namespace

std::string_view to_string(Variant v) {
  switch (v) {
    case Variant::own: return "own";
    case Variant::other: return "other";
    case Variant::missing: return "missing";
    case Variant::other_child: return "other_child";
    case Variant::missing_child: return "missing_child";
  }
  return "?";
}

const std::vector<RouteSpec>& role_table() {
  static const std::vector<RouteSpec> table = build_table();
  return table;
}

Expect expected(const RouteSpec& spec, Who who, Variant variant) {
  if (spec.expect_public) return spec.expect_public(who, variant);
  const bool child = variant == Variant::other_child || variant == Variant::missing_child;
  const auto answer = [&](Variant v) {
    if (v == Variant::own) return spec.own;
    return child && spec.absent_child ? *spec.absent_child : spec.absent;
  };
  if (spec.access.is_public()) return answer(variant);
  const auto role = role_of(who);
  if (!role) {
    switch (who) {
      case Who::no_token: return {401, "auth.token.missing"};
      case Who::revoked_admin: return {401, "auth.token.revoked"};
      case Who::expired_admin: return {401, "auth.token.expired"};
      default: return {401, "auth.token.invalid"};
    }
  }
  if (!spec.access.admits(*role)) return {403, "auth.role.forbidden"};
  // A restricted attester acting for a host outside its list gets the answer of a missing host.
  if (who == Who::attester_restricted && spec.host_restricted) return spec.absent;
  return answer(variant);
}

}  // namespace attestd::access_test
