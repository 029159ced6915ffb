// One subscriber: a TLS connection, its request, the response head, then the WebSocket frames or
// the SSE events, until it is ready (the hello, the 101 or the 200) and after, while it idles.
#pragma once

#include <netinet/in.h>
#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "arrivals.hpp"
#include "fetcher.hpp"
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
    // Each subscriber also keeps the list of projects as the browser does (fetcher.hpp).
    FetchMode fetch = FetchMode::none;
};

class Subscriber {
  public:
    Subscriber(const Target& target, double deadline_ms, std::string client_id);

    // Starts the connect; an error message if it failed at once.
    std::optional<std::string> start() { return conn_.start(target_.local, target_.remote); }

    int fd() const { return conn_.fd(); }
    // The stream is ready and, with a fetch mode, the list loaded.
    bool ready() const { return ready_ && (!fetcher_ || fetcher_->loaded()); }
    // The list's connection, when there is one (fetcher.hpp).
    Fetcher* fetcher() { return fetcher_.get(); }
    double deadline_ms() const { return deadline_ms_; }
    std::uint32_t interest() const;

    // Handles an epoll event; false once the subscriber is gone (failed before it was ready, or
    // closed after), with error() saying why. A failed fetch after the list was loaded only
    // counts in `stats`.
    bool on_event(SSL_CTX* ctx, Arrivals& arrivals, FetchStats& stats);
    bool on_fetch_event(SSL_CTX* ctx, FetchStats& stats);
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
    // A message arrived: a refresh makes the list fetch again, as in the browser.
    void on_message(MessageType type);
    // After a fetch step: false if it failed before the list was loaded (the subscriber goes);
    // a later failure only counts in `stats`.
    bool keep_after_fetch(std::optional<std::string> err, FetchStats& stats);

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
    std::unique_ptr<Fetcher> fetcher_;
    bool load_started_ = false;
    bool refresh_due_ = false;  // a refresh arrived in the last consume()
};

}  // namespace livesync::subgen
