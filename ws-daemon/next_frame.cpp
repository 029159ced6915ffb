#include "next_frame.hpp"

#include "session.hpp"

namespace livesync::wsd {
namespace {

void clear(std::uint8_t& bits, std::uint8_t which) {
    bits &= static_cast<std::uint8_t>(~which);
}

}  // namespace

Frame next_frame(std::uint8_t& pending, std::uint8_t& mixed, const Announcements& announced) {
    std::int64_t told = announced.told().global;
    if (!pending) return {};
    if (pending & kPendingClose) return {Frame::Kind::close, Entity::all, told, {}};
    if (pending & kPendingReconnect) {
        pending = kPendingClose;
        mixed = 0;
        return {Frame::Kind::reconnect, Entity::all, told, {}};
    }
    if (pending & kPendingHello) {
        clear(pending, kPendingHello);
        return {Frame::Kind::hello, Entity::all, told, {}};
    }
    if (pending & kPendingCatchUp) {
        clear(pending, kPendingCatchUp | kPendingEntities);
        mixed = 0;
        return {Frame::Kind::refresh, Entity::all, told, {}};
    }
    std::uint8_t entities = pending & kPendingEntities;
    if (entities == kPendingEntities) {
        Frame f{Frame::Kind::refresh, Entity::all, announced.all_rev(),
                announced.all_origin(mixed)};
        clear(pending, kPendingEntities);
        mixed = 0;
        return f;
    }
    for (Entity e : kTableEntities) {
        auto bit = static_cast<std::uint8_t>(1u << entity_index(e));
        if (!(entities & bit)) continue;
        Frame f{Frame::Kind::refresh, e, announced.rev(e), announced.origin(e, mixed & bit)};
        clear(pending, bit);
        clear(mixed, bit);
        return f;
    }
    clear(pending, kPendingHeartbeat);
    return {Frame::Kind::beat, Entity::all, told, {}};
}

}  // namespace livesync::wsd
