// attest-agent: the host side of attestd (issue 9). Flags override the configuration file.
//   attest-agent init     create or load the AK, print its Name (ak.pub is what the host is registered with)
//   attest-agent enroll   credential activation with attestd
//   attest-agent attest [--release KEY]... [--out DIR | --stdout] [--gpu-report F --gpu-chain F]...
//   attest-agent run --interval 60s   (retries every failure; exits non-zero on configuration errors only)
#include <fmt/format.h>
#include <sys/prctl.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdlib>

#include "commands.h"

namespace {

using namespace attestd::agent;

// "60s", "500ms", "2m", "1h" or plain seconds.
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
  int64_t v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || v <= 0) return std::nullopt;
  const std::string_view unit(p, text.data() + text.size());
  if (unit == "ms") return std::chrono::milliseconds(v);
  if (unit.empty() || unit == "s") return std::chrono::seconds(v);
  if (unit == "m") return std::chrono::minutes(v);
  if (unit == "h") return std::chrono::hours(v);
  return std::nullopt;
}

int fail(const Error& e) {
  fmt::print(stderr, "attest-agent: {}: {}\n", e.id, e.message);
  return exit_status(e);
}

}  // namespace

int main(int argc, char** argv) {
  // tpm2-tss logs every failed command to stderr; the agent reports its own clear error instead.
  ::setenv("TSS2_LOG", "all+none", 0);
  // The ephemeral private key lives in this process's memory only: no core dump, no ptrace
  // attach by other processes of the same user.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

  CLI::App app{"attest-agent: collects TPM (and GPU) evidence and asks attestd for verdicts and keys"};
  app.require_subcommand(1);
  std::string client_cert, client_key;
  std::string config_file, server, ca_file, credential_file, host_id, tcti, state_dir, pcrs, event_log, ek_alg, ak_alg,
      key_type, ek_cert;
  int tpm_timeout = 0, server_timeout = 0;
  app.add_option("--config", config_file, "JSON configuration file");
  app.add_option("--server", server, "attestd URL (https://HOST:PORT)");
  app.add_option("--ca-file", ca_file, "the only CA trusted for the server (PEM)");
  app.add_option("--credential-file", credential_file, "file holding the attester token");
  app.add_option("--client-cert", client_cert,
                 "instead of a token: this host's TLS client certificate registered at attestd (PEM)");
  app.add_option("--client-key", client_key, "the private key of --client-cert (PEM)");
  app.add_option("--host-id", host_id, "this host's id at attestd");
  app.add_option("--tcti", tcti, "TPM TCTI (default device:/dev/tpmrm0)");
  app.add_option("--state-dir", state_dir, "where the AK files live (default /var/lib/attest-agent)");
  app.add_option("--pcrs", pcrs, "PCRs to quote, e.g. 0-9 or 0,2,4,7 (default 0-9)");
  app.add_option("--event-log", event_log, "measured-boot event log, or none to send no log");
  app.add_option("--ek-alg", ek_alg, "EK template: rsa (RSA 2048, default), ecc (P-256) or ecc384 (P-384)")
      ->check(CLI::IsMember({"rsa", "rsa2048", "ecc", "ecc256", "ecc384"}));
  app.add_option("--ak-alg", ak_alg, "AK type when created: rsa (default) or ecc")
      ->check(CLI::IsMember({"rsa", "ecc"}));
  app.add_option("--key-type", key_type, "ephemeral key: p256 (default) or rsa3072")
      ->check(CLI::IsMember({"p256", "rsa3072"}));
  app.add_option("--ek-certificate", ek_cert, "EK certificate file when the TPM has none in NV");
  app.add_option("--tpm-timeout", tpm_timeout, "seconds a TPM operation may take (default 30)");
  app.add_option("--server-timeout", server_timeout, "seconds one attestd request may take (default 60)");
  bool no_nvml = false;
  std::string nvml_library;
  app.add_flag("--no-nvml", no_nvml, "do not ask NVML for GPU evidence");
  app.add_option("--nvml-library", nvml_library, "NVML to load when present (default libnvidia-ml.so.1)");

  auto* init = app.add_subcommand("init", "create or load the AK and print its Name");
  auto* enroll_cmd = app.add_subcommand("enroll", "credential activation with attestd");
  AttestOptions options;
  std::vector<std::string> gpu_reports, gpu_chains;
  std::string out_dir;
  auto add_attest_flags = [&](CLI::App* c) {
    c->add_option("--release", options.release, "key to ask for (repeatable)");
    c->add_flag("--bind-key", options.bind_key, "bind an ephemeral key even without --release");
    c->add_option("--gpu-report", gpu_reports, "NVIDIA attestation report file, bytes or hex (repeatable)");
    c->add_option("--gpu-chain", gpu_chains, "its PEM certificate chain, leaf first (repeatable)");
    c->add_option("--out", out_dir, "directory for released keys (mode 0600)");
    c->add_flag("--stdout", options.to_stdout, "print released keys (NAME BASE64) instead");
  };
  auto* attest_cmd = app.add_subcommand("attest", "attest once and print the verdict");
  add_attest_flags(attest_cmd);
  auto* run_cmd = app.add_subcommand(
      "run",
      "attest periodically, one log line per attestation; every failure (attestd down, slow or 5xx, the network, "
      "TPM errors and timeouts, a TPM in failure mode, an unreadable event log) is retried with jittered backoff; "
      "exits non-zero (78) on configuration errors only");
  add_attest_flags(run_cmd);
  std::string interval = "60s", max_backoff = "300s";
  uint64_t count = 0;
  run_cmd->add_option("--interval", interval, "time between attestations (60s, 500ms, 5m)");
  run_cmd->add_option("--max-backoff", max_backoff, "longest wait after failures");
  run_cmd->add_option("--count", count, "stop after this many attestations (0: never)");
  CLI11_PARSE(app, argc, argv);

  Config config;
  if (!config_file.empty()) {
    if (auto r = load_config_file(config_file, config); !r) return fail(r.error());
  }
  if (!server.empty()) config.server = server;
  if (!ca_file.empty()) config.ca_file = ca_file;
  if (!credential_file.empty()) config.credential_file = credential_file;
  if (!client_cert.empty()) config.client_certificate_file = client_cert;
  if (!client_key.empty()) config.client_key_file = client_key;
  if (!host_id.empty()) config.host_id = host_id;
  if (!tcti.empty()) config.tcti = tcti;
  if (!state_dir.empty()) config.state_dir = state_dir;
  if (app.get_option("--event-log")->count() > 0) config.event_log = event_log;
  if (!ek_cert.empty()) config.ek_certificate_file = ek_cert;
  if (tpm_timeout != 0) config.tpm_timeout_s = tpm_timeout;
  if (server_timeout != 0) config.server_timeout_s = server_timeout;
  if (!nvml_library.empty()) config.nvml_library = nvml_library;
  if (no_nvml) config.nvml_library.clear();
  if (!ek_alg.empty()) config.ek_alg = *parse_ek_template(ek_alg);
  if (!ak_alg.empty()) config.ak_alg = ak_alg == "rsa" ? KeyAlg::rsa : KeyAlg::ecc;
  if (!key_type.empty()) config.key_type = key_type == "p256" ? EphemeralKeyType::p256 : EphemeralKeyType::rsa3072;
  if (!pcrs.empty()) {
    auto list = parse_pcr_list(pcrs);
    if (!list) return fail(list.error());
    config.pcrs = *list;
  }
  if (gpu_reports.size() != gpu_chains.size()) {
    return fail({"agent.config.invalid", "give one --gpu-chain per --gpu-report"});
  }
  for (size_t i = 0; i < gpu_reports.size(); ++i) options.gpus.push_back({gpu_reports[i], gpu_chains[i]});
  if (!out_dir.empty()) options.out_dir = out_dir;
  if (!options.release.empty() && !options.out_dir && !options.to_stdout) {
    return fail({"agent.config.invalid", "--release needs --out DIR or --stdout"});
  }

  if (init->parsed()) {
    auto ak = init_ak(config);
    if (!ak) return fail(ak.error());
    fmt::print("ak_name={} ak_public={} {}\n", to_hex(ak->name), (config.state_dir / "ak.pub").string(),
               ak->created ? "created" : "loaded");
    return 0;
  }
  if (enroll_cmd->parsed()) {
    auto name = enroll(config);
    if (!name) return fail(name.error());
    fmt::print("enrolled host={} ak_name={}\n", config.host_id, *name);
    return 0;
  }
  if (attest_cmd->parsed()) {
    if (auto v = validate_config(config); !v) return fail(v.error());
    auto api = ServerApi::connect(config);
    if (!api) return fail(api.error());
    auto tpm = open_agent_tpm(config);
    if (!tpm) return fail(tpm.error());
    auto outcome = attest_once(config, options, *tpm, **api);
    if (!outcome) return fail(outcome.error());
    fmt::print("{}\n", describe(*outcome));
    return outcome->verdict == "affirming" || outcome->verdict == "warning" ? 0 : kExitNotAffirming;
  }
  RunOptions run;
  const auto iv = parse_duration(interval);
  const auto mb = parse_duration(max_backoff);
  if (!iv || !mb) return fail({"agent.config.invalid", "durations look like 60s, 500ms or 5m"});
  run.interval = *iv;
  run.max_backoff = *mb;
  if (count != 0) run.count = count;
  return run_loop(config, options, run);
}
