// The store interface the API and CSV layers talk to, with two implementations: SQLite
// (sqlite/sqlite_store.*, the default) and PostgreSQL (postgres/pg_store.*); open_store() picks
// one from the configuration.
//
// Reads run in a ReadTransaction (one consistent snapshot), or, when all a GET needs is the
// latest revisions, in none (Store::latest, shared by the worker's threads). Every write runs in a
// WriteTransaction, and its caller says who commits it (WriteScope): the request alone (its own
// transaction), or a WriteBatch that the group committer opened (a savepoint of the batch, so
// that several requests share one COMMIT while each keeps its own revision and can fail alone).
// Each committed write transaction bumps the global revision exactly once.
//
// Failures throw the implementation's error (SqliteError, PgError); the HTTP layer (App::handle)
// maps the transient ones to 503.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "change_signal.hpp"
#include "config.hpp"
#include "entity.hpp"
#include "list_query.hpp"
#include "revisions.hpp"
#include "rows.hpp"
#include "shared_read.hpp"
#include "watermarks.hpp"

namespace livesync::store {

class Store;

// A field value this store cannot keep (PostgreSQL text holds no NUL character); thrown before
// anything is written. `field`: the field's name in the API.
struct UnstorableValue : std::runtime_error {
    UnstorableValue(std::string field_name, const std::string& what)
        : std::runtime_error(what), field(std::move(field_name)) {}
    std::string field;
};

// Who commits a WriteTransaction.
enum class WriteScope {
    alone,     // its own transaction, committed by WriteTransaction::commit()
    in_batch,  // a savepoint of the store's open WriteBatch, committed with the batch
};

class ReadTransaction {
  public:
    explicit ReadTransaction(Store& store);
    ReadTransaction(const ReadTransaction&) = delete;
    ReadTransaction& operator=(const ReadTransaction&) = delete;
    ~ReadTransaction();

  private:
    Store& store_;
};

// Several WriteTransactions (WriteScope::in_batch) committed together. Nothing is durable until
// commit() returns.
class WriteBatch {
  public:
    explicit WriteBatch(Store& store);
    WriteBatch(const WriteBatch&) = delete;
    WriteBatch& operator=(const WriteBatch&) = delete;
    ~WriteBatch();

    // False once the database has rolled the whole transaction back by itself (SQLite may on a
    // full disk, PostgreSQL when the connection is lost): every write of the batch so far is gone.
    bool intact() const;
    void commit();

  private:
    Store& store_;
    bool done_ = false;
};

class WriteTransaction {
  public:
    // WriteScope::in_batch needs an open WriteBatch on `store`. May wait for the write lock and
    // then throw a transient error (→ 503). `user`: who the host authenticated for the request
    // ("" when the site is open); every row this transaction writes records it as updated_by.
    WriteTransaction(Store& store, WriteScope scope, std::string user = {});
    WriteTransaction(const WriteTransaction&) = delete;
    WriteTransaction& operator=(const WriteTransaction&) = delete;
    ~WriteTransaction();

    // The global revision this transaction commits as.
    std::int64_t rev();
    // What every row it inserts or updates records of this write: rev(), the time as
    // updated_at, and the user as updated_by (one rule for both stores).
    void stamp(Row& row);
    // Marks an entity as changed: its revision becomes rev() on commit.
    void touch(Entity entity);
    // Commits, with `signal` the one change signal of this transaction: on PostgreSQL it is sent
    // as a NOTIFY inside the transaction (delivered at commit, never for a rollback); on SQLite
    // the caller sends it as a datagram once the write is durable.
    void commit(const ChangeSignal& signal);

  private:
    Store& store_;
    WriteScope scope_;
    std::string user_;
    std::int64_t rev_ = 0;
    bool touched_[3] = {false, false, false};
    bool done_ = false;
};

struct DeleteResult {
    bool found = false;
    bool cascaded = false;  // children were deleted with the row
};

// Which entities a committing write transaction changed.
using Touched = bool[3];

class Store {
  public:
    virtual ~Store() = default;

    // The revision vector as committed (inside a write transaction: before it).
    virtual Revisions revisions() = 0;
    // The revisions and the change log's horizon: inside a ReadTransaction as of its snapshot,
    // outside any transaction as committed now.
    virtual Watermarks watermarks() = 0;
    // The watermarks as committed when this call began or later, read outside any transaction
    // (call it outside one) and shared with the other stores of share_latest() (SharedRead): on
    // a busy worker one read answers many requests.
    Watermarks latest();
    // Makes latest() share its reads with every store given the same `read`.
    void share_latest(std::shared_ptr<SharedRead> read) { latest_read_ = std::move(read); }
    // Inside a write transaction, a row that find() or exists() found stays until the commit, and
    // find()'s as read: no other session can delete or change it meanwhile (SQLite's write lock
    // excludes every other writer; PostgreSQL locks the row), so a parent that was checked
    // cannot vanish before its child is written, nor a row its If-Match was checked against.
    virtual std::optional<Row> find(Entity entity, std::int64_t id) = 0;
    // Every row (of one parent, if given), in id order.
    std::vector<Row> list(Entity entity, std::optional<std::int64_t> parent_id);
    // The rows matching `filter` inside `window`, with the `after` of the next page.
    virtual Page page(Entity entity, const ListFilter& filter, const PageWindow& window) = 0;
    // How many rows match `filter`: all its pages together. Call in the ReadTransaction of the
    // page it goes with, so both are one snapshot.
    virtual std::int64_t count(Entity entity, const ListFilter& filter) = 0;
    // What changed after `since` (which the watermarks cover) as `filter` sees it.
    virtual Changes changes_since(Entity entity, const ListFilter& filter, std::int64_t since) = 0;
    virtual bool exists(Entity entity, std::int64_t id) = 0;
    // Calls `visit` for every row of `entity` in id order (a subcomponent with its checklist),
    // without holding the whole table in memory (CSV export). `visit` must not use the store.
    // Call inside a ReadTransaction.
    virtual void for_each(Entity entity, const std::function<void(const Row&)>& visit) = 0;

    // Mutations, each inside `tx`. insert() assigns id, timestamps, updated_by and rev
    // (tx.stamp()); update() writes every editable field and stamps updated_at, updated_by and rev
    // (a checklist or phase change is a change of its row); the checklist of a subcomponent is
    // written by both (items without an id are created, stored ids not in the list are removed).
    virtual void insert(WriteTransaction& tx, Entity entity, Row& row) = 0;
    virtual void update(WriteTransaction& tx, Entity entity, Row& row) = 0;
    virtual DeleteResult remove(WriteTransaction& tx, Entity entity, std::int64_t id) = 0;

  protected:
    friend class ReadTransaction;
    friend class WriteBatch;
    friend class WriteTransaction;

    virtual void begin_read() = 0;
    virtual void end_read() noexcept = 0;
    virtual void begin_batch() = 0;
    virtual bool batch_intact() const = 0;
    virtual void commit_batch() = 0;
    virtual void rollback_batch() noexcept = 0;
    virtual void begin_write(WriteScope scope) = 0;
    // The transaction's global revision, bumped once per write transaction (called once).
    virtual std::int64_t write_revision() = 0;
    // Stamps the touched entities with `rev` and commits (or releases the savepoint).
    virtual void commit_write(WriteScope scope, std::int64_t rev, const Touched& touched,
                              const ChangeSignal& signal) = 0;
    virtual void rollback_write(WriteScope scope) noexcept = 0;

  private:
    std::shared_ptr<SharedRead> latest_read_ = std::make_shared<SharedRead>();
};

// Opens the store `config.database` names (see is_postgres_uri), migrating its schema if needed.
std::unique_ptr<Store> open_store(const Config& config);
// Migrates the database's schema without keeping a connection (the pool's master, before it
// forks its workers).
void migrate_database(const Config& config);

}  // namespace livesync::store
