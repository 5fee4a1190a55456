// Client certificates made at test time by the openssl command-line tool (a real, independent
// X.509 encoder): leaf or CA, any key type `openssl req -newkey` takes, a validity in days.
#pragma once

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

namespace attestd::testing {

struct TestCertificate {
  std::filesystem::path cert_file;
  std::filesystem::path key_file;
  std::string pem;
};

inline constexpr const char* kP256 = "-newkey ec -pkeyopt ec_paramgen_curve:P-256";

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// `newkey`: the -newkey arguments of `openssl req` ("-newkey rsa:2048", kP256, "-newkey ed25519").
// `ca`: basicConstraints CA:TRUE instead of CA:FALSE. Fails the calling test when openssl does.
inline TestCertificate make_certificate(const std::filesystem::path& dir, const std::string& name,
                                        const std::string& newkey = kP256, bool ca = false, int days = 2) {
  TestCertificate t{dir / (name + ".crt"), dir / (name + ".key"), {}};
  const std::string cmd = "openssl req -x509 " + newkey + " -nodes -keyout '" + t.key_file.string() + "' -out '" +
                          t.cert_file.string() + "' -subj '/CN=" + name + "' -days " + std::to_string(days) +
                          " -addext basicConstraints=critical,CA:" + (ca ? "TRUE" : "FALSE") + " 2>/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  t.pem = read_text(t.cert_file);
  return t;
}

// openssl's own SHA-256 fingerprint of the certificate, lower-case hex without colons.
inline std::string openssl_fingerprint(const TestCertificate& t) {
  const auto out = t.cert_file.string() + ".fp";
  const std::string cmd =
      "openssl x509 -in '" + t.cert_file.string() + "' -noout -fingerprint -sha256 > '" + out + "' 2>/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::string text = read_text(out);
  std::string hex;
  for (char c : text.substr(text.find('=') + 1)) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isxdigit(u)) hex += static_cast<char>(std::tolower(u));
  }
  return hex;
}

}  // namespace attestd::testing
