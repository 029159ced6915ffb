#include "coalescer.hpp"

namespace livesync::wsd {

namespace {

bool covers_every_entity(std::span<const Change> changes) {
    unsigned seen = 0;
    for (const Change& c : changes) seen |= 1u << entity_index(c.entity);
    return seen == (1u << kTableEntityCount) - 1;
}

}  // namespace

std::vector<Change> Coalescer::on_changes(std::span<const Change> changes, std::int64_t now) {
    // Sending the parts of a cascade whose windows are closed now and the others at their
    // windows' ends would split one request into several events: they leave together instead.
    if (window_ms_ > 0 && covers_every_entity(changes)) {
        if (auto end = latest_open_window_end()) {
            for (const Change& c : changes) {
                Slot& s = slots_[static_cast<std::size_t>(entity_index(c.entity))];
                s.open = true;
                s.window_end = *end;
                hold(s, c);
            }
            return {};
        }
    }
    std::vector<Change> due;
    for (const Change& c : changes) {
        Slot& s = slots_[static_cast<std::size_t>(entity_index(c.entity))];
        if (!s.open || window_ms_ == 0) {
            due.push_back(c);
            s.open = window_ms_ > 0;
            s.window_end = now + window_ms_;
            continue;
        }
        hold(s, c);
    }
    return due;
}

void Coalescer::hold(Slot& slot, const Change& change) {
    if (slot.pending) ++coalesced_;
    slot.pending = true;
    slot.rev = change.rev;
    slot.origin.add(change.origin);
}

std::vector<Change> Coalescer::on_timer(std::int64_t now) {
    std::vector<Change> due;
    for (Entity e : kTableEntities) {
        Slot& s = slots_[static_cast<std::size_t>(entity_index(e))];
        if (!s.open || s.window_end > now) continue;
        if (!s.pending) {
            s.open = false;
            continue;
        }
        due.push_back({e, s.rev, s.origin.result()});
        s.pending = false;
        s.origin.clear();
        s.window_end = now + window_ms_;
    }
    return due;
}

std::optional<std::int64_t> Coalescer::latest_open_window_end() const {
    std::optional<std::int64_t> latest;
    for (const Slot& s : slots_)
        if (s.open && (!latest || s.window_end > *latest)) latest = s.window_end;
    return latest;
}

std::uint8_t Coalescer::holding() const {
    std::uint8_t bits = 0;
    for (int i = 0; i < kTableEntityCount; ++i)
        if (slots_[static_cast<std::size_t>(i)].pending) bits |= static_cast<std::uint8_t>(1u << i);
    return bits;
}

std::optional<std::int64_t> Coalescer::next_deadline() const {
    std::optional<std::int64_t> next;
    for (const Slot& s : slots_)
        if (s.open && (!next || s.window_end < *next)) next = s.window_end;
    return next;
}

}  // namespace livesync::wsd
