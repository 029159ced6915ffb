#include "body_fields.hpp"
#include "fields/id.hpp"
#include "handlers.hpp"
#include "http/api_error.hpp"
#include "http/preconditions.hpp"
#include "list_params.hpp"
#include "row_json.hpp"

namespace livesync::api {

using http::ApiError;
using http::ErrorKind;
using nlohmann::json;

std::int64_t path_id(const PathParams& params, size_t index) {
    auto id = fields::parse_id(params.at(index));
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

json rows_json(Entity entity, const std::vector<store::Row>& rows) {
    json items = json::array();
    for (const store::Row& row : rows) items.push_back(row_to_json(entity, row));
    return items;
}

// How many rows the filter matches at entity revision `rev`, read in the caller's snapshot and
// kept in the list cache by filter and revision: a first page and the `since` of every tab after
// one event share one count. ('#' starts no canonical query, so the key is no list's.)
std::int64_t total_of(Entity entity, Context& ctx, const ListParams& params, std::int64_t rev) {
    ListCache::Body n = ctx.list_cache.get({entity, "#count " + params.filter_canonical}, rev, [&] {
        return std::to_string(ctx.store.count(entity, params.filter));
    });
    return std::stoll(*n);
}

// The body of a list answer at entity revision `rev`: the changes since a revision, or a page
// (every row of a plain list; `next` once any list parameter is given), with `total` if asked.
// Call inside the ReadTransaction `rev` was read in, so the rows are exactly that revision's.
std::string render_list(Entity entity, Context& ctx, const ListParams& params, std::int64_t rev) {
    json body;
    if (params.since) {
        store::Changes changes = ctx.store.changes_since(entity, params.filter, *params.since);
        body = {{"items", rows_json(entity, changes.changed)},
                {"deleted", std::move(changes.gone)},
                {"rev", rev}};
    } else {
        store::Page page = ctx.store.page(entity, params.filter, params.window);
        body = {{"items", rows_json(entity, page.rows)}, {"rev", rev}};
        if (params.extended) body["next"] = page.next ? json(*page.next) : json(nullptr);
    }
    if (params.count) body["total"] = total_of(entity, ctx, params, rev);
    return body.dump();
}

// The answer a list request gets at watermarks `w` without reading a row: a reset, a 304, or a
// body the worker has rendered at the entity's revision; none if it needs rendering.
std::optional<Response> known_list_answer(Entity entity, Context& ctx, const Request& request,
                                          const ListParams& params, const store::Watermarks& w) {
    std::int64_t rev = w.revisions.of(entity);
    // Checked before any tag or cache: a since answer cached at this entity revision may have
    // been right before the database was restored or the horizon moved past it.
    if (params.since && !w.covers(*params.since))
        return Response::json(200, {{"reset", true}, {"rev", rev}});
    std::string etag = params.etag(rev);
    auto if_none_match = request.header("if-none-match");
    if (if_none_match && http::none_match_hits(*if_none_match, etag))
        return Response::empty(304).header("ETag", etag);
    if (ListCache::Body body = ctx.list_cache.find({entity, params.canonical}, rev))
        return Response::json_text(200, *body).header("ETag", etag);
    return std::nullopt;
}

}  // namespace

// Most list requests (a refetch after an event, a 304) are answered from the latest watermarks
// alone, whose read the worker's threads share; the rest render in a snapshot of their own.
Response list_rows(Entity entity, Context& ctx, const Request& request) {
    ListParams params = parse_list_params(entity, request.query);
    if (auto answer = known_list_answer(entity, ctx, request, params, ctx.store.latest()))
        return std::move(*answer);

    store::ReadTransaction tx(ctx.store);
    store::Watermarks now = ctx.store.watermarks();
    if (auto answer = known_list_answer(entity, ctx, request, params, now))
        return std::move(*answer);
    std::int64_t rev = now.revisions.of(entity);
    ListCache::Body body = ctx.list_cache.get(
        {entity, params.canonical}, rev, [&] { return render_list(entity, ctx, params, rev); });
    return Response::json_text(200, *body).header("ETag", params.etag(rev));
}

Response read_row(Entity entity, Context& ctx, const Request& request, const PathParams& params) {
    std::int64_t id = path_id(params, 0);
    std::int64_t entity_rev = ctx.store.latest().revisions.of(entity);
    // Read in a snapshot begun after the latest revisions were: at least as new as the entity
    // revision it is kept under.
    RowCache::Body row = ctx.row_cache.get({entity, std::to_string(id)}, entity_rev, [&] {
        store::ReadTransaction tx(ctx.store);
        store::Row found = require_row(ctx, entity, id);
        return RowAnswer{row_to_json(entity, found).dump(), found.rev};
    });
    std::string etag = http::etag_of(row->rev);
    auto if_none_match = request.header("if-none-match");
    if (if_none_match && http::none_match_hits(*if_none_match, row->rev))
        return Response::empty(304).header("ETag", etag);
    return Response::json_text(200, row->json).header("ETag", etag);
}

Response create_row(Entity entity, Context& ctx, const Request& request) {
    require_json_mutation(ctx, request);
    json body = parse_object(request.body);
    store::Row row;
    apply_fields(entity, body, row, Mode::create);

    store::WriteTransaction tx(ctx.store, ctx.write_scope, request.user);
    require_parent(ctx, entity, row);
    ctx.store.insert(tx, entity, row);
    ctx.commit(tx, entity, row.rev, request);
    Response r = row_response(201, entity, row);
    r.header("Location", "/api/" + std::string(entity_name(entity)) + "/" + std::to_string(row.id));
    return r;
}

Response update_row(Entity entity, Context& ctx, const Request& request, const PathParams& params) {
    std::int64_t id = path_id(params, 0);
    require_json_mutation(ctx, request);
    json body = parse_object(request.body);

    store::WriteTransaction tx(ctx.store, ctx.write_scope, request.user);
    store::Row current = require_row(ctx, entity, id);
    check_if_match(entity, request, current);
    store::Row row = current;
    apply_fields(entity, body, row, Mode::patch);
    if (row.same_content(current)) return row_response(200, entity, current);
    if (row.parent_id != current.parent_id) require_parent(ctx, entity, row);
    ctx.store.update(tx, entity, row);
    ctx.commit(tx, entity, row.rev, request);
    return row_response(200, entity, row);
}

Response delete_row(Entity entity, Context& ctx, const Request& request, const PathParams& params) {
    std::int64_t id = path_id(params, 0);
    http::require_same_origin(request, ctx.config.origins);

    store::WriteTransaction tx(ctx.store, ctx.write_scope, request.user);
    store::Row current = require_row(ctx, entity, id);
    check_if_match(entity, request, current);
    store::DeleteResult result = ctx.store.remove(tx, entity, id);
    std::int64_t rev = tx.rev();
    ctx.commit(tx, result.cascaded ? Entity::all : entity, rev, request);
    return Response::empty(204);
}

}  // namespace livesync::api
