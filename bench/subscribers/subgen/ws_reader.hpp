// RFC 6455 frames as a client sees them: the reader splits the server's byte stream into frames
// (7-, 16- and 64-bit lengths), and client_frame() builds the masked frames a client must send.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace livesync::subgen {

inline constexpr std::uint8_t kWsText = 0x1;
inline constexpr std::uint8_t kWsClose = 0x8;
inline constexpr std::uint8_t kWsPing = 0x9;
inline constexpr std::uint8_t kWsPong = 0xa;

struct WsFrame {
    std::uint8_t opcode;
    std::string_view payload;  // valid until the next feed()
};

class WsReader {
  public:
    void feed(std::string_view bytes);
    // The next whole frame, if one has arrived. Throws std::length_error for a frame no
    // refresh stream would send, so a broken stream cannot make a subscriber buffer without end.
    std::optional<WsFrame> next();

  private:
    std::string buf_;
    std::size_t pos_ = 0;  // start of the first frame not yet returned
};

std::string client_frame(std::uint8_t opcode, std::string_view payload);

}  // namespace livesync::subgen
