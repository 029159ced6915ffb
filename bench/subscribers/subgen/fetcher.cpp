#include "fetcher.hpp"

#include <sys/epoll.h>

#include <exception>

#include "clock.hpp"
#include "subscriber.hpp"

namespace livesync::subgen {
namespace {

// One read buffer for every fetcher: there is one thread, and each read is consumed at once. A
// whole list is megabytes, so reads are larger than a subscriber's.
char g_read_buf[64 * 1024];

}  // namespace

std::uint32_t Fetcher::interest() const {
    return EPOLLIN | (conn_ && conn_->wants_write() ? EPOLLOUT : 0u);
}

std::optional<std::string> Fetcher::load() {
    if (!request_.empty()) {
        pending_ = true;
        return std::nullopt;
    }
    loading_ = true;
    return send(
        target_.fetch == FetchMode::full ? "/api/projects" : "/api/projects?limit=100&order=desc",
        true);
}

std::optional<std::string> Fetcher::on_refresh() {
    if (!request_.empty()) {
        pending_ = true;
        return std::nullopt;
    }
    if (target_.fetch == FetchMode::full || !rev_) return load();
    loading_ = false;
    // Not conditional: the browser asks each since= URL once (cardlist.js refresh()).
    return send("/api/projects?since=" + std::to_string(*rev_), false);
}

std::optional<std::string> Fetcher::send(const std::string& path, bool conditional) {
    // What Chromium's fetch() sends for the API client (web/app/api.js: cache 'no-store'), less
    // its user-agent and client hints.
    request_ = "GET " + path + " HTTP/1.1\r\nHost: localhost:" + std::to_string(target_.port) +
               "\r\nAccept: application/json\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n"
               "Cache-Control: no-cache\r\nPragma: no-cache\r\nX-Client-Id: " +
               client_id_ + "\r\n";
    if (conditional && !etag_.empty()) request_ += "If-None-Match: " + etag_ + "\r\n";
    request_ += "\r\n";
    response_.emplace();
    sent_ = false;
    if (!conn_) return start_connection();
    if (!conn_->established()) return std::nullopt;
    sent_ = true;
    if (auto err = conn_->send(request_)) return fail(*err);
    return std::nullopt;
}

std::optional<std::string> Fetcher::start_connection() {
    conn_ = std::make_unique<TlsConnection>();
    ++generation_;
    sent_ = false;
    if (auto err = conn_->start(target_.local, target_.remote)) return fail(*err);
    return std::nullopt;
}

std::optional<std::string> Fetcher::fail(std::string why) {
    conn_.reset();
    request_.clear();
    response_.reset();
    sent_ = false;
    pending_ = false;
    return why;
}

std::optional<std::string> Fetcher::on_event(SSL_CTX* ctx, FetchStats& stats) {
    if (!conn_) return std::nullopt;
    if (!conn_->established()) {
        if (auto err = conn_->advance(ctx)) return fail(*err);
        if (!conn_->established()) return std::nullopt;
    }
    if (!sent_ && !request_.empty()) {
        sent_ = true;
        if (auto err = conn_->send(request_)) return fail(*err);
    } else if (auto err = conn_->flush()) {
        return fail(*err);
    }
    for (;;) {
        long n = conn_->read_some(g_read_buf, sizeof g_read_buf);
        // The stamp before any decoding, as a subscriber's, so it measures delivery.
        double t_ms = now_ms();
        if (n == 0) return std::nullopt;
        if (n < 0) {
            bool orderly = conn_->error().empty();
            if (!orderly) return fail(conn_->error());
            conn_.reset();
            // nginx closes a keep-alive connection idle for keepalive_timeout; a browser opens
            // another for its next request, and so do we, also for one that crossed the close.
            if (request_.empty()) return std::nullopt;
            if (response_->wire_bytes() > 0) return fail("closed mid-response");
            ++stats.reconnects;
            return start_connection();
        }
        if (request_.empty()) return fail("bytes without a request");
        try {
            if (response_->feed(std::string_view(g_read_buf, static_cast<std::size_t>(n))))
                if (auto err = finish(t_ms, stats)) return err;
        } catch (const std::exception& e) {
            return fail(e.what());
        }
        if (!conn_) return std::nullopt;
    }
}

std::optional<std::string> Fetcher::finish(double t_ms, FetchStats& stats) {
    const ResponseReader& r = *response_;
    ++stats.responses;
    stats.wire_bytes += static_cast<long long>(r.wire_bytes());
    stats.head_bytes += static_cast<long long>(r.head_bytes());
    stats.decoded_bytes += static_cast<long long>(r.decoded_bytes());
    ++stats.by_status[r.status()];
    int status = r.status();
    std::string tail = r.tail(), etag = r.etag();
    bool was_load = loading_;
    request_.clear();
    response_.reset();
    if (status == 304 && was_load) {
        // The API client's cached answer stands, at the revision it held.
        loaded_ = true;
        if (!rev_ || etag_rev_ > *rev_) hold(etag_rev_, t_ms);
    } else if (status != 200) {
        return fail("HTTP " + std::to_string(status));
    } else if (was_load) {
        auto rev = trailing_rev(tail);
        if (!rev) return fail("a list without its rev");
        loaded_ = true;
        etag_ = etag;
        etag_rev_ = *rev;
        // A loaded list replaces what was held, whatever its revision.
        hold(*rev, t_ms);
    } else if (is_reset(tail)) {
        ++stats.resets;
        return load();
    } else {
        auto rev = trailing_rev(tail);
        if (!rev) return fail("a delta without its rev");
        if (*rev > *rev_) hold(*rev, t_ms);
    }
    if (pending_) {
        pending_ = false;
        return on_refresh();
    }
    return std::nullopt;
}

void Fetcher::hold(long long rev, double t_ms) {
    rev_ = rev;
    history_.emplace_back(rev, t_ms);
}

}  // namespace livesync::subgen
