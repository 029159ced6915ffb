#include "query.hpp"

#include <algorithm>
#include <optional>

#include "api_error.hpp"

namespace livesync::http {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%') {
            int hi = i + 1 < s.size() ? hex_value(s[i + 1]) : -1;
            int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

}  // namespace

std::map<std::string, std::string> parse_query(std::string_view query,
                                               const std::vector<std::string_view>& allowed) {
    std::map<std::string, std::string> out;
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.empty()) continue;
        auto eq = pair.find('=');
        auto name = percent_decode(pair.substr(0, eq));
        auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
        if (!name || !value)
            throw ApiError(ErrorKind::invalid_query, "malformed percent-escape in query string");
        if (std::find(allowed.begin(), allowed.end(), *name) == allowed.end())
            throw ApiError(ErrorKind::invalid_query, "unknown query parameter '" + *name + "'",
                           {{*name, "unknown parameter"}});
        if (!out.emplace(*name, *value).second)
            throw ApiError(ErrorKind::invalid_query, "query parameter '" + *name + "' repeated",
                           {{*name, "given more than once"}});
    }
    return out;
}

}  // namespace livesync::http
