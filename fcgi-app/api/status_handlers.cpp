#include "handlers.hpp"
#include "http/query.hpp"

namespace livesync::api {

Response read_revisions(Context& ctx, const Request& request) {
    http::parse_query(request.query, {});
    Revisions r = ctx.store.revisions();
    return Response::json(200, {{"rev", r.global},
                                {"projects", r.projects},
                                {"solutions", r.solutions},
                                {"subcomponents", r.subcomponents}});
}

// Readiness means the storage answers a read; a failure propagates as SqliteError → 503.
Response read_health(Context& ctx, const Request&) {
    Revisions r = ctx.store.revisions();
    return Response::json(200, {{"status", "ok"}, {"rev", r.global}});
}

}  // namespace livesync::api
