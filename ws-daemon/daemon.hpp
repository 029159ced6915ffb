// The live-event daemon: one libwebsockets context on one thread, serving
//   /ws      WebSocket subscribers        /events  Server-Sent Events subscribers
//   /metrics Prometheus counters (local-only: nginx proxies just /ws and /events)
// and, on the same event loop, its signal source (the datagram socket, or the PostgreSQL
// listener: signal_source.hpp), a signalfd for SIGTERM/SIGINT and the fan-out wave's timerfd.
// Data flows one way: signal → source (revision read) → intake (gate, diff) → coalescer →
// announce (set pending bits) → a fan-out wave writing the frames slot by slot, at nginx's pace
// (fanout_wave.hpp) → WRITEABLE callbacks where lws still held bytes. The rules are pure units:
// who is admitted (admission.hpp), which frame goes next (next_frame.hpp), when a hello may go
// (hello_hold.hpp), which client frames are refused (frame_guard.hpp, fed by recv_tap.hpp before
// lws parses them); this file is the lws glue around them.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "admission.hpp"
#include "announcements.hpp"
#include "attribution_gate.hpp"
#include "coalescer.hpp"
#include "config.hpp"
#include "ev_loop.hpp"
#include "fanout_wave.hpp"
#include "fd.hpp"
#include "hello_hold.hpp"
#include "intake.hpp"
#include "lws_context.hpp"
#include "messages.hpp"
#include "metrics.hpp"
#include "origin_policy.hpp"
#include "pg_source.hpp"
#include "recv_tap.hpp"
#include "session.hpp"
#include "session_slots.hpp"
#include "signal_source.hpp"

namespace livesync::wsd {

class Daemon final : private SourceSink {
  public:
    // Binds the signal socket (or, when `database` is a PostgreSQL URI, starts the listener),
    // opens the listening socket (wsd_socket, or 127.0.0.1:wsd_port) and reads the revisions
    // once. Throws std::runtime_error / std::system_error / PgError naming what failed.
    // SIGTERM and SIGINT must already be blocked in the calling thread (see main.cpp).
    explicit Daemon(const Config& config);
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;
    ~Daemon();

    // Serves until a graceful drain finishes (first SIGTERM/SIGINT) or a second signal arrives.
    // Returns the process exit code.
    int run();

  private:
    struct Timer {
        lws_sorted_usec_list_t sul;  // first member: the sul callback casts back to Timer
        Daemon* owner;
    };

    static int http_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                             std::size_t len);
    static int intake_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                               std::size_t len);

    // lws event handlers (return what the lws callback returns).
    int on_confirm_upgrade(lws* wsi);
    int on_http_request(lws* wsi, Session* s, const char* path);
    void on_established(lws* wsi, Session* s);
    // RecvTap::OnError: counts the error and has the connection closed when next writeable.
    static void on_frame_error(void* daemon, Session* s, FrameError e);
    // Sends the close frame of a connection whose client broke a rule (frame_error).
    int fail_connection(lws* wsi, Session* s);
    int on_writeable(lws* wsi, Session* s);
    void on_closed(Session* s);
    void on_intake_readable(int fd);

    // SourceSink: signals are recorded in ledger_; a read is announced unless gate_ holds it.
    void on_signal(const ChangeSignal& signal) override;
    void on_malformed_signals(std::uint64_t count) override;
    void on_revisions(std::uint64_t seq, std::optional<Revisions> revisions,
                      bool reconnected) override;
    // What is in the table at start-up counts as announced: every hello shows it.
    void start_from(const Revisions& revisions);
    // Intake → coalescer → announce.
    void announce(const std::vector<Change>& changes);
    // Lets the hellos go whose reads are announced in full (all of them if `all`).
    void release_hellos(bool all);
    // The safety poll: every safety_tick_ms, or poll_ms when PostgreSQL runs without NOTIFY.
    std::int64_t poll_interval_ms() const;
    void arm_coalesce_timer();

    // Timers.
    void schedule(Timer& t, void (*cb)(lws_sorted_usec_list_t*), std::int64_t delay_ms);
    static void on_coalesce_timer(lws_sorted_usec_list_t* sul);
    static void on_safety_tick(lws_sorted_usec_list_t* sul);
    static void on_gate_deadline(lws_sorted_usec_list_t* sul);
    static void on_heartbeat_tick(lws_sorted_usec_list_t* sul);
    static void on_drain_deadline(lws_sorted_usec_list_t* sul);

    void begin_drain();
    void link(lws* wsi, Session* s, SessionKind kind, std::uint8_t pending, std::int64_t resume);
    bool at_capacity() const;
    // A refusal from admission.hpp, answered and counted.
    int refuse(lws* wsi, const Refuse& r, const char* what);
    // The revisions subscribers have been told (announced_, so nothing coalescing or gate_ still
    // holds back), as `hello`, `beat` and SSE ids carry them.
    Revisions told() const { return announced_.told(); }
    void fill_listener_metrics();
    // heartbeat_s cut into SessionSlots::kSlots ticks.
    std::int64_t heartbeat_tick_ms() const;
    int respond(lws* wsi, unsigned status, const char* code, const char* message);
    // A whole response with `body` (/metrics, /health); -1 if it could not be written.
    int respond_body(lws* wsi, unsigned status, const char* type, const std::string& body);
    // Writes the next frame due on `s` at once, as its WRITEABLE callback would (which it then
    // requests if more is due). A fan-out thus costs one send() per subscriber instead of a
    // POLLOUT round trip (two epoll_ctl() calls and an event each). Only while lws holds no
    // unsent bytes for the connection: otherwise the frame would be queued behind them, and a
    // subscriber that stops reading would be buffered without bound; it waits for WRITEABLE.
    // A failed write drops the connection (asynchronously: the caller may be iterating).
    void send_now(Session* s);
    // The fan-out wave's writer: send_now() for every session of `slot` with an event due.
    // Returns the descriptor of the last one, or -1.
    int write_slot(std::size_t slot);

    Config config_;
    SignalLedger ledger_;
    Coalescer coalescer_;
    Metrics metrics_;
    Revisions revs_;       // as last announced by gate_; told() is what subscribers know of it
    Revisions last_read_;  // as last read (the database, as far as this daemon knows)
    AttributionGate gate_;
    Announcements announced_;
    SessionSlots slots_;  // every linked session
    HelloHold hello_hold_;
    std::mt19937 random_;
    bool draining_ = false;
    bool stop_ = false;
    Fd sigterm_fd_;     // signalfd for SIGTERM/SIGINT, until adopted by lws
    Fd wave_timer_fd_;  // the wave's timerfd, until adopted by lws
    int sigterm_raw_ = -1;
    int wave_timer_raw_ = -1;
    FanoutWave wave_;
    RecvTap tap_;  // every established WebSocket connection's input, checked before lws reads it
    Timer coalesce_timer_{};
    Timer safety_timer_{};
    Timer gate_timer_{};
    Timer heartbeat_timer_{};
    Timer drain_timer_{};
    std::array<lws_protocols, 3> protocols_{};
    alignas(16) unsigned char frame_[LWS_PRE + kMaxFrameBytes + 64];
    EvLoop loop_;                           // runs context_, so it is destroyed after it
    std::unique_ptr<SignalSource> source_;  // on loop_
    PgSource* listener_ = nullptr;          // source_, in PostgreSQL mode
    // Last member: destroyed first, so lws's CLOSED callbacks still see the state above.
    LwsContext context_;
};

}  // namespace livesync::wsd
