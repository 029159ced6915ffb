#include "arrivals.hpp"

namespace livesync::subgen {

MessageType Arrivals::on_message(std::string_view text, double t_ms) {
    auto msg = nlohmann::json::parse(text, nullptr, false);
    if (!msg.is_object()) return MessageType::other;
    auto type = msg.find("type");
    if (type == msg.end() || !type->is_string()) return MessageType::other;
    if (*type == "hello") return MessageType::hello;
    if (*type != "refresh") return MessageType::other;
    auto rev = msg.find("rev");
    // The key is the rev as JSON spells it, as node's Object.fromEntries turns 42 into "42".
    std::string key = rev == msg.end()   ? "null"
                      : rev->is_string() ? rev->get<std::string>()
                                         : rev->dump();
    by_rev_[key].push_back(t_ms);
    ++count_;
    return MessageType::refresh;
}

nlohmann::json Arrivals::take() {
    nlohmann::json out = nlohmann::json::object();
    for (auto& [rev, times] : by_rev_) out[rev] = std::move(times);
    by_rev_.clear();
    count_ = 0;
    return out;
}

}  // namespace livesync::subgen
