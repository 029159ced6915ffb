#include "sql_text.hpp"

#include <vector>

#include "ascii.hpp"

namespace livesync::store {
namespace {

std::string table_of(const EntitySpec& s) {
    return std::string(s.table);
}

// The filter's conditions joined by AND ("" for an empty filter), in bind_filter's order.
std::string filter_condition(const EntitySpec& s, const ListFilter& f, Dialect d) {
    std::vector<std::string> parts;
    if (f.parent_id) parts.push_back(std::string(s.parent_column) + " = ?");
    if (f.status) parts.push_back("status = ?");
    if (f.owner) parts.push_back("owner = ?");
    // instr, not LIKE: '%', '_' and '\' in the query are plain characters, no escaping needed.
    if (f.name_contains)
        // PostgreSQL compares bytes too, so that half a character or a byte that is not UTF-8
        // (which a text parameter cannot carry) matches as it does on SQLite.
        parts.push_back(d == Dialect::sqlite
                            ? "instr(lower(name), ?) > 0"
                            : "position(?::bytea IN convert_to(lower(name), 'UTF8')) > 0");
    std::string out;
    for (const std::string& p : parts) out += (out.empty() ? "" : " AND ") + p;
    return out;
}

// The rev index, named so that a since query never walks a status or parent index instead.
std::string by_rev(const EntitySpec& s, Dialect d) {
    if (d == Dialect::postgres) return table_of(s);
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
    return "id, " + editable_columns(s) + ", created_at, updated_at, updated_by, rev";
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

std::string page_sql(const EntitySpec& s, const ListFilter& f, const PageWindow& w, Dialect d) {
    std::string where = filter_condition(s, f, d);
    if (w.after)
        where += std::string(where.empty() ? "" : " AND ") + (w.descending ? "id < ?" : "id > ?");
    std::string sql = "SELECT " + select_columns(s) + " FROM " + table_of(s) +
                      (where.empty() ? "" : " WHERE " + where) + " ORDER BY id" +
                      (w.descending ? " DESC" : "") + " LIMIT ?";
    return d == Dialect::postgres ? numbered(sql) : sql;
}

std::string count_sql(const EntitySpec& s, const ListFilter& f, Dialect d) {
    std::string cond = filter_condition(s, f, d);
    std::string sql =
        "SELECT count(*) FROM " + table_of(s) + (cond.empty() ? "" : " WHERE " + cond);
    return d == Dialect::postgres ? numbered(sql) : sql;
}

std::string changed_sql(const EntitySpec& s, const ListFilter& f, Dialect d) {
    std::string cond = filter_condition(s, f, d);
    std::string sql = "SELECT " + select_columns(s) + " FROM " + by_rev(s, d) + " WHERE rev > ?" +
                      (cond.empty() ? "" : " AND " + cond) + " ORDER BY id";
    return d == Dialect::postgres ? numbered(sql) : sql;
}

std::string unmatched_sql(const EntitySpec& s, const ListFilter& f, Dialect d) {
    std::string sql = "SELECT id FROM " + by_rev(s, d) + " WHERE rev > ? AND NOT (" +
                      filter_condition(s, f, d) + ")";
    return d == Dialect::postgres ? numbered(sql) : sql;
}

void visit_filter(const ListFilter& f, const std::function<void(std::int64_t)>& number,
                  const std::function<void(const std::string&, bool bytes)>& text) {
    if (f.parent_id) number(*f.parent_id);
    if (f.status) text(*f.status, false);
    if (f.owner) text(*f.owner, false);
    if (f.name_contains) text(ascii_lower(*f.name_contains), true);
}

int bind_filter(Stmt& stmt, int i, const ListFilter& f) {
    visit_filter(
        f, [&](std::int64_t v) { stmt.bind(i++, v); },
        [&](const std::string& v, bool) { stmt.bind(i++, v); });
    return i;
}

std::string numbered(const std::string& sql) {
    std::string out;
    int n = 0;
    for (char c : sql) out += c == '?' ? "$" + std::to_string(++n) : std::string(1, c);
    return out;
}

}  // namespace livesync::store
