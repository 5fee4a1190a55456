#include "table.h"

#include <algorithm>
#include <cctype>

namespace attestd::cli {

void Table::print(std::ostream& out) const {
  std::vector<size_t> width(header_.size(), 0);
  for (size_t i = 0; i < header_.size(); ++i) width[i] = header_[i].size();
  for (const auto& row : rows_) {
    for (size_t i = 0; i < std::min(row.size(), width.size()); ++i) width[i] = std::max(width[i], row[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells, bool upper) {
    std::string text;
    for (size_t i = 0; i < width.size(); ++i) {
      std::string cell = i < cells.size() ? cells[i] : std::string();
      if (upper) std::transform(cell.begin(), cell.end(), cell.begin(), [](unsigned char c) { return std::toupper(c); });
      text += cell;
      // No trailing spaces after the last column.
      if (i + 1 < width.size()) text.append(width[i] - cell.size() + 2, ' ');
    }
    out << text << "\n";
  };
  line(header_, true);
  for (const auto& row : rows_) line(row, false);
}

}  // namespace attestd::cli
