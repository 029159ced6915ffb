#include "csv_handlers.hpp"

#include <memory>

#include "csv/exporter.hpp"
#include "csv/importer.hpp"
#include "http/api_error.hpp"
#include "http/preconditions.hpp"

namespace livesync::api {

using http::ApiError;
using http::ErrorKind;
using nlohmann::json;

namespace {

Entity table_entity(std::string_view name, const Request& request) {
    auto entity = entity_from_name(name);
    if (!entity || *entity == Entity::all)
        throw ApiError(ErrorKind::not_found, "no route for " + request.path);
    return *entity;
}

Response import_result(const csv::ImportResult& result, std::int64_t rev) {
    return Response::json(200,
                          {{"created", result.created}, {"updated", result.updated}, {"rev", rev}});
}

[[noreturn]] void throw_import_errors(const csv::ImportResult& result) {
    json errors = json::array();
    for (const csv::ImportError& e : result.errors)
        errors.push_back({{"line", e.line},
                          {"column", e.column.empty() ? json(nullptr) : json(e.column)},
                          {"message", e.message}});
    std::int64_t listed = static_cast<std::int64_t>(result.errors.size());
    throw ApiError(ErrorKind::validation_failed,
                   "the file has " + std::to_string(result.error_count) +
                       (result.error_count == 1 ? " error" : " errors") + "; nothing was imported",
                   {{"errors", std::move(errors)}, {"omitted", result.error_count - listed}});
}

}  // namespace

Response import_rows(Context& ctx, const Request& request, const PathParams& params) {
    Entity entity = table_entity(params.at(0), request);
    http::require_same_origin(request, ctx.config.origins);
    http::require_content_type(request, "text/csv");

    store::WriteTransaction tx(ctx.store, ctx.write_scope, request.user);
    csv::ImportResult result = csv::import_csv(ctx.store, tx, entity, request.body);
    if (!result.ok()) throw_import_errors(result);  // rolled back by tx's destructor
    if (!result.wrote()) return import_result(result, ctx.store.revisions().global);
    std::int64_t rev = tx.rev();
    ctx.commit(tx, entity, rev, request);
    return import_result(result, rev);
}

Response export_rows(Context& ctx, const Request& request, const PathParams& params) {
    const std::string& file = params.at(0);
    constexpr std::string_view kSuffix = ".csv";
    if (file.size() <= kSuffix.size() ||
        file.compare(file.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0)
        throw ApiError(ErrorKind::not_found, "no route for " + request.path);
    std::string name = file.substr(0, file.size() - kSuffix.size());
    Entity entity = table_entity(name, request);

    // The snapshot the ETag is read in stays open until the body has been streamed, so the
    // rows sent are exactly that revision's.
    auto snapshot = std::make_shared<store::ReadTransaction>(ctx.store);
    std::int64_t rev = ctx.store.revisions().of(entity);
    std::string etag = http::etag_of(rev);
    auto if_none_match = request.header("if-none-match");
    if (if_none_match && http::none_match_hits(*if_none_match, rev))
        return Response::empty(304).header("ETag", etag);

    Response r;
    r.status = 200;
    r.header("Content-Type", "text/csv; charset=utf-8");
    r.header("Content-Disposition", "attachment; filename=\"" + file + "\"");
    r.header("ETag", etag);
    r.stream = [snapshot, &store = ctx.store, entity](const http::BodyWriter& write) mutable {
        csv::export_csv(store, entity, write);
        snapshot.reset();  // the last row is out: end the read transaction now
    };
    return r;
}

}  // namespace livesync::api
