// attestctl golden learn|import|list|show|diff|retire: reference sets (issue 5). learn and import
// work locally and upload the result with PUT /v1/reference-sets/{name} unless --dry-run; the other
// commands read the server's versions.
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <map>
#include <set>

#include "api_client.h"
#include "attestd/evidence/eventlog/event_log.h"
#include "attestd/evidence/eventlog/event_types.h"
#include "attestd/evidence/eventlog/replay.h"
#include "attestd/evidence/eventlog/replay_check.h"
#include "attestd/evidence/eventlog/digest_check.h"
#include "attestd/evidence/rim/verify.h"
#include "attestd/evidence/x509/certificate.h"
#include "attestd/policy/boot_events.h"
#include "attestd/policy/corim.h"
#include "attestd/policy/gpu_import.h"
#include "attestd/policy/learn.h"
#include "attestd/policy/reference_set.h"
#include "commands.h"
#include "file_io.h"
#include "pcr_input.h"
#include "table.h"
#include "time_arg.h"

namespace attestd::cli {

namespace {

namespace el = evidence::eventlog;

struct GoldenOptions {
  ServerOptions server;
  bool json = false;
  bool dry_run = false;
  std::string name;
  std::string description;
  std::string eventlog;
  std::string pcrs;
  std::vector<uint32_t> only_pcrs;
  std::vector<std::string> rims;
  std::string corim;
  std::string json_file;
  std::string rim_root = std::string(ATTESTD_GOLDEN_VALUES_DIR) + "/nvidia/rim_root.pem";
  std::string at;
  std::string ref;   // SET or SET@VERSION
  std::string ref2;  // for diff
};

int fail(const std::string& message, int code = kExitInvalid) {
  std::cerr << "attestctl: " << message << "\n";
  return code;
}

std::string short_hex(const evidence::Digest& d) {
  const std::string h = d.hex();
  return h.size() > 16 ? h.substr(0, 16) + "..." : h;
}

std::string type_name(uint32_t type) {
  return el::is_known_event_type(type) ? std::string(el::event_type_name(type)) : fmt::format("{:#010x}", type);
}

std::string digest_cell(const std::map<evidence::HashAlg, evidence::Digest>& digests) {
  std::string out;
  for (const auto& [alg, d] : digests) {
    if (!out.empty()) out += " ";
    out += fmt::format("{}:{}", evidence::hash_alg_name(alg), short_hex(d));
  }
  return out;
}

// The kind a reference event would have as a log event, for grouping the listing.
std::string kind_of(const policy::ReferenceEvent& e) {
  policy::BootEvent b;
  b.pcr = e.pcr;
  b.type = e.type;
  if (e.type == el::EV_IPL) b.text = e.description;
  if (e.type == el::EV_EVENT_TAG && e.description.find("0x8f3b22ed") != std::string::npos) b.tag_id = policy::kLoadOptionsTagId;
  return std::string(policy::to_string(policy::classify(b)));
}

// One table cell: grub commands span lines, which would break the table apart.
std::string one_line(std::string text) {
  for (size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 2)) text.replace(at, 1, "\\n");
  return text;
}

// The human listing of a reference set: what will be trusted, grouped as a reviewer reads it.
void print_set(const policy::ReferenceSet& set, std::ostream& out) {
  out << fmt::format("reference set {}{}\n", set.name, set.description.empty() ? "" : " — " + set.description);
  if (!set.events.empty()) {
    out << fmt::format("\n{} measured-boot events:\n", set.events.size());
    Table t({"pcr", "kind", "type", "digest", "what"});
    for (const auto& e : set.events) {
      t.add({std::to_string(e.pcr), kind_of(e), type_name(e.type), digest_cell(e.digests), one_line(e.description)});
    }
    t.print(out);
  }
  if (!set.pcrs.empty()) {
    out << "\nPCR values:\n";
    Table t({"bank", "pcr", "allowed"});
    for (const auto& [bank, indices] : set.pcrs) {
      for (const auto& [index, values] : indices) {
        std::string cell;
        for (const auto& v : values) cell += (cell.empty() ? "" : ", ") + v.hex();
        t.add({std::string(evidence::hash_alg_name(bank)), std::to_string(index), cell});
      }
    }
    t.print(out);
  }
  if (!set.gpu.empty()) {
    out << "\nGPU measurements:\n";
    Table t({"model", "index", "alternatives"});
    for (const auto& [model, indices] : set.gpu) {
      for (const auto& [index, values] : indices) {
        std::string cell;
        for (const auto& v : values) {
          const std::string h = evidence::to_hex(v);
          cell += (cell.empty() ? "" : ", ") + (h.size() > 16 ? h.substr(0, 16) + "..." : h);
        }
        t.add({model, std::to_string(index), cell});
      }
    }
    t.print(out);
  }
}

// Prints the set (--dry-run or --json) or uploads it as the next version of its name.
int emit(const GoldenOptions& o, const policy::ReferenceSet& set) {
  const nlohmann::json doc = policy::to_json(set);
  // Our own output must be a document our parser accepts; anything else is a bug, never uploaded.
  if (auto check = policy::parse_reference_set(doc.dump()); !check) {
    return fail(fmt::format("internal: the reference set does not parse: {}", check.error().front().message));
  }
  if (o.dry_run) {
    if (o.json) {
      std::cout << doc.dump(2) << "\n";
    } else {
      print_set(set, std::cout);
      std::cout << "\n(dry run: nothing uploaded)\n";
    }
    return kExitValid;
  }
  auto client = ApiClient::create(o.server);
  if (!client) return fail(client.error(), kExitUsage);
  auto r = client->put("/v1/reference-sets/" + url_encode(set.name), doc);
  if (int rc = report_api_error(r); rc != kExitValid) return rc;
  auto answer = r->json();
  if (o.json) {
    std::cout << (answer ? answer->dump(2) : r->body) << "\n";
  } else {
    print_set(set, std::cout);
    std::cout << fmt::format("\nuploaded reference set {} version {}\n", set.name,
                             answer ? answer->value("version", int64_t{0}) : int64_t{0});
  }
  return kExitValid;
}

int learn(const GoldenOptions& o) {
  if (!policy::is_valid_name(o.name)) return fail(fmt::format("--name \"{}\" is not a valid name", o.name), kExitUsage);
  auto bytes = read_file(o.eventlog);
  if (!bytes) return fail(bytes.error(), kExitUsage);
  auto log = el::parse_event_log(*bytes);
  if (!log) return fail(fmt::format("{}: {}: {}", o.eventlog, log.error().id, log.error().message));
  for (const auto& e : el::check_event_digests(*log)) return fail(fmt::format("{}: {}: {}", o.eventlog, e.id, e.message));
  const auto replayed = el::replay_pcrs(*log);
  for (const auto& e : replayed.reasons) return fail(fmt::format("{}: {}: {}", o.eventlog, e.id, e.message));

  policy::LearnOptions options{o.name, o.description, o.only_pcrs, nullptr, {}};
  evidence::PcrValues pcrs;
  if (!o.pcrs.empty()) {
    auto pcr_bytes = read_file(o.pcrs);
    if (!pcr_bytes) return fail(pcr_bytes.error(), kExitUsage);
    auto parsed = parse_pcr_input(*pcr_bytes);
    if (!parsed) return fail(fmt::format("{}: {}", o.pcrs, parsed.error()));
    pcrs = std::move(*parsed);
    // A machine is only "known good" if its log is what its TPM holds.
    const auto cmp = el::compare_replay(replayed, pcrs);
    if (!cmp.ok()) {
      for (const auto& e : cmp.mismatches) std::cerr << "attestctl: " << e.id << ": " << e.message << "\n";
      return fail(fmt::format("{} does not replay to the PCR values of {}: nothing learned", o.eventlog, o.pcrs));
    }
    std::set<uint32_t> touched;
    for (const auto& [bank, indices] : cmp.verified) touched.insert(indices.begin(), indices.end());
    options.pcr_values = &pcrs;
    options.pcr_values_touched.assign(touched.begin(), touched.end());
  } else if (!o.json) {
    std::cerr << "attestctl: warning: no --pcrs: nothing shows that this log is what the TPM measured; review it\n";
  }
  const auto events = policy::boot_events(*log);
  return emit(o, policy::learn_reference_set(events, options));
}

int import(const GoldenOptions& o) {
  const int sources = (o.rims.empty() ? 0 : 1) + (o.corim.empty() ? 0 : 1) + (o.json_file.empty() ? 0 : 1);
  if (sources != 1) return fail("give exactly one of --rim FILE..., --corim FILE, --json FILE", kExitUsage);
  if (!o.json_file.empty()) {
    auto bytes = read_file(o.json_file);
    if (!bytes) return fail(bytes.error(), kExitUsage);
    auto set = policy::parse_reference_set(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
    if (!set) {
      for (const auto& e : set.error()) std::cerr << "attestctl: " << e.id << ": " << e.message << "\n";
      return fail(fmt::format("{} is not a valid reference set", o.json_file));
    }
    if (!o.name.empty() && o.name != set->name) {
      return fail(fmt::format("--name {} differs from the document's name {}", o.name, set->name), kExitUsage);
    }
    return emit(o, *set);
  }
  if (!policy::is_valid_name(o.name)) return fail(fmt::format("--name \"{}\" is not a valid name", o.name), kExitUsage);
  policy::ReferenceSet set;
  set.name = o.name;
  set.description = o.description;
  if (!o.corim.empty()) {
    auto bytes = read_file(o.corim);
    if (!bytes) return fail(bytes.error(), kExitUsage);
    if (auto added = policy::add_corim_reference_values(set, *bytes); !added) {
      return fail(fmt::format("{}: {}: {}", o.corim, added.error().id, added.error().message));
    }
    return emit(o, set);
  }
  auto root_pem = read_file(o.rim_root);
  if (!root_pem) return fail(root_pem.error(), kExitUsage);
  auto root = evidence::x509::parse_certificate_pem(std::string_view(reinterpret_cast<const char*>(root_pem->data()), root_pem->size()));
  if (!root) return fail(fmt::format("{}: {}", o.rim_root, root.error().message), kExitUsage);
  auto at = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  if (!o.at.empty()) {
    auto t = parse_time_arg(o.at);
    if (!t) return fail(t.error(), kExitUsage);
    at = *t;
  }
  std::vector<evidence::rim::Rim> rims;
  for (const auto& file : o.rims) {
    auto bytes = read_file(file);
    if (!bytes) return fail(bytes.error(), kExitUsage);
    // Signature and chain to the pinned NVIDIA RIM root, always: an unsigned golden value is a guess.
    auto v = evidence::rim::verify_rim(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()), *root, at);
    if (!v.valid) {
      for (const auto& e : v.reasons) std::cerr << "attestctl: " << file << ": " << e.id << ": " << e.message << "\n";
      return fail(fmt::format("{} does not verify: nothing imported", file));
    }
    if (!o.json) {
      std::cerr << fmt::format("{}: {} {} {} (signature verified)\n", file, v.rim->info.name, v.rim->info.edition,
                               v.rim->info.colloquial_version);
    }
    rims.push_back(std::move(*v.rim));
  }
  if (auto added = policy::add_rim_reference_values(set, rims); !added) {
    return fail(fmt::format("{}: {}", added.error().id, added.error().message));
  }
  return emit(o, set);
}

// "SET" or "SET@N".
std::expected<std::pair<std::string, std::optional<int64_t>>, std::string> split_ref(const std::string& ref) {
  const auto at = ref.find('@');
  if (at == std::string::npos) return std::pair{ref, std::optional<int64_t>{}};
  const std::string v = ref.substr(at + 1);
  if (v.empty() || v.size() > 12 || v.find_first_not_of("0123456789") != std::string::npos || v[0] == '0') {
    return std::unexpected(fmt::format("\"{}\": the version after @ must be a positive integer", ref));
  }
  return std::pair{ref.substr(0, at), std::optional<int64_t>{std::stoll(v)}};
}

std::expected<nlohmann::json, int> fetch(ApiClient& client, const std::string& collection, const std::string& ref) {
  auto parts = split_ref(ref);
  if (!parts) return std::unexpected(fail(parts.error(), kExitUsage));
  std::string target = collection + "/" + url_encode(parts->first);
  if (parts->second) target += fmt::format("?version={}", *parts->second);
  auto r = client.get(target);
  if (int rc = report_api_error(r); rc != kExitValid) return std::unexpected(rc);
  auto doc = r->json();
  if (!doc || !doc->contains("document")) return std::unexpected(fail("unexpected answer from " + client.url()));
  return *doc;
}

int list(const GoldenOptions& o) {
  auto client = ApiClient::create(o.server);
  if (!client) return fail(client.error(), kExitUsage);
  auto r = client->get("/v1/reference-sets");
  if (int rc = report_api_error(r); rc != kExitValid) return rc;
  auto doc = r->json();
  if (!doc || !doc->contains("documents")) return fail("unexpected answer from " + client->url());
  if (o.json) {
    std::cout << (*doc)["documents"].dump(2) << "\n";
    return kExitValid;
  }
  Table t({"name", "version", "created"});
  for (const auto& d : (*doc)["documents"]) {
    t.add({d.value("name", ""), std::to_string(d.value("version", int64_t{0})), d.value("created_at", "")});
  }
  t.print(std::cout);
  return kExitValid;
}

int show(const GoldenOptions& o) {
  auto client = ApiClient::create(o.server);
  if (!client) return fail(client.error(), kExitUsage);
  auto doc = fetch(*client, "/v1/reference-sets", o.ref);
  if (!doc) return doc.error();
  if (o.json) {
    std::cout << doc->dump(2) << "\n";
    return kExitValid;
  }
  auto set = policy::parse_reference_set_json((*doc)["document"]);
  if (!set) return fail("the stored document no longer parses: " + set.error().front().message);
  std::cout << fmt::format("version {}\n", doc->value("version", int64_t{0}));
  print_set(*set, std::cout);
  return kExitValid;
}

// One line per golden value, so that a diff is a set difference of lines.
std::set<std::string> lines_of(const policy::ReferenceSet& set) {
  std::set<std::string> out;
  for (const auto& e : set.events) {
    std::string digests;
    for (const auto& [alg, d] : e.digests) digests += fmt::format(" {}:{}", evidence::hash_alg_name(alg), d.hex());
    out.insert(fmt::format("event pcr {} {}{} {}", e.pcr, type_name(e.type), digests, e.description));
  }
  for (const auto& [bank, indices] : set.pcrs) {
    for (const auto& [index, values] : indices) {
      for (const auto& v : values) out.insert(fmt::format("pcr {}:{} {}", evidence::hash_alg_name(bank), index, v.hex()));
    }
  }
  for (const auto& [model, indices] : set.gpu) {
    for (const auto& [index, values] : indices) {
      for (const auto& v : values) out.insert(fmt::format("gpu {} index {} {}", model, index, evidence::to_hex(v)));
    }
  }
  return out;
}

int diff(const GoldenOptions& o) {
  auto client = ApiClient::create(o.server);
  if (!client) return fail(client.error(), kExitUsage);
  std::vector<policy::ReferenceSet> sets;
  for (const auto& ref : {o.ref, o.ref2}) {
    auto doc = fetch(*client, "/v1/reference-sets", ref);
    if (!doc) return doc.error();
    auto set = policy::parse_reference_set_json((*doc)["document"]);
    if (!set) return fail(ref + ": the stored document no longer parses: " + set.error().front().message);
    sets.push_back(std::move(*set));
  }
  const auto a = lines_of(sets[0]);
  const auto b = lines_of(sets[1]);
  nlohmann::json removed = nlohmann::json::array();
  nlohmann::json added = nlohmann::json::array();
  for (const auto& l : a) {
    if (!b.contains(l)) removed.push_back(l);
  }
  for (const auto& l : b) {
    if (!a.contains(l)) added.push_back(l);
  }
  if (o.json) {
    std::cout << nlohmann::json{{"from", o.ref}, {"to", o.ref2}, {"removed", removed}, {"added", added}}.dump(2) << "\n";
  } else {
    std::cout << fmt::format("--- {}\n+++ {}\n", o.ref, o.ref2);
    for (const auto& l : removed) std::cout << "- " << l.get<std::string>() << "\n";
    for (const auto& l : added) std::cout << "+ " << l.get<std::string>() << "\n";
    if (removed.empty() && added.empty()) std::cout << "(no difference)\n";
  }
  return kExitValid;
}

int retire(const GoldenOptions& o) {
  auto client = ApiClient::create(o.server);
  if (!client) return fail(client.error(), kExitUsage);
  auto r = client->del("/v1/reference-sets/" + url_encode(o.ref));
  if (int rc = report_api_error(r); rc != kExitValid) return rc;
  if (o.json) {
    std::cout << r->body << "\n";
  } else {
    std::cout << fmt::format("retired reference set {} (its versions are kept)\n", o.ref);
  }
  return kExitValid;
}

}  // namespace

void add_golden_commands(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<GoldenOptions>();
  auto* golden = app.add_subcommand("golden", "reference sets: learn, import, list, show, diff, retire");
  golden->require_subcommand(1);

  auto* learn_cmd = golden->add_subcommand("learn", "derive a reference set from a known-good machine's event log");
  learn_cmd->add_option("--eventlog", o->eventlog, "binary_bios_measurements of the machine")->required();
  learn_cmd->add_option("--pcrs", o->pcrs, "its PCR values (JSON or tpm2 PCR file): the log must replay to them");
  learn_cmd->add_option("--name", o->name, "reference set name")->required();
  learn_cmd->add_option("--description", o->description, "description stored with the set");
  learn_cmd->add_option("--pcr", o->only_pcrs, "learn only events of these PCRs (repeatable)");
  learn_cmd->add_flag("--dry-run", o->dry_run, "print what was learned; upload nothing");
  learn_cmd->add_flag("--json", o->json, "print JSON");
  add_server_options(*learn_cmd, o->server);
  learn_cmd->callback([o, &exit_code] { exit_code = learn(*o); });

  auto* import_cmd = golden->add_subcommand("import", "a reference set from NVIDIA RIMs, a CoRIM or a JSON document");
  import_cmd->add_option("--rim", o->rims, "NVIDIA RIM (SWID XML), signature checked; repeat for driver and VBIOS");
  import_cmd->add_option("--corim", o->corim, "unsigned CoRIM (CBOR) with reference-value triples");
  import_cmd->add_option("--json", o->json_file, "reference-set JSON document");
  import_cmd->add_option("--name", o->name, "reference set name (required for --rim and --corim)");
  import_cmd->add_option("--description", o->description, "description stored with the set");
  import_cmd->add_option("--rim-root", o->rim_root, "PEM of the NVIDIA RIM root (default: golden-values/nvidia)");
  import_cmd->add_option("--at", o->at, "verification time of the RIM signatures (default: now)");
  import_cmd->add_flag("--dry-run", o->dry_run, "print the set; upload nothing");
  import_cmd->add_flag("--print-json", o->json, "print JSON");
  add_server_options(*import_cmd, o->server);
  import_cmd->callback([o, &exit_code] { exit_code = import(*o); });

  auto* list_cmd = golden->add_subcommand("list", "the reference sets on the server (newest live version of each)");
  list_cmd->add_flag("--json", o->json, "print JSON");
  add_server_options(*list_cmd, o->server);
  list_cmd->callback([o, &exit_code] { exit_code = list(*o); });

  auto* show_cmd = golden->add_subcommand("show", "one reference set (SET or SET@VERSION)");
  show_cmd->add_option("SET", o->ref, "name, or name@version")->required();
  show_cmd->add_flag("--json", o->json, "print JSON");
  add_server_options(*show_cmd, o->server);
  show_cmd->callback([o, &exit_code] { exit_code = show(*o); });

  auto* diff_cmd = golden->add_subcommand("diff", "what changed between two versions (SET@v1 SET@v2)");
  diff_cmd->add_option("FROM", o->ref, "SET@VERSION")->required();
  diff_cmd->add_option("TO", o->ref2, "SET@VERSION")->required();
  diff_cmd->add_flag("--json", o->json, "print JSON");
  add_server_options(*diff_cmd, o->server);
  diff_cmd->callback([o, &exit_code] { exit_code = diff(*o); });

  auto* retire_cmd = golden->add_subcommand("retire", "retire a reference set (versions are kept)");
  retire_cmd->add_option("SET", o->ref, "name")->required();
  retire_cmd->add_flag("--json", o->json, "print JSON");
  add_server_options(*retire_cmd, o->server);
  retire_cmd->callback([o, &exit_code] { exit_code = retire(*o); });
}

}  // namespace attestd::cli
