// What the daemon has announced per entity (its latest rev and origin), and the origin rule for
// the frames a session's pending bits stand for (SPEC §4). A session that has not yet been written
// an entity's event when the next one is announced sends one frame for both; that frame keeps an
// origin only while every announcement it stands for came from the same, known client, so a tab
// skips exactly its own changes and refetches whenever someone else's are folded in. Per session
// this costs one "mixed" bit per entity, never a copy of the origins.
//
// Pure logic; the daemon's loop thread owns it.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "change.hpp"

namespace livesync::wsd {

class Announcements {
  public:
    struct Update {
        std::uint8_t bits = 0;          // the entities announced (1 << entity_index)
        std::uint8_t other_client = 0;  // those whose origin is unknown or differs from the
                                        // previous announcement's
        // Adds the update to a session's pending and mixed bits: an entity the session still has
        // pending becomes mixed unless this announcement's client is the previous one's.
        void add_to(std::uint8_t& pending, std::uint8_t& mixed) const {
            mixed |= pending & other_client;
            pending |= bits;
        }
    };
    // Records announced changes (at most one per entity).
    Update record(std::span<const Change> changes);

    // The rev and origin of a session's pending frame for one entity; `mixed`: its mixed bit.
    std::int64_t rev(Entity entity) const;
    std::string_view origin(Entity entity, bool mixed) const;
    // The same for a refresh `all` (all three entities pending): the highest of their revs, and
    // an origin only if none is mixed and all three came from the one client.
    std::int64_t all_rev() const;
    std::string_view all_origin(std::uint8_t mixed) const;

  private:
    struct Latest {
        std::int64_t rev = 0;
        std::string origin;
    };
    const Latest& of(Entity entity) const;
    std::array<Latest, kTableEntityCount> latest_;
};

}  // namespace livesync::wsd
