#include "attestd/server/request_id.h"

#include <array>
#include <cstdint>
#include <stdexcept>

#include <openssl/rand.h>

namespace attestd::server {
namespace {

class RandomRequestIds final : public RequestIdSource {
 public:
  std::string next() override {
    std::array<uint8_t, 16> bytes{};
    // RAND_bytes only fails when the CSPRNG cannot be seeded, which no request can fix.
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
      throw std::runtime_error("RAND_bytes failed");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (uint8_t b : bytes) {
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xF]);
    }
    return out;
  }
};

}  // namespace

std::unique_ptr<RequestIdSource> make_random_request_ids() { return std::make_unique<RandomRequestIds>(); }

}  // namespace attestd::server
