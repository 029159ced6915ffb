#include "csv/checklist_cell.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "fields/checklist.hpp"

using namespace livesync;
using livesync::store::ChecklistItem;

namespace {

struct Parsed {
    std::optional<std::string> problem;
    std::vector<ChecklistItem> items;
    bool operator==(const Parsed&) const = default;
};

Parsed parse(std::string_view cell) {
    Parsed p;
    p.problem = csv::parse_checklist_cell(cell, p.items);
    if (p.problem) p.items.clear();
    return p;
}

// The oracle: a JSON document checked by the JSON API's checklist rules.
Parsed by_json_document(std::string_view cell) {
    Parsed p;
    nlohmann::json doc = nlohmann::json::parse(cell, nullptr, false);
    if (doc.is_discarded() || !doc.is_array()) {
        p.problem = "must be a JSON array like [{\"label\":\"…\",\"done\":false}]";
        return p;
    }
    nlohmann::json errors = nlohmann::json::object();
    p.items = fields::parse_checklist(doc, {}, "checklist", errors);
    if (!errors.empty()) {
        p.problem = errors.begin().value().get<std::string>();
        p.items.clear();
    }
    return p;
}

std::string items_json(size_t n) {
    std::string s = "[";
    for (size_t i = 0; i < n; ++i) s += std::string(i ? "," : "") + R"({"label":"x"})";
    return s + "]";
}

}  // namespace

TEST_CASE("checklist cell: the usual shapes are read as a JSON document would be") {
    for (const std::string& cell : std::vector<std::string>{
             R"([{"label":"a","done":true},{"label":"b","done":false}])",  // our export
             R"([{"label": "step 0", "done": true}, {"label": "step 1", "done": false}])",
             "\t[ {\n\"done\" : true ,\r\n \"label\":\"é ✓ 🚀\"} ]\n",  // any order, whitespace
             R"([{"label":"no done"}])",
             R"([])",
             " [ ] ",
             items_json(1000),
         }) {
        INFO(cell);
        Parsed p = parse(cell);
        CHECK(!p.problem);
        CHECK(p == by_json_document(cell));
    }
    CHECK(parse(R"([{"done":true,"label":"b"}])").items ==
          std::vector<ChecklistItem>{{0, "b", true}});
    CHECK(parse("").items.empty());
    CHECK(!parse("").problem);
}

TEST_CASE("checklist cell: everything else gets the JSON API's answer") {
    for (const std::string& cell : std::vector<std::string>{
             R"([{"label":"quote \" and \\ and \u00e9 and \n","done":true}])",  // escapes
             R"([{"label":"a","done":true,"id":3}])",
             R"([{"label":"a","colour":"red"}])",
             R"([{"label":"a","done":1}])",
             R"([{"label":"a","done":null}])",
             R"([{"label":"a","done":"true"}])",
             R"([{"label":"a","done":truex}])",
             R"([{"label":"a","label":"b"}])",
             R"([{"done":true,"done":false,"label":"a"}])",
             R"([{"done":true}])",
             R"([{"label":""}])",
             R"([{"label":"   "}])",
             "[{\"label\":\"" + std::string(501, 'x') + "\"}]",
             "[{\"label\":\"tab\there\"}]",  // a raw control character
             R"([{"label":3}])",
             R"([{"label":["a"]}])",
             R"([{"label":"a"},])",
             R"([{"label":"a"}] x)",
             R"([{"label":"a"})",
             R"([{"label":"a"},{}])",
             R"([3])",
             R"([[]])",
             R"({"label":"a"})",
             R"("[]")",
             "[",
             "nope",
             items_json(1001),
         }) {
        INFO(cell);
        CHECK(parse(cell) == by_json_document(cell));
    }
    CHECK(parse(R"([{"label":"a\"b","done":true}])").items ==
          std::vector<ChecklistItem>{{0, "a\"b", true}});
    CHECK(parse(R"([{"label":"a"},{"done":1},{"label":""}])").problem ==
          "item 1: done must be true or false; item 2: label must be 1 to 500 characters (got 0)");
}
