// Agreement with the reference tool: for every RIM in ../shared/testdata, our verdict at time T equals
// `xmlsec1 --verify --trusted-pem <NVIDIA RIM root> --verification-time T FILE` (Debian package
// xmlsec1; TZ=UTC because xmlsec1 reads the time with mktime) at T = 2024-06-01, 2025-01-01 and
// 2026-11-24, 00:00:00 UTC. Fails if any verdict differs or fewer RIMs than testdata holds were compared.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "attestd/evidence/rim/verify.h"
#include "rim_testdata.h"

namespace attestd::evidence::rim {
namespace {

using namespace testing;

struct PipeClose {
  void operator()(FILE* f) const { pclose(f); }
};

// Runs xmlsec1 and returns its exit status (0 = the signature verifies); -1 if it cannot run.
int run_xmlsec1(const std::string& root_pem, const std::string& time_text, const std::string& file) {
  const std::string command = "TZ=UTC xmlsec1 --verify --trusted-pem '" + root_pem + "' --verification-time '" +
                              time_text + "' '" + file + "' >/dev/null 2>&1; echo $?";
  std::unique_ptr<FILE, PipeClose> pipe(popen(command.c_str(), "r"));
  if (!pipe) return -1;
  std::array<char, 32> buffer{};
  if (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe.get()) == nullptr) return -1;
  return std::atoi(buffer.data());
}

std::vector<std::string> rims_in_testdata() {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kShared)) {
    const auto ext = entry.path().extension();
    if (ext != ".swidtag" && ext != ".xml") continue;
    if (read_text(entry.path()).find("<SoftwareIdentity") == std::string::npos) continue;
    out.push_back(entry.path().string());
  }
  std::ranges::sort(out);
  return out;
}

TEST(RimXmlsecAgreementTest, ourVerdictEqualsXmlsec1OnEveryRimAtEveryTime) {
  ASSERT_EQ(std::system("xmlsec1 --version >/dev/null 2>&1"), 0) << "xmlsec1 (Debian package xmlsec1) is required";
  const std::string root_pem = kGoldenValues + "rim_root.pem";
  const auto root = x509::parse_certificate_pem(read_text(root_pem));
  ASSERT_TRUE(root.has_value());

  const auto files = rims_in_testdata();
  ASSERT_GE(files.size(), 34u);  // every RIM of ../shared/testdata (MANIFEST)
  const std::array<std::pair<const char*, std::chrono::sys_seconds>, 3> times = {{
      {"2024-06-01 00:00:00", k20240601}, {"2025-01-01 00:00:00", k20250101}, {"2026-11-24 00:00:00", kToday}}};
  size_t compared = 0;
  size_t valid = 0;
  for (const auto& file : files) {
    const std::string xml = read_text(file);
    for (const auto& [text, at] : times) {
      const int status = run_xmlsec1(root_pem, text, file);
      ASSERT_GE(status, 0) << "cannot run xmlsec1";
      const auto ours = verify_rim(xml, *root, at);
      std::string why;
      for (const auto& e : ours.reasons) why += std::string(e.id) + " ";
      EXPECT_EQ(ours.valid, status == 0) << file << " at " << text << ": xmlsec1 exit " << status << ", ours: " << why;
      ++compared;
      if (ours.valid) ++valid;
    }
  }
  EXPECT_EQ(compared, files.size() * times.size());
  // Both verdicts occur (guards against a vacuous comparison).
  EXPECT_GT(valid, 0u);
  EXPECT_LT(valid, compared);
  std::printf("compared %zu verdicts on %zu RIMs; %zu valid\n", compared, files.size(), valid);
}

}  // namespace
}  // namespace attestd::evidence::rim
