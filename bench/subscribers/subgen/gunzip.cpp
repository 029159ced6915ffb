#include "gunzip.hpp"

#include <stdexcept>

namespace livesync::subgen {
namespace {

// One output buffer for every stream: there is one thread, and each piece is handed on at once.
unsigned char g_out[64 * 1024];

}  // namespace

Gunzip::Gunzip() {
    // 16 + MAX_WBITS: a gzip wrapper, not zlib's own.
    if (inflateInit2(&z_, 16 + MAX_WBITS) != Z_OK) throw std::runtime_error("inflateInit2 failed");
}

Gunzip::~Gunzip() {
    inflateEnd(&z_);
}

void Gunzip::feed(std::string_view bytes, const std::function<void(std::string_view)>& out) {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    z_.avail_in = static_cast<uInt>(bytes.size());
    while (!ended_ && (z_.avail_in > 0 || z_.avail_out == 0)) {
        z_.next_out = g_out;
        z_.avail_out = sizeof g_out;
        int rc = inflate(&z_, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
            throw std::runtime_error(std::string("gzip: ") + (z_.msg ? z_.msg : "corrupt"));
        std::size_t produced = sizeof g_out - z_.avail_out;
        if (produced > 0) out(std::string_view(reinterpret_cast<char*>(g_out), produced));
        if (rc == Z_STREAM_END) ended_ = true;
        if (rc == Z_BUF_ERROR) break;  // needs more input
    }
    if (ended_ && z_.avail_in > 0) throw std::runtime_error("gzip: bytes after the end");
}

}  // namespace livesync::subgen
