// attestctl: verifies evidence offline and, later, manages an attestd deployment.
#include <CLI/CLI.hpp>

#include "commands.h"
#include "file_io.h"

int main(int argc, char** argv) {
  CLI::App app{"attestctl: attestd command-line tool"};
  app.require_subcommand(1);
  int exit_code = attestd::cli::kExitValid;
  attestd::cli::add_eventlog_commands(app, exit_code);
  attestd::cli::add_quote_commands(app, exit_code);
  attestd::cli::add_gpu_commands(app, exit_code);
  attestd::cli::add_spdm_commands(app, exit_code);
  attestd::cli::add_admin_commands(app, exit_code);
  attestd::cli::add_hosts_commands(app, exit_code);
  attestd::cli::add_host_certificate_commands(app, exit_code);
  attestd::cli::add_audit_commands(app, exit_code);
  attestd::cli::add_golden_commands(app, exit_code);
  attestd::cli::add_policy_commands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return attestd::cli::kExitUsage;
  }
  return exit_code;
}
