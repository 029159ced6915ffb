// The body of a text/event-stream response: de-chunked when nginx relays it chunked, split into
// events at blank lines; each event's data: lines joined are its message. Comments (the
// heartbeats) and events without data yield nothing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace livesync::subgen {

class SseReader {
  public:
    explicit SseReader(bool chunked) : chunked_(chunked) {}

    // Throws std::length_error for a malformed chunk size.
    void feed(std::string_view bytes);
    // The next event's data, if a whole event with data has arrived.
    bool next(std::string& data);
    // The chunked body's last chunk arrived: the server ended the stream.
    bool ended() const { return ended_; }

  private:
    void dechunk();

    bool chunked_;
    bool ended_ = false;
    std::string raw_;   // chunked bytes not yet de-chunked
    std::string text_;  // de-chunked body not yet split into events
};

}  // namespace livesync::subgen
