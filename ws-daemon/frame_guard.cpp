#include "frame_guard.hpp"

#include <algorithm>

namespace livesync::wsd {
namespace {

constexpr std::uint8_t kContinuation = 0x0, kText = 0x1, kBinary = 0x2;

}  // namespace

std::uint16_t close_code(FrameError e) {
    switch (e) {
        case FrameError::none:
            return 0;
        case FrameError::bad_utf8:
            return 1007;
        case FrameError::too_large:
            return 1009;
        case FrameError::too_fast:
            return 1008;
        default:
            return 1002;
    }
}

const char* frame_error_name(FrameError e) {
    switch (e) {
        case FrameError::none:
            return "none";
        case FrameError::unmasked:
            return "unmasked";
        case FrameError::reserved_bits:
            return "reserved_bits";
        case FrameError::opcode:
            return "opcode";
        case FrameError::control_fragmented:
            return "control_fragmented";
        case FrameError::control_too_long:
            return "control_too_long";
        case FrameError::continuation:
            return "continuation";
        case FrameError::length:
            return "length";
        case FrameError::bad_utf8:
            return "bad_utf8";
        case FrameError::too_large:
            return "too_large";
        case FrameError::too_fast:
            return "too_fast";
    }
    return "unknown";
}

bool FrameGuard::Utf8::next(std::uint8_t b) {
    if (need) {
        if (b < lo || b > hi) return false;
        --need;
        lo = 0x80;
        hi = 0xBF;
        return true;
    }
    if (b < 0x80) return true;
    if (b < 0xC2) return false;  // a stray continuation byte, or an overlong 2-byte form
    if (b < 0xE0) {
        need = 1;
    } else if (b < 0xF0) {
        need = 2;
        if (b == 0xE0) lo = 0xA0;  // overlong
        if (b == 0xED) hi = 0x9F;  // UTF-16 surrogates
    } else if (b < 0xF5) {
        need = 3;
        if (b == 0xF0) lo = 0x90;  // overlong
        if (b == 0xF4) hi = 0x8F;  // past U+10FFFF
    } else {
        return false;
    }
    return true;
}

std::size_t FrameGuard::feed(const std::uint8_t* bytes, std::size_t n, std::uint32_t now_second,
                             const Limits& limits) {
    if (error_ != FrameError::none) return 0;
    std::size_t i = 0;
    while (i < n) {
        switch (step_) {
            case Step::first:
                if (!on_first(bytes[i], now_second, limits)) return i;
                ++i;
                break;
            case Step::second:
                if (!on_second(bytes[i], limits)) return i;
                ++i;
                break;
            case Step::length:
                if (!on_length_byte(bytes[i], limits)) return i;
                ++i;
                break;
            case Step::mask:
                mask_[at_++] = bytes[i];
                if (at_ == 4) {
                    at_ = 0;
                    step_ = Step::payload;
                    if (left_ == 0 && !end_frame()) return i;
                }
                ++i;
                break;
            case Step::payload:
                if (text_ && !control()) {
                    if (!utf8_.next(static_cast<std::uint8_t>(bytes[i] ^ mask_[at_++ & 3]))) {
                        fail(FrameError::bad_utf8);
                        return i;
                    }
                    if (--left_ == 0 && !end_frame()) return i;
                    ++i;
                } else {
                    auto take = static_cast<std::size_t>(std::min<std::uint64_t>(left_, n - i));
                    i += take;
                    left_ -= take;
                    if (left_ == 0 && !end_frame()) return i - 1;
                }
                break;
        }
    }
    return n;
}

bool FrameGuard::on_first(std::uint8_t b, std::uint32_t now_second, const Limits& limits) {
    fin_ = (b & 0x80) != 0;
    opcode_ = b & 0x0F;
    if (b & 0x70) return fail(FrameError::reserved_bits);
    switch (opcode_) {
        case kContinuation:
        case kText:
        case kBinary:
        case 0x8:  // close
        case 0x9:  // ping
        case 0xA:  // pong
            break;
        default:
            return fail(FrameError::opcode);
    }
    if (control() && !fin_) return fail(FrameError::control_fragmented);
    if ((opcode_ == kContinuation) != in_message_ && !control())
        return fail(FrameError::continuation);
    if (now_second != second_) {
        second_ = now_second;
        frames_ = 0;
    }
    if (++frames_ > limits.frames_per_second) return fail(FrameError::too_fast);
    if (opcode_ == kText || opcode_ == kBinary) {
        in_message_ = true;
        text_ = opcode_ == kText;
        message_bytes_ = 0;
        utf8_ = Utf8{};
    }
    step_ = Step::second;
    return true;
}

bool FrameGuard::on_second(std::uint8_t b, const Limits& limits) {
    if (!(b & 0x80)) return fail(FrameError::unmasked);
    std::uint8_t len = b & 0x7F;
    if (control() && len > 125) return fail(FrameError::control_too_long);
    if (len < 126) {
        left_ = len;
        return length_known(limits);
    }
    length_bytes_ = len == 126 ? 2 : 8;
    left_ = 0;
    at_ = 0;
    step_ = Step::length;
    return true;
}

bool FrameGuard::on_length_byte(std::uint8_t b, const Limits& limits) {
    if (length_bytes_ == 8 && at_ == 0 && (b & 0x80)) return fail(FrameError::length);
    left_ = (left_ << 8) | b;
    if (++at_ < length_bytes_) return true;
    // The shortest form is the only valid one: 16 bits for 126 .. 65535, 64 bits above.
    if (left_ < (length_bytes_ == 2 ? 126u : 65536u)) return fail(FrameError::length);
    return length_known(limits);
}

bool FrameGuard::length_known(const Limits& limits) {
    if (!control()) {
        // No overflow: message_bytes_ is at most the limit and left_ below 2^63.
        if (message_bytes_ + left_ > limits.max_message_bytes) return fail(FrameError::too_large);
        message_bytes_ += static_cast<std::uint32_t>(left_);
    }
    at_ = 0;
    step_ = Step::mask;
    return true;
}

bool FrameGuard::end_frame() {
    step_ = Step::first;
    at_ = 0;
    if (control() || !fin_) return true;
    in_message_ = false;
    if (text_ && utf8_.need) return fail(FrameError::bad_utf8);  // cut off mid-character
    return true;
}

}  // namespace livesync::wsd
