// A table of results, written as Markdown, CSV, JSON and LaTeX: the forms papers and scripts use.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "blurkit/core/shard.h"

namespace blurkit::bench {

struct Table {
  std::string title;
  std::vector<std::string> notes;   // printed under the title: profile, order rule, datasets
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  // 95% intervals of numeric cells, each row as long as its row in `rows` or empty, {"", ""} where
  // a cell has none: shown as "v [lo, hi]" in Markdown, HTML and LaTeX, and as the columns
  // "<column> lo" and "<column> hi" right after the column in CSV and JSON.
  std::vector<std::vector<std::pair<std::string, std::string>>> intervals;

  // Appends a row and its intervals (empty: none).
  void AddRow(std::vector<std::string> row,
              std::vector<std::pair<std::string, std::string>> row_intervals = {});

  std::string ToMarkdown() const;
  std::string ToCsv() const;
  Json ToJson() const;  // {"title", "notes", "columns", "rows": [{column: value}]}, numbers as numbers
  std::string ToLatex() const;
  std::string ToHtml() const;
  // Writes <stem>.md, .csv, .json and .tex into `folder`, atomically.
  void WriteAll(const std::filesystem::path& folder, const std::string& stem) const;
};

// "28.31"; "inf"; "-" for NaN.
std::string FormatNumber(double value, int decimals);

}  // namespace blurkit::bench
