#include "body_fields.hpp"
#include "handlers.hpp"
#include "http/api_error.hpp"
#include "http/preconditions.hpp"

namespace livesync::api {

using http::ApiError;
using http::ErrorKind;
using nlohmann::json;

namespace {

// Locks, loads the row, checks If-Match, lets `change` edit a copy, and writes it only if it
// differs: an unchanged row is answered as is, with no revision bump and no signal.
template <typename Change>
Response change_row(Entity entity, Context& ctx, const Request& request, std::int64_t id,
                    Change change) {
    store::WriteTransaction tx(ctx.store, ctx.write_scope, request.user);
    store::Row current = require_row(ctx, entity, id);
    check_if_match(entity, request, current);
    store::Row row = current;
    change(row);
    if (row.same_content(current)) return row_response(200, entity, current);
    ctx.store.update(tx, entity, row);
    ctx.commit(tx, entity, row.rev, request);
    return row_response(200, entity, row);
}

json parse_json_mutation(Context& ctx, const Request& request) {
    http::require_same_origin(request, ctx.config.origins);
    http::require_content_type(request, "application/json");
    return parse_object(request.body);
}

}  // namespace

Response set_phase(Context& ctx, const Request& request, const PathParams& params) {
    std::int64_t id = path_id(params, 0);
    auto bit = store::phase_bit(params.at(1));
    if (!bit) throw ApiError(ErrorKind::not_found, "no phase named '" + params.at(1) + "'");
    json body = parse_json_mutation(ctx, request);
    json errors = json::object();
    for (const auto& [key, value] : body.items())
        if (key != "enabled") errors[key] = "unknown field";
    if (!body.contains("enabled") || !body["enabled"].is_boolean())
        errors["enabled"] = "is required: true or false";
    throw_if_invalid(errors);
    bool enabled = body["enabled"].get<bool>();
    return change_row(Entity::solutions, ctx, request, id, [&](store::Row& row) {
        row.phases = enabled ? (row.phases | *bit) : (row.phases & ~*bit);
    });
}

Response replace_checklist(Context& ctx, const Request& request, const PathParams& params) {
    std::int64_t id = path_id(params, 0);
    json body = parse_json_mutation(ctx, request);
    json errors = json::object();
    for (const auto& [key, value] : body.items())
        if (key != "items") errors[key] = "unknown field";
    if (!body.contains("items")) errors["items"] = "is required";
    throw_if_invalid(errors);
    return change_row(Entity::subcomponents, ctx, request, id, [&](store::Row& row) {
        json item_errors = json::object();
        row.checklist = parse_checklist(body["items"], row.checklist, "items", item_errors);
        throw_if_invalid(item_errors);
    });
}

}  // namespace livesync::api
