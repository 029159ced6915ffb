// HTTP/1.1 chunked transfer coding, decoded as the bytes arrive: an SSE stream relayed by nginx
// and a gzipped list answer both come in chunks of unknown total length.
#pragma once

#include <string>
#include <string_view>

namespace livesync::subgen {

class Dechunker {
  public:
    // Appends the body bytes found in `bytes` (and what was held back before) to `out`. Throws
    // std::length_error for a malformed or absurd chunk size.
    void feed(std::string_view bytes, std::string& out);
    // The last (empty) chunk has arrived: the body is complete.
    bool ended() const { return ended_; }

  private:
    bool ended_ = false;
    std::string raw_;  // chunk framing and data not yet decoded
};

}  // namespace livesync::subgen
