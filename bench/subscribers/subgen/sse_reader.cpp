#include "sse_reader.hpp"

#include <charconv>
#include <stdexcept>

namespace livesync::subgen {
namespace {

constexpr std::size_t kMaxChunk = 1 << 20;

void release_if_empty(std::string& s) {
    if (s.empty() && s.capacity() > 0) std::string().swap(s);
}

}  // namespace

void SseReader::feed(std::string_view bytes) {
    if (!chunked_) {
        text_.append(bytes);
        return;
    }
    raw_.append(bytes);
    dechunk();
}

void SseReader::dechunk() {
    std::size_t pos = 0;
    while (!ended_) {
        std::size_t eol = raw_.find("\r\n", pos);
        if (eol == std::string::npos) break;
        std::size_t size = 0;
        // Chunk extensions (";name=value") follow the hex size and are ignored.
        auto [end, ec] = std::from_chars(raw_.data() + pos, raw_.data() + eol, size, 16);
        if (ec != std::errc() || end == raw_.data() + pos || size > kMaxChunk)
            throw std::length_error("sse: bad chunk size");
        if (raw_.size() < eol + 2 + size + 2) break;
        text_.append(raw_, eol + 2, size);
        pos = eol + 2 + size + 2;
        if (size == 0) ended_ = true;
    }
    raw_.erase(0, pos);
    release_if_empty(raw_);
}

bool SseReader::next(std::string& data) {
    for (;;) {
        std::size_t end = text_.find("\n\n");
        if (end == std::string::npos) {
            release_if_empty(text_);
            return false;
        }
        std::string_view event(text_.data(), end);
        data.clear();
        bool any = false;
        while (!event.empty()) {
            std::size_t nl = event.find('\n');
            std::string_view line = event.substr(0, nl);
            event = nl == std::string_view::npos ? std::string_view() : event.substr(nl + 1);
            if (!line.starts_with("data:")) continue;
            line.remove_prefix(5);
            while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
                line.remove_prefix(1);
            if (any) data.push_back('\n');
            data.append(line);
            any = true;
        }
        text_.erase(0, end + 2);
        if (any) return true;
    }
}

}  // namespace livesync::subgen
