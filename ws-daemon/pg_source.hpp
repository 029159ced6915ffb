// The PostgreSQL-mode source (signal_source.hpp): one direct libpq connection, driven without
// blocking on the daemon's libev loop (its socket watched there), that LISTENs on
// kSignalChannel for the pool's NOTIFYs and reads the `revisions` table.
//
// On every connect and reconnect: LISTEN (when `notify`), then read the revisions, so a change
// committed while the connection was away is announced at once; then every batch of
// notifications brings one read. Only plain autocommit statements, one at a time: no transaction
// is ever left open (a stalled listener in a transaction would fill the server's notification
// queue). Every connect and every statement has a deadline (`timeout_ms`): a connection that
// does not answer in time — a server gone without a FIN, a frozen network hop — is dropped and
// made again, with jittered exponential backoff (backoff.hpp). The daemon's safety poll (a read
// every safety_tick_ms, or poll_ms without notify) is thus also the liveness probe.
#pragma once

#include <ev.h>
#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "ev_loop.hpp"
#include "pg.hpp"
#include "signal_source.hpp"

namespace livesync::wsd {

// What the listener's metrics show (monotonic milliseconds; -1: never).
struct ListenerStatus {
    bool up = false;               // connected and listening
    std::uint64_t reconnects = 0;  // connections made after the first
    std::int64_t last_notification_ms = -1;
    std::int64_t last_read_ms = -1;  // the last read that answered
    std::int64_t down_since_ms = 0;  // when it last went down (or started)
};

class PgSource final : public SignalSource {
  public:
    struct Options {
        std::string uri;
        bool notify = true;
        std::int64_t timeout_ms = 5000;
    };
    // Starts connecting at once. Throws PgError for a URI libpq cannot parse.
    PgSource(EvLoop::Handle* loop, Options options, SourceSink& sink);
    PgSource(const PgSource&) = delete;
    PgSource& operator=(const PgSource&) = delete;
    ~PgSource() override;

    // Never answers from inside the call. While the connection is down the read happens right
    // after the next connect.
    std::uint64_t read() override;
    bool fresh_reads() const override { return status_.up; }
    const ListenerStatus& status() const { return status_; }

    // One blocking read on a connection of its own (at start-up, before the loop runs); nullopt,
    // logged, if the server or the table cannot be read.
    static std::optional<Revisions> read_now(const std::string& uri);

    static std::int64_t now_ms();

  private:
    enum class State { waiting, connecting, open };
    enum class Query { none, listen, read };

    static void on_io(EvLoop::Handle* loop, ev_io* watcher, int events);
    static void on_timer(EvLoop::Handle* loop, ev_timer* watcher, int events);

    void connect();
    void poll_connect();
    void on_connected();
    // LISTEN done (or not wanted): the listener is up; reads the revisions.
    void on_listening();
    void on_input();
    void take_notifications();
    // Sends one statement; false if the connection failed (it is then dropped).
    bool send(Query query, const char* sql);
    void finish_query(PgResult result);
    void start_read();
    void pump();
    // Drops the connection, answers an outstanding read with nullopt and schedules the next
    // attempt.
    void lose(const std::string& why);
    void watch(int events);
    void arm_timer(std::int64_t ms);

    EvLoop::Handle* loop_;
    Options options_;
    SourceSink& sink_;
    PgConnParams params_;
    PGconn* conn_ = nullptr;
    State state_ = State::waiting;
    Query in_flight_ = Query::none;
    bool read_wanted_ = false;
    std::uint64_t started_ = 0;  // reads started; the one in flight is number started_
    unsigned tries_ = 0;
    bool ever_connected_ = false;
    bool read_failing_ = false;
    bool first_read_ = false;  // the next successful read is the first on this connection
    ListenerStatus status_;
    std::mt19937 random_;
    ev_io io_{};
    ev_timer timer_{};
};

}  // namespace livesync::wsd
