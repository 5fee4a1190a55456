// make_credential_tool: TPM2_MakeCredential through attestd's evidence layer, for the swtpm
// end-to-end test (tests/e2e/swtpm_activate_test.sh). It writes the file tpm2_activatecredential -i
// reads, so that a real TPM stack checks our blob.
//
// usage: make_credential_tool EK_PUB AK_NAME SECRET OUT
//   EK_PUB   TPM2B_PUBLIC of the EK (tpm2_createek -u) or a bare TPMT_PUBLIC
//   AK_NAME  the AK's Name, binary (tpm2_createak -n)
//   SECRET   the credential, 1..digest-size bytes
//   OUT      tpm2-tools credential file (magic 0xBADCC0DE, version 1, TPM2B_ID_OBJECT,
//            TPM2B_ENCRYPTED_SECRET)
// Exit status 0 on success, 1 when attestd refuses the input (reason id on stderr), 2 on I/O errors.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "attestd/evidence/tpm/credential.h"

namespace {

std::optional<std::vector<uint8_t>> read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool write_file(const char* path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return false;
  for (uint8_t b : bytes) out.put(static_cast<char>(b));
  return static_cast<bool>(out.flush());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s EK_PUB AK_NAME SECRET OUT\n", argv[0]);
    return 2;
  }
  const auto ek_bytes = read_file(argv[1]);
  const auto name = read_file(argv[2]);
  const auto secret = read_file(argv[3]);
  if (!ek_bytes || !name || !secret) {
    std::fprintf(stderr, "cannot read the inputs\n");
    return 2;
  }
  namespace tpm = attestd::evidence::tpm;
  auto ek = tpm::parse_ek_public(*ek_bytes);
  if (!ek) {
    std::fprintf(stderr, "%s: %s\n", std::string(ek.error().id).c_str(), ek.error().message.c_str());
    return 1;
  }
  auto credential = tpm::make_credential(*ek, *name, *secret, tpm::system_random());
  if (!credential) {
    std::fprintf(stderr, "%s: %s\n", std::string(credential.error().id).c_str(), credential.error().message.c_str());
    return 1;
  }
  if (!write_file(argv[4], tpm::to_tpm2_tools_credential_file(*credential))) {
    std::fprintf(stderr, "cannot write %s\n", argv[4]);
    return 2;
  }
  return 0;
}
