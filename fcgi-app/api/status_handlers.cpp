#include "handlers.hpp"
#include "http/api_error.hpp"
#include "http/query.hpp"
#include "store/write_readiness.hpp"

namespace livesync::api {

Response read_revisions(Context& ctx, const Request& request) {
    http::parse_query(request.query, {});
    Revisions r = ctx.store.latest().revisions;
    return Response::json(200, {{"rev", r.global},
                                {"projects", r.projects},
                                {"solutions", r.solutions},
                                {"subcomponents", r.subcomponents}});
}

// Ready means the storage answers a read (a failure propagates as a transient store error → 503)
// and, for a SQLite file, a write can succeed as far as its filesystem tells
// (store/write_readiness.hpp); a PostgreSQL server's disk is its own to watch. Not ready is the
// usual 503 error, with `status`, `storage` (the reason) and `rev` beside it for monitors.
Response read_health(Context& ctx, const Request&) {
    Revisions r = ctx.store.revisions();
    if (is_postgres_uri(ctx.config.database))
        return Response::json(200, {{"status", "ok"}, {"rev", r.global}});
    store::WriteReadiness writes = store::write_readiness(
        ctx.config.database, std::int64_t{ctx.config.storage_min_free_mb} << 20);
    if (writes.ready) return Response::json(200, {{"status", "ok"}, {"rev", r.global}});
    Response response = http::error_response(
        http::ApiError(http::ErrorKind::unavailable, "writes cannot succeed now: " + writes.message,
                       {{"storage", writes.reason}}));
    nlohmann::json body = nlohmann::json::parse(response.body);
    body["status"] = "unavailable";
    body["storage"] = writes.reason;
    body["rev"] = r.global;
    response.body = body.dump();
    return response;
}

}  // namespace livesync::api
