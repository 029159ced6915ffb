#include "session_slots.hpp"

namespace livesync::wsd {

void SessionSlots::add(Session* s) {
    lws_dll2_add_tail(&s->link, &slots_[next_]);
    next_ = (next_ + 1) % kSlots;
}

void SessionSlots::remove(Session* s) {
    lws_dll2_remove(&s->link);
}

std::uint32_t SessionSlots::count() const {
    std::uint32_t n = 0;
    for (const auto& owner : slots_) n += owner.count;
    return n;
}

}  // namespace livesync::wsd
