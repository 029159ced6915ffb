#include "daemon.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "datagram_source.hpp"
#include "health.hpp"
#include "log.hpp"
#include "next_frame.hpp"

namespace livesync::wsd {
namespace {

constexpr int kSseRetryMs = 2000;
// How long a draining daemon waits for reconnect frames to flush before it exits anyway.
constexpr std::int64_t kDrainFlushMs = 2000;
// lws's buffer for a client frame's payload. The daemon reads none (clients have nothing to say;
// RecvTap checks their frames on the way in), so it is small.
constexpr std::size_t kRxBufferBytes = 256;
// How long a failed connection waits, after its close frame, for the client to hang up.
constexpr int kCloseLingerS = 2;
// lws 4.1 re-arms a per-connection "validity" timer (by default: ping after 300 s without
// traffic, hang up after 310 s) at every accept and every pong, and all timers live in one sorted
// linked list, so each re-arm walks every connection's timer. With 18,000 subscribers the pongs
// of one heartbeat kept the loop busy for seconds with no event going out. Our own heartbeat
// already drops stalled peers, so the lws timer is off: a zero hangup time disables it.
constexpr lws_retry_bo_t kNoValidityTimer{};

std::int64_t now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::optional<std::string> header(lws* wsi, lws_token_indexes token) {
    int len = lws_hdr_total_length(wsi, token);
    if (len <= 0) return std::nullopt;
    std::string value(static_cast<std::size_t>(len) + 1, '\0');
    if (lws_hdr_copy(wsi, value.data(), len + 1, token) < 0) return std::nullopt;
    value.resize(static_cast<std::size_t>(len));
    return value;
}

std::optional<std::string> custom_header(lws* wsi, const char* name) {
    int nlen = static_cast<int>(std::strlen(name));
    int len = lws_hdr_custom_length(wsi, name, nlen);
    if (len <= 0) return std::nullopt;
    std::string value(static_cast<std::size_t>(len) + 1, '\0');
    if (lws_hdr_custom_copy(wsi, value.data(), len + 1, name, nlen) < 0) return std::nullopt;
    value.resize(static_cast<std::size_t>(len));
    return value;
}

Daemon* daemon_of(lws* wsi) {
    return static_cast<Daemon*>(lws_context_user(lws_get_context(wsi)));
}

void remove_stale_socket(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
}

std::uint32_t now_second() {
    return static_cast<std::uint32_t>(now_ms() / 1000);
}

}  // namespace

Daemon::Daemon(const Config& config)
    : config_(config),
      coalescer_(config.coalesce_ms),
      // Without NOTIFY no read is ever explained by a signal: waiting for one would only delay.
      gate_(is_postgres_uri(config.database) && !config.notify ? 0 : config.safety_tick_ms),
      random_(std::random_device{}()),
      wave_timer_fd_(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)),
      wave_(SessionSlots::kSlots, wave_timer_fd_.get(),
            [this](std::size_t slot) { return write_slot(slot); }),
      tap_({static_cast<std::uint32_t>(config.client_frame_limit),
            static_cast<std::uint16_t>(config.client_frames_per_second)},
           now_second, &Daemon::on_frame_error, this) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigterm_fd_ = Fd(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!sigterm_fd_) throw std::system_error(errno, std::generic_category(), "signalfd");
    if (!wave_timer_fd_) throw std::system_error(errno, std::generic_category(), "timerfd_create");

    loop_ = EvLoop::epoll();
    if (!loop_) throw std::runtime_error("cannot create an epoll event loop (ev_loop_new)");
    std::string source_desc;
    if (is_postgres_uri(config_.database)) {
        start_from(PgSource::read_now(config_.database).value_or(Revisions{}));
        auto pg = std::make_unique<PgSource>(
            loop_.get(),
            PgSource::Options{config_.database, config_.notify, config_.listener_timeout_ms},
            static_cast<SourceSink&>(*this));
        listener_ = pg.get();
        source_ = std::move(pg);
        source_desc =
            std::string("listen=") + kSignalChannel + " notify=" + (config_.notify ? "on" : "off");
    } else {
        source_ = std::make_unique<DatagramSource>(
            loop_.get(), config_.signal_socket, config_.database, static_cast<SourceSink&>(*this));
        source_->read();  // answered at once, before there is a context: start_from()
        source_desc = "signal_socket=" + config_.signal_socket;
    }

    protocols_[0] = {
        "livesync", &Daemon::http_callback, sizeof(Session), kRxBufferBytes, 0, nullptr, 0};
    protocols_[1] = {"livesync-intake", &Daemon::intake_callback, 0, 0, 0, nullptr, 0};
    protocols_[2] = {nullptr, nullptr, 0, 0, 0, nullptr, 0};

    void* loops[] = {loop_.get()};

    lws_context_creation_info info;
    std::memset(&info, 0, sizeof info);
    // lws runs on our libev loop (lws's libwebsockets-evlib_ev plugin), not its poll() loop.
    info.options |= LWS_SERVER_OPTION_LIBEV;
    // RFC 6455: a text frame that is not UTF-8 fails the connection (1007) at once.
    info.options |= LWS_SERVER_OPTION_VALIDATE_UTF8;
    info.foreign_loops = loops;
    info.protocols = protocols_.data();
    info.user = this;
    info.gid = -1;
    info.uid = -1;
    info.timeout_secs = 10;
    info.retry_and_idle_policy = &kNoValidityTimer;
    // Header tables are only held while a request is parsed (upgrades and event streams detach
    // theirs), so a generous pool costs nothing at rest and avoids queueing connection storms.
    info.max_http_header_pool = 1024;
    info.max_http_header_data = 4096;
    std::string listen_desc;
    if (config_.wsd_port > 0) {
        info.port = config_.wsd_port;
        info.iface = "127.0.0.1";
        info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
        listen_desc = "127.0.0.1:" + std::to_string(config_.wsd_port);
    } else {
        info.port = 0;
        info.iface = config_.wsd_socket.c_str();
        info.options |= LWS_SERVER_OPTION_UNIX_SOCK;
        remove_stale_socket(config_.wsd_socket);
        listen_desc = "unix:" + config_.wsd_socket;
    }
    // The listening socket is created 0660: only nginx (same user or group) may connect.
    mode_t old_mask = ::umask(0117);
    context_ = LwsContext(lws_create_context(&info));
    ::umask(old_mask);
    if (!context_)
        throw std::runtime_error("cannot listen on " + listen_desc +
                                 " (lws_create_context; is lws's libev plugin, "
                                 "libwebsockets-evlib-ev, installed?)");

    lws_vhost* vhost = lws_get_vhost_by_name(context_.get(), "default");
    for (Fd* fd : {&sigterm_fd_, &wave_timer_fd_}) {
        lws_sock_file_fd_type desc;
        desc.filefd = fd->get();
        if (!lws_adopt_descriptor_vhost(vhost, LWS_ADOPT_RAW_FILE_DESC, desc, "livesync-intake",
                                        nullptr))
            throw std::runtime_error("cannot adopt intake descriptor into the event loop");
    }
    sigterm_raw_ = sigterm_fd_.release();
    wave_timer_raw_ = wave_timer_fd_.release();

    safety_timer_.owner = gate_timer_.owner = coalesce_timer_.owner = heartbeat_timer_.owner =
        drain_timer_.owner = this;
    schedule(safety_timer_, &Daemon::on_safety_tick, poll_interval_ms());
    schedule(heartbeat_timer_, &Daemon::on_heartbeat_tick, heartbeat_tick_ms());

    log_line(LogLevel::info, "listening",
             "listen=" + listen_desc + " " + source_desc + " database=" +
                 database_for_log(config_.database) + " rev=" + std::to_string(revs_.global));
}

Daemon::~Daemon() {
    // Connections close (and their callbacks run) before the state they use goes away.
    context_.reset();
    if (config_.wsd_port <= 0) remove_stale_socket(config_.wsd_socket);
}

int Daemon::run() {
    // lws arms its timer watcher only after an I/O callback: wake the loop once so the timers
    // scheduled in the constructor run even if no connection or datagram ever arrives.
    lws_cancel_service(context_.get());
    while (!stop_) ev_run(loop_.get(), EVRUN_ONCE);
    log_line(LogLevel::info, "stopped");
    return 0;
}

// --- lws callbacks ------------------------------------------------------------------------

int Daemon::http_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                          std::size_t len) {
    auto* s = static_cast<Session*>(user);
    switch (reason) {
        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
            return daemon_of(wsi)->on_confirm_upgrade(wsi);
        case LWS_CALLBACK_HTTP:
            return daemon_of(wsi)->on_http_request(wsi, s, static_cast<const char*>(in));
        case LWS_CALLBACK_ESTABLISHED:
            daemon_of(wsi)->on_established(wsi, s);
            return 0;
        case LWS_CALLBACK_RECEIVE:
            return 0;  // checked by tap_ on the way in, and otherwise ignored
        case LWS_CALLBACK_SERVER_WRITEABLE:
        case LWS_CALLBACK_HTTP_WRITEABLE:
            if (s && s->kind != SessionKind::none) return daemon_of(wsi)->on_writeable(wsi, s);
            break;
        case LWS_CALLBACK_CLOSED:
        case LWS_CALLBACK_CLOSED_HTTP:
            if (s) daemon_of(wsi)->on_closed(s);
            return 0;
        default:
            break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

int Daemon::intake_callback(lws* wsi, lws_callback_reasons reason, void*, void*, std::size_t) {
    switch (reason) {
        case LWS_CALLBACK_RAW_RX_FILE:
            daemon_of(wsi)->on_intake_readable(lws_get_socket_fd(wsi));
            return 0;
        case LWS_CALLBACK_RAW_CLOSE_FILE: {
            Daemon* d = daemon_of(wsi);
            if (!d->stop_) log_line(LogLevel::error, "intake descriptor closed unexpectedly");
            return 0;
        }
        default:
            return 0;
    }
}

int Daemon::on_confirm_upgrade(lws* wsi) {
    Upgrade request;
    auto upgrade = header(wsi, WSI_TOKEN_UPGRADE), version = header(wsi, WSI_TOKEN_VERSION),
         key = header(wsi, WSI_TOKEN_KEY), uri = header(wsi, WSI_TOKEN_GET_URI),
         origin = header(wsi, WSI_TOKEN_ORIGIN);
    request.upgrade = upgrade;
    request.version = version;
    request.key = key;
    request.uri = uri;
    request.origin = origin;
    auto refusal = admit_upgrade(
        request, {config_.origins, config_.allow_missing_origin_ws, draining_, at_capacity()});
    if (!refusal) return 0;
    return refuse(wsi, *refusal, "upgrade refused") < 0 ? -1 : 1;
}

int Daemon::refuse(lws* wsi, const Refuse& r, const char* what) {
    ++metrics_.refused(r.counted_as);
    if (r.log_reason) log_line(LogLevel::info, what, std::string("reason=") + r.log_reason);
    return respond(wsi, r.status, r.code, r.message);
}

int Daemon::on_http_request(lws* wsi, Session* s, const char* path) {
    bool get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
    std::string_view p = path ? path : "";
    if (p == "/metrics" || p == "/health" || p == "/events") {
        if (!get) {
            ++metrics_.refused(Refusal::method);
            return respond(wsi, 405, "method_not_allowed", "only GET is allowed here");
        }
    } else {
        ++metrics_.refused(Refusal::not_found);
        return respond(wsi, 404, "not_found", "no such endpoint");
    }
    if (p == "/metrics") {
        fill_listener_metrics();
        metrics_.fanout_waits = wave_.waits();
        metrics_.fanout_timeouts = wave_.timeouts();
        return respond_body(wsi, 200, "text/plain; version=0.0.4", render_prometheus(metrics_));
    }
    if (p == "/health") {
        fill_listener_metrics();
        HealthAnswer h =
            health_of(metrics_.listener, std::int64_t{config_.health_listener_down_s} * 1000);
        return respond_body(wsi, h.status, "application/json", h.body);
    }

    // /events
    auto origin = header(wsi, WSI_TOKEN_ORIGIN);
    auto fetch_site = custom_header(wsi, "sec-fetch-site:");
    if (auto refusal = admit_stream(
            origin, fetch_site,
            {config_.origins, config_.allow_missing_origin_ws, draining_, at_capacity()}))
        return refuse(wsi, *refusal, "event stream refused");
    std::uint8_t pending = kPendingHello;
    std::int64_t resume = kNoResume;
    if (auto last = custom_header(wsi, "last-event-id:")) {
        resume = parse_last_event_id(*last);
        if (resume != told().global) pending |= kPendingCatchUp;
    }

    unsigned char buf[LWS_PRE + 512];
    unsigned char* start = buf + LWS_PRE;
    unsigned char* q = start;
    unsigned char* end = buf + sizeof buf;
    if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "text/event-stream",
                                    LWS_ILLEGAL_HTTP_CONTENT_LEN, &q, end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                     reinterpret_cast<const unsigned char*>("no-store"), 8, &q,
                                     end) ||
        lws_add_http_header_by_name(wsi,
                                    reinterpret_cast<const unsigned char*>("x-accel-buffering:"),
                                    reinterpret_cast<const unsigned char*>("no"), 2, &q, end) ||
        lws_finalize_write_http_header(wsi, start, &q, end))
        return -1;
    // From here on the stream is immortal and its header table is released. (Not
    // lws_http_mark_sse: nginx speaks HTTP/1.1 to us, and in 4.1.6 that call logs an error for
    // a stream that is not an HTTP/2 substream.)
    lws_http_headers_detach(wsi);
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
    link(wsi, s, SessionKind::sse, pending, resume);
    return 0;
}

void Daemon::on_established(lws* wsi, Session* s) {
    link(wsi, s, SessionKind::ws, kPendingHello, kNoResume);
    tap_.watch(lws_get_socket_fd(wsi), s);
}

void Daemon::on_frame_error(void* daemon, Session* s, FrameError e) {
    Metrics& m = static_cast<Daemon*>(daemon)->metrics_;
    if (e == FrameError::too_large)
        ++m.refused(Refusal::frame_size);
    else if (e == FrameError::too_fast)
        ++m.refused(Refusal::frame_rate);
    else
        ++m.protocol_error(e);
    s->frame_error = e;
    lws_callback_on_writable(s->wsi);
}

void Daemon::on_closed(Session* s) {
    if (s->kind == SessionKind::none) return;
    if (s->kind == SessionKind::ws) tap_.forget(lws_get_socket_fd(s->wsi));
    --metrics_.open[static_cast<std::size_t>(s->kind == SessionKind::ws ? Transport::ws
                                                                        : Transport::sse)];
    slots_.remove(s);
    hello_hold_.forget(s);
    wave_.forget(lws_get_socket_fd(s->wsi));
    s->kind = SessionKind::none;
    if (draining_ && slots_.count() == 0) stop_ = true;
}

void Daemon::link(lws* wsi, Session* s, SessionKind kind, std::uint8_t pending,
                  std::int64_t resume) {
    s->wsi = wsi;
    s->kind = kind;
    s->pending = pending;
    s->mixed = 0;
    s->wrote = false;
    s->frame_error = FrameError::none;
    s->close_sent = false;
    s->resume_rev = resume;
    slots_.add(s);
    auto t = static_cast<std::size_t>(kind == SessionKind::ws ? Transport::ws : Transport::sse);
    ++metrics_.open[t];
    ++metrics_.accepted[t];
    // Another host may have told this tab of revisions this one has not read yet.
    if (source_->fresh_reads()) hello_hold_.hold(s, source_->read());
    lws_callback_on_writable(wsi);
}

void Daemon::release_hellos(bool all) {
    auto go = [this](Session* s) {
        // The catch-up rule of a resuming event stream, against what the hello will show.
        if (s->resume_rev != kNoResume) {
            if (s->resume_rev != told().global)
                s->pending |= kPendingCatchUp;
            else
                s->pending &= static_cast<std::uint8_t>(~kPendingCatchUp);
        }
        lws_callback_on_writable(s->wsi);
    };
    if (all)
        hello_hold_.release_all(go);
    else
        hello_hold_.release(go);
}

std::int64_t Daemon::heartbeat_tick_ms() const {
    return std::max<std::int64_t>(
        1, static_cast<std::int64_t>(config_.heartbeat_s) * 1000 / SessionSlots::kSlots);
}

bool Daemon::at_capacity() const {
    return slots_.count() >= static_cast<std::uint32_t>(config_.max_connections);
}

// --- writing ------------------------------------------------------------------------------

int Daemon::fail_connection(lws* wsi, Session* s) {
    if (s->close_sent) return 0;
    // RFC 6455 §7.1.7: fail the connection, with the close frame saying why. Then it lingers
    // until the client hangs up (or kCloseLingerS), its input read and dropped by the tap:
    // closed at once with input unread, the socket would send RST, and nginx, which passes a
    // large frame on in pieces, would then drop the connection before the close frame reached
    // the client.
    // lws 4.1.6 keeps its close opcode to itself, so the frame is made here and written raw
    // (a server's frame: FIN + close, unmasked, a payload of at most 125 bytes).
    std::array<unsigned char, LWS_PRE + 2 + 125> frame{};
    unsigned char* out = frame.data() + LWS_PRE;
    std::uint16_t code = close_code(s->frame_error);
    std::string_view why = frame_error_name(s->frame_error);
    std::size_t payload = 2 + std::min<std::size_t>(why.size(), 123);
    out[0] = 0x88;
    out[1] = static_cast<unsigned char>(payload);
    out[2] = static_cast<unsigned char>(code >> 8);
    out[3] = static_cast<unsigned char>(code & 0xff);
    std::memcpy(out + 4, why.data(), payload - 2);
    if (lws_write(wsi, out, 2 + payload, LWS_WRITE_RAW) < 0) return -1;
    s->close_sent = true;
    lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_ACK, kCloseLingerS);
    return 0;
}

int Daemon::on_writeable(lws* wsi, Session* s) {
    if (s->frame_error != FrameError::none) return fail_connection(wsi, s);
    if (HelloHold::held(s)) return 0;
    bool ws = s->kind == SessionKind::ws;
    Frame f = next_frame(s->pending, s->mixed, announced_);
    char json[kMaxFrameBytes];
    std::size_t n = 0;
    const char* event = "refresh";
    int retry = 0;
    switch (f.kind) {
        case Frame::Kind::none:
            return 0;
        case Frame::Kind::close:
            if (ws)
                lws_close_reason(wsi, LWS_CLOSE_STATUS_GOINGAWAY,
                                 reinterpret_cast<unsigned char*>(const_cast<char*>("restarting")),
                                 10);
            return -1;
        case Frame::Kind::reconnect: {
            int after = std::uniform_int_distribution<int>(0, config_.drain_ms)(random_);
            n = format_reconnect({json, sizeof json}, after);
            event = "reconnect";
            retry = std::max(after, 1);
            break;
        }
        case Frame::Kind::hello:
            n = format_hello({json, sizeof json}, told(),
                             static_cast<std::int64_t>(config_.heartbeat_s) * 1000);
            event = "hello";
            retry = kSseRetryMs;
            break;
        case Frame::Kind::refresh:
            n = format_refresh({json, sizeof json}, f.entity, f.rev, f.origin);
            break;
        case Frame::Kind::beat:
            n = format_beat({json, sizeof json}, told());
            event = "beat";
            break;
    }

    unsigned char* start = frame_ + LWS_PRE;
    std::size_t len = n;
    if (ws)
        std::memcpy(start, json, n);
    else
        len = format_sse_event({reinterpret_cast<char*>(start), kMaxFrameBytes + 64}, event, f.rev,
                               {json, n}, retry);
    lws_write_protocol mode = ws ? LWS_WRITE_TEXT : LWS_WRITE_HTTP;
    if (lws_write(wsi, start, len, mode) < static_cast<int>(len)) {
        ++metrics_.dropped(Drop::write_failed);
        return -1;
    }
    ++metrics_.frames_out[static_cast<std::size_t>(ws ? Transport::ws : Transport::sse)];
    s->wrote = true;
    if (s->pending) lws_callback_on_writable(wsi);
    return 0;
}

void Daemon::send_now(Session* s) {
    // A failing connection's close frame goes out from WRITEABLE (a close from here would skip
    // it), as do frames behind unsent bytes.
    if (s->frame_error != FrameError::none || lws_partial_buffered(s->wsi)) {
        lws_callback_on_writable(s->wsi);
        return;
    }
    if (on_writeable(s->wsi, s) < 0)
        lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

int Daemon::respond(lws* wsi, unsigned status, const char* code, const char* message) {
    char body[256];
    int body_len = std::snprintf(
        body, sizeof body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\",\"details\":null}}\n",
        code, message);
    unsigned char buf[LWS_PRE + 1024];
    unsigned char* start = buf + LWS_PRE;
    unsigned char* q = start;
    unsigned char* end = buf + sizeof buf - static_cast<std::size_t>(body_len) - 1;
    std::string length = std::to_string(body_len);
    auto add = [&](lws_token_indexes t, const char* v) {
        return lws_add_http_header_by_token(wsi, t, reinterpret_cast<const unsigned char*>(v),
                                            static_cast<int>(std::strlen(v)), &q, end);
    };
    if (lws_add_http_header_status(wsi, status, &q, end) ||
        add(WSI_TOKEN_HTTP_CONTENT_TYPE, "application/json") ||
        add(WSI_TOKEN_HTTP_CONTENT_LENGTH, length.c_str()) ||
        add(WSI_TOKEN_HTTP_CACHE_CONTROL, "no-store") ||
        (status == 405 && add(WSI_TOKEN_HTTP_ALLOW, "GET")) ||
        (status == 503 && add(WSI_TOKEN_HTTP_RETRY_AFTER, "2")) ||
        (status == 426 && add(WSI_TOKEN_VERSION, "13")) || lws_finalize_http_header(wsi, &q, end))
        return -1;
    std::memcpy(q, body, static_cast<std::size_t>(body_len));
    q += body_len;
    int n = static_cast<int>(q - start);
    if (lws_write(wsi, start, static_cast<std::size_t>(n), LWS_WRITE_HTTP_HEADERS) != n) return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

int Daemon::respond_body(lws* wsi, unsigned status, const char* type, const std::string& body) {
    std::vector<unsigned char> buf(LWS_PRE + 512 + body.size());
    unsigned char* start = buf.data() + LWS_PRE;
    unsigned char* q = start;
    unsigned char* end = buf.data() + buf.size();
    std::string length = std::to_string(body.size());
    auto add = [&](lws_token_indexes t, const char* v) {
        return lws_add_http_header_by_token(wsi, t, reinterpret_cast<const unsigned char*>(v),
                                            static_cast<int>(std::strlen(v)), &q, end);
    };
    if (lws_add_http_header_status(wsi, status, &q, end) ||
        add(WSI_TOKEN_HTTP_CONTENT_TYPE, type) ||
        add(WSI_TOKEN_HTTP_CONTENT_LENGTH, length.c_str()) ||
        add(WSI_TOKEN_HTTP_CACHE_CONTROL, "no-store") || lws_finalize_http_header(wsi, &q, end))
        return -1;
    std::memcpy(q, body.data(), body.size());
    q += body.size();
    int n = static_cast<int>(q - start);
    if (lws_write(wsi, start, static_cast<std::size_t>(n), LWS_WRITE_HTTP_HEADERS) != n) return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

// --- intake, coalescing, announcing -------------------------------------------------------

void Daemon::on_intake_readable(int fd) {
    if (fd == wave_timer_raw_) {
        wave_.on_timer();
        return;
    }
    if (fd == sigterm_raw_) {
        signalfd_siginfo info{};
        while (::read(fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
            if (draining_) {
                log_line(LogLevel::warn, "second stop signal: exiting now");
                stop_ = true;
                return;
            }
            log_line(LogLevel::info, "stop signal: draining",
                     "signal=" + std::to_string(info.ssi_signo) +
                         " connections=" + std::to_string(slots_.count()));
            begin_drain();
        }
        return;
    }
}

void Daemon::start_from(const Revisions& revisions) {
    revs_ = last_read_ = metrics_.revisions = revisions;
    std::vector<Change> start;
    for (Entity e : kTableEntities) start.push_back({e, revs_.of(e), {}});
    announced_.record(start);
}

void Daemon::on_signal(const ChangeSignal& signal) {
    ledger_.record(signal);
    ++metrics_.signals_in;
}

void Daemon::on_malformed_signals(std::uint64_t count) {
    metrics_.signals_malformed += count;
}

void Daemon::on_revisions(std::uint64_t seq, std::optional<Revisions> r, bool reconnected) {
    if (!context_) {  // the start-up read
        start_from(r.value_or(Revisions{}));
        return;
    }
    ++metrics_.revision_reads;
    if (!r) {
        ++metrics_.revision_read_failures;
        release_hellos(true);
        return;
    }
    last_read_ = *r;
    std::int64_t now = now_ms();
    // The signals of what a new connection's first read shows were sent before it listened.
    bool explained = reconnected || ledger_.covers(revs_, *r);
    switch (gate_.on_read(*r != revs_, explained, now)) {
        case AttributionGate::Verdict::unchanged:
            hello_hold_.on_read_announced(seq, coalescer_.holding());
            release_hellos(false);
            return;
        case AttributionGate::Verdict::wait:
            // Each signal re-reads; this timer announces the read if they never come.
            schedule(gate_timer_, &Daemon::on_gate_deadline,
                     std::max<std::int64_t>(0, *gate_.deadline() - now));
            return;
        case AttributionGate::Verdict::announce:
            break;
    }
    std::vector<Change> changes = ledger_.diff(revs_, *r);
    revs_ = *r;
    metrics_.revisions = revs_;
    announce(coalescer_.on_changes(changes, now));
    metrics_.coalesced = coalescer_.coalesced();
    arm_coalesce_timer();
    hello_hold_.on_read_announced(seq, coalescer_.holding());
    release_hellos(false);
}

void Daemon::fill_listener_metrics() {
    metrics_.revision_gap = last_read_.global - told().global;
    if (!listener_) return;
    const ListenerStatus& st = listener_->status();
    std::int64_t now = PgSource::now_ms();
    auto age = [now](std::int64_t t) { return t < 0 ? -1 : now - t; };
    metrics_.listener = ListenerMetrics{st.up, st.reconnects, st.up ? 0 : now - st.down_since_ms,
                                        age(st.last_notification_ms), age(st.last_read_ms)};
}

std::int64_t Daemon::poll_interval_ms() const {
    return listener_ && !config_.notify ? config_.poll_ms : config_.safety_tick_ms;
}

void Daemon::announce(const std::vector<Change>& changes) {
    if (changes.empty()) return;
    Announcements::Update update = announced_.record(changes);
    for (const Change& c : changes)
        ++metrics_.events[static_cast<std::size_t>(entity_index(c.entity))];
    if (draining_) return;
    slots_.for_each([update](Session* s) { update.add_to(s->pending, s->mixed); });
    wave_.start();
}

int Daemon::write_slot(std::size_t slot) {
    int last = -1;
    slots_.for_each_in(slot, [this, &last](Session* s) {
        if (!(s->pending & (kPendingEntities | kPendingCatchUp))) return;
        send_now(s);
        last = lws_get_socket_fd(s->wsi);
    });
    return last;
}

void Daemon::arm_coalesce_timer() {
    if (auto deadline = coalescer_.next_deadline())
        schedule(coalesce_timer_, &Daemon::on_coalesce_timer,
                 std::max<std::int64_t>(0, *deadline - now_ms()));
}

void Daemon::schedule(Timer& t, void (*cb)(lws_sorted_usec_list_t*), std::int64_t delay_ms) {
    lws_sul_schedule(context_.get(), 0, &t.sul, cb, delay_ms * LWS_US_PER_MS);
}

void Daemon::on_coalesce_timer(lws_sorted_usec_list_t* sul) {
    Daemon* d = reinterpret_cast<Timer*>(sul)->owner;
    std::vector<Change> due = d->coalescer_.on_timer(now_ms());
    d->announce(due);
    d->arm_coalesce_timer();
    std::uint8_t bits = 0;
    for (const Change& c : due) bits |= static_cast<std::uint8_t>(1u << entity_index(c.entity));
    d->hello_hold_.on_trailing(bits);
    d->release_hellos(false);
}

void Daemon::on_safety_tick(lws_sorted_usec_list_t* sul) {
    Daemon* d = reinterpret_cast<Timer*>(sul)->owner;
    d->source_->read();
    d->schedule(d->safety_timer_, &Daemon::on_safety_tick, d->poll_interval_ms());
}

void Daemon::on_gate_deadline(lws_sorted_usec_list_t* sul) {
    reinterpret_cast<Timer*>(sul)->owner->source_->read();
}

void Daemon::on_heartbeat_tick(lws_sorted_usec_list_t* sul) {
    Daemon* d = reinterpret_cast<Timer*>(sul)->owner;
    // One slot of the subscribers per tick (session_slots.hpp). A subscriber whose previous beat
    // is still unsent and that has not accepted a single frame for a whole period has a stuck
    // socket, so it is dropped rather than waited for. (A beat waits behind refreshes, so one
    // still due while frames go out only means the connection is busy with events.)
    d->slots_.for_each_due([d](Session* s) {
        if ((s->pending & kPendingHeartbeat) && !s->wrote) {
            ++d->metrics_.dropped(Drop::stalled);
            lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
            return;
        }
        s->wrote = false;
        s->pending |= kPendingHeartbeat;
        lws_callback_on_writable(s->wsi);
    });
    d->schedule(d->heartbeat_timer_, &Daemon::on_heartbeat_tick, d->heartbeat_tick_ms());
}

void Daemon::begin_drain() {
    draining_ = true;
    release_hellos(true);  // the reconnect replaces the hello
    metrics_.draining = true;
    if (slots_.count() == 0) {
        stop_ = true;
        return;
    }
    slots_.for_each([](Session* s) {
        s->pending = kPendingReconnect;
        s->mixed = 0;
        lws_callback_on_writable(s->wsi);
    });
    schedule(drain_timer_, &Daemon::on_drain_deadline, kDrainFlushMs);
}

void Daemon::on_drain_deadline(lws_sorted_usec_list_t* sul) {
    Daemon* d = reinterpret_cast<Timer*>(sul)->owner;
    log_line(LogLevel::warn, "drain deadline reached",
             "connections=" + std::to_string(d->slots_.count()));
    d->stop_ = true;
}

}  // namespace livesync::wsd
