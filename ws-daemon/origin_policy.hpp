// Who may subscribe: the exact-origin check for WebSocket upgrades and the cross-site check for
// /events (SPEC §4). Pure functions of header values, so they are unit-tested without a socket.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace livesync::wsd {

// A serialized origin reduced to (scheme, host, port), with the scheme and host lower-cased and
// the port made explicit (443 for https, 80 for http).
struct Origin {
    std::string scheme;
    std::string host;
    int port = 0;
    bool operator==(const Origin&) const = default;
};

// Parses `scheme://host[:port]` exactly as a browser serializes an Origin header: no path, query,
// userinfo or trailing characters, a decimal port in 1..65535, host of [A-Za-z0-9.-] or a
// bracketed IPv6 literal. Returns nullopt for anything else ("null", suffix tricks such as
// "https://localhost:8443.evil.test", "https://localhost:8443/").
std::optional<Origin> parse_origin(std::string_view text);

enum class Verdict { allow, foreign_origin, missing_origin, cross_site };

class OriginPolicy {
  public:
    // `origins` are the site's own origins (config key `origins`); entries that do not parse are
    // reported through `invalid` so the caller can refuse to start.
    OriginPolicy(const std::vector<std::string>& origins, bool allow_missing_origin_ws);
    const std::vector<std::string>& invalid() const { return invalid_; }

    // WebSocket upgrade: `origin` is the Origin header or nullopt when absent.
    Verdict check_upgrade(std::optional<std::string_view> origin) const;
    // /events: an absent Origin is fine (same-origin EventSource sends none), a present one must
    // be ours, and `Sec-Fetch-Site` must not be `cross-site` or `same-site`.
    Verdict check_event_stream(std::optional<std::string_view> origin,
                               std::optional<std::string_view> sec_fetch_site) const;

  private:
    bool is_own(std::string_view origin) const;

    std::vector<Origin> own_;
    std::vector<std::string> invalid_;
    bool allow_missing_ws_;
};

}  // namespace livesync::wsd
