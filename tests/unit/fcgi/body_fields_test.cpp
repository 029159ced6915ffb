#include "api/body_fields.hpp"

#include <catch2/catch.hpp>

#include "fields/checklist.hpp"
#include "fields/field_rules.hpp"
#include "fields/text.hpp"
#include "http/api_error.hpp"

using namespace livesync;
using namespace livesync::api;
using namespace livesync::fields;
using nlohmann::json;

namespace {

json details_of(Entity e, const json& body, Mode mode) {
    store::Row row;
    try {
        apply_fields(e, body, row, mode);
    } catch (const http::ApiError& err) {
        CHECK(err.kind == http::ErrorKind::validation_failed);
        return err.details;
    }
    return json::object();
}

}  // namespace

TEST_CASE("a valid create fills the row, omitted fields keep their defaults") {
    store::Row row;
    apply_fields(
        Entity::solutions,
        {{"name", "S"}, {"project_id", 3}, {"phases", {{{"name", "build"}, {"enabled", false}}}}},
        row, Mode::create);
    CHECK(row.name == "S");
    CHECK(row.parent_id == 3);
    CHECK(row.status == "planned");
    CHECK(row.phases == (store::kAllPhases & ~*store::phase_bit("build")));
}

TEST_CASE("every bad field is reported at once, by name") {
    json d = details_of(Entity::projects,
                        {{"name", std::string(201, 'x')},
                         {"status", "nope"},
                         {"rev", 3},
                         {"owner", 5},
                         {"color", "red"}},
                        Mode::patch);
    CHECK(d.size() == 5);
    CHECK(d.contains("name"));
    CHECK(d.contains("status"));
    CHECK(d["rev"] == "is read-only");
    CHECK(d["owner"] == "must be a string");
    CHECK(d["color"] == "unknown field");
}

TEST_CASE("create requires a name and the parent id") {
    json d = details_of(Entity::subcomponents, json::object(), Mode::create);
    CHECK(d["name"] == "is required");
    CHECK(d["solution_id"] == "is required");
    CHECK(details_of(Entity::solutions, {{"name", "x"}, {"project_id", "1"}}, Mode::create)
              .contains("project_id"));
}

TEST_CASE("names are 1 to 200 code points and not blank") {
    std::string two_hundred_emoji;
    for (int i = 0; i < 200; ++i) two_hundred_emoji += "\xF0\x9F\x98\x80";
    CHECK(fields::code_points(two_hundred_emoji) == 200);
    CHECK_FALSE(check_name(two_hundred_emoji));
    CHECK(check_name(two_hundred_emoji + "x"));
    CHECK(check_name(""));
    CHECK(check_name(" \t "));
}

TEST_CASE("phases must name catalogue phases once each with boolean enabled") {
    CHECK(details_of(Entity::solutions, {{"phases", {{{"name", "launch"}, {"enabled", true}}}}},
                     Mode::patch)["phases"]
              .get<std::string>()
              .starts_with("item 0: name must be one of"));
    CHECK(details_of(Entity::solutions, {{"phases", {{{"name", "build"}, {"enabled", 1}}}}},
                     Mode::patch)["phases"] == "item 0: enabled must be true or false");
    CHECK(details_of(
              Entity::solutions,
              {{"phases",
                {{{"name", "build"}, {"enabled", true}}, {{"name", "build"}, {"enabled", false}}}}},
              Mode::patch)["phases"] == "item 1: phase 'build' is given more than once");
    CHECK(details_of(Entity::projects, {{"phases", json::array()}}, Mode::patch)["phases"] ==
          "unknown field");
}

TEST_CASE("checklist items may only reference ids of this checklist, once") {
    json errors = json::object();
    std::vector<store::ChecklistItem> current = {{5, "a", false}};
    auto items =
        parse_checklist(json::parse(R"([{"id":5,"label":"a2","done":true},{"label":"b"}])"),
                        current, "items", errors);
    CHECK(errors.empty());
    REQUIRE(items.size() == 2);
    CHECK(items[0] == store::ChecklistItem{5, "a2", true});
    CHECK(items[1] == store::ChecklistItem{0, "b", false});

    parse_checklist(
        json::parse(
            R"([{"id":6,"label":"x"},{"id":5,"label":"y"},{"id":5,"label":"z"},{"done":true}])"),
        current, "items", errors);
    CHECK(errors.size() == 1);
    CHECK(errors["items"] ==
          "item 0: id is not an item of this checklist; item 2: id is given more than once; "
          "item 3: label is required");
}

TEST_CASE("bodies must be one JSON object") {
    CHECK_THROWS_AS(parse_object("[1]"), http::ApiError);
    CHECK_THROWS_AS(parse_object("{\"a\":"), http::ApiError);
    CHECK_THROWS_AS(parse_object("\"\xff\""), http::ApiError);
    CHECK(parse_object("{}").empty());
}

TEST_CASE("a JSON NUL escape is refused in every text field, naming the field") {
    const std::string nul("a\0b", 3);
    const std::string message = "contains U+0000 (NUL) at byte 2; no text field may hold it";
    for (Entity e : {Entity::projects, Entity::solutions, Entity::subcomponents}) {
        std::vector<std::string> text_fields = {"name", "description"};
        if (store::spec_of(e).has_owner) text_fields.push_back("owner");
        for (const std::string& field : text_fields) {
            for (Mode mode : {Mode::create, Mode::patch}) {
                INFO(entity_name(e) << "." << field);
                json body = {{"name", "ok"}};
                body[field] = nul;  // replaces the valid name when the field is `name`
                json d = details_of(e, body, mode);
                CHECK(d[field] == message);
            }
        }
    }
    json d = details_of(Entity::subcomponents,
                        {{"name", "x"}, {"solution_id", 1}, {"checklist", {{{"label", nul}}}}},
                        Mode::create);
    CHECK(d.size() == 1);
    CHECK(d["checklist"] == "item 0: label " + message);
}

TEST_CASE("checklist labels in PUT /checklist keep the text rule") {
    json errors = json::object();
    parse_checklist(json::parse(R"([{"label":"fine"},{"label":"bad\u0000"}])"), {}, "items",
                    errors);
    CHECK(errors["items"] ==
          "item 1: label contains U+0000 (NUL) at byte 4; no text field may "
          "hold it");
}

TEST_CASE("a body that cannot be decoded is 400 bad_json saying what and where") {
    auto message_of = [](const std::string& body) {
        try {
            parse_object(body);
        } catch (const http::ApiError& e) {
            CHECK(e.kind == http::ErrorKind::bad_json);
            return std::string(e.what());
        }
        FAIL("no error for " << body);
        return std::string();
    };
    CHECK(message_of(R"({"name":"\ud800"})") ==
          "the request body is not valid JSON: invalid string: surrogate U+D800..U+DBFF must be "
          "followed by U+DC00..U+DFFF (byte 16)");
    CHECK(message_of(R"({"name":"\udc00x"})").find("surrogate U+DC00..U+DFFF must follow") !=
          std::string::npos);
    // nlohmann would echo the bad bytes after "last read"; the message must stay UTF-8.
    std::string bad_utf8 = message_of("{\"name\":\"\xC3(\"}");
    CHECK(bad_utf8.find("ill-formed UTF-8") != std::string::npos);
    CHECK_FALSE(fields::text_problem(bad_utf8));
    CHECK(message_of("").find("unexpected end of input") != std::string::npos);
    CHECK(message_of(R"({"n":1e999})") ==
          "the request body is not valid JSON: number overflow parsing '1e999'");
    CHECK(message_of(std::string("{}\0", 3)) == "the request body is not valid JSON (NUL byte)");
}

TEST_CASE("the read-only fields, updated_by among them, are refused by name") {
    for (const char* field : {"id", "rev", "created_at", "updated_at", "updated_by"}) {
        INFO(field);
        json d = details_of(Entity::projects, {{"name", "P"}, {field, "x"}}, Mode::create);
        CHECK(d.size() == 1);
        CHECK(d[field] == "is read-only");
        CHECK(details_of(Entity::subcomponents, {{field, ""}}, Mode::patch)[field] ==
              "is read-only");
    }
}
