#include "file_io.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace attestd::cli {

std::expected<std::vector<uint8_t>, std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(path + ": " + std::strerror(errno));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::unexpected(path + ": read error");
  return bytes;
}

}  // namespace attestd::cli
