#include "hello_hold.hpp"

#include <algorithm>

namespace livesync::wsd {

void HelloHold::hold(Session* s, std::uint64_t seq) {
    s->hello_read = static_cast<std::uint32_t>(seq);
    s->held = true;
    waiting_.push_back(s);
}

void HelloHold::forget(Session* s) {
    if (!s->held) return;
    s->held = false;
    waiting_.erase(std::find(waiting_.begin(), waiting_.end(), s));
}

Session* HelloHold::pop() {
    Session* s = waiting_.front();
    waiting_.pop_front();
    s->held = false;
    return s;
}

void HelloHold::on_read_announced(std::uint64_t seq, std::uint8_t holding) {
    last_read_ = std::max(last_read_, seq);
    for (int i = 0; i < kTableEntityCount; ++i)
        if (!(holding & (1u << i))) through_[static_cast<std::size_t>(i)] = last_read_;
}

void HelloHold::on_trailing(std::uint8_t bits) {
    for (int i = 0; i < kTableEntityCount; ++i)
        if (bits & (1u << i)) through_[static_cast<std::size_t>(i)] = last_read_;
}

std::uint64_t HelloHold::announced_through() const {
    return *std::min_element(through_.begin(), through_.end());
}

}  // namespace livesync::wsd
