#include "subscriber.hpp"

#include <sys/epoll.h>

#include <stdexcept>

#include "clock.hpp"
#include "http_head.hpp"

namespace livesync::subgen {
namespace {

// Heads from nginx are a few hundred bytes; more means something else is answering.
constexpr std::size_t kMaxHead = 16 * 1024;
// One shared read buffer: there is one thread, and each read is consumed before the next.
char g_read_buf[16 * 1024];

}  // namespace

Subscriber::Subscriber(const Target& target, double deadline_ms, std::string client_id)
    : target_(target), deadline_ms_(deadline_ms) {
    if (target.fetch != FetchMode::none)
        fetcher_ = std::make_unique<Fetcher>(target, std::move(client_id));
}

std::uint32_t Subscriber::interest() const {
    return EPOLLIN | (conn_.wants_write() ? EPOLLOUT : 0u);
}

bool Subscriber::fail(std::string why) {
    error_ = std::move(why);
    return false;
}

bool Subscriber::on_event(SSL_CTX* ctx, Arrivals& arrivals, FetchStats& stats) {
    if (!conn_.established()) {
        if (auto err = conn_.advance(ctx)) return fail(*err);
        if (!conn_.established()) return true;
    }
    if (!requested_) {
        requested_ = true;
        std::string req = target_.transport == Transport::ws
                              ? ws_request(target_.port, target_.origin)
                              : sse_request(target_.port);
        if (auto err = conn_.send(req)) return fail(*err);
    } else if (auto err = conn_.flush()) {
        return fail(*err);
    }
    for (;;) {
        long n = conn_.read_some(g_read_buf, sizeof g_read_buf);
        // The arrival stamp, before any parsing, so it measures delivery and not this process.
        double t_ms = now_ms();
        if (n == 0) return true;
        if (n < 0) return fail(conn_.error().empty() ? "closed" : conn_.error());
        try {
            if (!consume(std::string_view(g_read_buf, static_cast<std::size_t>(n)), t_ms, arrivals))
                return false;
        } catch (const std::length_error& e) {
            return fail(e.what());
        }
        if (fetcher_ && ready_ && !load_started_) {
            load_started_ = true;
            if (!keep_after_fetch(fetcher_->load(), stats)) return false;
        }
        if (fetcher_ && refresh_due_ && load_started_) {
            refresh_due_ = false;
            if (!keep_after_fetch(fetcher_->on_refresh(), stats)) return false;
        }
        // epoll is level-triggered, so whatever the socket still holds is reported again; only
        // bytes inside OpenSSL need another read now. That saves a read(2) returning EAGAIN per
        // message, the bulk of an idle subscriber's cost.
        if (!conn_.has_pending()) return true;
    }
}

bool Subscriber::consume(std::string_view bytes, double t_ms, Arrivals& arrivals) {
    if (!headed_) {
        head_.append(bytes);
        auto head = parse_head(head_);
        if (!head) return head_.size() <= kMaxHead || fail("response head too long");
        std::string_view expected =
            target_.transport == Transport::ws ? "HTTP/1.1 101" : "HTTP/1.1 200";
        if (!head->status_line.starts_with(expected)) return fail(head->status_line);
        headed_ = true;
        bytes = std::string_view(head_).substr(head->length);
        if (target_.transport == Transport::sse) {
            sse_.emplace(head->chunked);
            ready_ = true;
        } else if (target_.ready_on == ReadyOn::upgrade) {
            ready_ = true;
        }
        std::string rest(bytes);
        std::string().swap(head_);
        return rest.empty() || consume(rest, t_ms, arrivals);
    }
    if (target_.transport == Transport::ws) {
        ws_.feed(bytes);
        return consume_ws(t_ms, arrivals);
    }
    sse_->feed(bytes);
    return consume_sse(t_ms, arrivals);
}

bool Subscriber::consume_ws(double t_ms, Arrivals& arrivals) {
    while (auto frame = ws_.next()) {
        switch (frame->opcode) {
            case kWsText:
                on_message(arrivals.on_message(frame->payload, t_ms));
                break;
            case kWsPing:
                if (auto err = conn_.send(client_frame(kWsPong, frame->payload))) return fail(*err);
                break;
            case kWsClose:
                // The daemon's reconnect or shutdown: echo the close as a browser would.
                conn_.send(client_frame(kWsClose, frame->payload.substr(0, 2)));
                return fail("closed by server");
            default:
                break;
        }
    }
    return true;
}

bool Subscriber::consume_sse(double t_ms, Arrivals& arrivals) {
    std::string data;
    while (sse_->next(data)) on_message(arrivals.on_message(data, t_ms));
    if (sse_->ended()) return fail("closed by server");
    return true;
}

void Subscriber::on_message(MessageType type) {
    if (type == MessageType::hello) ready_ = true;
    // Every refresh, whatever its entity: the bench changes only projects.
    if (type == MessageType::refresh) refresh_due_ = true;
}

bool Subscriber::on_fetch_event(SSL_CTX* ctx, FetchStats& stats) {
    return keep_after_fetch(fetcher_->on_event(ctx, stats), stats);
}

bool Subscriber::keep_after_fetch(std::optional<std::string> err, FetchStats& stats) {
    if (!err) return true;
    if (!fetcher_->loaded()) return fail("fetch: " + *err);
    ++stats.errors[*err];
    return true;
}

void Subscriber::say_goodbye() {
    if (ready_ && target_.transport == Transport::ws)
        conn_.send(client_frame(kWsClose, std::string_view("\x03\xe8", 2)));
}

}  // namespace livesync::subgen
