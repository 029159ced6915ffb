#include "response_reader.hpp"

#include <zlib.h>

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

using namespace livesync::subgen;

namespace {

std::string gzip(const std::string& text) {
    z_stream z{};
    REQUIRE(deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out(deflateBound(&z, text.size()), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    z.avail_in = static_cast<uInt>(text.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

std::string chunked(const std::string& body, std::size_t chunk) {
    std::string out;
    char size[32];
    for (std::size_t at = 0; at < body.size(); at += chunk) {
        std::string piece = body.substr(at, chunk);
        std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
        out += size + piece + "\r\n";
    }
    return out + "0\r\n\r\n";
}

// A list answer as the pool renders it: rows with their own "rev", then the list's.
std::string list_body(int rows, long long rev) {
    std::string body = "{\"items\":[";
    for (int i = rows; i >= 1; --i)
        body += "{\"id\":" + std::to_string(i) + ",\"name\":\"Project " + std::to_string(i) +
                "\",\"rev\":" + std::to_string(i) + (i > 1 ? "}," : "}");
    return body + "],\"next\":null,\"rev\":" + std::to_string(rev) + "}";
}

// Feeds `wire` in pieces of `step` bytes; says after which byte the reader reported completion.
std::size_t feed_in_steps(ResponseReader& r, const std::string& wire, std::size_t step) {
    for (std::size_t at = 0; at < wire.size(); at += step)
        if (r.feed(std::string_view(wire).substr(at, step)))
            return std::min(at + step, wire.size());
    return 0;
}

}  // namespace

TEST_CASE("a Content-Length answer is complete at its last byte, whatever the pieces") {
    std::string body = list_body(3, 42);
    std::string wire = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\nETag: \"42-00ff\"\r\n\r\n" + body;
    for (std::size_t step : {std::size_t{1}, std::size_t{7}, wire.size()}) {
        ResponseReader r;
        CHECK(feed_in_steps(r, wire, step) == wire.size());
        CHECK(r.status() == 200);
        CHECK(r.etag() == "\"42-00ff\"");
        CHECK(r.wire_bytes() == wire.size());
        CHECK(r.decoded_bytes() == body.size());
        CHECK(trailing_rev(r.tail()) == 42);
        CHECK_FALSE(is_reset(r.tail()));
    }
}

TEST_CASE("a chunked gzip answer is gunzipped, and only its end is kept") {
    std::string body = list_body(5000, 5001);
    std::string zipped = gzip(body);
    std::string wire =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n"
        "ETag: W/\"5001-ab\"\r\n\r\n" +
        chunked(zipped, 4000);
    ResponseReader r;
    CHECK(feed_in_steps(r, wire, 1500) == wire.size());
    CHECK(r.etag() == "W/\"5001-ab\"");
    CHECK(r.wire_bytes() == wire.size());
    CHECK(r.decoded_bytes() == body.size());
    CHECK(r.tail().size() == ResponseReader::kTail);
    CHECK(trailing_rev(r.tail()) == 5001);
}

TEST_CASE("a 304 has no body, and a reset answer is recognised") {
    ResponseReader not_modified;
    CHECK(not_modified.feed("HTTP/1.1 304 Not Modified\r\nETag: W/\"7\"\r\n\r\n"));
    CHECK(not_modified.status() == 304);
    CHECK(not_modified.decoded_bytes() == 0);

    std::string body = "{\"reset\":true,\"rev\":9}";
    ResponseReader reset;
    CHECK(reset.feed("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\n\r\n" + body));
    CHECK(is_reset(reset.tail()));
    CHECK(trailing_rev(reset.tail()) == 9);
}

TEST_CASE("a row's rev is not taken for the list's") {
    CHECK_FALSE(trailing_rev("\"name\":\"a\",\"rev\":5}]").has_value());
    CHECK_FALSE(trailing_rev("\"rev\":5},{\"id\":2}").has_value());
    CHECK_FALSE(trailing_rev("no rev here}").has_value());
    CHECK(trailing_rev("],\"rev\":12}\n") == 12);
}

TEST_CASE("what the bench cannot trust is an error, not a figure") {
    std::string body = "{\"rev\":1}";
    ResponseReader extra;
    CHECK_THROWS_AS(extra.feed("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                               "\r\n\r\n" + body + "X"),
                    std::runtime_error);

    // The last chunk arrives but the gzip stream inside stopped short.
    std::string zipped = gzip(list_body(100, 101));
    ResponseReader truncated;
    CHECK_THROWS_AS(truncated.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                                   "Content-Encoding: gzip\r\n\r\n" +
                                   chunked(zipped.substr(0, zipped.size() / 2), 4000)),
                    std::runtime_error);

    ResponseReader garbage;
    CHECK_THROWS_AS(garbage.feed("SSH-2.0-OpenSSH\r\n\r\n"), std::runtime_error);

    ResponseReader bad_chunk;
    CHECK_THROWS_AS(bad_chunk.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
                    std::length_error);
}
