// attestd: the attestation verifier service. Wires config, TLS material, routes and the server
// together; everything else lives in the libraries.
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "attestd/broker/kek.h"
#include "attestd/broker/key_broker.h"
#include "attestd/result/signing_key.h"
#include "attestd/server/builtin_routes.h"
#include "attestd/server/config.h"
#include "attestd/server/self_signed.h"
#include "attestd/server/server.h"
#include "attestd/service/audit_checkpoints.h"
#include "attestd/service/service.h"
#include "attestd/store/store.h"

namespace {

namespace fs = std::filesystem;
using namespace attestd::server;

int fail(const std::string& message) {
  fmt::print(stderr, "attestd: {}\n", message);
  return 1;
}

// Every connection is a descriptor, and so are the database, its WAL, the reader pool and the log.
// The usual soft limit (1024) is below the default max_connections + overload_connections, so
// without this attestd would meet EMFILE long before its own limits: raise the soft limit as far
// as needed (never above the hard limit) and say so when even the hard limit is too low.
void raise_open_file_limit(const Config& config) {
  constexpr rlim_t kReserve = 128;  // database files, reader connections, log, signal pipes
  const rlim_t needed = static_cast<rlim_t>(config.max_connections + config.overload_connections) + kReserve;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= needed) return;
  const rlim_t wanted = limit.rlim_max == RLIM_INFINITY ? needed : std::min(needed, limit.rlim_max);
  if (wanted > limit.rlim_cur) {
    limit.rlim_cur = wanted;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  if (wanted < needed) {
    fmt::print(stderr,
               "attestd: warning: limits.max_connections + limits.overload_connections need {} open files "
               "but the hard limit is {}; connections beyond it wait in the backlog (raise LimitNOFILE or "
               "lower limits.max_connections)\n",
               needed, limit.rlim_max);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"attestd: remote attestation verifier"};
  std::string data_dir;
  std::string listen;
  std::string config_file;
  app.add_option("--data-dir", data_dir, "directory for the database, TLS material and tokens")->required();
  app.add_option("--listen", listen, "HOST:PORT to listen on (default 127.0.0.1:8443; port 0 picks one)");
  app.add_option("--config", config_file, "JSON config file (see verifier/CONFIG.md)");
  CLI11_PARSE(app, argc, argv);

  Config config;
  if (!config_file.empty()) {
    auto loaded = load_config_file(config_file);
    if (!loaded) return fail(loaded.error());
    config = *loaded;
  }
  if (!listen.empty()) {
    auto address = parse_listen_address(listen);
    if (!address) return fail(address.error());
    config.listen = *address;
  }

  raise_open_file_limit(config);

  const fs::path dir = fs::absolute(data_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(fmt::format("{}: {}", dir.string(), ec.message()));
  // The data directory will hold keys and tokens: owner only.
  ::chmod(dir.c_str(), 0700);
  resolve_paths(config, dir);

  auto tls = ensure_tls_files(config.tls_certificate, config.tls_private_key);
  if (!tls) return fail(tls.error());
  if (*tls == TlsFilesOutcome::generated) {
    fmt::print(stderr, "attestd: generated a self-signed TLS certificate {}\n", config.tls_certificate.string());
  }

  // Storage, the result-signing key and the demo tenant: created on first start.
  auto store_opened = attestd::store::Store::open(dir / "attestd.db");
  if (!store_opened) return fail(fmt::format("database: {}", store_opened.error().message));
  std::shared_ptr<attestd::store::Store> store = std::move(*store_opened);
  auto keys = attestd::result::load_or_create_key_set(dir);
  if (!keys) return fail(fmt::format("result-signing key: {}", keys.error().message));
  // The key broker's key-encryption key: refused (no start) when others could read it.
  auto kek = attestd::broker::Kek::load_or_create(config.key_encryption_key);
  if (!kek) return fail(fmt::format("key-encryption key: {}", kek.error().message));
  auto broker = std::make_shared<attestd::broker::KeyBroker>(store, std::move(*kek));
  auto demo = attestd::service::bootstrap_demo_tenant(*store, dir, std::chrono::system_clock::now());
  if (!demo) return fail(demo.error());

  attestd::service::ServiceOptions options;
  options.nonce_lifetime = config.nonce_lifetime;
  options.ear_lifetime = config.token_lifetime;
  options.auth_limits.failures_per_minute = static_cast<double>(config.auth_failures_per_minute);
  options.auth_limits.burst = static_cast<double>(config.auth_failure_burst);
  {
    std::ifstream root(fs::path(ATTESTD_GOLDEN_VALUES_DIR) / "nvidia" / "device_identity_root.pem");
    options.nvidia_device_root_pem.assign(std::istreambuf_iterator<char>(root), std::istreambuf_iterator<char>());
  }
  auto metrics = std::make_shared<MetricsRegistry>();
  auto key_set = std::make_shared<const attestd::result::KeySet>(std::move(*keys));
  auto api = attestd::service::make_api({.store = store,
                                         .keys = key_set,
                                         .clock = {},
                                         .metrics = metrics,
                                         .broker = broker},
                                        options);
  if (!api) return fail(api.error());

  auto routes = builtin_routes({.metrics = metrics, .ready = [] { return true; }, .metrics_access = Access::anyone()});
  for (auto& r : api->routes) routes.push_back(std::move(r));
  auto router = Router::create(std::move(routes), {.authenticator = api->authenticator,
                                                    .auth_failure_observer = api->auth_failure_observer});
  if (!router) return fail(router.error());

  auto server = Server::create(config, {.router = std::make_shared<const Router>(std::move(*router)),
                                        .metrics = metrics,
                                        .request_ids = nullptr,
                                        .handle_signals = true});
  if (!server) return fail(server.error());

  const uint16_t port = (*server)->port();
  {
    // For scripts and tests that asked for port 0; written before the banner so that whoever
    // sees the banner finds the file.
    std::ofstream(dir / "attestd.port") << port << '\n';
  }
  const std::string host =
      config.listen.host.find(':') != std::string::npos ? "[" + config.listen.host + "]" : config.listen.host;
  fmt::print("listening on https://{}:{} (certificate: {})\n", host, port, config.tls_certificate.string());
  if (*demo) {
    fmt::print("demo tenant created; its admin token is in {} (shown nowhere else)\n", (*demo)->string());
  } else {
    fmt::print("demo tenant's admin token: {} (written on first start)\n", (dir / "demo-admin.token").string());
  }
  std::fflush(stdout);

  // Signed audit checkpoints (issue 7); stopped before the store closes.
  auto checkpointer = std::make_unique<attestd::service::Checkpointer>(
      store, key_set,
      attestd::service::CheckpointOptions{.every_records = static_cast<int64_t>(config.audit_checkpoint_every),
                                          .interval = config.audit_checkpoint_interval,
                                          .poll = std::chrono::milliseconds(1000)});
  checkpointer->start();

  (*server)->run();
  server->reset();
  checkpointer.reset();
  // In-flight requests are done: the database closes last.
  store.reset();
  fmt::print(stderr, "attestd: stopped\n");
  return 0;
}
