// SQL text built from an entity's spec (fixed at compile time) and from which filter fields are
// set — never from their values, which are always bound. So every text has one of a few shapes,
// and each shape is prepared once per connection and reused.
#pragma once

#include <functional>
#include <string>

#include "list_query.hpp"
#include "rows.hpp"
#include "sqlite.hpp"

namespace livesync::store {

// The two SQL dialects: texts are built with `?` in bind order; PostgreSQL's are then numbered
// ($1, $2, …), use strpos for instr and have no INDEXED BY (its planner picks the rev index).
enum class Dialect { sqlite, postgres };

// "project_id, name, description, status, phases" — the columns a client may write, in bind order.
std::string editable_columns(const EntitySpec& spec);
// "id, <editable>, created_at, updated_at, updated_by, rev" — the order Store reads a row in.
std::string select_columns(const EntitySpec& spec);
// "?, ?, ?" for a column list; "a = ?, b = ?" for a column list.
std::string placeholders(const std::string& columns);
std::string assignments(const std::string& columns);

// One page of a filtered list in id order. Binds: the filter (bind_filter), then `after` if the
// window has one, then the row limit (-1: none).
std::string page_sql(const EntitySpec& spec, const ListFilter& filter, const PageWindow& window,
                     Dialect dialect = Dialect::sqlite);
// How many rows match the filter (every page of it together). Binds: the filter.
std::string count_sql(const EntitySpec& spec, const ListFilter& filter,
                      Dialect dialect = Dialect::sqlite);
// Rows changed after a revision that match the filter, in id order. Binds: the revision, then the
// filter. Walks the entity's rev index, so it costs what changed, not the table.
std::string changed_sql(const EntitySpec& spec, const ListFilter& filter,
                        Dialect dialect = Dialect::sqlite);
// Ids of rows changed after a revision that do not match the (non-empty) filter. Same binds.
std::string unmatched_sql(const EntitySpec& spec, const ListFilter& filter,
                          Dialect dialect = Dialect::sqlite);

// Calls `number` or `text` for each of the filter's values, in the order the *_sql texts name
// them (the name query folded as the SQL folds the name). `bytes`: PostgreSQL takes the value as
// bytea (the name query).
void visit_filter(const ListFilter& filter, const std::function<void(std::int64_t)>& number,
                  const std::function<void(const std::string&, bool bytes)>& text);
// Binds the filter's values from index `first`; returns the next free index.
int bind_filter(Stmt& stmt, int first, const ListFilter& filter);
// "… $1 … $2" for "… ? … ?": PostgreSQL's numbered parameters.
std::string numbered(const std::string& sql);

}  // namespace livesync::store
