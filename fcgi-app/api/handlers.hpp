// Request handlers, one family per file: entity_handlers.cpp (list, read, create, update,
// delete for the three entities), nested_handlers.cpp (phases, checklist), status_handlers.cpp
// (revisions, health). Each either returns a response or throws ApiError / SqliteError.
#pragma once

#include "context.hpp"
#include "http/response.hpp"
#include "http/router.hpp"

namespace livesync::api {

using http::PathParams;
using http::Request;
using http::Response;

Response list_rows(Entity entity, Context& ctx, const Request& request);
Response read_row(Entity entity, Context& ctx, const Request& request, const PathParams& params);
Response create_row(Entity entity, Context& ctx, const Request& request);
Response update_row(Entity entity, Context& ctx, const Request& request, const PathParams& params);
Response delete_row(Entity entity, Context& ctx, const Request& request, const PathParams& params);

Response set_phase(Context& ctx, const Request& request, const PathParams& params);
Response replace_checklist(Context& ctx, const Request& request, const PathParams& params);

Response read_revisions(Context& ctx, const Request& request);
Response read_health(Context& ctx, const Request& request);

// Shared by the handlers: the id in path segment `index` (404 if it is not a valid id), the row
// response with its ETag, and the If-Match check (412 with the current row).
std::int64_t path_id(const PathParams& params, size_t index);
Response row_response(int status, Entity entity, const store::Row& row);
void check_if_match(Entity entity, const Request& request, const store::Row& current);
// The row or 404.
store::Row require_row(Context& ctx, Entity entity, std::int64_t id);

}  // namespace livesync::api
