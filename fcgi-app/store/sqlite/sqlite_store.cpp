#include "sqlite_store.hpp"

#include <algorithm>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>

#include "schema.hpp"
#include "store/sql_text.hpp"
#include "store/wal_keeper.hpp"

namespace livesync::store {
namespace {

int entity_index(Entity e) {
    return static_cast<int>(e);
}

// Tombstones are pruned on every kPruneEvery-th revision: one range delete on the log's
// primary key, rare enough to cost nothing per write.
constexpr std::int64_t kPruneEvery = 256;

// Up to this many rows, a list reads its checklists row by row (an index seek each); above it,
// one pass over all items is cheaper.
constexpr size_t kChecklistSeeks = 256;

// SQLite's default busy handler sleeps in steps of 1 to 100 ms; a write here holds the lock for
// well under a millisecond, so waiting that long wastes most of the time the lock is free. Poll
// at 50 µs at first, then back off, and give up after busy_timeout_ms (→ 503).
int short_sleep_busy_handler(void* timeout_ms, int attempt) {
    using namespace std::chrono;
    static thread_local steady_clock::time_point started;
    if (attempt == 0) started = steady_clock::now();
    auto waited = duration_cast<milliseconds>(steady_clock::now() - started).count();
    if (waited >= *static_cast<int*>(timeout_ms)) return 0;
    std::this_thread::sleep_for(microseconds(attempt < 40 ? 50 : attempt < 200 ? 500 : 2000));
    return 1;
}

Db open_database(const Config& config) {
    Db db(config.database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
    static int busy_timeout_ms;
    busy_timeout_ms = config.busy_timeout_ms;
    sqlite3_busy_handler(db.get(), short_sleep_busy_handler, &busy_timeout_ms);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(("PRAGMA synchronous = " + config.synchronous).c_str());
    db.exec("PRAGMA foreign_keys = ON");
    limit_wal_file(db, config);
    return db;
}

// Runs a COMMIT; an I/O error there leaves the outcome unknown (see CommitUncertain).
void run_commit(Stmt& commit) {
    try {
        commit.run();
    } catch (const SqliteError& e) {
        if (e.primary_code() == SQLITE_IOERR) throw CommitUncertain(e);
        throw;
    }
}

}  // namespace

void SqliteStore::begin_read() {
    begin_read_.run();
}

void SqliteStore::end_read() noexcept {
    // A read-only transaction has nothing to lose: end it whichever way it went.
    sqlite3_exec(db_.get(), "COMMIT", nullptr, nullptr, nullptr);
}

void SqliteStore::begin_batch() {
    // Waits up to busy_timeout_ms for the write lock, then throws SqliteError (SQLITE_BUSY).
    begin_write_.run();
    batch_open_ = true;
}

bool SqliteStore::batch_intact() const {
    return !sqlite3_get_autocommit(db_.get());
}

void SqliteStore::commit_batch() {
    batch_open_ = false;
    run_commit(commit_);
}

void SqliteStore::rollback_batch() noexcept {
    batch_open_ = false;
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void SqliteStore::begin_write(WriteScope scope) {
    if (scope == WriteScope::in_batch && !batch_open_)
        throw std::logic_error("a batched write transaction without a WriteBatch");
    (scope == WriteScope::in_batch ? savepoint_ : begin_write_).run();
}

std::int64_t SqliteStore::write_revision() {
    bump_global_.reset();
    bump_global_.step();
    std::int64_t rev = bump_global_.int64(0);
    bump_global_.reset();
    return rev;
}

// The signal is the caller's datagram, sent after the commit: SQLite has no channel of its own.
void SqliteStore::commit_write(WriteScope scope, std::int64_t rev, const Touched& touched,
                               const ChangeSignal&) {
    for (Entity e : kTableEntities) {
        if (!touched[entity_index(e)]) continue;
        set_entity_rev_.reset().bind(1, rev).bind(2, entity_name(e)).run();
    }
    if (rev % kPruneEvery == 0) prune_tombstones(rev);
    if (scope == WriteScope::in_batch)
        release_.run();
    else
        run_commit(commit_);
}

void SqliteStore::rollback_write(WriteScope scope) noexcept {
    if (scope == WriteScope::alone) {
        sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
        return;
    }
    // Undo this request's writes only; a transaction SQLite already rolled back has no
    // savepoint left, and the batch sees that through WriteBatch::intact().
    sqlite3_exec(db_.get(), "ROLLBACK TO request; RELEASE request", nullptr, nullptr, nullptr);
}

SqliteStore::SqliteStore(const Config& config)
    : db_([&] {
          Db db = open_database(config);
          migrate(db);
          return db;
      }()),
      begin_read_(db_, "BEGIN DEFERRED"),
      begin_write_(db_, "BEGIN IMMEDIATE"),
      commit_(db_, "COMMIT"),
      savepoint_(db_, "SAVEPOINT request"),
      release_(db_, "RELEASE request"),
      bump_global_(db_, "UPDATE revisions SET rev = rev + 1 WHERE name = 'global' RETURNING rev"),
      set_entity_rev_(db_, "UPDATE revisions SET rev = ? WHERE name = ?"),
      checklist_of_(db_,
                    "SELECT subcomponent_id, id, label, done FROM checklist_items "
                    "WHERE subcomponent_id = ? ORDER BY position, id"),
      checklist_all_(db_,
                     "SELECT subcomponent_id, id, label, done FROM checklist_items "
                     "ORDER BY subcomponent_id, position, id"),
      checklist_by_solution_(db_,
                             "SELECT c.subcomponent_id, c.id, c.label, c.done "
                             "FROM checklist_items c JOIN subcomponents s ON s.id = "
                             "c.subcomponent_id WHERE s.solution_id = ? "
                             "ORDER BY c.subcomponent_id, c.position, c.id"),
      checklist_update_(db_,
                        "UPDATE checklist_items SET position = ?, label = ?, done = ? "
                        "WHERE id = ? AND subcomponent_id = ?"),
      checklist_delete_(db_, "DELETE FROM checklist_items WHERE id = ?"),
      checklist_inserter_(db_),
      project_has_subcomponents_(db_,
                                 "SELECT EXISTS (SELECT 1 FROM subcomponents c JOIN solutions s "
                                 "ON s.id = c.solution_id WHERE s.project_id = ?)"),
      tombstones_since_(db_, "SELECT id FROM tombstones WHERE rev > ? AND entity = ?"),
      read_horizon_(db_, "SELECT rev FROM tombstone_horizon"),
      prune_tombstones_(db_, "DELETE FROM tombstones WHERE rev <= ?"),
      raise_horizon_(db_, "UPDATE tombstone_horizon SET rev = max(rev, ?)"),
      horizon_revs_(config.tombstone_horizon_revs),
      revision_reader_(db_) {
    for (Entity e : kTableEntities) {
        const EntitySpec& s = spec_of(e);
        std::string table(s.table);
        std::string editable = editable_columns(s);
        std::string select = "SELECT " + select_columns(s) + " FROM " + table;
        // Which table holds this entity's children, for cascade detection.
        std::string children = e == Entity::projects    ? "solutions WHERE project_id"
                               : e == Entity::solutions ? "subcomponents WHERE solution_id"
                                                        : "checklist_items WHERE subcomponent_id";
        entities_.emplace(
            e, EntityStatements{
                   Stmt(db_, select + " WHERE id = ?"),
                   Stmt(db_, select + " ORDER BY id"),
                   // The new id is read with sqlite3_last_insert_rowid: RETURNING would fill
                   // a temporary table on every execution, a third of a CSV import's time.
                   Stmt(db_, "INSERT INTO " + table + " (" + editable +
                                 ", created_at, updated_at, updated_by, rev) VALUES (" +
                                 placeholders(editable) + ", ?, ?, ?, ?)"),
                   Stmt(db_, "UPDATE " + table + " SET " + assignments(editable) +
                                 ", updated_at = ?, updated_by = ?, rev = ? WHERE id = ?"),
                   Stmt(db_, "DELETE FROM " + table + " WHERE id = ?"),
                   Stmt(db_, "SELECT 1 FROM " + table + " WHERE id = ?"),
                   Stmt(db_, "SELECT EXISTS (SELECT 1 FROM " + children + " = ?)"),
               });
    }
}

SqliteStore::EntityStatements& SqliteStore::statements(Entity entity) {
    return entities_.at(entity);
}

Revisions SqliteStore::revisions() {
    return revision_reader_.read();
}

Watermarks SqliteStore::watermarks() {
    // Outside a transaction the horizon is read a moment after the revisions: never older than
    // theirs, so a `since` is at worst answered with a reset.
    Revisions now = revision_reader_.read();
    read_horizon_.reset().step();
    std::int64_t stored = read_horizon_.int64(0);
    read_horizon_.reset();
    return watermarks_of(now, stored, horizon_revs_);
}

Row SqliteStore::read_row(const EntitySpec& s, const Stmt& stmt) {
    Row row;
    read_row_into(s, stmt, row);
    return row;
}

// Assigns into `row`'s strings, so that a row reused across a scan keeps their buffers.
void SqliteStore::read_row_into(const EntitySpec& s, const Stmt& stmt, Row& row) {
    int c = 0;
    row.id = stmt.int64(c++);
    if (!s.parent_column.empty()) row.parent_id = stmt.int64(c++);
    row.name.assign(stmt.text_view(c++));
    row.description.assign(stmt.text_view(c++));
    row.status.assign(stmt.text_view(c++));
    if (s.has_owner) row.owner.assign(stmt.text_view(c++));
    if (s.has_phases) row.phases = static_cast<unsigned>(stmt.int64(c++));
    row.created_at.assign(stmt.text_view(c++));
    row.updated_at.assign(stmt.text_view(c++));
    row.updated_by.assign(stmt.text_view(c++));
    row.rev = stmt.int64(c++);
}

int SqliteStore::bind_editable(const EntitySpec& s, Stmt& stmt, const Row& row) {
    int i = 1;
    if (!s.parent_column.empty()) stmt.bind(i++, row.parent_id);
    stmt.bind(i++, row.name);
    stmt.bind(i++, row.description);
    stmt.bind(i++, row.status);
    if (s.has_owner) stmt.bind(i++, row.owner);
    if (s.has_phases) stmt.bind(i++, static_cast<std::int64_t>(row.phases));
    return i;
}

std::optional<Row> SqliteStore::find(Entity entity, std::int64_t id) {
    const EntitySpec& s = spec_of(entity);
    Stmt& stmt = statements(entity).select_one;
    stmt.reset().bind(1, id);
    if (!stmt.step()) {
        stmt.reset();
        return std::nullopt;
    }
    Row row = read_row(s, stmt);
    stmt.reset();
    if (s.has_checklist) read_checklist(row);
    return row;
}

Stmt& SqliteStore::shaped(const std::string& sql) {
    auto it = shaped_.find(sql);
    if (it == shaped_.end()) it = shaped_.emplace(sql, Stmt(db_, sql)).first;
    return it->second;
}

Page SqliteStore::page(Entity entity, const ListFilter& filter, const PageWindow& window) {
    const EntitySpec& s = spec_of(entity);
    Stmt& stmt = shaped(page_sql(s, filter, window));
    stmt.reset();
    int i = bind_filter(stmt, 1, filter);
    if (window.after) stmt.bind(i++, *window.after);
    // One row more than asked tells whether there is a next page.
    stmt.bind(i, window.limit ? std::int64_t{*window.limit} + 1 : -1);
    Page page;
    while (stmt.step()) page.rows.push_back(read_row(s, stmt));
    stmt.reset();
    if (window.limit && page.rows.size() > static_cast<size_t>(*window.limit)) {
        page.rows.pop_back();
        page.next = page.rows.back().id;
    }
    if (s.has_checklist) load_checklists(page.rows, filter.parent_id);
    return page;
}

std::int64_t SqliteStore::count(Entity entity, const ListFilter& filter) {
    Stmt& stmt = shaped(count_sql(spec_of(entity), filter));
    bind_filter(stmt.reset(), 1, filter);
    stmt.step();
    std::int64_t n = stmt.int64(0);
    stmt.reset();
    return n;
}

Changes SqliteStore::changes_since(Entity entity, const ListFilter& filter, std::int64_t since) {
    const EntitySpec& s = spec_of(entity);
    Changes changes;
    Stmt& changed = shaped(changed_sql(s, filter));
    bind_filter(changed.reset().bind(1, since), 2, filter);
    while (changed.step()) changes.changed.push_back(read_row(s, changed));
    changed.reset();
    if (s.has_checklist) load_checklists(changes.changed, filter.parent_id);

    tombstones_since_.reset().bind(1, since).bind(2, entity_name(entity));
    while (tombstones_since_.step()) changes.gone.push_back(tombstones_since_.int64(0));
    tombstones_since_.reset();
    if (!filter.empty()) {
        Stmt& unmatched = shaped(unmatched_sql(s, filter));
        bind_filter(unmatched.reset().bind(1, since), 2, filter);
        while (unmatched.step()) changes.gone.push_back(unmatched.int64(0));
        unmatched.reset();
    }
    std::sort(changes.gone.begin(), changes.gone.end());
    return changes;
}

void SqliteStore::prune_tombstones(std::int64_t rev) {
    std::int64_t horizon = rev - horizon_revs_;
    if (horizon <= 0) return;
    prune_tombstones_.reset().bind(1, horizon).run();
    raise_horizon_.reset().bind(1, horizon).run();
}

void SqliteStore::read_checklist(Row& row) {
    checklist_of_.reset().bind(1, row.id);
    while (checklist_of_.step())
        row.checklist.push_back(
            {checklist_of_.int64(1), checklist_of_.text(2), checklist_of_.int64(3) != 0});
    checklist_of_.reset();
}

void SqliteStore::load_checklists(std::vector<Row>& rows, std::optional<std::int64_t> solution_id) {
    if (rows.empty()) return;
    if (rows.size() <= kChecklistSeeks) {
        for (Row& row : rows) read_checklist(row);
        return;
    }
    std::unordered_map<std::int64_t, Row*> by_id;
    for (Row& r : rows) by_id.emplace(r.id, &r);
    Stmt& stmt = solution_id ? checklist_by_solution_ : checklist_all_;
    stmt.reset();
    if (solution_id) stmt.bind(1, *solution_id);
    while (stmt.step()) {
        auto it = by_id.find(stmt.int64(0));
        if (it != by_id.end())
            it->second->checklist.push_back({stmt.int64(1), stmt.text(2), stmt.int64(3) != 0});
    }
    stmt.reset();
}

void SqliteStore::for_each(Entity entity, const std::function<void(const Row&)>& visit) {
    const EntitySpec& s = spec_of(entity);
    Stmt& rows = statements(entity).select_all;
    rows.reset();
    // Both statements run in id order, so the checklist items are merged in as they come.
    Stmt& items = checklist_all_;
    items.reset();
    bool have_item = s.has_checklist && items.step();
    // One Row for the whole scan: an export visits hundreds of thousands of rows, and refilling
    // the same strings saves an allocation per field.
    Row row;
    while (rows.step()) {
        read_row_into(s, rows, row);
        while (have_item && items.int64(0) < row.id) have_item = items.step();
        size_t n = 0;
        for (; have_item && items.int64(0) == row.id; have_item = items.step(), ++n) {
            if (n == row.checklist.size()) row.checklist.emplace_back();
            ChecklistItem& item = row.checklist[n];
            item.id = items.int64(1);
            item.label.assign(items.text_view(2));
            item.done = items.int64(3) != 0;
        }
        row.checklist.resize(n);
        visit(row);
    }
    rows.reset();
    items.reset();
}

bool SqliteStore::exists(Entity entity, std::int64_t id) {
    Stmt& stmt = statements(entity).exists;
    stmt.reset().bind(1, id);
    bool found = stmt.step();
    stmt.reset();
    return found;
}

void SqliteStore::insert(WriteTransaction& tx, Entity entity, Row& row) {
    const EntitySpec& s = spec_of(entity);
    tx.stamp(row);
    row.created_at = row.updated_at;
    Stmt& stmt = statements(entity).insert;
    stmt.reset();
    int i = bind_editable(s, stmt, row);
    stmt.bind(i, row.created_at)
        .bind(i + 1, row.updated_at)
        .bind(i + 2, row.updated_by)
        .bind(i + 3, row.rev);
    stmt.run();
    row.id = sqlite3_last_insert_rowid(db_.get());
    if (s.has_checklist) write_checklist(row);
    tx.touch(entity);
}

void SqliteStore::update(WriteTransaction& tx, Entity entity, Row& row) {
    const EntitySpec& s = spec_of(entity);
    tx.stamp(row);
    Stmt& stmt = statements(entity).update;
    stmt.reset();
    int i = bind_editable(s, stmt, row);
    stmt.bind(i, row.updated_at)
        .bind(i + 1, row.updated_by)
        .bind(i + 2, row.rev)
        .bind(i + 3, row.id);
    stmt.run();
    if (s.has_checklist) {
        remove_dropped_items(row);
        write_checklist(row);
    }
    tx.touch(entity);
}

void SqliteStore::remove_dropped_items(const Row& row) {
    std::set<std::int64_t> kept;
    for (const ChecklistItem& item : row.checklist)
        if (item.id) kept.insert(item.id);
    std::vector<std::int64_t> stale;
    checklist_of_.reset().bind(1, row.id);
    while (checklist_of_.step())
        if (!kept.count(checklist_of_.int64(1))) stale.push_back(checklist_of_.int64(1));
    checklist_of_.reset();
    for (std::int64_t id : stale) checklist_delete_.reset().bind(1, id).run();
}

void SqliteStore::write_checklist(Row& row) {
    std::int64_t position = 0;
    std::vector<ChecklistInserter::NewItem> added;
    for (ChecklistItem& item : row.checklist) {
        ++position;
        if (item.id) {
            checklist_update_.reset()
                .bind(1, position)
                .bind(2, item.label)
                .bind(3, std::int64_t{item.done})
                .bind(4, item.id)
                .bind(5, row.id)
                .run();
        } else {
            added.push_back({position, &item});
        }
    }
    checklist_inserter_.insert(row.id, added);
}

DeleteResult SqliteStore::remove(WriteTransaction& tx, Entity entity, std::int64_t id) {
    EntityStatements& st = statements(entity);
    if (!exists(entity, id)) return {};
    tx.rev();  // the tombstone triggers stamp the bumped global revision
    // Checklist items are part of their subcomponent, not a separate entity, so only the
    // entities whose rows the cascade really deletes get a new revision.
    bool has_children = false;
    bool has_grandchildren = false;
    if (entity != Entity::subcomponents) {
        st.has_children.reset().bind(1, id).step();
        has_children = st.has_children.int64(0) != 0;
        st.has_children.reset();
    }
    if (has_children && entity == Entity::projects) {
        project_has_subcomponents_.reset().bind(1, id).step();
        has_grandchildren = project_has_subcomponents_.int64(0) != 0;
        project_has_subcomponents_.reset();
    }
    st.remove.reset().bind(1, id).run();
    tx.touch(entity);
    if (has_children)
        tx.touch(entity == Entity::projects ? Entity::solutions : Entity::subcomponents);
    if (has_grandchildren) tx.touch(Entity::subcomponents);
    return {true, has_children};
}

}  // namespace livesync::store
