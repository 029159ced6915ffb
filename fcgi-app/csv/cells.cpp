#include "cells.hpp"

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
    while (!cell.empty()) {
        size_t semi = cell.find(';');
        std::string_view name = cell.substr(0, semi);
        cell = semi == std::string_view::npos ? std::string_view() : cell.substr(semi + 1);
        while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
        while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
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

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (char c : s) {
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
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += c;
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
    bool quote = value.find_first_of(",\"\r\n") != std::string_view::npos;
    if (quote) out += '"';
    if (neutralise) out += '\'';
    if (quote) {
        for (char c : value) {
            if (c == '"') out += '"';
            out += c;
        }
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
