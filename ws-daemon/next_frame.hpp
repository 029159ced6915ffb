// Which frame a subscriber gets next, and with which rev and origin (SPEC §4) — the decision the
// WRITEABLE callback acts on, apart from lws. In order: `reconnect` (draining) and then the
// close; `hello`; the refreshes due — a catch-up `all` at the told revision, all three entities
// pending as one `all`, else one entity in table order, each with the origin Announcements
// allows; and last a `beat`, so a beat never shows a revision before its event (whose origin may
// tell the tab the change is its own).
//
// Pure logic: consumes the session's pending and mixed bits (session.hpp).
#pragma once

#include <cstdint>
#include <string_view>

#include "announcements.hpp"
#include "entity.hpp"
#include "revisions.hpp"

namespace livesync::wsd {

struct Frame {
    enum class Kind { none, close, reconnect, hello, refresh, beat };
    Kind kind = Kind::none;
    Entity entity = Entity::all;  // refresh
    std::int64_t rev = 0;         // refresh: its rev; hello, beat, reconnect: told().global
    std::string_view origin;      // refresh; valid while `announced` is unchanged
};

// Takes the next frame due off `pending` / `mixed`. A reconnect leaves kPendingClose, so the
// next call says close.
Frame next_frame(std::uint8_t& pending, std::uint8_t& mixed, const Announcements& announced);

}  // namespace livesync::wsd
