// CSV import and export (SPEC §3, docs/csv.md).
#pragma once

#include "handlers.hpp"

namespace livesync::api {

// POST /api/import/{entity}: a text/csv body; all rows or none. 200 {"created","updated","rev"}
// with one change signal; 422 listing every bad row (line, column, message).
Response import_rows(Context& ctx, const Request& request, const PathParams& params);

// GET /api/export/{entity}.csv: the whole table as an attachment, with the entity's ETag.
Response export_rows(Context& ctx, const Request& request, const PathParams& params);

}  // namespace livesync::api
