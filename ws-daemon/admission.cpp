#include "admission.hpp"

#include "handshake.hpp"

namespace livesync::wsd {
namespace {

std::optional<Refuse> busy(const Gate& gate) {
    if (gate.draining)
        return Refuse{503, "unavailable", "the live-event service is restarting", Refusal::draining,
                      nullptr};
    if (gate.full)
        return Refuse{503, "unavailable", "too many live connections", Refusal::capacity, nullptr};
    return std::nullopt;
}

}  // namespace

std::optional<Refuse> admit_upgrade(const Upgrade& r, const Gate& gate) {
    switch (check_handshake(r.upgrade, r.version, r.key)) {
        case Handshake::ok:
            break;
        case Handshake::bad_key:
            return Refuse{400, "bad_request", "Sec-WebSocket-Key is not a 16-byte nonce",
                          Refusal::handshake, nullptr};
        case Handshake::bad_version:
            return Refuse{426, "upgrade_required", "only WebSocket version 13 is spoken",
                          Refusal::handshake, nullptr};
        case Handshake::not_websocket:
            return Refuse{426, "upgrade_required", "only WebSocket upgrades are served",
                          Refusal::handshake, nullptr};
    }
    if (r.uri != "/ws")
        return Refuse{404, "not_found", "no such endpoint", Refusal::not_found, nullptr};
    switch (check_upgrade(gate.origins, r.origin, gate.allow_missing_origin_ws)) {
        case OriginVerdict::allow:
            break;
        case OriginVerdict::missing_origin:
            return Refuse{403, "forbidden", "cross-origin WebSocket upgrades are not allowed",
                          Refusal::origin, "missing_origin"};
        default:
            return Refuse{403, "forbidden", "cross-origin WebSocket upgrades are not allowed",
                          Refusal::origin, "origin"};
    }
    return busy(gate);
}

std::optional<Refuse> admit_stream(std::optional<std::string_view> origin,
                                   std::optional<std::string_view> fetch_site, const Gate& gate) {
    switch (check_fetch(gate.origins, origin, fetch_site)) {
        case OriginVerdict::allow:
            break;
        case OriginVerdict::cross_site:
            return Refuse{403, "forbidden", "cross-site event streams are not allowed",
                          Refusal::cross_site, "cross_site"};
        default:
            return Refuse{403, "forbidden", "cross-site event streams are not allowed",
                          Refusal::origin, "origin"};
    }
    return busy(gate);
}

}  // namespace livesync::wsd
