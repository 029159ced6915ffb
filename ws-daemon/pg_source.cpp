#include "pg_source.hpp"

#include <chrono>
#include <utility>

#include "backoff.hpp"
#include "log.hpp"

namespace livesync::wsd {
namespace {

constexpr const char* kApplication = "livesync-wsd";
constexpr const char* kReadSql = "SELECT name, rev FROM revisions";

std::string listen_sql() {
    return std::string("LISTEN ") + kSignalChannel;
}

void log_notice(void*, const char* message) {
    log_line(LogLevel::info, "postgresql notice", "message=\"" + one_line(message) + "\"");
}

}  // namespace

std::int64_t PgSource::now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

PgSource::PgSource(EvLoop::Handle* loop, Options options, SourceSink& sink)
    : loop_(loop),
      options_(std::move(options)),
      sink_(sink),
      params_(options_.uri, kApplication),
      random_(std::random_device{}()) {
    ev_init(&io_, &PgSource::on_io);
    io_.data = this;
    ev_init(&timer_, &PgSource::on_timer);
    timer_.data = this;
    status_.down_since_ms = now_ms();
    connect();
}

PgSource::~PgSource() {
    ev_io_stop(loop_, &io_);
    ev_timer_stop(loop_, &timer_);
    PQfinish(conn_);
}

std::uint64_t PgSource::read() {
    if (state_ == State::open && in_flight_ == Query::none && status_.up) {
        start_read();
        return started_;
    }
    // Whatever is in flight started before this ask: the next read answers it.
    read_wanted_ = true;
    return started_ + 1;
}

std::optional<Revisions> PgSource::read_now(const std::string& uri) {
    try {
        PgConn conn(uri, kApplication);
        return revisions_of(conn.exec(kReadSql));
    } catch (const std::runtime_error& e) {  // PgError, or a value that is not an integer
        log_line(LogLevel::warn, "revisions not readable at start-up; the listener retries",
                 "error=\"" + std::string(e.what()) + "\"");
        return std::nullopt;
    }
}

// --- connecting ---------------------------------------------------------------------------

void PgSource::connect() {
    state_ = State::connecting;
    conn_ = PQconnectStartParams(params_.keywords(), params_.values(), 1);
    if (!conn_ || PQstatus(conn_) == CONNECTION_BAD) {
        lose(conn_ ? one_line(PQerrorMessage(conn_)) : "out of memory");
        return;
    }
    arm_timer(options_.timeout_ms);
    // libpq: after PQconnectStart, act as if PQconnectPoll had answered PGRES_POLLING_WRITING.
    watch(EV_WRITE);
}

void PgSource::poll_connect() {
    switch (PQconnectPoll(conn_)) {
        case PGRES_POLLING_READING:
            watch(EV_READ);
            return;
        case PGRES_POLLING_WRITING:
            watch(EV_WRITE);
            return;
        case PGRES_POLLING_OK:
            on_connected();
            return;
        default:
            lose(one_line(PQerrorMessage(conn_)));
            return;
    }
}

void PgSource::on_connected() {
    state_ = State::open;
    ev_timer_stop(loop_, &timer_);
    if (PQsetnonblocking(conn_, 1) != 0) {
        lose("PQsetnonblocking: " + one_line(PQerrorMessage(conn_)));
        return;
    }
    PQsetNoticeProcessor(conn_, &log_notice, nullptr);
    if (ever_connected_) ++status_.reconnects;
    ever_connected_ = true;
    watch(EV_READ);
    if (options_.notify)
        send(Query::listen, listen_sql().c_str());
    else
        on_listening();
}

void PgSource::on_listening() {
    status_.up = true;
    first_read_ = true;
    tries_ = 0;
    log_line(LogLevel::info, "postgresql listener up",
             std::string("notify=") + (options_.notify ? "on" : "off"));
    start_read();
}

// --- statements ---------------------------------------------------------------------------

bool PgSource::send(Query query, const char* sql) {
    if (!PQsendQuery(conn_, sql)) {
        lose(one_line(PQerrorMessage(conn_)));
        return false;
    }
    in_flight_ = query;
    arm_timer(options_.timeout_ms);
    int flushed = PQflush(conn_);
    if (flushed < 0) {
        lose(one_line(PQerrorMessage(conn_)));
        return false;
    }
    watch(flushed == 1 ? EV_READ | EV_WRITE : EV_READ);
    return true;
}

void PgSource::start_read() {
    read_wanted_ = false;
    ++started_;
    send(Query::read, kReadSql);
}

void PgSource::on_input() {
    if (!PQconsumeInput(conn_)) {
        lose(one_line(PQerrorMessage(conn_)));
        return;
    }
    take_notifications();
    if (in_flight_ == Query::none) {
        // Nothing asked, yet something came: a notice, or the server's goodbye (57P01) just
        // before it closes the connection, which the next read then reports.
        if (PQstatus(conn_) == CONNECTION_BAD) lose(one_line(PQerrorMessage(conn_)));
        return;
    }
    PgResult result;
    while (!PQisBusy(conn_)) {
        PGresult* r = PQgetResult(conn_);
        if (!r) {
            take_notifications();
            finish_query(std::move(result));
            return;
        }
        // A simple query of one statement has one result; keep the last (an error wins).
        result = PgResult(r);
    }
}

void PgSource::take_notifications() {
    std::uint64_t malformed = 0;
    bool any = false;
    while (PGnotify* n = PQnotifies(conn_)) {
        if (auto signal = decode_signal(n->extra ? n->extra : ""))
            sink_.on_signal(*signal);
        else
            ++malformed;
        any = true;
        PQfreemem(n);
    }
    if (malformed) sink_.on_malformed_signals(malformed);
    if (any) {
        status_.last_notification_ms = now_ms();
        read_wanted_ = true;
    }
}

void PgSource::finish_query(PgResult result) {
    Query done = std::exchange(in_flight_, Query::none);
    ev_timer_stop(loop_, &timer_);
    ExecStatusType st = result.get() ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (PQstatus(conn_) == CONNECTION_BAD) {
        if (done == Query::read) read_wanted_ = true;  // answered (nullopt) by lose()
        lose(one_line(PQerrorMessage(conn_)));
        return;
    }
    std::string error = result.get() ? one_line(PQresultErrorMessage(result.get())) : "no result";
    if (done == Query::listen) {
        if (st != PGRES_COMMAND_OK)
            lose(listen_sql() + ": " + error);
        else
            on_listening();
        return;
    }
    // A read.
    if (st != PGRES_TUPLES_OK) {
        // E.g. 42P01 until the pool has created the table: the connection itself is fine.
        if (!read_failing_)
            log_line(LogLevel::warn, "revision read from PostgreSQL failed; retrying on the poll",
                     "error=\"" + error + "\"");
        read_failing_ = true;
        sink_.on_revisions(started_, std::nullopt, false);
    } else {
        Revisions revs;
        bool ok = true;
        try {
            revs = revisions_of(result);
        } catch (const std::runtime_error&) {
            ok = false;
        }
        if (read_failing_ && ok) log_line(LogLevel::info, "revision table readable");
        read_failing_ = !ok;
        status_.last_read_ms = now_ms();
        sink_.on_revisions(started_, ok ? std::optional<Revisions>(revs) : std::nullopt,
                           ok && std::exchange(first_read_, false));
    }
    pump();
}

void PgSource::pump() {
    if (state_ == State::open && in_flight_ == Query::none && read_wanted_ && status_.up)
        start_read();
}

// --- failure ------------------------------------------------------------------------------

void PgSource::lose(const std::string& why) {
    bool outstanding = in_flight_ == Query::read || read_wanted_;
    std::uint64_t seq = in_flight_ == Query::read ? started_ : started_ + 1;
    ev_io_stop(loop_, &io_);
    ev_timer_stop(loop_, &timer_);
    PQfinish(conn_);
    conn_ = nullptr;
    in_flight_ = Query::none;
    state_ = State::waiting;
    if (status_.up) status_.down_since_ms = now_ms();
    bool was_up = std::exchange(status_.up, false);
    std::int64_t delay =
        reconnect_delay_ms(tries_++, std::uniform_real_distribution<double>(0, 1)(random_));
    if (was_up || tries_ == 1)
        log_line(LogLevel::warn, "postgresql listener down; reconnecting",
                 "error=\"" + why + "\" retry_ms=" + std::to_string(delay));
    // The next connect reads anyway; a read asked for meanwhile is answered by that one.
    read_wanted_ = false;
    if (outstanding) sink_.on_revisions(seq, std::nullopt, false);
    arm_timer(delay);
}

// --- libev --------------------------------------------------------------------------------

void PgSource::watch(int events) {
    int fd = PQsocket(conn_);
    if (ev_is_active(&io_) && io_.fd == fd && (io_.events & (EV_READ | EV_WRITE)) == events) return;
    ev_io_stop(loop_, &io_);
    ev_io_set(&io_, fd, events);
    ev_io_start(loop_, &io_);
}

void PgSource::arm_timer(std::int64_t ms) {
    ev_timer_stop(loop_, &timer_);
    ev_timer_set(&timer_, static_cast<double>(ms) / 1000.0, 0.0);
    ev_timer_start(loop_, &timer_);
}

void PgSource::on_io(EvLoop::Handle*, ev_io* watcher, int events) {
    auto* self = static_cast<PgSource*>(watcher->data);
    if (self->state_ == State::connecting) {
        self->poll_connect();
        return;
    }
    if (self->state_ != State::open) return;
    if (events & EV_WRITE) {
        int flushed = PQflush(self->conn_);
        if (flushed < 0) {
            self->lose(one_line(PQerrorMessage(self->conn_)));
            return;
        }
        if (flushed == 0) self->watch(EV_READ);
    }
    if (events & EV_READ) self->on_input();
    if (self->state_ == State::open) self->pump();
}

void PgSource::on_timer(EvLoop::Handle*, ev_timer* watcher, int) {
    auto* self = static_cast<PgSource*>(watcher->data);
    if (self->state_ == State::waiting) {
        self->connect();
        return;
    }
    self->lose("no answer within " + std::to_string(self->options_.timeout_ms) + " ms");
}

}  // namespace livesync::wsd
