#include "tls_connection.hpp"

#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace livesync::subgen {

std::string errno_name(int err) {
    const char* name = strerrorname_np(err);
    return name ? name : "errno " + std::to_string(err);
}

SslCtx make_client_context() {
    SslCtx ctx(SSL_CTX_new(TLS_client_method()));
    if (!ctx) throw std::runtime_error("SSL_CTX_new failed");
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    // Idle subscribers hold no read/write buffers between messages: thousands of them would
    // otherwise keep ~34 KiB each. Partial and moving writes let the pending bytes live in a
    // std::string that grows while a write waits.
    SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                                    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // One read(2) per record batch instead of one for the 5-byte header and one for the body.
    SSL_CTX_set_read_ahead(ctx.get(), 1);
    // A server that closes without close_notify (nginx at shutdown) is a close, not an error.
    SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
    static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    if (SSL_CTX_set_alpn_protos(ctx.get(), kAlpn, sizeof kAlpn) != 0)
        throw std::runtime_error("SSL_CTX_set_alpn_protos failed");
    return ctx;
}

std::optional<std::string> TlsConnection::start(const sockaddr_in& local,
                                                const sockaddr_in& remote) {
    fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd_) return errno_name(errno);
    int one = 1;
    // Refresh events and pongs are tiny; Nagle would hold a pong behind an unacknowledged one.
    ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0)
        return errno_name(errno);
    if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&remote), sizeof remote) != 0 &&
        errno != EINPROGRESS)
        return errno_name(errno);
    return std::nullopt;
}

std::string TlsConnection::ssl_failure(int ret) {
    int saved_errno = errno;
    switch (SSL_get_error(ssl_.get(), ret)) {
        case SSL_ERROR_WANT_READ:
            want_write_ = false;
            return {};
        case SSL_ERROR_WANT_WRITE:
            want_write_ = true;
            return {};
        case SSL_ERROR_ZERO_RETURN:
            return "closed";
        case SSL_ERROR_SYSCALL:
            return saved_errno ? errno_name(saved_errno) : "closed";
        default: {
            unsigned long e = ERR_peek_last_error();
            const char* reason = e ? ERR_reason_error_string(e) : nullptr;
            return std::string("tls: ") + (reason ? reason : "error");
        }
    }
}

std::optional<std::string> TlsConnection::advance(SSL_CTX* ctx) {
    if (state_ == State::connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        if (err == EINPROGRESS || err == EALREADY) return std::nullopt;
        if (err != 0) return errno_name(err);
        ssl_.reset(SSL_new(ctx));
        if (!ssl_ || SSL_set_fd(ssl_.get(), fd_.get()) != 1) return "tls: SSL_new failed";
        SSL_set_tlsext_host_name(ssl_.get(), "localhost");
        SSL_set_connect_state(ssl_.get());
        state_ = State::handshaking;
    }
    if (state_ == State::handshaking) {
        ERR_clear_error();
        int ret = SSL_do_handshake(ssl_.get());
        if (ret != 1) {
            std::string why = ssl_failure(ret);
            if (why.empty()) return std::nullopt;
            return why == "closed" ? "tls: closed during handshake" : why;
        }
        want_write_ = false;
        state_ = State::open;
    }
    return std::nullopt;
}

long TlsConnection::read_some(char* buf, std::size_t cap) {
    ERR_clear_error();
    int ret = SSL_read(ssl_.get(), buf, static_cast<int>(cap));
    if (ret > 0) return ret;
    std::string why = ssl_failure(ret);
    if (why.empty()) return 0;
    error_ = why == "closed" ? std::string() : why;
    return -1;
}

std::optional<std::string> TlsConnection::send(std::string_view bytes) {
    out_.append(bytes);
    return flush();
}

std::optional<std::string> TlsConnection::flush() {
    if (state_ != State::open) return std::nullopt;
    while (!out_.empty()) {
        ERR_clear_error();
        int ret = SSL_write(ssl_.get(), out_.data(), static_cast<int>(out_.size()));
        if (ret <= 0) {
            std::string why = ssl_failure(ret);
            if (why.empty()) return std::nullopt;
            return why;
        }
        out_.erase(0, static_cast<std::size_t>(ret));
    }
    want_write_ = false;
    std::string().swap(out_);  // an idle subscriber keeps no write buffer
    return std::nullopt;
}

}  // namespace livesync::subgen
