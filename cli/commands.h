// attestctl subcommands. Each registers itself on a CLI11 app and returns the process exit code
// through the int it is given.
#pragma once

#include <CLI/CLI.hpp>

namespace attestd::cli {

void add_eventlog_commands(CLI::App& app, int& exit_code);
void add_quote_commands(CLI::App& app, int& exit_code);
void add_gpu_commands(CLI::App& app, int& exit_code);
void add_spdm_commands(CLI::App& app, int& exit_code);
void add_admin_commands(CLI::App& app, int& exit_code);
void add_hosts_commands(CLI::App& app, int& exit_code);
void add_host_certificate_commands(CLI::App& app, int& exit_code);
void add_audit_commands(CLI::App& app, int& exit_code);
void add_golden_commands(CLI::App& app, int& exit_code);
void add_policy_commands(CLI::App& app, int& exit_code);

}  // namespace attestd::cli
