#include "api/list_params.hpp"

#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "http/api_error.hpp"

using namespace livesync;
using namespace livesync::api;
using http::ApiError;

namespace {

// The parameter a rejected query names in its error details ("" if it was accepted).
std::string rejected(Entity entity, std::string_view query) {
    try {
        parse_list_params(entity, query);
    } catch (const ApiError& e) {
        CHECK(e.kind == http::ErrorKind::invalid_query);
        if (!e.details.is_object() || e.details.size() != 1) return "<no single name>";
        return e.details.begin().key();
    }
    return "";
}

}  // namespace

TEST_CASE("a plain list or a parent filter alone is not extended and keeps the revision tag") {
    ListParams plain = parse_list_params(Entity::projects, "");
    CHECK_FALSE(plain.extended);
    CHECK(plain.filter.empty());
    CHECK(plain.etag(7) == "\"7\"");
    ListParams parent = parse_list_params(Entity::solutions, "project_id=12");
    CHECK_FALSE(parent.extended);
    CHECK(parent.filter.parent_id == 12);
    CHECK(parent.etag(7) == "\"7\"");
}

TEST_CASE("filters, window and since are parsed into their fields") {
    ListParams p =
        parse_list_params(Entity::subcomponents,
                          "solution_id=3&status=on_hold&owner=Ann%20B&q=50%25_off&limit=20"
                          "&after=99&order=desc");
    CHECK(p.extended);
    CHECK(p.filter.parent_id == 3);
    CHECK(p.filter.status == "on_hold");
    CHECK(p.filter.owner == "Ann B");
    CHECK(p.filter.name_contains == "50%_off");
    CHECK(p.window.limit == 20);
    CHECK(p.window.after == 99);
    CHECK(p.window.descending);
    CHECK_FALSE(p.since);

    CHECK(parse_list_params(Entity::projects, "since=0").since == 0);
    CHECK(parse_list_params(Entity::projects, "since=41&status=done").since == 41);
    CHECK(parse_list_params(Entity::projects, "limit=1000").window.limit == 1000);
    CHECK_FALSE(parse_list_params(Entity::projects, "order=asc").window.descending);
    CHECK(parse_list_params(Entity::projects, "q=").filter.name_contains == "");
}

TEST_CASE("every malformed or out-of-range value is refused naming its parameter") {
    for (const char* q : {"limit=0", "limit=1001", "limit=abc", "limit=", "limit=-1", "limit=01",
                          "limit=1e3", "limit=99999999999999999999"})
        CHECK(rejected(Entity::projects, q) == "limit");
    for (const char* q : {"after=-1", "after=0", "after=abc", "after=", "after=1.5"})
        CHECK(rejected(Entity::projects, q) == "after");
    for (const char* q : {"since=-1", "since=abc", "since=", "since=00", "since=+3"})
        CHECK(rejected(Entity::projects, q) == "since");
    CHECK(rejected(Entity::projects, "order=sideways") == "order");
    CHECK(rejected(Entity::projects, "order=DESC") == "order");
    CHECK(rejected(Entity::projects, "status=bogus") == "status");
    CHECK(rejected(Entity::projects, "status=") == "status");
    CHECK(rejected(Entity::solutions, "project_id=abc") == "project_id");
    CHECK(rejected(Entity::subcomponents, "solution_id=0") == "solution_id");
    for (const char* q :
         {"count=0", "count=", "count=true", "count=01", "count=2", "count=1&count=1"})
        CHECK(rejected(Entity::projects, q) == "count");
}

TEST_CASE("count=1 asks for the total of a page or since, keyed by the filter alone") {
    ListParams page =
        parse_list_params(Entity::solutions, "project_id=4&status=done&limit=5&count=1");
    CHECK(page.count);
    CHECK(page.extended);
    ListParams since =
        parse_list_params(Entity::solutions, "count=1&since=9&status=done&project_id=4");
    CHECK(since.count);
    CHECK(since.since == 9);
    CHECK_FALSE(parse_list_params(Entity::solutions, "project_id=4&status=done&limit=5").count);
    // The rows a count counts are named by the filter alone.
    CHECK(page.filter_canonical == since.filter_canonical);
    CHECK(page.filter_canonical ==
          parse_list_params(Entity::solutions, "status=done&project_id=4").filter_canonical);
    CHECK(page.filter_canonical !=
          parse_list_params(Entity::solutions, "project_id=4&status=active").filter_canonical);
    CHECK(page.filter_canonical !=
          parse_list_params(Entity::solutions, "status=done").filter_canonical);
    // Only a parameter, not a parent filter alone, makes a list extended: count=1 does.
    CHECK(parse_list_params(Entity::projects, "count=1").extended);
}

TEST_CASE("unknown and repeated parameters are refused naming them") {
    CHECK(rejected(Entity::projects, "colour=red") == "colour");
    CHECK(rejected(Entity::projects, "limit=5&limit=6") == "limit");
    CHECK(rejected(Entity::projects, "q=a&q=b") == "q");
    // Solutions have no owner column: an owner filter is unknown for them.
    CHECK(rejected(Entity::solutions, "owner=ann") == "owner");
    // Parent filters belong to their own entity.
    CHECK(rejected(Entity::projects, "project_id=1") == "project_id");
    CHECK(rejected(Entity::solutions, "solution_id=1") == "solution_id");
}

TEST_CASE("since is never paged: limit, after and order next to it are refused") {
    CHECK(rejected(Entity::projects, "since=3&limit=10") == "limit");
    CHECK(rejected(Entity::projects, "since=3&after=10") == "after");
    CHECK(rejected(Entity::projects, "since=3&order=desc") == "order");
    CHECK(rejected(Entity::projects, "since=3&status=done&q=x&owner=y") == "");
}

TEST_CASE("spellings of one request share a canonical form and a tag, other requests do not") {
    auto canonical = [](std::string_view q) {
        return parse_list_params(Entity::subcomponents, q).canonical;
    };
    CHECK(canonical("limit=5&status=done") == canonical("status=done&limit=5"));
    CHECK(canonical("q=%41b") == canonical("q=Ab"));
    CHECK(canonical("order=asc&limit=5") == canonical("limit=5"));

    // A value cannot imitate another field, and every distinct request has its own tag.
    std::vector<std::string> queries = {
        "limit=5",
        "limit=5&after=5",
        "limit=5&order=desc",
        "limit=6",
        "status=done",
        "owner=done",
        "q=done",
        "q=a%26owner%3Db",
        "q=a&owner=b",
        "since=0",
        "since=1",
        "since=1&status=done",
        "order=asc",
        "solution_id=1&q=",
        "q=",
        "solution_id=1&limit=5",
        "solution_id=1&limit=5&count=1",
        "count=1",
        "since=1&count=1",
    };
    std::set<std::string> forms, tags;
    for (const std::string& q : queries) {
        ListParams p = parse_list_params(Entity::subcomponents, q);
        forms.insert(p.canonical);
        tags.insert(p.etag(42));
        CHECK(p.etag(42).front() == '"');
        CHECK(p.etag(42).find("42-") == 1);
        CHECK(p.etag(42) != p.etag(43));
    }
    CHECK(forms.size() == queries.size());
    CHECK(tags.size() == queries.size());
}
