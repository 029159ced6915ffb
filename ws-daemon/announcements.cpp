#include "announcements.hpp"

#include <algorithm>

namespace livesync::wsd {

Announcements::Update Announcements::record(std::span<const Change> changes) {
    Update u;
    for (const Change& c : changes) {
        auto i = static_cast<std::size_t>(entity_index(c.entity));
        auto bit = static_cast<std::uint8_t>(1u << i);
        u.bits |= bit;
        if (c.origin.empty() || c.origin != latest_[i].origin) u.other_client |= bit;
        latest_[i] = {c.rev, c.origin};
    }
    return u;
}

const Announcements::Latest& Announcements::of(Entity entity) const {
    return latest_[static_cast<std::size_t>(entity_index(entity))];
}

std::int64_t Announcements::rev(Entity entity) const {
    return of(entity).rev;
}

std::string_view Announcements::origin(Entity entity, bool mixed) const {
    return mixed ? std::string_view() : std::string_view(of(entity).origin);
}

std::int64_t Announcements::all_rev() const {
    std::int64_t rev = 0;
    for (const Latest& l : latest_) rev = std::max(rev, l.rev);
    return rev;
}

std::string_view Announcements::all_origin(std::uint8_t mixed) const {
    const std::string& first = latest_[0].origin;
    bool one = mixed == 0 && !first.empty() &&
               std::all_of(latest_.begin(), latest_.end(),
                           [&first](const Latest& l) { return l.origin == first; });
    return one ? std::string_view(first) : std::string_view();
}

}  // namespace livesync::wsd
