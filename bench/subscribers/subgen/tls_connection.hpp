// One non-blocking TCP connection from a chosen local address to 127.0.0.1:PORT with a TLS client
// session on top. The owner drives it from epoll: advance() until established(), then
// read_some() and send(); wants_write() says whether EPOLLOUT is needed.
#pragma once

#include <netinet/in.h>
#include <openssl/ssl.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "fd.hpp"
#include "ssl_handles.hpp"

namespace livesync::subgen {

class TlsConnection {
  public:
    // Binds to `local` (port 0) and starts connecting; an error message if that failed at once.
    std::optional<std::string> start(const sockaddr_in& local, const sockaddr_in& remote);

    int fd() const { return fd_.get(); }
    bool established() const { return state_ == State::open; }
    bool wants_write() const { return state_ == State::connecting || want_write_ || !out_.empty(); }

    // Moves the TCP connect and the TLS handshake on; an error message if either failed.
    std::optional<std::string> advance(SSL_CTX* ctx);

    // Reads decrypted bytes: > 0 bytes read, 0 nothing more for now, -1 closed (error() says why,
    // empty for an orderly close).
    long read_some(char* buf, std::size_t cap);
    const std::string& error() const { return error_; }
    // Decrypted or read-ahead bytes are still inside OpenSSL: epoll would not report them.
    bool has_pending() const { return SSL_has_pending(ssl_.get()) == 1; }

    // Queues bytes and writes what the socket takes; an error message if the write failed.
    std::optional<std::string> send(std::string_view bytes);
    std::optional<std::string> flush();

  private:
    enum class State { connecting, handshaking, open };
    // Why an SSL call that returned `ret` stopped: empty when it only has to wait for the socket.
    std::string ssl_failure(int ret);

    Fd fd_;
    Ssl ssl_;
    State state_ = State::connecting;
    bool want_write_ = false;
    std::string out_;
    std::string error_;
};

// errno as its symbolic name ("ECONNREFUSED"), the short form node's errors carry too.
std::string errno_name(int err);

}  // namespace livesync::subgen
