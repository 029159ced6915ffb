// CSV import of one entity's file into the store, inside the caller's write transaction.
// Rows are validated and written as they are read, so memory stays flat whatever the file size;
// after the first bad row nothing more is written but every row is still checked, and the caller
// rolls the transaction back (all or nothing). See docs/csv.md for the file format.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cells.hpp"
#include "entity.hpp"
#include "store/store.hpp"

namespace livesync::csv {

struct ImportLimits {
    size_t max_rows = 200000;                       // data rows per file
    size_t max_cell_bytes = kMaxExportedCellBytes;  // one cell, before any other rule
    size_t max_errors = 1000;                       // errors listed; the rest are only counted
};

struct ImportError {
    std::int64_t line;   // physical line where the record starts (header = 1), or of a bad byte
    std::string column;  // column name; "" for the record or file as a whole
    std::string message;
};

struct ImportResult {
    std::int64_t created = 0;
    std::int64_t updated = 0;    // rows named by id whose content changed
    std::int64_t unchanged = 0;  // rows named by id that already had that content
    std::int64_t data_rows = 0;
    std::vector<ImportError> errors;  // at most max_errors
    std::int64_t error_count = 0;     // all errors, listed or not

    bool ok() const { return error_count == 0; }
    bool wrote() const { return created + updated > 0; }
};

// Reads `text` (the whole request body) as a file of `entity` rows. Throws only SqliteError.
ImportResult import_csv(store::Store& store, store::WriteTransaction& tx, Entity entity,
                        std::string_view text, const ImportLimits& limits = {});

}  // namespace livesync::csv
