#include "sse_reader.hpp"

namespace livesync::subgen {
namespace {

void release_if_empty(std::string& s) {
    if (s.empty() && s.capacity() > 0) std::string().swap(s);
}

}  // namespace

void SseReader::feed(std::string_view bytes) {
    if (dechunker_)
        dechunker_->feed(bytes, text_);
    else
        text_.append(bytes);
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
