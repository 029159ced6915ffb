// Owners of OpenSSL's C handles, so every exit path frees them.
#pragma once

#include <openssl/ssl.h>

#include <memory>

namespace livesync::subgen {

struct SslCtxFree {
    void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslFree {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
};

using SslCtx = std::unique_ptr<SSL_CTX, SslCtxFree>;
using Ssl = std::unique_ptr<SSL, SslFree>;

// The one client context every subscriber shares: TLS to the bench's self-signed nginx, so no
// verification; SNI and ALPN are set per connection and here as a browser would send them.
SslCtx make_client_context();

}  // namespace livesync::subgen
