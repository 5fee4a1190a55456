// Runs every crafted vector of tests/data/tpm/<parser>/ through its parser and checks the reason
// id written beside it.
#include <gtest/gtest.h>

#include <filesystem>

#include "attestd/evidence/tpm/attest.h"
#include "attestd/evidence/tpm/pcr_file.h"
#include "attestd/evidence/tpm/public_key.h"
#include "attestd/evidence/tpm/signature.h"
#include "test_util.h"

namespace attestd::evidence::tpm {
namespace {

using namespace testing;

struct Vector {
  std::string folder;
  std::filesystem::path file;
  std::string reason;
};

std::ostream& operator<<(std::ostream& os, const Vector& v) { return os << v.folder << "/" << v.file.filename().string(); }

std::vector<Vector> vectors() {
  std::vector<Vector> out;
  for (const std::string folder : {"attest", "signature", "public_key", "pcr_file"}) {
    for (const auto& entry : std::filesystem::directory_iterator(local("tpm/" + folder))) {
      if (entry.path().extension() == ".reason") continue;
      auto reason_path = entry.path();
      reason_path.replace_extension(".reason");
      std::string reason = read_text(reason_path);
      while (!reason.empty() && (reason.back() == '\n' || reason.back() == '\r')) reason.pop_back();
      out.push_back({folder, entry.path(), reason});
    }
  }
  std::sort(out.begin(), out.end(), [](const Vector& a, const Vector& b) { return a.file < b.file; });
  return out;
}

std::string test_name(const ::testing::TestParamInfo<Vector>& p) {
  std::string name = p.param.folder + "_" + p.param.file.stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

class CraftedVector : public ::testing::TestWithParam<Vector> {};

TEST_P(CraftedVector, IsRejectedWithTheReasonBesideIt) {
  const Vector& v = GetParam();
  const Bytes bytes = read_bytes(v.file);
  std::optional<Error> error;
  if (v.folder == "attest") {
    if (auto r = parse_attest(bytes); !r) error = r.error();
  } else if (v.folder == "signature") {
    if (auto r = parse_tpmt_signature(bytes); !r) error = r.error();
  } else if (v.folder == "public_key") {
    if (auto r = load_public_key(bytes); !r) error = r.error();
  } else {
    if (auto r = parse_tpm2_tools_pcr_file(bytes); !r) error = r.error();
  }
  ASSERT_TRUE(error.has_value()) << "accepted";
  EXPECT_EQ(error->id, v.reason) << error->message;
  EXPECT_FALSE(error->message.empty());
}

INSTANTIATE_TEST_SUITE_P(TestsData, CraftedVector, ::testing::ValuesIn(vectors()), test_name);

TEST(CraftedVectors, EveryFolderHasVectors) {
  std::map<std::string, int> counts;
  for (const auto& v : vectors()) ++counts[v.folder];
  EXPECT_GE(counts["attest"], 5);
  EXPECT_GE(counts["signature"], 5);
  EXPECT_GE(counts["public_key"], 5);
  EXPECT_GE(counts["pcr_file"], 5);
}

}  // namespace
}  // namespace attestd::evidence::tpm
