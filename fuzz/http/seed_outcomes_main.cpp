// ctest fuzz_http.seed_outcomes: every generated seed of http_attestation_fuzz gets exactly the
// outcome make_seeds recorded for it in seed_outcomes.tsv (status, verdict or problem reason id,
// and each key decision), so the seeds keep reaching the depth they were made for: the affirming
// ones the EAR and key release, each refusal the check it names.
//
//   http_attestation_seed_outcomes CORPUS_DIR OUTCOMES_TSV
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "harness.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR OUTCOMES_TSV\n", argv[0]);
    return 2;
  }
  std::ifstream tsv(argv[2]);
  if (!tsv) {
    std::fprintf(stderr, "cannot read %s\n", argv[2]);
    return 2;
  }
  auto& harness = attestd::fuzz_http::Harness::instance();
  int checked = 0, failed = 0, affirming = 0;
  std::string line;
  while (std::getline(tsv, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto tab = line.find('\t');
    if (tab == std::string::npos) {
      std::fprintf(stderr, "malformed line: %s\n", line.c_str());
      return 2;
    }
    const std::string name = line.substr(0, tab), expected = line.substr(tab + 1);
    const std::string path = std::string(argv[1]) + "/" + name;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "FAIL %s: missing seed file\n", name.c_str());
      ++failed;
      continue;
    }
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string got = harness.run(bytes).summary();
    ++checked;
    if (got.starts_with("200 affirming")) ++affirming;
    if (got != expected) {
      std::fprintf(stderr, "FAIL %s: expected \"%s\", got \"%s\"\n", name.c_str(), expected.c_str(), got.c_str());
      ++failed;
    } else {
      std::printf("ok   %s: %s\n", name.c_str(), got.c_str());
    }
  }
  std::printf("%d seeds checked, %d affirming, %d failed\n", checked, affirming, failed);
  return failed == 0 && checked > 0 && affirming > 0 ? 0 : 1;
}
