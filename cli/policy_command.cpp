// attestctl policy apply|show|test (issue 5). apply checks the document locally (every error, with
// its JSON Pointer) before PUT /v1/policies/{name}; test appraises local evidence against a local
// policy and reference sets, without a server and without attesting: the dry run before a rollout.
//
// `policy test --evidence DIR` reads (the layout of testdata/vmboot/<boot>/, what a host collects):
//   DIR/eventlog.bin           binary_bios_measurements (optional)
//   DIR/pcrs.json              PCR values, {"sha256": {"0": "<hex>", ...}} or a tpm2 PCR file
//   DIR/quote.msg, quote.sig   TPMS_ATTEST and TPMT_SIGNATURE (optional; then also:)
//   DIR/ak.pub                 the AK (TPM2B_PUBLIC or PEM)
//   DIR/nonce.hex              the qualifying data the quote was made with
//   DIR/policy.json            the policy, unless --policy FILE is given
//   DIR/reference-sets/*.json  reference sets, besides any --reference-set FILE
// With a quote, it is verified and only the PCRs it selects count as quoted. Without one, the PCR
// values are taken as given and the output says so: the answer is then what the policy would decide
// if a quote vouched for them.
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "api_client.h"
#include "attestd/evidence/digest.h"
#include "attestd/evidence/eventlog/digest_check.h"
#include "attestd/evidence/eventlog/event_log.h"
#include "attestd/evidence/eventlog/event_types.h"
#include "attestd/evidence/eventlog/replay.h"
#include "attestd/evidence/eventlog/replay_check.h"
#include "attestd/evidence/tpm/public_key.h"
#include "attestd/evidence/tpm/quote.h"
#include "attestd/policy/appraisal.h"
#include "attestd/policy/boot_events.h"
#include "attestd/policy/policy_document.h"
#include "attestd/policy/reference_set.h"
#include "commands.h"
#include "file_io.h"
#include "pcr_input.h"
#include "table.h"
#include "time_arg.h"

namespace attestd::cli {

namespace {

namespace fs = std::filesystem;
namespace el = evidence::eventlog;

struct PolicyOptions {
  ServerOptions server;
  bool json = false;
  std::string file;
  std::string ref;
  std::string evidence_dir;
  std::string policy_file;
  std::vector<std::string> reference_sets;
  std::string at;
};

int fail(const std::string& message, int code = kExitInvalid) {
  std::cerr << "attestctl: " << message << "\n";
  return code;
}

std::string_view text_of(const std::vector<uint8_t>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// One table cell: grub commands in messages span lines, which would break the table apart.
std::string one_line(std::string text) {
  for (size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 2)) text.replace(at, 1, "\\n");
  return text;
}

void print_errors(const std::string& what, const std::vector<evidence::Error>& errors) {
  for (const auto& e : errors) std::cerr << "attestctl: " << what << ": " << e.id << ": " << e.message << "\n";
}

std::expected<policy::Policy, int> load_policy(const std::string& path, nlohmann::json* document = nullptr) {
  auto bytes = read_file(path);
  if (!bytes) return std::unexpected(fail(bytes.error(), kExitUsage));
  auto p = policy::parse_policy(text_of(*bytes));
  if (!p) {
    print_errors(path, p.error());
    return std::unexpected(fail(fmt::format("{} is not a valid policy", path)));
  }
  if (document != nullptr) *document = nlohmann::json::parse(text_of(*bytes));
  return *p;
}

int apply(const PolicyOptions& o) {
  nlohmann::json doc;
  auto p = load_policy(o.file, &doc);
  if (!p) return p.error();
  auto client = ApiClient::create(o.server);
  if (!client) return fail(client.error(), kExitUsage);
  auto r = client->put("/v1/policies/" + url_encode(p->name), doc);
  if (int rc = report_api_error(r); rc != kExitValid) return rc;
  auto answer = r->json();
  if (o.json) {
    std::cout << (answer ? answer->dump(2) : r->body) << "\n";
  } else {
    std::cout << fmt::format("applied policy {} version {}\n", p->name, answer ? answer->value("version", int64_t{0}) : 0);
  }
  return kExitValid;
}

int show(const PolicyOptions& o) {
  const auto at = o.ref.find('@');
  std::string target = "/v1/policies/" + url_encode(o.ref.substr(0, at));
  if (at != std::string::npos) target += "?version=" + url_encode(o.ref.substr(at + 1));
  auto client = ApiClient::create(o.server);
  if (!client) return fail(client.error(), kExitUsage);
  auto r = client->get(target);
  if (int rc = report_api_error(r); rc != kExitValid) return rc;
  auto doc = r->json();
  if (!doc || !doc->contains("document")) return fail("unexpected answer from " + client->url());
  if (o.json) {
    std::cout << doc->dump(2) << "\n";
    return kExitValid;
  }
  std::cout << fmt::format("policy {} version {}\n", doc->value("name", ""), doc->value("version", int64_t{0}))
            << (*doc)["document"].dump(2) << "\n";
  return kExitValid;
}

// The TPM claims of an evidence directory (layout at the top of this file).
std::expected<policy::TpmClaims, int> local_tpm(const fs::path& dir, bool& quote_checked) {
  policy::TpmClaims tpm;
  auto pcr_bytes = read_file((dir / "pcrs.json").string());
  if (!pcr_bytes) return std::unexpected(fail(pcr_bytes.error(), kExitUsage));
  auto pcrs = parse_pcr_input(*pcr_bytes);
  if (!pcrs) return std::unexpected(fail(fmt::format("{}: {}", (dir / "pcrs.json").string(), pcrs.error())));
  tpm.pcrs = *pcrs;
  quote_checked = fs::exists(dir / "quote.msg");
  if (quote_checked) {
    auto msg = read_file((dir / "quote.msg").string());
    auto sig = read_file((dir / "quote.sig").string());
    auto ak_bytes = read_file((dir / "ak.pub").string());
    auto nonce_text = read_file((dir / "nonce.hex").string());
    for (const auto* f : {&msg, &sig, &ak_bytes, &nonce_text}) {
      if (!*f) return std::unexpected(fail(f->error(), kExitUsage));
    }
    std::string hex(text_of(*nonce_text));
    std::erase_if(hex, [](char c) { return c == '\n' || c == '\r' || c == ' '; });
    const auto nonce = evidence::from_hex(hex);
    if (!nonce) return std::unexpected(fail((dir / "nonce.hex").string() + ": not hex", kExitUsage));
    auto ak = evidence::tpm::load_public_key(*ak_bytes);
    if (!ak) {
      tpm.quote_reasons.push_back(ak.error());
    } else {
      const std::vector<uint8_t> n(nonce->begin(), nonce->end());
      auto v = evidence::tpm::verify_quote(*ak, *msg, *sig, n, *pcrs);
      tpm.quote_verified = v.valid;
      tpm.quote_reasons = v.reasons;
      // Only what the quote selects is quoted.
      evidence::PcrValues selected;
      for (const auto& s : v.claims.selections) {
        for (const uint32_t i : s.pcrs) {
          const auto bank = pcrs->find(s.alg);
          if (bank != pcrs->end() && bank->second.contains(i)) selected[s.alg][i] = bank->second.at(i);
        }
      }
      tpm.pcrs = selected;
    }
  } else {
    tpm.quote_verified = true;  // a dry run over the given values; the output says so
  }
  if (fs::exists(dir / "eventlog.bin")) {
    auto bytes = read_file((dir / "eventlog.bin").string());
    if (!bytes) return std::unexpected(fail(bytes.error(), kExitUsage));
    tpm.event_log_present = true;
    // As the service does it (verifier/service/attestations_api.cpp verify_tpm).
    auto log = el::parse_event_log(*bytes);
    if (!log) {
      tpm.event_log_reasons.push_back(log.error());
    } else {
      const auto replayed = el::replay_pcrs(*log);
      tpm.event_log_reasons = replayed.reasons;
      for (auto& r : el::check_event_digests(*log)) tpm.event_log_reasons.push_back(std::move(r));
      auto cmp = el::compare_replay(replayed, tpm.pcrs);
      tpm.event_log_reasons.insert(tpm.event_log_reasons.end(), cmp.mismatches.begin(), cmp.mismatches.end());
      tpm.event_log_verified_pcrs = cmp.verified;
      tpm.boot_events = std::make_shared<const std::vector<policy::BootEvent>>(policy::boot_events(*log));
    }
    tpm.event_log_verified = tpm.event_log_reasons.empty();
  }
  return tpm;
}

int test(const PolicyOptions& o) {
  const fs::path dir(o.evidence_dir);
  if (!fs::is_directory(dir)) return fail(o.evidence_dir + " is not a directory", kExitUsage);
  const std::string policy_path = o.policy_file.empty() ? (dir / "policy.json").string() : o.policy_file;
  auto p = load_policy(policy_path);
  if (!p) return p.error();

  std::vector<std::string> set_files = o.reference_sets;
  if (fs::is_directory(dir / "reference-sets")) {
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(dir / "reference-sets")) {
      if (entry.path().extension() == ".json") found.push_back(entry.path().string());
    }
    std::sort(found.begin(), found.end());
    set_files.insert(set_files.end(), found.begin(), found.end());
  }
  std::vector<policy::ReferenceSet> sets;
  for (const auto& f : set_files) {
    auto bytes = read_file(f);
    if (!bytes) return fail(bytes.error(), kExitUsage);
    auto s = policy::parse_reference_set(text_of(*bytes));
    if (!s) {
      print_errors(f, s.error());
      return fail(f + " is not a valid reference set");
    }
    sets.push_back(std::move(*s));
  }

  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  if (!o.at.empty()) {
    auto t = parse_time_arg(o.at);
    if (!t) return fail(t.error(), kExitUsage);
    now = *t;
  }
  policy::Claims claims;
  // Local evidence was made when it was made; freshness is a property of attesting, not of this test.
  claims.evidence_time = now;
  bool quote_checked = false;
  if (fs::exists(dir / "pcrs.json")) {
    auto tpm = local_tpm(dir, quote_checked);
    if (!tpm) return tpm.error();
    claims.tpm = std::move(*tpm);
  }
  const auto a = policy::appraise(*p, sets, claims, now);

  if (o.json) {
    nlohmann::json reasons = nlohmann::json::array();
    for (const auto& r : a.reasons) {
      nlohmann::json item = {{"id", std::string(r.id)}, {"message", r.message}, {"submod", r.submod}};
      if (r.event) {
        item["event"] = {{"index", r.event->index}, {"pcr", r.event->pcr},
                         {"type", std::string(el::event_type_label(r.event->type))}, {"digest", r.event->digest}};
      }
      reasons.push_back(std::move(item));
    }
    std::cout << nlohmann::json{{"policy", p->name},
                                {"verdict", std::string(policy::to_string(a.verdict))},
                                {"quote_verified_locally", quote_checked},
                                {"reasons", reasons},
                                {"releasable_keys", a.releasable_keys}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << fmt::format("policy {}: {}\n", p->name, policy::to_string(a.verdict));
    if (claims.tpm && !quote_checked) {
      std::cout << "(no quote in the evidence: the PCR values were taken as given)\n";
    }
    if (!a.reasons.empty()) {
      Table t({"reason", "event", "message"});
      for (const auto& r : a.reasons) {
        t.add({std::string(r.id),
               r.event ? fmt::format("#{} pcr {} {}", r.event->index, r.event->pcr, el::event_type_label(r.event->type)) : "",
               one_line(r.message)});
      }
      t.print(std::cout);
    }
  }
  return a.verdict == policy::Verdict::affirming ? kExitValid : kExitInvalid;
}

}  // namespace

void add_policy_commands(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<PolicyOptions>();
  auto* policy_cmd = app.add_subcommand("policy", "policies: apply, show, test locally");
  policy_cmd->require_subcommand(1);

  auto* apply_cmd = policy_cmd->add_subcommand("apply", "check a policy document and store it as its next version");
  apply_cmd->add_option("FILE", o->file, "policy JSON")->required();
  apply_cmd->add_flag("--json", o->json, "print JSON");
  add_server_options(*apply_cmd, o->server);
  apply_cmd->callback([o, &exit_code] { exit_code = apply(*o); });

  auto* show_cmd = policy_cmd->add_subcommand("show", "a stored policy (NAME or NAME@VERSION)");
  show_cmd->add_option("NAME", o->ref, "name, or name@version")->required();
  show_cmd->add_flag("--json", o->json, "print JSON");
  add_server_options(*show_cmd, o->server);
  show_cmd->callback([o, &exit_code] { exit_code = show(*o); });

  auto* test_cmd = policy_cmd->add_subcommand(
      "test", "appraise local evidence against a local policy without attesting (exit 0 only when affirming)");
  test_cmd->add_option("--evidence", o->evidence_dir, "evidence directory (layout: docs/policy.md)")->required();
  test_cmd->add_option("--policy", o->policy_file, "policy JSON (default: DIR/policy.json)");
  test_cmd->add_option("--reference-set", o->reference_sets, "reference-set JSON (repeatable; adds to DIR/reference-sets)");
  test_cmd->add_option("--at", o->at, "the time to appraise at (default: now)");
  test_cmd->add_flag("--json", o->json, "print JSON");
  test_cmd->callback([o, &exit_code] { exit_code = test(*o); });
}

}  // namespace attestd::cli
