#include "attribution_gate.hpp"

namespace livesync::wsd {

AttributionGate::Verdict AttributionGate::on_read(bool moved, bool explained, std::int64_t now) {
    if (!moved) {
        deadline_.reset();
        return Verdict::unchanged;
    }
    if (!explained) {
        if (!deadline_) deadline_ = now + grace_ms_;
        if (now < *deadline_) return Verdict::wait;
    }
    deadline_.reset();
    return Verdict::announce;
}

}  // namespace livesync::wsd
