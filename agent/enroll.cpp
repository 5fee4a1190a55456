// Credential activation with attestd (issue 4's API): the service answers TPM2_MakeCredential for
// our EK and AK Name; only this TPM (holding the EK private key and an object with that Name) can
// recover the secret with TPM2_ActivateCredential, which makes the AK trusted.
#include <fmt/format.h>

#include <fstream>
#include <iterator>

#include "commands.h"

namespace attestd::agent {

std::expected<AgentTpm, Error> open_agent_tpm(const Config& config) {
  TpmDeadline deadline(std::chrono::seconds(config.tpm_timeout_s));
  auto tpm = Tpm::open(config.tcti);
  if (!tpm) return std::unexpected(tpm.error());
  AgentTpm out;
  out.tpm = std::move(*tpm);
  auto ek = out.tpm->endorsement_key(config.ek_alg);
  if (!ek) return std::unexpected(ek.error());
  out.ek_public = std::move(*ek);
  auto ak = out.tpm->attestation_key(config.state_dir, config.ak_alg);
  if (!ak) return std::unexpected(ak.error());
  out.ak = std::move(*ak);
  return out;
}

std::expected<AkInfo, Error> init_ak(const Config& config) {
  auto t = open_agent_tpm(config);
  if (!t) return std::unexpected(t.error());
  return t->ak;
}

std::expected<std::string, Error> enroll(const Config& config) {
  if (auto v = validate_config(config); !v) return std::unexpected(v.error());
  auto api = ServerApi::connect(config);
  if (!api) return std::unexpected(api.error());
  auto t = open_agent_tpm(config);
  if (!t) return std::unexpected(t.error());

  std::optional<Bytes> ek_cert;
  if (config.ek_certificate_file) {
    std::ifstream in(*config.ek_certificate_file, std::ios::binary);
    if (!in)
      return std::unexpected(Error{"agent.config.invalid", fmt::format("cannot read {}", *config.ek_certificate_file)});
    ek_cert = Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } else {
    TpmDeadline deadline(std::chrono::seconds(config.tpm_timeout_s));
    auto nv = t->tpm->ek_certificate(config.ek_alg);
    if (!nv) return std::unexpected(nv.error());
    ek_cert = std::move(*nv);
  }
  if (!ek_cert) {
    return std::unexpected(Error{"agent.enroll.no_ek_certificate",
                                 "the TPM holds no EK certificate in NV; give one with --ek-certificate"});
  }

  const std::string base = fmt::format("/v1/hosts/{}/enrollment", config.host_id);
  auto begun = api->get()->post(base, {{"ak_public", base64_encode(t->ak.public_area)},
                                       {"ek_public", base64_encode(t->ek_public)},
                                       {"ek_certificate", base64_encode(*ek_cert)}});
  if (!begun) return std::unexpected(begun.error());
  const auto str = [&](const char* k) -> std::string {
    const auto it = begun->find(k);
    return it != begun->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const auto blob = base64_decode(str("credential_blob"));
  const auto secret = base64_decode(str("encrypted_secret"));
  const auto id = str("enrollment_id");
  if (!blob || !secret || id.empty() || id.find('/') != std::string::npos) {
    return std::unexpected(Error{"agent.server.bad_answer", "enrollment answer without credential and enrollment id"});
  }
  std::expected<Bytes, Error> recovered = std::unexpected(Error{});
  {
    TpmDeadline deadline(std::chrono::seconds(config.tpm_timeout_s));
    recovered = t->tpm->activate_credential(*blob, *secret);
  }
  if (!recovered) return std::unexpected(recovered.error());
  auto activated = api->get()->post(fmt::format("{}/{}/activate", base, id), {{"secret", base64_encode(*recovered)}});
  if (!activated) return std::unexpected(activated.error());
  if (!activated->value("trusted", false)) {
    return std::unexpected(Error{"agent.enroll.not_trusted", "the service did not mark the AK trusted"});
  }
  return to_hex(t->ak.name);
}

}  // namespace attestd::agent
