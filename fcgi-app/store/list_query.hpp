// What a list request asks the store for: which rows (a filter, every condition ANDed) and which
// window of them (a keyset page by id). Filled from the query string by api/list_params; turned
// into SQL by list_sql.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rows.hpp"

namespace livesync::store {

struct ListFilter {
    std::optional<std::int64_t> parent_id;  // project_id of solutions, solution_id of subcomponents
    std::optional<std::string> status;
    std::optional<std::string> owner;  // exact match
    // Name contains it; ASCII letters match either case, every other character only itself
    // (SQLite's lower() folds ASCII only, and the query is folded the same way).
    std::optional<std::string> name_contains;

    bool empty() const { return !parent_id && !status && !owner && !name_contains; }
};

struct PageWindow {
    std::optional<std::int64_t> after;  // ids above it, or below it when descending
    bool descending = false;
    std::optional<int> limit;  // none: every row after `after`
};

struct Page {
    std::vector<Row> rows;
    std::optional<std::int64_t> next;  // the `after` of the next page; none on the last one
};

// What changed in an entity after a revision, as far as one filter sees it.
struct Changes {
    std::vector<Row> changed;        // rows changed after it that match, by id
    std::vector<std::int64_t> gone;  // deleted after it, or changed and no longer matching
};

}  // namespace livesync::store
