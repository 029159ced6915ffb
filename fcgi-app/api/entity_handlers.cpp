#include "body_fields.hpp"
#include "handlers.hpp"
#include "http/api_error.hpp"
#include "http/preconditions.hpp"
#include "http/query.hpp"
#include "row_json.hpp"

namespace livesync::api {

using http::ApiError;
using http::ErrorKind;
using nlohmann::json;

std::int64_t path_id(const PathParams& params, size_t index) {
    auto id = http::parse_id(params.at(index));
    if (!id) throw ApiError(ErrorKind::not_found, "no such id '" + params.at(index) + "'");
    return *id;
}

Response row_response(int status, Entity entity, const store::Row& row) {
    Response r = Response::json(status, row_to_json(entity, row));
    r.header("ETag", http::etag_of(row.rev));
    return r;
}

store::Row require_row(Context& ctx, Entity entity, std::int64_t id) {
    auto row = ctx.store.find(entity, id);
    if (!row)
        throw ApiError(ErrorKind::not_found, std::string(entity_name(entity)) + " " +
                                                 std::to_string(id) + " does not exist");
    return std::move(*row);
}

void check_if_match(Entity entity, const Request& request, const store::Row& current) {
    auto if_match = request.header("if-match");
    if (if_match && !http::match_hits(*if_match, current.rev))
        throw ApiError(ErrorKind::precondition_failed,
                       "the row changed since you read it (If-Match " + *if_match +
                           ", current revision " + std::to_string(current.rev) + ")",
                       {{"current", row_to_json(entity, current)}});
}

namespace {

// Writes to a parent that does not exist are an invalid field, not a 404 or a 500.
void require_parent(Context& ctx, Entity entity, const store::Row& row) {
    const store::EntitySpec& spec = store::spec_of(entity);
    if (spec.parent_column.empty() || ctx.store.exists(spec.parent, row.parent_id)) return;
    throw ApiError(
        ErrorKind::validation_failed, "some fields are invalid",
        {{std::string(spec.parent_column), std::string(entity_name(spec.parent)) + " " +
                                               std::to_string(row.parent_id) + " does not exist"}});
}

void require_json_mutation(Context& ctx, const Request& request) {
    http::require_same_origin(request, ctx.config.origins);
    http::require_content_type(request, "application/json");
}

}  // namespace

Response list_rows(Entity entity, Context& ctx, const Request& request) {
    const store::EntitySpec& spec = store::spec_of(entity);
    std::optional<std::int64_t> parent;
    if (spec.parent_column.empty()) {
        http::parse_query(request.query, {});
    } else {
        std::string key(spec.parent_column);
        auto query = http::parse_query(request.query, {key});
        if (auto it = query.find(key); it != query.end()) {
            parent = http::parse_id(it->second);
            if (!parent)
                throw ApiError(ErrorKind::invalid_query, key + " must be a positive integer id",
                               {{key, "must be a positive integer id"}});
        }
    }

    store::ReadTransaction tx(ctx.store);
    std::int64_t rev = ctx.store.revisions().of(entity);
    std::string etag = http::etag_of(rev);
    auto if_none_match = request.header("if-none-match");
    if (if_none_match && http::none_match_hits(*if_none_match, rev))
        return Response::empty(304).header("ETag", etag);

    ListCache::Key key{entity, parent};
    const std::string* cached = ctx.list_cache.find(key, rev);
    if (!cached) {
        json items = json::array();
        for (const store::Row& row : ctx.store.list(entity, parent))
            items.push_back(row_to_json(entity, row));
        ctx.list_cache.put(key, rev, json{{"items", std::move(items)}, {"rev", rev}}.dump());
        cached = ctx.list_cache.find(key, rev);
    }
    return Response::json_text(200, *cached).header("ETag", etag);
}

Response read_row(Entity entity, Context& ctx, const Request& request, const PathParams& params) {
    std::int64_t id = path_id(params, 0);
    store::ReadTransaction tx(ctx.store);
    store::Row row = require_row(ctx, entity, id);
    auto if_none_match = request.header("if-none-match");
    if (if_none_match && http::none_match_hits(*if_none_match, row.rev))
        return Response::empty(304).header("ETag", http::etag_of(row.rev));
    return row_response(200, entity, row);
}

Response create_row(Entity entity, Context& ctx, const Request& request) {
    require_json_mutation(ctx, request);
    json body = parse_object(request.body);
    store::Row row;
    apply_fields(entity, body, row, Mode::create);

    store::WriteTransaction tx(ctx.store);
    require_parent(ctx, entity, row);
    ctx.store.insert(tx, entity, row);
    tx.commit();
    ctx.announce(entity, row.rev, request);
    Response r = row_response(201, entity, row);
    r.header("Location", "/api/" + std::string(entity_name(entity)) + "/" + std::to_string(row.id));
    return r;
}

Response update_row(Entity entity, Context& ctx, const Request& request, const PathParams& params) {
    std::int64_t id = path_id(params, 0);
    require_json_mutation(ctx, request);
    json body = parse_object(request.body);

    store::WriteTransaction tx(ctx.store);
    store::Row current = require_row(ctx, entity, id);
    check_if_match(entity, request, current);
    store::Row row = current;
    apply_fields(entity, body, row, Mode::patch);
    if (row.same_content(current)) return row_response(200, entity, current);
    if (row.parent_id != current.parent_id) require_parent(ctx, entity, row);
    ctx.store.update(tx, entity, row);
    tx.commit();
    ctx.announce(entity, row.rev, request);
    return row_response(200, entity, row);
}

Response delete_row(Entity entity, Context& ctx, const Request& request, const PathParams& params) {
    std::int64_t id = path_id(params, 0);
    http::require_same_origin(request, ctx.config.origins);

    store::WriteTransaction tx(ctx.store);
    store::Row current = require_row(ctx, entity, id);
    check_if_match(entity, request, current);
    store::DeleteResult result = ctx.store.remove(tx, entity, id);
    std::int64_t rev = tx.rev();
    tx.commit();
    ctx.announce(result.cascaded ? Entity::all : entity, rev, request);
    return Response::empty(204);
}

}  // namespace livesync::api
