#include "group_commit.hpp"

#include <cstdio>

#include <stdexcept>

#include "store/store.hpp"

namespace livesync::pool {

GroupCommitter::GroupCommitter(const Config& config)
    : app_(config),
      signals_(config.signal_socket),
      send_datagrams_(!is_postgres_uri(config.database)) {}

http::Response GroupCommitter::handle(const http::Request& request) {
    Job job{&request, {}, {}};
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
    return std::move(job.response);
}

void GroupCommitter::run(const std::vector<Job*>& batch) {
    if (batch.size() == 1) {
        // Alone, the request commits its own transaction: a savepoint would only add work, and
        // for a big CSV import a lot of it (every page it changes is first copied to the
        // savepoint's journal).
        batch[0]->response = app_.handle(*batch[0]->request);
        batch[0]->signal = app_.take_signal();
    } else {
        run_together(batch);
    }
    if (!send_datagrams_) return;
    for (Job* job : batch)
        if (job->signal) signals_.send(*job->signal);
}

void GroupCommitter::run_together(const std::vector<Job*>& batch) {
    try {
        store::WriteBatch writes(app_.store());
        app_.set_write_scope(store::WriteScope::in_batch);
        for (Job* job : batch) {
            job->response = app_.handle(*job->request);
            job->signal = app_.take_signal();
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
        std::fprintf(stderr, "livesync-fcgi: a batch of %zu writes was not committed%s: %s\n",
                     batch.size(), uncertain ? " (or maybe was)" : "", e.what());
        for (Job* job : batch) {
            job->response = storage_unavailable(uncertain);
            job->signal.reset();
        }
    }
}

}  // namespace livesync::pool
