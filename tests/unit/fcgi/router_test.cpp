#include "http/router.hpp"

#include <catch2/catch.hpp>

#include "http/api_error.hpp"

using namespace livesync::http;

namespace {

struct Ctx {};

Router<Ctx> make() {
    Router<Ctx> r;
    r.add("GET", "/api/things",
          [](Ctx&, const Request&, const PathParams&) { return Response::json(200, "list"); });
    r.add("POST", "/api/things",
          [](Ctx&, const Request&, const PathParams&) { return Response::json(201, "made"); });
    r.add("PUT", "/api/things/{id}/parts/{part}",
          [](Ctx&, const Request&, const PathParams& p) { return Response::json(200, p); });
    return r;
}

Request req(const std::string& method, const std::string& path) {
    Request r;
    r.method = method;
    r.path = path;
    return r;
}

ErrorKind kind_of(const Router<Ctx>& router, const Request& request) {
    Ctx ctx;
    try {
        router.dispatch(ctx, request);
    } catch (const ApiError& e) {
        return e.kind;
    }
    FAIL("dispatch did not throw");
    return ErrorKind::internal;
}

}  // namespace

TEST_CASE("routes dispatch by method and capture path segments in order") {
    auto router = make();
    Ctx ctx;
    CHECK(router.dispatch(ctx, req("POST", "/api/things")).status == 201);
    CHECK(router.dispatch(ctx, req("HEAD", "/api/things")).status == 200);
    CHECK(router.dispatch(ctx, req("PUT", "/api/things/7/parts/x")).body == R"(["7","x"])");
}

TEST_CASE("an unknown path is 404, including trailing slashes and empty segments") {
    auto router = make();
    CHECK(kind_of(router, req("GET", "/api/nothing")) == ErrorKind::not_found);
    CHECK(kind_of(router, req("GET", "/api/things/")) == ErrorKind::not_found);
    CHECK(kind_of(router, req("PUT", "/api/things//parts/x")) == ErrorKind::not_found);
}

TEST_CASE("a known path with another method is 405 naming the allowed ones") {
    auto router = make();
    Ctx ctx;
    try {
        router.dispatch(ctx, req("DELETE", "/api/things"));
        FAIL("expected 405");
    } catch (const ApiError& e) {
        CHECK(e.kind == ErrorKind::method_not_allowed);
        CHECK(e.allow == "GET, HEAD, POST");
    }
}
