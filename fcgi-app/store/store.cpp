#include "store.hpp"

#include "config.hpp"
#include "postgres/pg_store.hpp"
#include "postgres/schema.hpp"
#include "sqlite/schema.hpp"
#include "sqlite/sqlite_store.hpp"
#include "store/clock.hpp"

namespace livesync::store {
namespace {

int entity_index(Entity e) {
    return static_cast<int>(e);
}

}  // namespace

ReadTransaction::ReadTransaction(Store& store) : store_(store) {
    store_.begin_read();
}

ReadTransaction::~ReadTransaction() {
    store_.end_read();
}

WriteBatch::WriteBatch(Store& store) : store_(store) {
    store_.begin_batch();
}

WriteBatch::~WriteBatch() {
    if (!done_) store_.rollback_batch();
}

bool WriteBatch::intact() const {
    return store_.batch_intact();
}

void WriteBatch::commit() {
    done_ = true;  // a failed COMMIT ends the transaction too
    store_.commit_batch();
}

WriteTransaction::WriteTransaction(Store& store, WriteScope scope, std::string user)
    : store_(store), scope_(scope), user_(std::move(user)) {
    store_.begin_write(scope_);
}

WriteTransaction::~WriteTransaction() {
    if (!done_) store_.rollback_write(scope_);
}

std::int64_t WriteTransaction::rev() {
    if (rev_ == 0) rev_ = store_.write_revision();
    return rev_;
}

void WriteTransaction::stamp(Row& row) {
    row.rev = rev();
    row.updated_at = now_iso8601();
    row.updated_by = user_;
}

void WriteTransaction::touch(Entity entity) {
    if (entity == Entity::all) {
        for (bool& t : touched_) t = true;
    } else {
        touched_[entity_index(entity)] = true;
    }
}

void WriteTransaction::commit(const ChangeSignal& signal) {
    std::int64_t r = rev();
    store_.commit_write(scope_, r, touched_, signal);
    done_ = true;
}

Watermarks Store::latest() {
    return latest_read_->get([this] { return watermarks(); });
}

std::vector<Row> Store::list(Entity entity, std::optional<std::int64_t> parent_id) {
    ListFilter filter;
    filter.parent_id = parent_id;
    return page(entity, filter, {}).rows;
}

std::unique_ptr<Store> open_store(const Config& config) {
    if (is_postgres_uri(config.database)) return std::make_unique<postgres::PgStore>(config);
    return std::make_unique<SqliteStore>(config);
}

void migrate_database(const Config& config) {
    if (is_postgres_uri(config.database)) {
        PgConn conn(config.database, "livesync-fcgi");
        postgres::migrate(conn);
        return;
    }
    Db db(config.database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    sqlite3_busy_timeout(db.get(), config.busy_timeout_ms);
    db.exec("PRAGMA journal_mode = WAL");
    migrate(db);
}

}  // namespace livesync::store
