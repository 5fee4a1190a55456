// attestctl quote verify
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>

#include "attestd/evidence/eventlog/digest_check.h"
#include "attestd/evidence/eventlog/event_log.h"
#include "attestd/evidence/eventlog/replay.h"
#include "attestd/evidence/eventlog/replay_check.h"
#include "attestd/evidence/tpm/public_key.h"
#include "attestd/evidence/tpm/quote.h"
#include "attestd/evidence/tpm/signature.h"
#include "commands.h"
#include "file_io.h"
#include "json_out.h"
#include "pcr_input.h"

namespace attestd::cli {

namespace tpm = evidence::tpm;
namespace el = evidence::eventlog;
using json = nlohmann::ordered_json;

namespace {

struct QuoteOptions {
  std::string ak;
  std::string quote;
  std::string sig;
  std::string nonce;
  std::string pcrs;
  std::string eventlog;
  std::string raw_sig;  // "rsassa:sha256": the signature file is a bare RSA signature
  bool json = false;
};

std::string_view scheme_name(tpm::SigScheme s) {
  switch (s) {
    case tpm::SigScheme::rsassa: return "rsassa";
    case tpm::SigScheme::rsapss: return "rsapss";
    case tpm::SigScheme::ecdsa: return "ecdsa";
  }
  return "unknown";
}

json selections_json(const std::vector<tpm::PcrSelection>& selections) {
  json out = json::object();
  for (const auto& s : selections) out[std::string(evidence::hash_alg_name(s.alg))] = s.pcrs;
  return out;
}

json banks_json(const std::map<evidence::HashAlg, std::vector<uint32_t>>& banks) {
  json out = json::object();
  for (const auto& [alg, pcrs] : banks) out[std::string(evidence::hash_alg_name(alg))] = pcrs;
  return out;
}

int usage_error(const std::string& message) {
  std::cerr << "attestctl: " << message << "\n";
  return kExitUsage;
}

// Parses "rsassa:sha256" into a scheme and hash for a bare RSA signature.
std::expected<std::pair<tpm::SigScheme, evidence::HashAlg>, std::string> parse_raw_sig(std::string_view spec) {
  const auto colon = spec.find(':');
  if (colon == std::string_view::npos) return std::unexpected("--raw-sig takes SCHEME:HASH, e.g. rsassa:sha256");
  const auto scheme_text = spec.substr(0, colon);
  const auto hash = evidence::hash_alg_from_name(spec.substr(colon + 1));
  if (!hash) return std::unexpected(fmt::format("--raw-sig: unknown hash \"{}\"", spec.substr(colon + 1)));
  if (scheme_text == "rsassa") return std::pair{tpm::SigScheme::rsassa, *hash};
  if (scheme_text == "rsapss") return std::pair{tpm::SigScheme::rsapss, *hash};
  return std::unexpected(fmt::format("--raw-sig: scheme must be rsassa or rsapss, not \"{}\"", scheme_text));
}

int verify(const QuoteOptions& o) {
  auto ak_bytes = read_file(o.ak);
  auto quote_bytes = read_file(o.quote);
  auto sig_bytes = read_file(o.sig);
  auto pcr_bytes = read_file(o.pcrs);
  for (const auto* r : {&ak_bytes, &quote_bytes, &sig_bytes, &pcr_bytes}) {
    if (!*r) return usage_error(r->error());
  }
  const auto nonce = evidence::from_hex(o.nonce);
  if (!nonce) return usage_error("--nonce must be hex");
  auto pcrs = parse_pcr_input(*pcr_bytes);
  if (!pcrs) return usage_error(pcrs.error());

  std::vector<evidence::Error> reasons;
  json claims = json::object();

  auto ak = tpm::load_public_key(*ak_bytes);
  if (!ak) {
    reasons.push_back(ak.error());
  } else {
    std::expected<tpm::Signature, evidence::Error> sig = std::unexpected(evidence::Error{});
    if (!o.raw_sig.empty()) {
      auto spec = parse_raw_sig(o.raw_sig);
      if (!spec) return usage_error(spec.error());
      sig = tpm::raw_rsa_signature(*sig_bytes, spec->first, spec->second);
    } else {
      sig = tpm::parse_tpmt_signature(*sig_bytes);
    }
    if (!sig) {
      reasons.push_back(sig.error());
    } else {
      const auto result = tpm::verify_quote(*ak, *quote_bytes, *sig, *nonce, *pcrs);
      reasons.insert(reasons.end(), result.reasons.begin(), result.reasons.end());
      const auto& c = result.claims;
      claims["clock"] = c.clock.clock;
      claims["reset_count"] = c.clock.reset_count;
      claims["restart_count"] = c.clock.restart_count;
      claims["safe"] = c.clock.safe;
      claims["firmware_version"] = fmt::format("{:016x}", c.firmware_version);
      claims["qualified_signer"] = evidence::to_hex(c.qualified_signer);
      claims["extra_data"] = evidence::to_hex(c.extra_data);
      claims["pcr_selection"] = selections_json(c.selections);
      claims["signature"] = {{"scheme", scheme_name(sig->scheme)},
                             {"hash", std::string(evidence::hash_alg_name(sig->hash))}};
      claims["ak_name"] = evidence::to_hex(ak->name());
    }
  }

  if (!o.eventlog.empty()) {
    auto log_bytes = read_file(o.eventlog);
    if (!log_bytes) return usage_error(log_bytes.error());
    auto log = el::parse_event_log(*log_bytes);
    if (!log) {
      reasons.push_back(log.error());
    } else {
      const auto replayed = el::replay_pcrs(*log);
      reasons.insert(reasons.end(), replayed.reasons.begin(), replayed.reasons.end());
      for (auto& r : el::check_event_digests(*log)) reasons.push_back(std::move(r));
      // The log is compared with the PCR values the quote signed; if the quote failed, those
      // values are unverified and so is everything the log says, which the reasons above record.
      const auto comparison = el::compare_replay(replayed, *pcrs);
      reasons.insert(reasons.end(), comparison.mismatches.begin(), comparison.mismatches.end());
      claims["eventlog"] = {{"events", log->events.size()},
                            {"verified_pcrs", banks_json(comparison.verified)},
                            {"unverified_pcrs", banks_json(comparison.unverified)}};
    }
  }

  const bool valid = reasons.empty();
  if (o.json) {
    std::cout << json{{"valid", valid}, {"reasons", reasons_json(reasons)}, {"claims", claims}}.dump(1) << "\n";
  } else {
    std::cout << (valid ? "valid" : "invalid") << "\n";
    for (const auto& r : reasons) std::cout << "  " << r.id << ": " << r.message << "\n";
  }
  return valid ? kExitValid : kExitInvalid;
}

}  // namespace

void add_quote_commands(CLI::App& app, int& exit_code) {
  auto* quote = app.add_subcommand("quote", "Verify TPM 2.0 quotes");
  quote->require_subcommand(1);
  auto o = std::make_shared<QuoteOptions>();
  auto* verify_cmd = quote->add_subcommand("verify", "Verify a quote, its PCR values and optionally an event log");
  verify_cmd->add_option("--ak", o->ak, "AK public key: TPM2B_PUBLIC, TPMT_PUBLIC, PEM or DER SubjectPublicKeyInfo")
      ->required();
  verify_cmd->add_option("--quote", o->quote, "TPMS_ATTEST as tpm2_quote -m writes it")->required();
  verify_cmd->add_option("--sig", o->sig, "TPMT_SIGNATURE as tpm2_quote -s writes it")->required();
  verify_cmd->add_option("--nonce", o->nonce, "Expected qualifying data, hex (empty for none)")->required();
  verify_cmd->add_option("--pcrs", o->pcrs, "PCR values: JSON {\"sha256\": {\"0\": hex}} or tpm2_quote -o file")
      ->required();
  verify_cmd->add_option("--eventlog", o->eventlog, "Measured-boot log to replay against the quoted PCRs");
  verify_cmd->add_option("--raw-sig", o->raw_sig, "The signature is a bare RSA signature: SCHEME:HASH (rsassa:sha256)");
  verify_cmd->add_flag("--json", o->json, "Print JSON");
  verify_cmd->callback([&exit_code, o] { exit_code = verify(*o); });
}

}  // namespace attestd::cli
