// Human-readable tables for attestctl's default output: left-aligned columns as wide as their
// widest cell, two spaces apart, a header row in capitals.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace attestd::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  // Missing cells print empty; extra cells are an error of the caller and are dropped.
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace attestd::cli
