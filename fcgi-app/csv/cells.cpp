#include "cells.hpp"

#include <algorithm>
#include <cstdio>

namespace livesync::csv {

std::vector<ColumnSpec> columns_of(Entity entity) {
    const store::EntitySpec& spec = store::spec_of(entity);
    std::vector<ColumnSpec> cols = {{"id", Column::id}};
    if (!spec.parent_column.empty()) cols.push_back({spec.parent_column, Column::parent});
    cols.push_back({"name", Column::name});
    cols.push_back({"description", Column::description});
    cols.push_back({"status", Column::status});
    if (spec.has_owner) cols.push_back({"owner", Column::owner});
    if (spec.has_phases) cols.push_back({"phases", Column::phases});
    if (spec.has_checklist) cols.push_back({"checklist", Column::checklist});
    cols.push_back({"created_at", Column::created_at});
    cols.push_back({"updated_at", Column::updated_at});
    cols.push_back({"updated_by", Column::updated_by});
    cols.push_back({"rev", Column::rev});
    return cols;
}

std::string format_phases(unsigned phases) {
    std::string out;
    for (size_t i = 0; i < store::kPhaseNames.size(); ++i) {
        if (!(phases & (1u << i))) continue;
        if (!out.empty()) out += ';';
        out += store::kPhaseNames[i];
    }
    return out;
}

std::optional<std::string> parse_phases(std::string_view cell, unsigned& phases) {
    unsigned bits = 0;
    for (bool more = !cell.empty(); more;) {
        size_t semi = cell.find(';');
        more = semi != std::string_view::npos;
        std::string_view name = cell.substr(0, semi);
        cell = more ? cell.substr(semi + 1) : std::string_view();
        while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
        while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
        if (name.empty()) return "an empty phase name: a ';' at an end or two in a row";
        auto bit = store::phase_bit(name);
        if (!bit)
            return "'" + std::string(name) +
                   "' is not a phase: list enabled phases from discovery, design, build, test, "
                   "deploy, separated by ';'";
        if (bits & *bit) return "phase '" + std::string(name) + "' is given more than once";
        bits |= *bit;
    }
    phases = bits;
    return std::nullopt;
}

namespace {

// Characters JSON strings must escape: the quote, the backslash and the control characters.
bool needs_json_escape(char c) {
    return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
}

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    while (!s.empty()) {
        // Copy the plain run in one go: an export writes millions of label characters.
        size_t plain = std::find_if(s.begin(), s.end(), needs_json_escape) - s.begin();
        out.append(s.substr(0, plain));
        if (plain == s.size()) break;
        char c = s[plain];
        s.remove_prefix(plain + 1);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default: {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            }
        }
    }
    out += '"';
}

}  // namespace

void append_checklist(std::string& out, const std::vector<store::ChecklistItem>& items) {
    out += '[';
    for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        out += "{\"label\":";
        append_json_string(out, items[i].label);
        out += items[i].done ? ",\"done\":true}" : ",\"done\":false}";
    }
    out += ']';
}

void append_cell(std::string& out, std::string_view value) {
    bool neutralise = !value.empty() &&
                      (value[0] == '=' || value[0] == '+' || value[0] == '-' || value[0] == '@' ||
                       value[0] == '\t' || value[0] == '\r' || value[0] == '\'');
    // Not find_first_of, which calls memchr once per character.
    bool quote = std::any_of(value.begin(), value.end(),
                             [](char c) { return c == ',' || c == '"' || c == '\r' || c == '\n'; });
    if (quote) out += '"';
    if (neutralise) out += '\'';
    if (quote) {
        // Each quote is doubled; the text between quotes is copied in one go.
        for (size_t q; (q = value.find('"')) != std::string_view::npos;) {
            out.append(value.substr(0, q + 1));
            out += '"';
            value.remove_prefix(q + 1);
        }
        out += value;
        out += '"';
    } else {
        out += value;
    }
}

std::string_view strip_neutraliser(std::string_view cell) {
    if (!cell.empty() && cell.front() == '\'') cell.remove_prefix(1);
    return cell;
}

}  // namespace livesync::csv
