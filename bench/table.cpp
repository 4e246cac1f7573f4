#include "blurkit/bench/table.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "blurkit/core/atomic_file.h"
#include "blurkit/core/version.h"

namespace blurkit::bench {

std::string FormatNumber(double value, int decimals) {
  if (std::isnan(value)) return "-";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

namespace {

std::string EscapeCsv(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string EscapeLatex(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '_': case '%': case '&': case '#': case '$': case '{': case '}':
        out += '\\';
        out += c;
        break;
      case '|': out += "$|$"; break;
      default: out += c;
    }
  }
  return out;
}

std::string EscapeHtml(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

void Table::AddRow(std::vector<std::string> row,
                   std::vector<std::pair<std::string, std::string>> row_intervals) {
  rows.push_back(std::move(row));
  intervals.resize(rows.size() - 1);
  intervals.push_back(std::move(row_intervals));
}

namespace {

const std::pair<std::string, std::string>* IntervalOf(const Table& t, size_t r, size_t i) {
  if (r >= t.intervals.size() || i >= t.intervals[r].size()) return nullptr;
  const auto& ci = t.intervals[r][i];
  return ci.first.empty() && ci.second.empty() ? nullptr : &ci;
}

// The cell with its interval, for tables a person reads.
std::string Shown(const Table& t, size_t r, size_t i) {
  const auto* ci = IntervalOf(t, r, i);
  return ci ? t.rows[r][i] + " [" + ci->first + ", " + ci->second + "]" : t.rows[r][i];
}

// Header and rows with an interval's bounds in columns of their own, for CSV and JSON.
std::pair<std::vector<std::string>, std::vector<std::vector<std::string>>> Flattened(const Table& t) {
  std::vector<bool> has(t.header.size(), false);
  for (size_t r = 0; r < t.rows.size(); ++r) {
    for (size_t i = 0; i < t.header.size(); ++i) has[i] = has[i] || IntervalOf(t, r, i);
  }
  std::vector<std::string> header;
  for (size_t i = 0; i < t.header.size(); ++i) {
    header.push_back(t.header[i]);
    if (has[i]) header.insert(header.end(), {t.header[i] + " lo", t.header[i] + " hi"});
  }
  std::vector<std::vector<std::string>> rows;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    std::vector<std::string> row;
    for (size_t i = 0; i < t.rows[r].size(); ++i) {
      row.push_back(t.rows[r][i]);
      if (i < has.size() && has[i]) {
        const auto* ci = IntervalOf(t, r, i);
        row.push_back(ci ? ci->first : "-");
        row.push_back(ci ? ci->second : "-");
      }
    }
    rows.push_back(std::move(row));
  }
  return {header, rows};
}

}  // namespace

std::string Table::ToMarkdown() const {
  std::ostringstream out;
  if (!title.empty()) out << "### " << title << "\n\n";
  for (const auto& n : notes) out << "_" << n << "_  \n";
  if (!notes.empty()) out << "\n";
  out << "|";
  for (const auto& h : header) out << " " << h << " |";
  out << "\n|";
  for (size_t i = 0; i < header.size(); ++i) out << (i == 0 ? "---|" : "---:|");
  out << "\n";
  for (size_t r = 0; r < rows.size(); ++r) {
    out << "|";
    for (size_t i = 0; i < rows[r].size(); ++i) out << " " << Shown(*this, r, i) << " |";
    out << "\n";
  }
  return out.str();
}

std::string Table::ToCsv() const {
  const auto [header, rows] = Flattened(*this);
  std::ostringstream out;
  for (size_t i = 0; i < header.size(); ++i) out << (i ? "," : "") << EscapeCsv(header[i]);
  out << "\n";
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) out << (i ? "," : "") << EscapeCsv(row[i]);
    out << "\n";
  }
  return out.str();
}

Json Table::ToJson() const {
  const auto [header, rows] = Flattened(*this);
  Json json{{"title", title},
            {"generator", "blurkit-bench " + BuildVersion()},  // the version and commit that scored
            {"notes", notes},
            {"columns", header},
            {"rows", Json::array()}};
  for (const auto& row : rows) {
    Json object = Json::object();
    for (size_t i = 0; i < row.size() && i < header.size(); ++i) {
      const std::string& cell = row[i];
      char* end = nullptr;
      const double number = std::strtod(cell.c_str(), &end);
      if (!cell.empty() && end == cell.c_str() + cell.size() && std::isfinite(number)) {
        object[header[i]] = number;
      } else if (cell == "inf") {
        object[header[i]] = "inf";
      } else if (cell == "-") {
        object[header[i]] = nullptr;
      } else {
        object[header[i]] = cell;
      }
    }
    json["rows"].push_back(object);
  }
  return json;
}

std::string Table::ToLatex() const {
  std::ostringstream out;
  out << "% " << title << "\n";
  for (const auto& n : notes) out << "% " << n << "\n";
  out << "\\begin{tabular}{l" << std::string(header.size() > 0 ? header.size() - 1 : 0, 'r')
      << "}\n\\toprule\n";
  for (size_t i = 0; i < header.size(); ++i) out << (i ? " & " : "") << EscapeLatex(header[i]);
  out << " \\\\\n\\midrule\n";
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t i = 0; i < rows[r].size(); ++i) out << (i ? " & " : "") << EscapeLatex(Shown(*this, r, i));
    out << " \\\\\n";
  }
  out << "\\bottomrule\n\\end{tabular}\n";
  return out.str();
}

std::string Table::ToHtml() const {
  std::ostringstream out;
  if (!title.empty()) out << "<h3>" << EscapeHtml(title) << "</h3>\n";
  for (const auto& n : notes) out << "<p class=\"note\">" << EscapeHtml(n) << "</p>\n";
  out << "<table>\n<tr>";
  for (const auto& h : header) out << "<th>" << EscapeHtml(h) << "</th>";
  out << "</tr>\n";
  for (size_t r = 0; r < rows.size(); ++r) {
    out << "<tr>";
    for (size_t i = 0; i < rows[r].size(); ++i) {
      const auto* ci = IntervalOf(*this, r, i);
      out << "<td>" << EscapeHtml(rows[r][i]);
      if (ci) out << " <span class=\"ci\">[" << EscapeHtml(ci->first) << ", " << EscapeHtml(ci->second) << "]</span>";
      out << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</table>\n";
  return out.str();
}

void Table::WriteAll(const std::filesystem::path& folder, const std::string& stem) const {
  WriteFileAtomic(folder / (stem + ".md"), ToMarkdown());
  WriteFileAtomic(folder / (stem + ".csv"), ToCsv());
  WriteFileAtomic(folder / (stem + ".json"), ToJson().dump(2) + "\n");
  WriteFileAtomic(folder / (stem + ".tex"), ToLatex());
}

}  // namespace blurkit::bench
