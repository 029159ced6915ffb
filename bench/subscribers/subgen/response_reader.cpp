#include "response_reader.hpp"

#include <charconv>
#include <stdexcept>

namespace livesync::subgen {
namespace {

constexpr std::size_t kMaxHead = 16 * 1024;

}  // namespace

bool ResponseReader::feed(std::string_view bytes) {
    if (complete_) {
        if (bytes.empty()) return true;
        throw std::runtime_error("bytes after the response");
    }
    wire_bytes_ += bytes.size();
    if (!head_) {
        head_buf_.append(bytes);
        head_ = parse_head(head_buf_);
        if (!head_) {
            if (head_buf_.size() > kMaxHead) throw std::runtime_error("response head too long");
            return false;
        }
        if (head_->status == 0) throw std::runtime_error(head_->status_line);
        std::string rest = head_buf_.substr(head_->length);
        std::string().swap(head_buf_);
        bool bodiless = head_->status == 304 || head_->status == 204;
        if (head_->chunked && !bodiless) {
            dechunker_.emplace();
        } else {
            remaining_ = bodiless ? 0 : head_->content_length.value_or(0);
            if (!bodiless && !head_->content_length)
                throw std::runtime_error("response without length or chunks");
        }
        if (head_->gzip && !bodiless) gunzip_.emplace();
        complete_ = !dechunker_ && remaining_ == 0;
        if (complete_ && !rest.empty()) throw std::runtime_error("bytes after the response");
        if (!rest.empty()) body(rest);
        return complete_;
    }
    body(bytes);
    return complete_;
}

void ResponseReader::body(std::string_view bytes) {
    if (dechunker_) {
        scratch_.clear();
        dechunker_->feed(bytes, scratch_);
        if (!scratch_.empty()) {
            if (gunzip_)
                gunzip_->feed(scratch_, [this](std::string_view out) { decoded(out); });
            else
                decoded(scratch_);
        }
        complete_ = dechunker_->ended();
    } else {
        if (bytes.size() > remaining_) throw std::runtime_error("bytes after the response");
        remaining_ -= bytes.size();
        if (gunzip_)
            gunzip_->feed(bytes, [this](std::string_view out) { decoded(out); });
        else
            decoded(bytes);
        complete_ = remaining_ == 0;
    }
    if (complete_ && gunzip_ && !gunzip_->ended()) throw std::runtime_error("gzip: truncated");
}

void ResponseReader::decoded(std::string_view bytes) {
    decoded_bytes_ += bytes.size();
    if (bytes.size() >= kTail) {
        tail_.assign(bytes.substr(bytes.size() - kTail));
        return;
    }
    tail_.append(bytes);
    if (tail_.size() > kTail) tail_.erase(0, tail_.size() - kTail);
}

std::optional<long long> trailing_rev(std::string_view tail) {
    std::size_t at = tail.rfind("\"rev\":");
    if (at == std::string_view::npos) return std::nullopt;
    std::string_view digits = tail.substr(at + 6);
    long long rev = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), rev);
    // Only the top level's: its rev is the last key (the keys are sorted), so `}` ends the body.
    std::string_view rest(end, digits.data() + digits.size());
    while (!rest.empty() && (rest.back() == '\n' || rest.back() == '\r')) rest.remove_suffix(1);
    if (ec != std::errc() || rest != "}") return std::nullopt;
    return rev;
}

bool is_reset(std::string_view tail) {
    return tail.find("\"reset\":true") != std::string_view::npos;
}

}  // namespace livesync::subgen
