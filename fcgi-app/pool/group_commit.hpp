// Group commit: a worker's request threads hand their mutations to one writer connection, and
// whatever queued up while the previous batch was flushing is committed together, with one
// fsync for all. Each request still runs alone in its own savepoint with its own revision, so a
// rejected one changes nothing and its neighbours are unaffected; every response and change
// signal waits for the COMMIT, so nothing is acknowledged before it is durable.
//
// Leader/follower: the first thread to find no batch running takes the whole queue and runs it;
// the others wait, and one of them leads the next batch. A batch of one (a quiet site) is a
// plain transaction of its own.
//
// A request whose transaction lost a race with another one (PostgreSQL: a serialization failure
// or a deadlock, App::lost_race) was rolled back whole, alone or as its savepoint, while the rest
// of its batch went on. Its own thread runs it again from the start, in a later batch, after a
// short jittered pause and at most kMaxAttempts times in all; then it is answered 503. It never
// re-runs anyone else's request, and only a committed attempt sends a signal.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <random>
#include <vector>

#include "app.hpp"
#include "change_signal.hpp"

namespace livesync::pool {

class GroupCommitter {
  public:
    // Opens the writer connection. Throws SqliteError or PgError if it cannot.
    explicit GroupCommitter(const Config& config);
    // Runs a mutating request in the next batch, again in a later one if it lost a race;
    // returns once it has committed (or failed: a batch that fails answers 503 for every request
    // in it). Safe from any thread.
    http::Response handle(const http::Request& request);

    // Attempts a request gets when each loses a race, the first included.
    static constexpr int kMaxAttempts = 3;

  private:
    struct Job {
        const http::Request* request;
        http::Response response;
        std::optional<ChangeSignal> signal;
        bool lost_race = false;  // nothing of it was applied; it may run again
        bool done = false;
    };

    // Queues `job` and returns once the batch it ran in has ended.
    void run_in_batch(Job& job);
    void run(const std::vector<Job*>& batch);
    // Two or more requests: one WriteBatch, each request a savepoint in it.
    void run_together(const std::vector<Job*>& batch);

    App app_;
    // SQLite: a datagram after the commit. PostgreSQL: none (no socket is opened), the store's
    // NOTIFY, sent inside the transaction, is the signal (and the daemon binds no datagram socket).
    std::optional<SignalSender> datagrams_;
    std::mutex mutex_;
    std::mt19937 random_;  // the retry pauses' jitter, drawn under mutex_
    std::condition_variable batch_done_;
    std::vector<Job*> queue_;
    bool leading_ = false;
};

}  // namespace livesync::pool
