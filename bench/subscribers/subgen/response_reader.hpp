// One HTTP/1.1 response on a keep-alive connection, read as it arrives: the head, then the body
// framed by Content-Length or by chunks, gunzipped when the server compressed it. Of the body the
// bench needs only its last bytes (every list answer ends with its top-level "rev"), so only
// those are kept, however large the list.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "chunked.hpp"
#include "gunzip.hpp"
#include "http_head.hpp"

namespace livesync::subgen {

class ResponseReader {
  public:
    // Feeds decrypted bytes; true once the response is complete. Throws (std::runtime_error, or
    // std::length_error for a bad chunk size) for one the bench cannot read: a head too long,
    // no framing, corrupt or truncated gzip, bytes after the end.
    bool feed(std::string_view bytes);

    bool complete() const { return complete_; }
    int status() const { return head_ ? head_->status : 0; }
    const std::string& etag() const { return head_->etag; }
    // Everything the server sent for this response: head, body and chunk framing, as on the
    // wire inside TLS.
    std::size_t wire_bytes() const { return wire_bytes_; }
    std::size_t head_bytes() const { return head_ ? head_->length : 0; }
    std::size_t decoded_bytes() const { return decoded_bytes_; }
    // The last bytes of the decoded body (up to kTail).
    const std::string& tail() const { return tail_; }

    static constexpr std::size_t kTail = 64;

  private:
    void body(std::string_view bytes);
    void decoded(std::string_view bytes);

    std::string head_buf_;
    std::optional<ResponseHead> head_;
    std::optional<Dechunker> dechunker_;
    std::optional<Gunzip> gunzip_;
    std::size_t remaining_ = 0;  // of a Content-Length body
    std::size_t wire_bytes_ = 0;
    std::size_t decoded_bytes_ = 0;
    std::string tail_;
    std::string scratch_;  // de-chunked bytes on their way to the decoder
    bool complete_ = false;
};

// The top-level "rev" a list answer ends with (`…,"rev":123}`), if the tail holds one.
std::optional<long long> trailing_rev(std::string_view tail);
// A `{"reset":true,"rev":R}` answer: the server no longer knows the revision asked about.
bool is_reset(std::string_view tail);

}  // namespace livesync::subgen
