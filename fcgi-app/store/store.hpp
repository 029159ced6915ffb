// The store: one SQLite connection, every statement prepared once at start.
// Reads run in a ReadTransaction (one consistent snapshot); every write in a WriteTransaction
// (BEGIN IMMEDIATE, one global revision bump, rolled back unless committed). Inside an open
// WriteBatch a WriteTransaction is a savepoint instead, so that several requests' writes share
// one COMMIT and one flush (group commit) while each keeps its own revision and can fail alone.
// All failures throw SqliteError; the HTTP layer maps transient ones (busy, full disk) to 503.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "checklist_inserter.hpp"
#include "config.hpp"
#include "entity.hpp"
#include "list_query.hpp"
#include "revisions.hpp"
#include "rows.hpp"
#include "sqlite.hpp"

namespace livesync::store {

class Store;

class ReadTransaction {
  public:
    explicit ReadTransaction(Store& store);
    ReadTransaction(const ReadTransaction&) = delete;
    ReadTransaction& operator=(const ReadTransaction&) = delete;
    ~ReadTransaction();

  private:
    Store& store_;
};

// Several WriteTransactions committed together. Nothing is durable until commit() returns.
class WriteBatch {
  public:
    // Waits up to busy_timeout_ms for the write lock, then throws SqliteError (SQLITE_BUSY).
    explicit WriteBatch(Store& store);
    WriteBatch(const WriteBatch&) = delete;
    WriteBatch& operator=(const WriteBatch&) = delete;
    ~WriteBatch();

    // False once SQLite has rolled the whole transaction back by itself (it may on a full disk
    // or an I/O error): every write of the batch so far is gone.
    bool intact() const;
    void commit();

  private:
    Store& store_;
    bool done_ = false;
};

class WriteTransaction {
  public:
    // Outside a WriteBatch: waits up to busy_timeout_ms for the write lock, then throws
    // SqliteError (SQLITE_BUSY).
    explicit WriteTransaction(Store& store);
    WriteTransaction(const WriteTransaction&) = delete;
    WriteTransaction& operator=(const WriteTransaction&) = delete;
    ~WriteTransaction();

    // The global revision this transaction commits as; bumped once, on first call.
    std::int64_t rev();
    // Marks an entity as changed: its revision becomes rev() on commit.
    void touch(Entity entity);
    void commit();

  private:
    Store& store_;
    std::int64_t rev_ = 0;
    bool touched_[3] = {false, false, false};
    bool nested_;  // a savepoint inside a WriteBatch
    bool done_ = false;
};

struct DeleteResult {
    bool found = false;
    bool cascaded = false;  // children were deleted with the row
};

class Store {
  public:
    explicit Store(const Config& config);

    Revisions revisions();
    std::optional<Row> find(Entity entity, std::int64_t id);
    // Every row (of one parent, if given), in id order.
    std::vector<Row> list(Entity entity, std::optional<std::int64_t> parent_id);
    // The rows matching `filter` inside `window`, with the `after` of the next page.
    Page page(Entity entity, const ListFilter& filter, const PageWindow& window);
    // Whether the change log can tell what changed after global revision `since`: not when it
    // is older than the tombstone horizon, nor newer than `now.global` (the database was
    // restored). `now`: the revisions read in the same ReadTransaction.
    bool change_log_covers(std::int64_t since, const Revisions& now);
    // What changed after `since` (which change_log_covers) as `filter` sees it.
    Changes changes_since(Entity entity, const ListFilter& filter, std::int64_t since);
    bool exists(Entity entity, std::int64_t id);
    // Calls `visit` for every row of `entity` in id order (a subcomponent with its checklist),
    // one row at a time, so a whole table never sits in memory (CSV export). `visit` must not
    // use the store. Call inside a ReadTransaction.
    void for_each(Entity entity, const std::function<void(const Row&)>& visit);

    // Mutations, each inside `tx`. insert() assigns id, timestamps and rev; update() writes every
    // editable field and bumps updated_at and rev; the checklist of a subcomponent is written by
    // both (items without an id are created, stored ids not in the list are removed).
    void insert(WriteTransaction& tx, Entity entity, Row& row);
    void update(WriteTransaction& tx, Entity entity, Row& row);
    DeleteResult remove(WriteTransaction& tx, Entity entity, std::int64_t id);

  private:
    friend class ReadTransaction;
    friend class WriteBatch;
    friend class WriteTransaction;

    struct EntityStatements {
        Stmt select_one, select_all, insert, update, remove, exists, has_children;
    };

    EntityStatements& statements(Entity entity);
    Row read_row(const EntitySpec& spec, const Stmt& stmt);
    void read_row_into(const EntitySpec& spec, const Stmt& stmt, Row& row);
    int bind_editable(const EntitySpec& spec, Stmt& stmt, const Row& row);
    void read_checklist(Row& row);
    // Fills the checklists of `rows` (of one solution, if given).
    void load_checklists(std::vector<Row>& rows, std::optional<std::int64_t> solution_id);
    // The statement for one SQL text of sql_text's shapes, prepared on first use.
    Stmt& shaped(const std::string& sql);
    // Forgets tombstones older than the horizon; called by a commit now and then.
    void prune_tombstones(std::int64_t rev);
    // A new row has no stored items, so only update() looks for items the list dropped.
    void remove_dropped_items(const Row& row);
    void write_checklist(Row& row);

    Db db_;
    std::map<Entity, EntityStatements> entities_;
    Stmt begin_read_, begin_write_, commit_;
    Stmt savepoint_, release_;
    Stmt bump_global_, set_entity_rev_;
    Stmt checklist_of_, checklist_all_, checklist_by_solution_;
    Stmt checklist_update_, checklist_delete_;
    ChecklistInserter checklist_inserter_;
    Stmt project_has_subcomponents_;
    Stmt tombstones_since_, read_horizon_, prune_tombstones_, raise_horizon_;
    std::map<std::string, Stmt> shaped_;
    std::int64_t horizon_revs_;
    RevisionReader revision_reader_;
};

}  // namespace livesync::store
