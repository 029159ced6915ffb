#include "csv/cells.hpp"

#include <catch2/catch.hpp>

using namespace livesync;
using namespace livesync::csv;

namespace {

std::string cell(std::string_view v) {
    std::string out;
    append_cell(out, v);
    return out;
}

}  // namespace

TEST_CASE("cells: formulas are neutralised with one leading quote, as OWASP advises") {
    CHECK(cell("=1+2") == "'=1+2");
    CHECK(cell("+1") == "'+1");
    CHECK(cell("-1") == "'-1");
    CHECK(cell("@SUM(A1)") == "'@SUM(A1)");
    CHECK(cell("\tx") == "'\tx");
    CHECK(cell("'quoted") == "''quoted");
    CHECK(cell("\rx") == "\"'\rx\"");
    CHECK(cell("=HYPERLINK(\"a\",\"b\")") == "\"'=HYPERLINK(\"\"a\"\",\"\"b\"\")\"");
    CHECK(cell("plain") == "plain");
    CHECK(cell("a=b") == "a=b");
}

TEST_CASE("cells: import strips exactly one leading quote, so export → import is the identity") {
    for (std::string_view v : {"=1", "'x", "''y", "plain", "", "-", "'"}) {
        std::string out = cell(v);
        std::string unquoted = out.front() == '"' ? out.substr(1, out.size() - 2) : out;
        CHECK(strip_neutraliser(unquoted) == v);
    }
}

TEST_CASE("cells: commas, quotes and line breaks are quoted, spaces are not") {
    CHECK(cell("a,b") == "\"a,b\"");
    CHECK(cell("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(cell("two\nlines") == "\"two\nlines\"");
    CHECK(cell(" padded ") == " padded ");
    CHECK(cell("\"\"") == "\"\"\"\"\"\"");
    CHECK(cell("\"x,\"") == "\"\"\"x,\"\"\"");
    CHECK(cell("=\"a\"") == "\"'=\"\"a\"\"\"");
}

TEST_CASE("cells: phases are enabled names joined by semicolons in catalogue order") {
    CHECK(format_phases(store::kAllPhases) == "discovery;design;build;test;deploy");
    CHECK(format_phases(0).empty());
    unsigned bits = 99;
    CHECK_FALSE(parse_phases("deploy; build", bits));
    CHECK(bits == (*store::phase_bit("deploy") | *store::phase_bit("build")));
    CHECK_FALSE(parse_phases("", bits));
    CHECK(bits == 0);
    bits = 7;
    CHECK(parse_phases("build;nope", bits));
    CHECK(bits == 7);  // untouched on error
    CHECK(parse_phases("build;build", bits)->find("more than once") != std::string::npos);
    CHECK(parse_phases("build;", bits)->find("empty phase name") != std::string::npos);
    CHECK(parse_phases("build;;test", bits)->find("empty phase name") != std::string::npos);
}

TEST_CASE("cells: checklists are a JSON array of label and done") {
    std::string out;
    append_checklist(out, {{7, "a \"b\"\n", true}, {8, "c\x01", false}});
    CHECK(out == R"([{"label":"a \"b\"\n","done":true},{"label":"c\u0001","done":false}])");
    out.clear();
    append_checklist(out, {{1, "\\", false}, {2, "x\ty\\\r", true}});
    CHECK(out == R"([{"label":"\\","done":false},{"label":"x\ty\\\r","done":true}])");
    out.clear();
    append_checklist(out, {});
    CHECK(out == "[]");
}

TEST_CASE("cells: each entity's columns, read-only ones last") {
    auto names = [](Entity e) {
        std::string s;
        for (const ColumnSpec& c : columns_of(e)) s += std::string(c.name) + " ";
        return s;
    };
    CHECK(names(Entity::projects) ==
          "id name description status owner created_at updated_at updated_by rev ");
    CHECK(names(Entity::solutions) ==
          "id project_id name description status phases created_at updated_at updated_by rev ");
    CHECK(names(Entity::subcomponents) ==
          "id solution_id name description status owner checklist "
          "created_at updated_at updated_by rev ");
}
