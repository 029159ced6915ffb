#include "app.hpp"

#include <cstdio>
#include <utility>

#include "http/api_error.hpp"
#include "pg.hpp"
#include "sqlite.hpp"

namespace livesync {

using http::ApiError;
using http::ErrorKind;

http::Response storage_unavailable(bool outcome_unknown) {
    if (outcome_unknown)
        return http::error_response(ApiError(
            ErrorKind::unavailable,
            "the storage failed while committing: the change may or may not have been stored; "
            "read it back before trying again",
            {{"committed", "unknown"}}));
    return http::error_response(
        ApiError(ErrorKind::unavailable,
                 "the database is busy, out of space or unreachable; nothing was changed, try "
                 "again"));
}

namespace {

void log_failure(const http::Request& request, const std::exception& e) {
    std::fprintf(stderr, "livesync-fcgi: %s %s: %s\n", request.method.c_str(), request.path.c_str(),
                 e.what());
}

http::Response unavailable(const http::Request& request, const std::exception& e) {
    std::fprintf(stderr, "livesync-fcgi: %s %s: storage unavailable: %s\n", request.method.c_str(),
                 request.path.c_str(), e.what());
    return storage_unavailable(dynamic_cast<const CommitUncertain*>(&e) != nullptr);
}

}  // namespace

App::App(const Config& config, std::shared_ptr<api::WorkerShare> share)
    : config_(config),
      store_(store::open_store(config)),
      share_(std::move(share)),
      context_{config_, *store_, share_->lists, share_->rows, store::WriteScope::alone, {}},
      router_(api::make_router()) {
    store_->share_latest(share_->latest);
}

std::optional<ChangeSignal> App::take_signal() {
    return std::exchange(context_.announced, std::nullopt);
}

http::Response App::handle(const http::Request& request) {
    context_.announced.reset();
    lost_race_ = false;
    try {
        return router_.dispatch(context_, request);
    } catch (const ApiError& e) {
        return http::error_response(e);
    } catch (const store::UnstorableValue& e) {
        return http::error_response(ApiError(
            ErrorKind::validation_failed, "some fields are invalid",
            {{e.field, "must not contain a NUL character (the database cannot store it)"}}));
    } catch (const SqliteError& e) {
        if (e.is_transient()) return unavailable(request, e);
        log_failure(request, e);
    } catch (const PgError& e) {
        lost_race_ = e.is_conflict();
        if (e.is_transient()) return unavailable(request, e);
        log_failure(request, e);
    } catch (const std::exception& e) {
        log_failure(request, e);
    }
    return http::error_response(
        ApiError(ErrorKind::internal, "internal error; nothing was changed"));
}

}  // namespace livesync
