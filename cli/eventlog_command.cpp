// attestctl eventlog show|replay
#include <fmt/format.h>

#include <bitset>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <variant>

#include "attestd/evidence/eventlog/digest_check.h"
#include "attestd/evidence/eventlog/event_data.h"
#include "attestd/evidence/eventlog/event_log.h"
#include "attestd/evidence/eventlog/event_types.h"
#include "attestd/evidence/eventlog/replay.h"
#include "commands.h"
#include "file_io.h"
#include "json_out.h"

namespace attestd::cli {

namespace el = evidence::eventlog;
using json = nlohmann::ordered_json;

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;  // clang 16 lacks CTAD for aggregates

std::string_view no_action_kind_name(el::NoAction::Kind kind) {
  switch (kind) {
    case el::NoAction::Kind::spec_id: return "spec_id";
    case el::NoAction::Kind::startup_locality: return "startup_locality";
    case el::NoAction::Kind::sp800_155: return "sp800_155";
    case el::NoAction::Kind::nv_index: return "nv_index";
    case el::NoAction::Kind::other: return "other";
  }
  return "other";
}

json data_json(const el::EventData& data) {
  return std::visit(
      Overloaded{
          [](const el::RawData& d) -> json { return {{"kind", "raw"}, {"hex", evidence::to_hex(d.data)}}; },
          [](const el::EfiVariable& v) -> json {
            return {{"kind", "efi_variable"},
                    {"guid", v.guid.to_string()},
                    {"name", v.name},
                    {"data_size", v.data.size()},
                    {"data", evidence::to_hex(v.data)}};
          },
          [](const el::ImageLoad& i) -> json {
            return {{"kind", "image_load"},
                    {"location", i.location},
                    {"length", i.length},
                    {"link_time_address", i.link_time_address},
                    {"device_path", i.device_path}};
          },
          [](const el::Text& t) -> json { return {{"kind", "text"}, {"text", t.text}}; },
          [](const el::EventTag& t) -> json {
            return {{"kind", "event_tag"}, {"id", t.id}, {"data", evidence::to_hex(t.data)}};
          },
          [](const el::Separator& s) -> json { return {{"kind", "separator"}, {"value", s.value}}; },
          [](const el::FirmwareBlob& b) -> json {
            return {{"kind", "firmware_blob"}, {"base", b.base}, {"length", b.length}, {"description", b.description}};
          },
          [](const el::GptEvent& g) -> json {
            json parts = json::array();
            for (const auto& p : g.partitions) {
              parts.push_back({{"type", p.type.to_string()},
                               {"unique", p.unique.to_string()},
                               {"first_lba", p.first_lba},
                               {"last_lba", p.last_lba},
                               {"name", p.name}});
            }
            return {{"kind", "gpt"}, {"disk_guid", g.disk_guid.to_string()}, {"partitions", parts}};
          },
          [](const el::NoAction& n) -> json {
            return {{"kind", "no_action"}, {"what", no_action_kind_name(n.kind)}, {"locality", n.locality}};
          },
      },
      data);
}

// Keeps `show` at one line per event: control characters in event text become escapes.
std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  return out;
}

std::string data_summary(const el::EventData& data) {
  return std::visit(
      Overloaded{
          [](const el::RawData& d) { return fmt::format("{} bytes", d.data.size()); },
          [](const el::EfiVariable& v) {
            return fmt::format("{} ({}) {} bytes", v.name, v.guid.to_string(), v.data.size());
          },
          [](const el::ImageLoad& i) {
            return fmt::format("image base={:#x} len={:#x} {}", i.location, i.length, i.device_path);
          },
          [](const el::Text& t) { return fmt::format("'{}'", one_line(t.text)); },
          [](const el::EventTag& t) { return fmt::format("tag {:#x} {} bytes", t.id, t.data.size()); },
          [](const el::Separator& s) { return fmt::format("{:08x}", s.value); },
          [](const el::FirmwareBlob& b) {
            return fmt::format("blob base={:#x} len={:#x}{}", b.base, b.length,
                               b.description.empty() ? "" : " " + b.description);
          },
          [](const el::GptEvent& g) { return fmt::format("GPT, {} partitions", g.partitions.size()); },
          [](const el::NoAction& n) { return std::string(no_action_kind_name(n.kind)); },
      },
      data);
}

int show(const std::string& path, bool as_json) {
  auto bytes = read_file(path);
  if (!bytes) {
    std::cerr << "attestctl: " << bytes.error() << "\n";
    return kExitUsage;
  }
  auto log = el::parse_event_log(*bytes);
  if (!log) {
    if (as_json) {
      std::cout << json{{"events", json::array()}, {"reasons", json::array({reason_json(log.error())})}}.dump(1) << "\n";
    } else {
      std::cerr << "attestctl: " << path << ": " << log.error().message << " (" << log.error().id << ")\n";
    }
    return kExitInvalid;
  }
  std::vector<evidence::Error> reasons = el::check_event_digests(*log);
  json events = json::array();
  for (const auto& event : log->events) {
    auto decoded = el::decode_event_data(event);
    if (!decoded) reasons.push_back(decoded.error());
    if (as_json) {
      json digests = json::object();
      for (const auto& d : event.digests) digests[std::string(evidence::hash_alg_name(d.alg))] = d.digest.hex();
      json e = {{"index", event.index},     {"pcr", event.pcr},  {"type", event.type},
                {"type_name", el::event_type_name(event.type)}, {"digests", digests}};
      e["data"] = decoded ? data_json(*decoded) : json{{"kind", "invalid"}, {"hex", evidence::to_hex(event.data)}};
      events.push_back(std::move(e));
    } else {
      std::string digest;
      if (!event.digests.empty()) {
        const auto& d = event.digests[event.digests.size() - 1];
        digest = fmt::format("{}:{}", evidence::hash_alg_name(d.alg), d.digest.hex().substr(0, 16));
      }
      std::cout << fmt::format("{:4} PCR{:<2} {:<34} {:<24} {}\n", event.index, event.pcr,
                               el::event_type_name(event.type), digest,
                               decoded ? data_summary(*decoded) : "<" + decoded.error().message + ">");
    }
  }
  if (as_json) {
    std::cout << json{{"events", events}, {"reasons", reasons_json(reasons)}}.dump(1) << "\n";
  } else {
    for (const auto& r : reasons) std::cout << "reason: " << r.id << ": " << r.message << "\n";
  }
  return reasons.empty() ? kExitValid : kExitInvalid;
}

int replay(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes) {
    std::cerr << "attestctl: " << bytes.error() << "\n";
    return kExitUsage;
  }
  auto log = el::parse_event_log(*bytes);
  if (!log) {
    std::cout << json{{"banks", json::object()},
                      {"touched", json::array()},
                      {"events", 0},
                      {"reasons", json::array({reason_json(log.error())})}}
                     .dump(1)
              << "\n";
    return kExitInvalid;
  }
  const el::Replay replayed = el::replay_pcrs(*log);
  std::vector<evidence::Error> reasons = replayed.reasons;
  for (auto& r : el::check_event_digests(*log)) reasons.push_back(std::move(r));
  json touched = json::array();
  for (uint32_t i = 0; i < evidence::kPcrCount; ++i) {
    if (replayed.touched.test(i)) touched.push_back(i);
  }
  json incomplete = json::array();
  for (auto alg : replayed.incomplete_banks) incomplete.push_back(std::string(evidence::hash_alg_name(alg)));
  std::cout << json{{"banks", pcrs_json(replayed.pcrs)},
                    {"touched", touched},
                    {"incomplete_banks", incomplete},
                    {"events", log->events.size()},
                    {"reasons", reasons_json(reasons)}}
                   .dump(1)
            << "\n";
  return reasons.empty() ? kExitValid : kExitInvalid;
}

}  // namespace

void add_eventlog_commands(CLI::App& app, int& exit_code) {
  auto* eventlog = app.add_subcommand("eventlog", "Inspect and replay TCG PC Client measured-boot event logs");
  eventlog->require_subcommand(1);

  struct Options {
    std::string path;
    bool json = false;
  };
  auto show_opts = std::make_shared<Options>();
  auto* show_cmd = eventlog->add_subcommand("show", "List the events, one line each, with decoded data");
  show_cmd->add_option("FILE", show_opts->path, "binary_bios_measurements file")->required();
  show_cmd->add_flag("--json", show_opts->json, "Print JSON");
  show_cmd->callback([&exit_code, show_opts] { exit_code = show(show_opts->path, show_opts->json); });

  auto replay_opts = std::make_shared<Options>();
  auto* replay_cmd = eventlog->add_subcommand("replay", "Replay every bank and print the resulting PCRs as JSON");
  replay_cmd->add_option("FILE", replay_opts->path, "binary_bios_measurements file")->required();
  replay_cmd->add_flag("--json", replay_opts->json, "Print JSON (the only output form)");
  replay_cmd->callback([&exit_code, replay_opts] { exit_code = replay(replay_opts->path); });
}

}  // namespace attestd::cli
