// The rules a WebSocket client's frames must keep, checked on the raw bytes the client sent (after
// the handshake) before libwebsockets parses them. lws 4.1.6 enforces some of RFC 6455 itself but
// takes unmasked frames, answers any number of pings without telling the application, and reports
// nothing for a frame header whose payload never comes (README.md, "Client frames"), so the daemon
// checks every frame itself: RFC 6455 §5 (masking, reserved bits, opcodes, control frames,
// fragmentation, length encoding, UTF-8 text) and SPEC §4's limits (bytes per message, frames per
// second). A pure state machine: no I/O, no clock of its own.
#pragma once

#include <cstddef>
#include <cstdint>

namespace livesync::wsd {

enum class FrameError : std::uint8_t {
    none = 0,
    // RFC 6455 violations: counted as ws_protocol_errors_total{reason}; close 1002 (bad_utf8:
    // 1007).
    unmasked,            // a client frame without a masking key (§5.1)
    reserved_bits,       // RSV1-3 set, no extension having been negotiated (§5.2)
    opcode,              // a reserved opcode: 3-7, 0xB-0xF
    control_fragmented,  // a close, ping or pong without FIN (§5.5)
    control_too_long,    // a control frame declaring more than 125 bytes (§5.5)
    continuation,        // a continuation with nothing to continue, or a new message inside one
    length,              // a length in more bytes than needed, or with its top bit set (§5.2)
    bad_utf8,            // a text message that is not UTF-8 (§8.1)
    // SPEC §4 limits: counted as refusals_total frame_size / frame_rate.
    too_large,  // a message (all its fragments) declaring more than the byte limit: 1009
    too_fast,   // more frames (of any kind) than allowed in one second: 1008
};
inline constexpr int kProtocolErrorCount = 8;  // unmasked .. bad_utf8

constexpr bool is_protocol_error(FrameError e) {
    return e != FrameError::none && e < FrameError::too_large;
}
// 0 .. kProtocolErrorCount - 1, for a protocol error.
constexpr std::size_t protocol_error_index(FrameError e) {
    return static_cast<std::size_t>(e) - 1;
}
// The close code RFC 6455 §7.4.1 gives the error (0 for none).
std::uint16_t close_code(FrameError e);
// A short name: the metrics label, the log's reason and the close frame's reason text.
const char* frame_error_name(FrameError e);

class FrameGuard {
  public:
    struct Limits {
        std::uint32_t max_message_bytes;
        std::uint16_t frames_per_second;
    };

    // Checks the next `n` bytes of the client's stream (everything after the handshake, in
    // order, in pieces of any size). Returns how many of them come before the first byte that
    // breaks a rule — all `n` when none does; error() then names the rule. A frame is judged
    // as soon as the byte that gives it away arrives: a frame declaring 2^40 bytes at its last
    // length byte, with no payload needed. After an error every call returns 0.
    // `now_second` is any clock in whole seconds: the frame budget renews when it changes.
    std::size_t feed(const std::uint8_t* bytes, std::size_t n, std::uint32_t now_second,
                     const Limits& limits);
    FrameError error() const { return error_; }

  private:
    enum class Step : std::uint8_t { first, second, length, mask, payload };
    // A streaming UTF-8 check (RFC 3629: no overlong forms, no surrogates, nothing past
    // U+10FFFF): the bounds of the next byte while a sequence is open.
    struct Utf8 {
        std::uint8_t need = 0;  // continuation bytes still due
        std::uint8_t lo = 0x80;
        std::uint8_t hi = 0xBF;
        bool next(std::uint8_t b);
    };

    bool on_first(std::uint8_t b, std::uint32_t now_second, const Limits& limits);
    bool on_second(std::uint8_t b, const Limits& limits);
    bool on_length_byte(std::uint8_t b, const Limits& limits);
    // The whole length is known: checks it and moves on to the masking key.
    bool length_known(const Limits& limits);
    // The frame's last byte has been read (or its header, for an empty one).
    bool end_frame();
    bool fail(FrameError e) {
        error_ = e;
        return false;
    }
    bool control() const { return opcode_ & 0x8; }

    std::uint64_t left_ = 0;           // the length being read, then the payload still due
    std::uint32_t message_bytes_ = 0;  // declared so far by the data message in progress
    std::uint32_t second_ = 0;
    std::uint16_t frames_ = 0;  // begun within second_
    std::uint8_t mask_[4]{};
    std::uint8_t at_ = 0;  // length or mask bytes read so far; then the payload's mask index
    std::uint8_t length_bytes_ = 0;  // 2 or 8: the extended length's size
    Step step_ = Step::first;
    std::uint8_t opcode_ = 0;
    bool fin_ = false;
    bool in_message_ = false;  // a data message has begun and its final frame has not
    bool text_ = false;        // ... and it is text: its payload must be UTF-8
    Utf8 utf8_;
    FrameError error_ = FrameError::none;
};

}  // namespace livesync::wsd
