#include "chunked.hpp"

#include <charconv>
#include <stdexcept>

namespace livesync::subgen {
namespace {

constexpr std::size_t kMaxChunk = 1 << 20;

}  // namespace

void Dechunker::feed(std::string_view bytes, std::string& out) {
    raw_.append(bytes);
    std::size_t pos = 0;
    while (!ended_) {
        std::size_t eol = raw_.find("\r\n", pos);
        if (eol == std::string::npos) break;
        std::size_t size = 0;
        // Chunk extensions (";name=value") follow the hex size and are ignored.
        auto [end, ec] = std::from_chars(raw_.data() + pos, raw_.data() + eol, size, 16);
        if (ec != std::errc() || end == raw_.data() + pos || size > kMaxChunk)
            throw std::length_error("bad chunk size");
        if (raw_.size() < eol + 2 + size + 2) break;
        out.append(raw_, eol + 2, size);
        pos = eol + 2 + size + 2;
        if (size == 0) ended_ = true;
    }
    raw_.erase(0, pos);
    // An idle stream keeps no buffer.
    if (raw_.empty() && raw_.capacity() > 0) std::string().swap(raw_);
}

}  // namespace livesync::subgen
