#include "csv/csv_reader.hpp"

#include <catch2/catch.hpp>

using namespace livesync::csv;

namespace {

struct Parsed {
    std::vector<std::int64_t> lines;
    std::vector<std::vector<std::string>> rows;
    std::optional<SyntaxError> error;
};

Parsed parse(std::string_view text) {
    Parsed p;
    Reader reader([&](const Record& r) {
        p.lines.push_back(r.line);
        p.rows.push_back(r.fields);
        return true;
    });
    p.error = reader.read(text);
    return p;
}

using Rows = std::vector<std::vector<std::string>>;
using Lines = std::vector<std::int64_t>;

}  // namespace

TEST_CASE("reader: plain LF and CRLF records give the same fields") {
    Parsed lf = parse("a,b\n1,2\n");
    Parsed crlf = parse("a,b\r\n1,2\r\n");
    CHECK(lf.rows == Rows{{"a", "b"}, {"1", "2"}});
    CHECK(crlf.rows == lf.rows);
    CHECK(crlf.lines == Lines{1, 2});
    CHECK_FALSE(lf.error);
}

TEST_CASE("reader: quoted fields keep commas, doubled quotes and line breaks") {
    Parsed p = parse(
        "name,description\n\"a,b\",\"say \"\"hi\"\"\"\n\"x\",\"line1\r\nline2\nline3\"\nlast,z\n");
    REQUIRE_FALSE(p.error);
    CHECK(p.rows == Rows{{"name", "description"},
                         {"a,b", "say \"hi\""},
                         {"x", "line1\r\nline2\nline3"},
                         {"last", "z"}});
    // The record after the three-line field starts on physical line 6.
    CHECK(p.lines == Lines{1, 2, 3, 6});
}

TEST_CASE("reader: a byte order mark is dropped, a missing final line break is fine") {
    Parsed p = parse("\xEF\xBB\xBFid,name\n1,x");
    CHECK(p.rows == Rows{{"id", "name"}, {"1", "x"}});
    CHECK(p.lines == Lines{1, 2});
}

TEST_CASE("reader: blank lines are skipped but still counted") {
    Parsed p = parse("a\n\n1\r\n\r\n\n2\n\n");
    CHECK(p.rows == Rows{{"a"}, {"1"}, {"2"}});
    CHECK(p.lines == Lines{1, 3, 6});
}

TEST_CASE("reader: spaces and tabs are data, never trimmed") {
    Parsed p = parse(" a , b\t,\" c \"\n");
    CHECK(p.rows == Rows{{" a ", " b\t", " c "}});
}

TEST_CASE("reader: empty fields, quoted or not, are empty strings") {
    Parsed p = parse("a,,\"\",\n");
    CHECK(p.rows == Rows{{"a", "", "", ""}});
}

TEST_CASE("reader: malformed quoting is a syntax error on its line") {
    SECTION("quote inside an unquoted field") {
        Parsed p = parse("a,b\n1,2\nx\"y,3\n");
        REQUIRE(p.error);
        CHECK(p.error->line == 3);
        CHECK(p.rows.size() == 2);
    }
    SECTION("text after a closing quote") {
        Parsed p = parse("a\n\"x\"y\n");
        REQUIRE(p.error);
        CHECK(p.error->line == 2);
    }
    SECTION("space after a closing quote") {
        Parsed p = parse("a\n\"x\" ,1\n");
        REQUIRE(p.error);
        CHECK(p.error->line == 2);
    }
    SECTION("an unterminated quoted field reports the line where its record starts") {
        Parsed p = parse("a,b\n1,\"open\nmore\nstill open");
        REQUIRE(p.error);
        CHECK(p.error->line == 2);
        CHECK(p.error->message.find("not closed") != std::string::npos);
    }
}

TEST_CASE("reader: a record with very many fields keeps only the first kMaxFields") {
    std::string line(1000, ',');
    size_t count = 0, kept = 0;
    Reader reader([&](const Record& r) {
        count = r.field_count;
        kept = r.fields.size();
        return true;
    });
    CHECK_FALSE(reader.read(line + "\n"));
    CHECK(count == 1001);
    CHECK(kept == Reader::kMaxFields);
}

TEST_CASE("reader: fewer fields after a wide record are not padded with old ones") {
    Parsed p = parse("a,b,c\nx\n");
    CHECK(p.rows == Rows{{"a", "b", "c"}, {"x"}});
}

TEST_CASE("reader: the handler can stop reading") {
    int seen = 0;
    Reader reader([&](const Record&) { return ++seen < 2; });
    CHECK_FALSE(reader.read("1\n2\n3\n4\n"));
    CHECK(seen == 2);
}
