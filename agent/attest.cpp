// One attestation (DESIGN.md §1): challenge → binding → quote → evidence → verdict → keys.
#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "commands.h"
#include "event_log.h"
#include "jwe_decrypt.h"
#include "nvml_gpus.h"

namespace attestd::agent {

namespace {

std::optional<Bytes> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Key names come from the service ([A-Za-z0-9._-]); refuse anything that could leave --out.
bool safe_file_name(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

// The key is created 0600 from the start (O_EXCL on a temporary name, then renamed), so there is
// no moment at which another user could open it.
std::expected<void, Error> write_key(const std::filesystem::path& dir, const std::string& name, const Bytes& key) {
  const auto path = dir / name;
  const auto tmp = dir / ("." + name + ".tmp");
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return std::unexpected(Error{"agent.key.write_failed", fmt::format("cannot create {}", tmp.string())});
  const bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
  ::close(fd);
  std::error_code ec;
  if (ok) std::filesystem::rename(tmp, path, ec);
  if (!ok || ec) {
    ::unlink(tmp.c_str());
    return std::unexpected(Error{"agent.key.write_failed", fmt::format("cannot write {}", path.string())});
  }
  return {};
}

// NVML hands out the report as bytes; NVIDIA's SDK and tools store it as hex text. Take either.
Bytes report_bytes(Bytes file) {
  std::string text(file.begin(), file.end());
  std::erase_if(text, [](char c) { return c == '\n' || c == '\r' || c == ' ' || c == '\t'; });
  if (!text.empty()) {
    if (auto decoded = from_hex(text)) return std::move(*decoded);
  }
  return file;
}

nlohmann::json pcr_json(const QuoteResult& q) {
  nlohmann::json banks = nlohmann::json::object();
  for (const auto& [bank, values] : q.pcrs) {
    nlohmann::json b = nlohmann::json::object();
    for (const auto& [index, value] : values) b[std::to_string(index)] = to_hex(value);
    banks[bank] = std::move(b);
  }
  return banks;
}

}  // namespace

std::expected<AttestOutcome, Error> attest_once(const Config& config, const AttestOptions& options, AgentTpm& tpm,
                                                ServerApi& api) {
  auto challenge = api.post("/v1/challenges", {{"host_id", config.host_id}});
  if (!challenge) return std::unexpected(challenge.error());
  const auto nonce = from_hex(challenge->value("nonce", std::string()));
  const auto challenge_id = challenge->value("challenge_id", std::string());
  if (!nonce || nonce->empty() || challenge_id.empty()) {
    return std::unexpected(Error{"agent.server.bad_answer", "challenge without nonce or challenge_id"});
  }

  // The ephemeral key lives in this stack frame only: its private half is never serialised.
  std::optional<EphemeralKey> key;
  if (!options.release.empty() || options.bind_key) {
    auto k = EphemeralKey::generate(config.key_type);
    if (!k) return std::unexpected(k.error());
    key = std::move(*k);
  }
  const Bytes qualifying = binding(*nonce, key ? &*key : nullptr);

  std::expected<QuoteResult, Error> quote = std::unexpected(Error{});
  {
    TpmDeadline deadline(std::chrono::seconds(config.tpm_timeout_s));
    quote = tpm.tpm->quote(qualifying, config.pcrs);
  }
  if (!quote) return std::unexpected(quote.error());

  nlohmann::json tpm_json = {{"quote", base64_encode(quote->attest)},
                             {"signature", base64_encode(quote->signature)},
                             {"pcrs", pcr_json(*quote)}};
  // A configured log that cannot be read fails the attempt (event_log.h); only a host configured
  // with "none" attests without one, and its policy decides whether that is enough.
  auto log = read_event_log(config.event_log);
  if (!log) return std::unexpected(log.error());
  if (*log) tpm_json["event_log"] = base64_encode(**log);
  nlohmann::json body = {{"challenge_id", challenge_id}, {"host_id", config.host_id}, {"tpm", tpm_json}};
  nlohmann::json gpus = nlohmann::json::array();
  if (!config.nvml_library.empty()) {
    auto found = collect_nvml_gpus(qualifying, config.nvml_library);
    if (!found) return std::unexpected(found.error());
    for (const auto& g : *found) {
      gpus.push_back(
          {{"vendor", "nvidia"}, {"report", base64_encode(g.report)}, {"certificate_chain", g.certificate_chain}});
    }
  }
  for (const auto& g : options.gpus) {
    const auto report = read_bytes(g.report);
    const auto chain = read_bytes(g.chain);
    if (!report || !chain) {
      return std::unexpected(Error{"agent.config.invalid", fmt::format("cannot read GPU report {} / chain {}",
                                                                       g.report.string(), g.chain.string())});
    }
    gpus.push_back({{"vendor", "nvidia"},
                    {"report", base64_encode(report_bytes(*report))},
                    {"certificate_chain", std::string(chain->begin(), chain->end())}});
  }
  if (!gpus.empty()) body["gpus"] = std::move(gpus);
  if (key) body["tee_public_key"] = key->public_jwk();
  if (!options.release.empty()) body["release"] = options.release;

  auto answer = api.post("/v1/attestations", body);
  if (!answer) return std::unexpected(answer.error());
  AttestOutcome out;
  out.attestation_id = answer->value("attestation_id", std::string());
  out.verdict = answer->value("verdict", std::string());
  if (out.verdict.empty())
    return std::unexpected(Error{"agent.server.bad_answer", "attestation answer without verdict"});
  if (auto r = answer->find("reasons"); r != answer->end() && r->is_array()) {
    for (const auto& reason : *r) out.reason_ids.push_back(reason.value("id", std::string("?")));
  }
  if (auto refusals = answer->find("key_refusals"); refusals != answer->end() && refusals->is_object()) {
    for (const auto& [name, why] : refusals->items())
      out.refused.push_back(name + ":" + why.value("id", std::string("?")));
  }
  const auto keys = answer->find("keys");
  if (keys == answer->end() || !keys->is_object() || keys->empty()) return out;
  if (!key) return std::unexpected(Error{"agent.server.bad_answer", "keys released without a bound key"});
  for (const auto& [name, jwe] : keys->items()) {
    if (!jwe.is_string() || !safe_file_name(name)) {
      return std::unexpected(Error{"agent.server.bad_answer", "a released key has a bad name or is not a JWE"});
    }
    auto plain = jwe_decrypt(jwe.get<std::string>(), *key);
    if (!plain) return std::unexpected(Error{plain.error().id, fmt::format("key {}: {}", name, plain.error().message)});
    if (options.to_stdout) {
      fmt::print("{} {}\n", name, base64_encode(*plain));
      std::fflush(stdout);
    } else if (options.out_dir) {
      auto w = write_key(*options.out_dir, name, *plain);
      if (!w) {
        OPENSSL_cleanse(plain->data(), plain->size());
        return std::unexpected(w.error());
      }
    }
    OPENSSL_cleanse(plain->data(), plain->size());
    out.released.push_back(name);
  }
  return out;
}

std::string describe(const AttestOutcome& o) {
  return fmt::format("verdict={} attestation={} reasons=[{}] released=[{}] refused=[{}]", o.verdict, o.attestation_id,
                     fmt::join(o.reason_ids, ","), fmt::join(o.released, ","), fmt::join(o.refused, ","));
}

}  // namespace attestd::agent
