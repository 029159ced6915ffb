// One request thread's application: its store and routes. `handle` never throws: every failure
// becomes a JSON error response here, the one place errors are mapped to HTTP. A mutation's
// change signal is left for the caller to send once the write is durable (see group_commit.hpp).
#pragma once

#include <memory>
#include <optional>

#include "api/context.hpp"
#include "api/routes.hpp"
#include "change_signal.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace livesync {

// 503 with Retry-After: busy, full or unreachable storage, nothing changed; or, with
// `outcome_unknown`, an I/O error while committing (CommitUncertain): the change may or may not be
// stored, which `details.committed: "unknown"` tells the client, so that it reads before it
// retries.
http::Response storage_unavailable(bool outcome_unknown = false);

class App {
  public:
    // Opens the database (migrating it if needed). Throws SqliteError or PgError if it cannot.
    // `share`: what the worker's request threads share (by default, a share of its own).
    explicit App(const Config& config,
                 std::shared_ptr<api::WorkerShare> share = std::make_shared<api::WorkerShare>());
    http::Response handle(const http::Request& request);
    // The change signal of the last handled request, if it committed a change.
    std::optional<ChangeSignal> take_signal();
    // Whether the last handled request was answered 503 only because its transaction lost a
    // race with another one (PgError::is_conflict): nothing of it was applied, so whoever owns
    // the transaction may run the request again from the start (see group_commit.hpp).
    bool lost_race() const { return lost_race_; }
    store::Store& store() { return *store_; }
    // Who commits the writes of the requests handled from now on.
    void set_write_scope(store::WriteScope scope) { context_.write_scope = scope; }

  private:
    const Config& config_;
    std::unique_ptr<store::Store> store_;
    std::shared_ptr<api::WorkerShare> share_;
    api::Context context_;
    api::ApiRouter router_;
    bool lost_race_ = false;
};

}  // namespace livesync
