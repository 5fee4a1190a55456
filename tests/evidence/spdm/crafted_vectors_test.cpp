// Every crafted vector of tests/data/spdm gives exactly the reason written beside it.
#include <gtest/gtest.h>

#include "attestd/evidence/nvidia/opaque.h"
#include "attestd/evidence/spdm/cert_chain.h"
#include "attestd/evidence/spdm/measurements.h"
#include "test_files.h"

namespace attestd::evidence::spdm {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The reason id a vector gives, or "ok".
std::string outcome(const std::string& name, std::span<const uint8_t> bytes) {
  const auto id = [](const auto& result) { return result ? std::string("ok") : std::string(result.error().id); };
  if (name.starts_with("measurements_")) return id(parse_measurements(bytes, MeasurementsParseOptions{96}));
  if (name.starts_with("cert_chain_")) return id(parse_cert_chain(bytes, HashAlg::sha384));
  if (name.starts_with("nvidia_opaque_")) return id(nvidia::parse_opaque_data(bytes));
  return "unknown vector kind";
}

TEST(CraftedVectors, EachGivesTheReasonWrittenBesideIt) {
  size_t count = 0;
  for (const auto& e : std::filesystem::directory_iterator(test::kTestData)) {
    if (e.path().extension() != ".bin") continue;
    const std::string name = e.path().stem().string();
    const auto bytes = test::read_bytes(e.path());
    auto reason_path = e.path();
    reason_path.replace_extension(".reason");
    std::ifstream in(reason_path);
    std::string want((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(outcome(name, bytes), trim(want)) << name;
    ++count;
  }
  EXPECT_GE(count, 25u);
}

}  // namespace
}  // namespace attestd::evidence::spdm
