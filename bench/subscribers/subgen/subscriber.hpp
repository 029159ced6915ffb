// One subscriber: a TLS connection, its request, the response head, then the WebSocket frames or
// the SSE events, until it is ready (the hello, the 101 or the 200) and after, while it idles.
#pragma once

#include <netinet/in.h>
#include <openssl/ssl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "arrivals.hpp"
#include "sse_reader.hpp"
#include "tls_connection.hpp"
#include "ws_reader.hpp"

namespace livesync::subgen {

enum class Transport { ws, sse };
enum class ReadyOn { hello, upgrade };

struct Target {
    int port = 0;
    Transport transport = Transport::ws;
    std::string origin;
    ReadyOn ready_on = ReadyOn::hello;
    sockaddr_in local{};
    sockaddr_in remote{};
    // When > 0, the loop sleeps this long between rounds that found fewer events than it can
    // take, so a stream of messages is read in batches instead of one wake-up each (see README).
    int batch_us = 0;
};

class Subscriber {
  public:
    Subscriber(const Target& target, double deadline_ms)
        : target_(target), deadline_ms_(deadline_ms) {}

    // Starts the connect; an error message if it failed at once.
    std::optional<std::string> start() { return conn_.start(target_.local, target_.remote); }

    int fd() const { return conn_.fd(); }
    bool ready() const { return ready_; }
    double deadline_ms() const { return deadline_ms_; }
    std::uint32_t interest() const;

    // Handles an epoll event; false once the subscriber is gone (failed before it was ready, or
    // closed after), with error() saying why.
    bool on_event(SSL_CTX* ctx, Arrivals& arrivals);
    const std::string& error() const { return error_; }

    // Best effort, as a closing tab does: a WebSocket close frame, then the socket goes.
    void say_goodbye();

  private:
    bool fail(std::string why);
    // Handles decrypted bytes stamped `t_ms`; false if the subscriber has to go.
    bool consume(std::string_view bytes, double t_ms, Arrivals& arrivals);
    bool consume_head(std::string_view bytes);
    bool consume_ws(double t_ms, Arrivals& arrivals);
    bool consume_sse(double t_ms, Arrivals& arrivals);

    const Target& target_;
    double deadline_ms_;
    TlsConnection conn_;
    bool requested_ = false;
    bool headed_ = false;
    bool ready_ = false;
    std::string head_;  // the response head until it is whole
    WsReader ws_;
    std::optional<SseReader> sse_;
    std::string error_;
};

}  // namespace livesync::subgen
