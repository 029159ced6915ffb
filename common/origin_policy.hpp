// The site's origins and the one rule that judges a request's `Origin` against them (SPEC §3,
// §4), applied by both processes: the pool to API mutations, the daemon to /ws upgrades and
// /events. So an Origin the API accepts, /ws and /events accept too, and vice versa. Pure
// functions of header values, unit-tested without a socket (docs/configuration.md, `origins`).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace livesync {

// A serialized origin reduced to (scheme, host, port): scheme and host lower-cased, the port
// made explicit (443 for https, 80 for http), so `HTTPS://Example.com` and
// `https://example.com:443` are the same origin.
struct Origin {
    std::string scheme;
    std::string host;
    int port = 0;
    bool operator==(const Origin&) const = default;
};

// Parses `scheme://host[:port]` as a browser serializes an Origin header: scheme http or https,
// host of [A-Za-z0-9.-] or a bracketed IPv6 literal, a decimal port in 1..65535, both in any
// case; nothing else, not even a trailing "/" or a space. Returns nullopt otherwise ("null",
// suffix tricks such as "https://localhost:8443.evil.test", "https://localhost:8443/"). Used for
// the configured origins (common/config.cpp) and for the header values below.
std::optional<Origin> parse_origin(std::string_view text);

enum class OriginVerdict { allow, foreign_origin, missing_origin, cross_site };

// An Origin header value judged against the site's origins `own`. Spaces and tabs around the
// value are not part of it (RFC 9110 §5.5; nginx drops them before either process sees it), and
// an empty value counts as no Origin (the daemon's HTTP parser cannot tell the two apart).
//
// API mutations and /events: refused when Sec-Fetch-Site is `cross-site` or `same-site` (any
// case), or when an Origin is present and not one of `own`. No Origin is allowed: a command-line
// tool sends none, nor does a same-origin EventSource.
OriginVerdict check_fetch(const std::vector<Origin>& own, std::optional<std::string_view> origin,
                          std::optional<std::string_view> sec_fetch_site);

// WebSocket upgrades: the Origin must be one of `own`; no Origin is refused (browsers always
// send one on an upgrade) unless `allow_missing` (config `allow_missing_origin_ws`, local tools).
OriginVerdict check_upgrade(const std::vector<Origin>& own, std::optional<std::string_view> origin,
                            bool allow_missing);

}  // namespace livesync
