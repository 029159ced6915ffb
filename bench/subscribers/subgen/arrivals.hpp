// What the subscribers' messages mean to the bench: refresh arrivals by rev (for dump), and
// which message is the livesync hello that makes a WebSocket subscriber ready.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace livesync::subgen {

enum class MessageType { hello, refresh, other };

class Arrivals {
  public:
    // Records a refresh's arrival time `t_ms` under its rev; says what the message was.
    MessageType on_message(std::string_view text, double t_ms);
    // {"<rev>":[ms,…]} of everything since the last take, which is forgotten.
    nlohmann::json take();
    std::size_t count() const { return count_; }

  private:
    std::map<std::string, std::vector<double>> by_rev_;
    std::size_t count_ = 0;
};

}  // namespace livesync::subgen
