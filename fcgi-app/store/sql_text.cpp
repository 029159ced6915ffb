#include "sql_text.hpp"

#include <vector>

#include "ascii.hpp"

namespace livesync::store {
namespace {

std::string table_of(const EntitySpec& s) {
    return std::string(s.table);
}

// The filter's conditions joined by AND ("" for an empty filter), in bind_filter's order.
std::string filter_condition(const EntitySpec& s, const ListFilter& f) {
    std::vector<std::string> parts;
    if (f.parent_id) parts.push_back(std::string(s.parent_column) + " = ?");
    if (f.status) parts.push_back("status = ?");
    if (f.owner) parts.push_back("owner = ?");
    // instr, not LIKE: '%', '_' and '\' in the query are plain characters, no escaping needed.
    if (f.name_contains) parts.push_back("instr(lower(name), ?) > 0");
    std::string out;
    for (const std::string& p : parts) out += (out.empty() ? "" : " AND ") + p;
    return out;
}

// The rev index, named so that a since query never walks a status or parent index instead.
std::string by_rev(const EntitySpec& s) {
    return table_of(s) + " INDEXED BY " + table_of(s) + "_by_rev";
}

}  // namespace

std::string editable_columns(const EntitySpec& s) {
    std::string cols;
    if (!s.parent_column.empty()) cols += std::string(s.parent_column) + ", ";
    cols += "name, description, status";
    if (s.has_owner) cols += ", owner";
    if (s.has_phases) cols += ", phases";
    return cols;
}

std::string select_columns(const EntitySpec& s) {
    return "id, " + editable_columns(s) + ", created_at, updated_at, rev";
}

std::string placeholders(const std::string& columns) {
    std::string out = "?";
    for (char c : columns)
        if (c == ',') out += ", ?";
    return out;
}

std::string assignments(const std::string& columns) {
    std::string out, col;
    for (char c : columns + ",") {
        if (c == ',') {
            out += (out.empty() ? "" : ", ") + col + " = ?";
            col.clear();
        } else if (c != ' ') {
            col += c;
        }
    }
    return out;
}

std::string page_sql(const EntitySpec& s, const ListFilter& f, const PageWindow& w) {
    std::string where = filter_condition(s, f);
    if (w.after)
        where += std::string(where.empty() ? "" : " AND ") + (w.descending ? "id < ?" : "id > ?");
    return "SELECT " + select_columns(s) + " FROM " + table_of(s) +
           (where.empty() ? "" : " WHERE " + where) + " ORDER BY id" +
           (w.descending ? " DESC" : "") + " LIMIT ?";
}

std::string changed_sql(const EntitySpec& s, const ListFilter& f) {
    std::string cond = filter_condition(s, f);
    return "SELECT " + select_columns(s) + " FROM " + by_rev(s) + " WHERE rev > ?" +
           (cond.empty() ? "" : " AND " + cond) + " ORDER BY id";
}

std::string unmatched_sql(const EntitySpec& s, const ListFilter& f) {
    return "SELECT id FROM " + by_rev(s) + " WHERE rev > ? AND NOT (" + filter_condition(s, f) +
           ")";
}

int bind_filter(Stmt& stmt, int i, const ListFilter& f) {
    if (f.parent_id) stmt.bind(i++, *f.parent_id);
    if (f.status) stmt.bind(i++, *f.status);
    if (f.owner) stmt.bind(i++, *f.owner);
    if (f.name_contains) stmt.bind(i++, ascii_lower(*f.name_contains));
    return i;
}

}  // namespace livesync::store
