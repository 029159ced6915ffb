#include "wal_keeper.hpp"

#include <sys/stat.h>

#include <chrono>
#include <cstdio>

namespace livesync::store {
namespace {

constexpr std::chrono::seconds kKeepEvery{1};

std::int64_t file_size(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_size) : 0;
}

Db open_keeper_connection(const Config& config) {
    // No busy handler: a checkpoint that would have to wait for a lock gives up at once.
    Db db(config.database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
    // A checkpoint syncs the log before copying it and the database after, as this says.
    db.exec(("PRAGMA synchronous = " + config.synchronous).c_str());
    return db;
}

}  // namespace

void limit_wal_file(Db& db, const Config& config) {
    std::int64_t limit = std::int64_t{config.wal_size_limit_mb} << 20;
    int page_size = 4096;  // SQLite's default, and never changed here
    db.exec(("PRAGMA wal_autocheckpoint = " + std::to_string(limit / 4 / page_size)).c_str());
    db.exec(("PRAGMA journal_size_limit = " + std::to_string(limit)).c_str());
}

int keep_wal_bounded(Db& db, const std::string& wal_path, std::int64_t limit_bytes) {
    int frames = 0, copied = 0;
    int rc =
        sqlite3_wal_checkpoint_v2(db.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
    // Only a reader still in the log leaves frames uncopied; truncating would have to wait for it.
    if (rc == SQLITE_OK && frames == copied && file_size(wal_path) > limit_bytes)
        rc = sqlite3_wal_checkpoint_v2(db.get(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr,
                                       nullptr);
    return rc;
}

WalKeeper::WalKeeper(const Config& config)
    : wal_path_(config.database + "-wal"),
      limit_bytes_(std::int64_t{config.wal_size_limit_mb} << 20),
      db_(open_keeper_connection(config)),
      thread_([this] { run(); }) {}

WalKeeper::~WalKeeper() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void WalKeeper::run() {
    int last_failure = SQLITE_OK;
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, kKeepEvery, [this] { return stopping_; })) {
        lock.unlock();
        int rc = keep_wal_bounded(db_, wal_path_, limit_bytes_);
        // Busy is the normal answer while a reader, a writer or the other worker's keeper is in
        // the way; anything else (a full disk, an I/O error) is worth one line, not one a second.
        int failure = (rc & 0xff) == SQLITE_BUSY ? SQLITE_OK : rc;
        if (failure != SQLITE_OK && failure != last_failure)
            std::fprintf(stderr, "livesync-fcgi: WAL checkpoint of %s: %s\n", wal_path_.c_str(),
                         sqlite3_errmsg(db_.get()));
        last_failure = failure;
        lock.lock();
    }
}

}  // namespace livesync::store
