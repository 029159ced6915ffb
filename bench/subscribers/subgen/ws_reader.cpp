#include "ws_reader.hpp"

#include <openssl/rand.h>

#include <stdexcept>

namespace livesync::subgen {
namespace {

constexpr std::uint64_t kMaxPayload = 1 << 20;

}  // namespace

void WsReader::feed(std::string_view bytes) {
    if (pos_ == buf_.size()) {
        buf_.clear();
    } else if (pos_ > 0) {
        buf_.erase(0, pos_);
    }
    pos_ = 0;
    buf_.append(bytes);
}

std::optional<WsFrame> WsReader::next() {
    std::string_view rest(buf_.data() + pos_, buf_.size() - pos_);
    if (rest.size() < 2) {
        if (rest.empty() && buf_.capacity() > 0) std::string().swap(buf_), pos_ = 0;
        return std::nullopt;
    }
    auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(rest[i]); };
    std::uint8_t opcode = byte(0) & 0x0f;
    bool masked = byte(1) & 0x80;
    std::uint64_t len = byte(1) & 0x7f;
    std::size_t off = 2;
    if (len == 126) {
        if (rest.size() < 4) return std::nullopt;
        len = (std::uint64_t{byte(2)} << 8) | byte(3);
        off = 4;
    } else if (len == 127) {
        if (rest.size() < 10) return std::nullopt;
        len = 0;
        for (std::size_t i = 2; i < 10; ++i) len = (len << 8) | byte(i);
        off = 10;
    }
    if (len > kMaxPayload) throw std::length_error("ws: frame too large");
    std::size_t mask_at = off;
    if (masked) off += 4;  // servers must not mask, but a masked frame is still readable
    if (rest.size() < off + len) return std::nullopt;
    char* payload = buf_.data() + pos_ + off;
    if (masked) {
        for (std::size_t i = 0; i < len; ++i) payload[i] ^= rest[mask_at + i % 4];
    }
    pos_ += off + len;
    return WsFrame{opcode, std::string_view(payload, len)};
}

std::string client_frame(std::uint8_t opcode, std::string_view payload) {
    std::string out;
    out.reserve(14 + payload.size());
    out.push_back(static_cast<char>(0x80 | opcode));
    if (payload.size() < 126) {
        out.push_back(static_cast<char>(0x80 | payload.size()));
    } else if (payload.size() <= 0xffff) {
        out.push_back(static_cast<char>(0x80 | 126));
        out.push_back(static_cast<char>(payload.size() >> 8));
        out.push_back(static_cast<char>(payload.size() & 0xff));
    } else {
        out.push_back(static_cast<char>(0x80 | 127));
        for (int shift = 56; shift >= 0; shift -= 8)
            out.push_back(static_cast<char>((std::uint64_t{payload.size()} >> shift) & 0xff));
    }
    unsigned char mask[4];
    if (RAND_bytes(mask, sizeof mask) != 1) throw std::runtime_error("RAND_bytes failed");
    out.append(reinterpret_cast<const char*>(mask), sizeof mask);
    for (std::size_t i = 0; i < payload.size(); ++i)
        out.push_back(static_cast<char>(payload[i] ^ static_cast<char>(mask[i % 4])));
    return out;
}

}  // namespace livesync::subgen
