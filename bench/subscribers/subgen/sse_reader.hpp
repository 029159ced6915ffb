// The body of a text/event-stream response: de-chunked when nginx relays it chunked, split into
// events at blank lines; each event's data: lines joined are its message. Comments (the
// heartbeats) and events without data yield nothing.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "chunked.hpp"

namespace livesync::subgen {

class SseReader {
  public:
    explicit SseReader(bool chunked) {
        if (chunked) dechunker_.emplace();
    }

    // Throws std::length_error for a malformed chunk size.
    void feed(std::string_view bytes);
    // The next event's data, if a whole event with data has arrived.
    bool next(std::string& data);
    // The chunked body's last chunk arrived: the server ended the stream.
    bool ended() const { return dechunker_ && dechunker_->ended(); }

  private:
    std::optional<Dechunker> dechunker_;  // when nginx relays the stream chunked
    std::string text_;                    // de-chunked body not yet split into events
};

}  // namespace livesync::subgen
