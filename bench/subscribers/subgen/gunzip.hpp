// A gzip body decoded as its bytes arrive (zlib's inflate, owned here), handing each piece of
// output to the caller, who keeps what it needs of it.
#pragma once

#include <zlib.h>

#include <functional>
#include <string_view>

namespace livesync::subgen {

class Gunzip {
  public:
    Gunzip();
    ~Gunzip();
    Gunzip(const Gunzip&) = delete;
    Gunzip& operator=(const Gunzip&) = delete;

    // Decodes `bytes`, calling `out` with each piece of decoded output. Throws std::runtime_error
    // for a stream that is not gzip or is corrupt.
    void feed(std::string_view bytes, const std::function<void(std::string_view)>& out);
    // The gzip trailer has been read: the stream is whole.
    bool ended() const { return ended_; }

  private:
    z_stream z_{};
    bool ended_ = false;
};

}  // namespace livesync::subgen
