#include "attestd/policy/verdict.h"

namespace attestd::policy {

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::affirming: return "affirming";
    case Verdict::warning: return "warning";
    case Verdict::contraindicated: return "contraindicated";
    case Verdict::none: return "none";
  }
  return "none";
}

std::optional<Verdict> parse_verdict(std::string_view name) {
  if (name == "affirming") return Verdict::affirming;
  if (name == "warning") return Verdict::warning;
  if (name == "contraindicated") return Verdict::contraindicated;
  if (name == "none") return Verdict::none;
  return std::nullopt;
}

namespace {
int rank(Verdict v) {
  switch (v) {
    case Verdict::affirming: return 0;
    case Verdict::none: return 1;
    case Verdict::warning: return 2;
    case Verdict::contraindicated: return 3;
  }
  return 3;
}
}  // namespace

Verdict worse(Verdict a, Verdict b) { return rank(a) >= rank(b) ? a : b; }

std::string_view to_string(Ar4siDimension dimension) {
  switch (dimension) {
    case Ar4siDimension::instance_identity: return "instance-identity";
    case Ar4siDimension::configuration: return "configuration";
    case Ar4siDimension::executables: return "executables";
    case Ar4siDimension::file_system: return "file-system";
    case Ar4siDimension::hardware: return "hardware";
    case Ar4siDimension::runtime_opaque: return "runtime-opaque";
    case Ar4siDimension::storage_opaque: return "storage-opaque";
    case Ar4siDimension::sourced_data: return "sourced-data";
  }
  return "instance-identity";
}

}  // namespace attestd::policy
