#include "group_commit.hpp"

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "pg.hpp"
#include "store/store.hpp"

namespace livesync::pool {
namespace {

// The pause before running a request again after its `attempt`-th attempt lost a race: 5-10 ms
// after the first, 10-20 ms after the second, …, so that two transactions that collided do not
// collide again in step. `random`: a draw from [0, 1).
std::chrono::microseconds retry_delay(int attempt, double random) {
    std::int64_t ceiling_us = std::int64_t{10000} << (attempt - 1);
    return std::chrono::microseconds(ceiling_us / 2 +
                                     static_cast<std::int64_t>(random * ceiling_us / 2));
}

}  // namespace

GroupCommitter::GroupCommitter(const Config& config)
    : app_(config), random_(std::random_device{}()) {
    if (!is_postgres_uri(config.database)) datagrams_.emplace(config.signal_socket);
}

http::Response GroupCommitter::handle(const http::Request& request) {
    for (int attempt = 1;; ++attempt) {
        Job job{&request, {}, {}};
        run_in_batch(job);
        if (!job.lost_race || attempt == kMaxAttempts) return std::move(job.response);
        std::chrono::microseconds pause;
        {
            std::lock_guard lock(mutex_);
            pause = retry_delay(attempt, std::uniform_real_distribution<double>(0, 1)(random_));
        }
        std::fprintf(stderr,
                     "livesync-fcgi: %s %s lost a race with another transaction (attempt %d of "
                     "%d); running it again in %lld ms\n",
                     request.method.c_str(), request.path.c_str(), attempt, kMaxAttempts,
                     static_cast<long long>(pause.count() / 1000));
        std::this_thread::sleep_for(pause);
    }
}

void GroupCommitter::run_in_batch(Job& job) {
    std::unique_lock lock(mutex_);
    queue_.push_back(&job);
    while (!job.done) {
        if (leading_) {
            batch_done_.wait(lock);
            continue;
        }
        leading_ = true;
        std::vector<Job*> batch;
        batch.swap(queue_);
        lock.unlock();
        run(batch);
        lock.lock();
        for (Job* j : batch) j->done = true;
        leading_ = false;
        batch_done_.notify_all();
    }
}

void GroupCommitter::run(const std::vector<Job*>& batch) {
    if (batch.size() == 1) {
        // Alone, the request commits its own transaction: a savepoint would only add work, and
        // for a big CSV import a lot of it (every page it changes is first copied to the
        // savepoint's journal).
        batch[0]->response = app_.handle(*batch[0]->request);
        batch[0]->signal = app_.take_signal();
        batch[0]->lost_race = app_.lost_race();
    } else {
        run_together(batch);
    }
    if (!datagrams_) return;
    for (Job* job : batch)
        if (job->signal) datagrams_->send(*job->signal);
}

void GroupCommitter::run_together(const std::vector<Job*>& batch) {
    try {
        store::WriteBatch writes(app_.store());
        app_.set_write_scope(store::WriteScope::in_batch);
        for (Job* job : batch) {
            // A request that lost a race was rolled back to its savepoint; the batch goes on.
            job->response = app_.handle(*job->request);
            job->signal = app_.take_signal();
            job->lost_race = app_.lost_race();
            if (!writes.intact())
                throw std::runtime_error("the database rolled the batch back by itself");
        }
        app_.set_write_scope(store::WriteScope::alone);
        writes.commit();
    } catch (const std::exception& e) {
        app_.set_write_scope(store::WriteScope::alone);
        // Nothing of the batch was acknowledged: every request in it is told so and may be
        // retried; after an I/O error in the COMMIT itself, once it has read back whether its
        // change is there (CommitUncertain).
        bool uncertain = dynamic_cast<const CommitUncertain*>(&e) != nullptr;
        // The whole batch lost a race: none of it was applied, so each request may run again.
        auto* pg = dynamic_cast<const PgError*>(&e);
        bool lost_race = pg && pg->is_conflict();
        std::fprintf(stderr, "livesync-fcgi: a batch of %zu writes was not committed%s: %s\n",
                     batch.size(), uncertain ? " (or maybe was)" : "", e.what());
        for (Job* job : batch) {
            job->response = storage_unavailable(uncertain);
            job->signal.reset();
            job->lost_race = lost_race;
        }
    }
}

}  // namespace livesync::pool
