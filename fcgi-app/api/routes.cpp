#include "routes.hpp"

#include "csv_handlers.hpp"
#include "handlers.hpp"

namespace livesync::api {

ApiRouter make_router() {
    ApiRouter router;
    for (Entity e : kTableEntities) {
        std::string collection = "/api/" + std::string(entity_name(e));
        std::string item = collection + "/{id}";
        router.add("GET", collection, [e](Context& c, const Request& r, const PathParams&) {
            return list_rows(e, c, r);
        });
        router.add("POST", collection, [e](Context& c, const Request& r, const PathParams&) {
            return create_row(e, c, r);
        });
        router.add("GET", item, [e](Context& c, const Request& r, const PathParams& p) {
            return read_row(e, c, r, p);
        });
        router.add("PATCH", item, [e](Context& c, const Request& r, const PathParams& p) {
            return update_row(e, c, r, p);
        });
        router.add("DELETE", item, [e](Context& c, const Request& r, const PathParams& p) {
            return delete_row(e, c, r, p);
        });
    }
    router.add("PUT", "/api/solutions/{id}/phases/{phase}", set_phase);
    router.add("PUT", "/api/subcomponents/{id}/checklist", replace_checklist);
    router.add("POST", "/api/import/{entity}", import_rows);
    router.add("GET", "/api/export/{file}", export_rows);
    router.add("GET", "/api/revisions", [](Context& c, const Request& r, const PathParams&) {
        return read_revisions(c, r);
    });
    router.add("GET", "/api/health",
               [](Context& c, const Request& r, const PathParams&) { return read_health(c, r); });
    return router;
}

}  // namespace livesync::api
