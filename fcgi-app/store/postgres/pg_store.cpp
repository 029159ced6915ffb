#include "pg_store.hpp"

#include <algorithm>
#include <cstring>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "schema.hpp"
#include "store/clock.hpp"
#include "store/sql_text.hpp"

namespace livesync::store::postgres {
namespace {

constexpr const char* kApplication = "livesync-fcgi";
// As on SQLite: tombstones are pruned on every kPruneEvery-th revision.
constexpr std::int64_t kPruneEvery = 256;
// Rows a CSV export reads per round trip.
constexpr const char* kFetch = "FETCH 1000 FROM ";

int entity_index(Entity e) {
    return static_cast<int>(e);
}

std::string name_of(Entity e, const char* statement) {
    return std::string(entity_name(e)) + "." + statement;
}

std::string children_of(Entity e) {
    return e == Entity::projects    ? "solutions WHERE project_id"
           : e == Entity::solutions ? "subcomponents WHERE solution_id"
                                    : "checklist_items WHERE subcomponent_id";
}

// "{1,2,3}": a bigint[] parameter.
std::string id_array(const std::vector<std::int64_t>& ids) {
    std::string out = "{";
    for (std::int64_t id : ids) out += (out.size() > 1 ? "," : "") + std::to_string(id);
    return out + "}";
}

// "\x…": a bytea parameter in text form, for bytes a text parameter cannot carry.
std::string bytea_hex(const std::string& bytes) {
    static const char kDigits[] = "0123456789abcdef";
    std::string out = "\\x";
    for (unsigned char c : bytes) {
        out += kDigits[c >> 4];
        out += kDigits[c & 15];
    }
    return out;
}

bool valid_text(const std::string& s) {
    if (s.find('\0') != std::string::npos) return false;
    size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        for (size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += n;
    }
    return true;
}

// The filter's values as parameters. An owner or status that no text column can hold (a NUL, or
// bytes that are not UTF-8) is sent as NULL, which equals nothing, as it matches nothing on
// SQLite.
void add_filter(PgParams& params, const ListFilter& filter) {
    visit_filter(
        filter, [&](std::int64_t v) { params.add(v); },
        [&](const std::string& v, bool bytes) {
            if (bytes)
                params.add(bytea_hex(v));
            else if (valid_text(v))
                params.add(v);
            else
                params.add_null();
        });
}

void require_storable(const char* field, const std::string& text) {
    if (text.find('\0') != std::string::npos)
        throw UnstorableValue(field, std::string(field) + " holds a NUL character");
}

void add_editable(PgParams& p, const EntitySpec& s, const Row& row) {
    require_storable("name", row.name);
    require_storable("description", row.description);
    require_storable("owner", row.owner);
    for (const ChecklistItem& item : row.checklist) require_storable("checklist", item.label);
    if (!s.parent_column.empty()) p.add(row.parent_id);
    p.add(row.name).add(row.description).add(row.status);
    if (s.has_owner) p.add(row.owner);
    if (s.has_phases) p.add(static_cast<std::int64_t>(row.phases));
}

void read_row_into(const EntitySpec& s, const PgResult& r, int i, Row& row) {
    int c = 0;
    row.id = r.int64(i, c++);
    if (!s.parent_column.empty()) row.parent_id = r.int64(i, c++);
    row.name.assign(r.text(i, c++));
    row.description.assign(r.text(i, c++));
    row.status.assign(r.text(i, c++));
    if (s.has_owner) row.owner.assign(r.text(i, c++));
    if (s.has_phases) row.phases = static_cast<unsigned>(r.int64(i, c++));
    row.created_at.assign(r.text(i, c++));
    row.updated_at.assign(r.text(i, c++));
    row.updated_by.assign(r.text(i, c++));
    row.rev = r.int64(i, c++);
}

ChecklistItem item_of(const PgResult& r, int i) {
    return {r.int64(i, 1), r.string(i, 2), r.text(i, 3) == "t"};
}

}  // namespace

PgStore::PgStore(const Config& config)
    : uri_(config.database), horizon_revs_(config.tombstone_horizon_revs), notify_(config.notify) {
    statements_ = {
        {"bump_global", "UPDATE revisions SET rev = rev + 1 WHERE name = 'global' RETURNING rev"},
        {"set_entity_rev", "UPDATE revisions SET rev = $1 WHERE name = $2"},
        {"notify", "SELECT pg_notify($1, $2)"},
        {"revisions", "SELECT name, rev FROM revisions"},
        {"checklists",
         "SELECT subcomponent_id, id, label, done FROM checklist_items "
         "WHERE subcomponent_id = ANY ($1::bigint[]) ORDER BY subcomponent_id, position, id"},
        {"checklist_update",
         "UPDATE checklist_items SET position = $1, label = $2, done = $3 "
         "WHERE id = $4 AND subcomponent_id = $5"},
        {"checklist_insert",
         "INSERT INTO checklist_items (subcomponent_id, position, label, done) "
         "VALUES ($1, $2, $3, $4) RETURNING id"},
        {"checklist_drop",
         "DELETE FROM checklist_items WHERE subcomponent_id = $1 AND id <> ALL ($2::bigint[])"},
        {"project_has_subcomponents",
         "SELECT EXISTS (SELECT 1 FROM subcomponents c JOIN solutions s "
         "ON s.id = c.solution_id WHERE s.project_id = $1)"},
        {"tombstones_since", "SELECT id FROM tombstones WHERE rev > $1 AND entity = $2"},
        {"read_horizon", "SELECT rev FROM tombstone_horizon"},
        {"prune_tombstones", "DELETE FROM tombstones WHERE rev <= $1"},
        {"raise_horizon", "UPDATE tombstone_horizon SET rev = greatest(rev, $1)"},
    };
    for (Entity e : kTableEntities) {
        const EntitySpec& s = spec_of(e);
        std::string table(s.table);
        std::string editable = editable_columns(s);
        std::string select = "SELECT " + select_columns(s) + " FROM " + table;
        statements_.emplace_back(name_of(e, "select_one"), select + " WHERE id = $1");
        statements_.emplace_back(name_of(e, "insert"),
                                 numbered("INSERT INTO " + table + " (" + editable +
                                          ", created_at, updated_at, updated_by, rev) VALUES (" +
                                          placeholders(editable) + ", ?, ?, ?, ?) RETURNING id"));
        statements_.emplace_back(
            name_of(e, "update"),
            numbered("UPDATE " + table + " SET " + assignments(editable) +
                     ", updated_at = ?, updated_by = ?, rev = ? WHERE id = ?"));
        statements_.emplace_back(name_of(e, "remove"), "DELETE FROM " + table + " WHERE id = $1");
        statements_.emplace_back(name_of(e, "exists"), "SELECT 1 FROM " + table + " WHERE id = $1");
        statements_.emplace_back(name_of(e, "has_children"),
                                 "SELECT EXISTS (SELECT 1 FROM " + children_of(e) + " = $1)");
    }
    PgConn first(uri_, kApplication);
    migrate(first);
    conn_.emplace(std::move(first));
    for (const auto& [name, sql] : statements_) conn_->prepare(name.c_str(), sql.c_str());
}

PgConn& PgStore::conn() {
    if (conn_ && conn_->ok()) return *conn_;
    conn_.reset();
    shaped_.clear();
    PgConn fresh(uri_, kApplication);
    for (const auto& [name, sql] : statements_) fresh.prepare(name.c_str(), sql.c_str());
    conn_.emplace(std::move(fresh));
    return *conn_;
}

void PgStore::open_transaction(const char* begin) {
    // A transaction some failure left open must not swallow this one.
    if (conn_ && conn_->ok() && PQtransactionStatus(conn_->get()) != PQTRANS_IDLE)
        quietly("ROLLBACK");
    try {
        conn().exec(begin);
    } catch (const PgError& e) {
        // An idle connection the server dropped (a restart, pg_terminate_backend) is noticed
        // only now; nothing was done on it, so a new one may take its place.
        if (conn_ && conn_->ok()) throw;
        conn().exec(begin);
    }
}

void PgStore::commit_transaction() {
    PgResult result = conn_->exec("COMMIT");
    // COMMIT of a transaction in which a statement failed succeeds, as a rollback.
    if (std::strcmp(PQcmdStatus(result.get()), "ROLLBACK") == 0)
        throw PgError("25P02", "COMMIT: the transaction had failed and was rolled back");
}

void PgStore::quietly(const char* sql) noexcept {
    if (conn_ && conn_->ok()) PQclear(PQexec(conn_->get(), sql));
}

PgResult PgStore::run(const std::string& name, const PgParams& params) {
    PgConn& c = conn();
    bool in_transaction = PQtransactionStatus(c.get()) != PQTRANS_IDLE;
    try {
        return c.run_prepared(name.c_str(), params);
    } catch (const PgError&) {
        // A statement of its own (a health check) on a connection the server dropped while idle
        // is run again on a new one; inside a transaction the transaction is lost anyway.
        if (in_transaction || (conn_ && conn_->ok())) throw;
        return conn().run_prepared(name.c_str(), params);
    }
}

PgResult PgStore::run_shaped(const std::string& sql, const PgParams& params) {
    PgConn& c = conn();
    auto it = shaped_.find(sql);
    if (it == shaped_.end()) {
        std::string name = "shape" + std::to_string(shaped_.size());
        c.prepare(name.c_str(), sql.c_str());
        it = shaped_.emplace(sql, name).first;
    }
    return c.run_prepared(it->second.c_str(), params);
}

void PgStore::begin_read() {
    open_transaction("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
}

void PgStore::end_read() noexcept {
    quietly("COMMIT");
}

void PgStore::begin_batch() {
    open_transaction("BEGIN ISOLATION LEVEL READ COMMITTED");
    batch_open_ = true;
}

bool PgStore::batch_intact() const {
    return conn_ && conn_->ok() && PQtransactionStatus(conn_->get()) == PQTRANS_INTRANS;
}

void PgStore::commit_batch() {
    batch_open_ = false;
    commit_transaction();
}

void PgStore::rollback_batch() noexcept {
    batch_open_ = false;
    quietly("ROLLBACK");
}

void PgStore::begin_write(WriteScope scope) {
    if (scope == WriteScope::in_batch) {
        if (!batch_open_)
            throw std::logic_error("a batched write transaction without a WriteBatch");
        conn_->exec("SAVEPOINT request");
    } else {
        open_transaction("BEGIN ISOLATION LEVEL READ COMMITTED");
    }
    writing_ = true;
    // The first statement: the revision row's lock is held until COMMIT. If it fails (a
    // read-only server, a timeout), there is no WriteTransaction to end what was opened.
    try {
        write_rev_ = run("bump_global").int64(0, 0);
    } catch (...) {
        rollback_write(scope);
        throw;
    }
}

std::int64_t PgStore::write_revision() {
    return write_rev_;
}

void PgStore::commit_write(WriteScope scope, std::int64_t rev, const Touched& touched,
                           const ChangeSignal& signal) {
    for (Entity e : kTableEntities)
        if (touched[entity_index(e)])
            run("set_entity_rev", PgParams().add(rev).add(entity_name(e)));
    // Inside the transaction (or the request's savepoint): PostgreSQL delivers it at COMMIT, once
    // per committed transaction, and drops it with a rollback. The differing revisions keep it
    // from folding two requests' signals of one batch into one.
    if (notify_) run("notify", PgParams().add(kSignalChannel).add(encode_signal(signal)));
    if (rev % kPruneEvery == 0) prune_tombstones(rev);
    writing_ = false;
    if (scope == WriteScope::in_batch)
        conn_->exec("RELEASE SAVEPOINT request");
    else
        commit_transaction();
}

void PgStore::rollback_write(WriteScope scope) noexcept {
    writing_ = false;
    quietly(scope == WriteScope::alone
                ? "ROLLBACK"
                : "ROLLBACK TO SAVEPOINT request; RELEASE SAVEPOINT request");
}

Revisions PgStore::revisions() {
    Revisions out = revisions_of(run("revisions"));
    // A write transaction has already bumped the global revision (its first statement); what
    // was committed before it is one less, as SQLite, which bumps lazily, reads it.
    if (writing_) out.global = write_rev_ - 1;
    return out;
}

std::vector<Row> PgStore::read_rows(const EntitySpec& s, const PgResult& r) {
    std::vector<Row> rows(static_cast<size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) read_row_into(s, r, i, rows[static_cast<size_t>(i)]);
    return rows;
}

std::optional<Row> PgStore::find(Entity entity, std::int64_t id) {
    const EntitySpec& s = spec_of(entity);
    std::vector<Row> rows = read_rows(s, run(name_of(entity, "select_one"), PgParams().add(id)));
    if (rows.empty()) return std::nullopt;
    if (s.has_checklist) load_checklists(rows);
    return std::move(rows[0]);
}

Page PgStore::page(Entity entity, const ListFilter& filter, const PageWindow& window) {
    const EntitySpec& s = spec_of(entity);
    PgParams params;
    add_filter(params, filter);
    if (window.after) params.add(*window.after);
    // One row more than asked tells whether there is a next page; NULL: no limit.
    if (window.limit)
        params.add(std::int64_t{*window.limit} + 1);
    else
        params.add_null();
    Page page;
    page.rows = read_rows(s, run_shaped(page_sql(s, filter, window, Dialect::postgres), params));
    if (window.limit && page.rows.size() > static_cast<size_t>(*window.limit)) {
        page.rows.pop_back();
        page.next = page.rows.back().id;
    }
    if (s.has_checklist) load_checklists(page.rows);
    return page;
}

std::int64_t PgStore::count(Entity entity, const ListFilter& filter) {
    PgParams params;
    add_filter(params, filter);
    return run_shaped(count_sql(spec_of(entity), filter, Dialect::postgres), params).int64(0, 0);
}

bool PgStore::change_log_covers(std::int64_t since, const Revisions& now) {
    // As on SQLite: the configured horizon counts even before a prune has caught up with it.
    std::int64_t horizon = std::max(run("read_horizon").int64(0, 0), now.global - horizon_revs_);
    return since >= horizon && since <= now.global;
}

Changes PgStore::changes_since(Entity entity, const ListFilter& filter, std::int64_t since) {
    const EntitySpec& s = spec_of(entity);
    PgParams params;
    params.add(since);
    add_filter(params, filter);
    Changes changes;
    changes.changed = read_rows(s, run_shaped(changed_sql(s, filter, Dialect::postgres), params));
    if (s.has_checklist) load_checklists(changes.changed);
    PgResult gone = run("tombstones_since", PgParams().add(since).add(entity_name(entity)));
    for (int i = 0; i < gone.rows(); ++i) changes.gone.push_back(gone.int64(i, 0));
    if (!filter.empty()) {
        PgResult unmatched = run_shaped(unmatched_sql(s, filter, Dialect::postgres), params);
        for (int i = 0; i < unmatched.rows(); ++i) changes.gone.push_back(unmatched.int64(i, 0));
    }
    std::sort(changes.gone.begin(), changes.gone.end());
    return changes;
}

void PgStore::prune_tombstones(std::int64_t rev) {
    std::int64_t horizon = rev - horizon_revs_;
    if (horizon <= 0) return;
    run("prune_tombstones", PgParams().add(horizon));
    run("raise_horizon", PgParams().add(horizon));
}

void PgStore::load_checklists(std::vector<Row>& rows) {
    if (rows.empty()) return;
    std::vector<std::int64_t> ids;
    std::unordered_map<std::int64_t, Row*> by_id;
    for (Row& r : rows) {
        ids.push_back(r.id);
        by_id.emplace(r.id, &r);
    }
    PgResult items = run("checklists", PgParams().add(id_array(ids)));
    for (int i = 0; i < items.rows(); ++i)
        by_id.at(items.int64(i, 0))->checklist.push_back(item_of(items, i));
}

void PgStore::for_each(Entity entity, const std::function<void(const Row&)>& visit) {
    const EntitySpec& s = spec_of(entity);
    // Two cursors in id order, read a chunk at a time, the checklist items merged in as they
    // come: a whole table never sits in memory.
    PgConn& c = conn();
    c.exec(("DECLARE export_rows NO SCROLL CURSOR FOR SELECT " + select_columns(s) + " FROM " +
            std::string(s.table) + " ORDER BY id")
               .c_str());
    if (s.has_checklist)
        c.exec(
            "DECLARE export_items NO SCROLL CURSOR FOR SELECT subcomponent_id, id, label, done "
            "FROM checklist_items ORDER BY subcomponent_id, position, id");
    PgResult items;
    int item = 0;
    bool items_left = s.has_checklist;
    // The next item (fetching the next chunk when one runs out), or false when none is left.
    auto have_item = [&] {
        if (items_left && item == items.rows()) {
            items = c.exec((std::string(kFetch) + "export_items").c_str());
            item = 0;
            items_left = items.rows() > 0;
        }
        return items_left;
    };
    Row row;
    for (;;) {
        PgResult rows = c.exec((std::string(kFetch) + "export_rows").c_str());
        if (rows.rows() == 0) break;
        for (int i = 0; i < rows.rows(); ++i) {
            read_row_into(s, rows, i, row);
            row.checklist.clear();
            while (have_item() && items.int64(item, 0) < row.id) ++item;
            while (have_item() && items.int64(item, 0) == row.id)
                row.checklist.push_back(item_of(items, item++));
            visit(row);
        }
    }
    c.exec("CLOSE export_rows");
    if (s.has_checklist) c.exec("CLOSE export_items");
}

bool PgStore::exists(Entity entity, std::int64_t id) {
    return run(name_of(entity, "exists"), PgParams().add(id)).rows() > 0;
}

void PgStore::insert(WriteTransaction& tx, Entity entity, Row& row) {
    const EntitySpec& s = spec_of(entity);
    row.rev = tx.rev();
    row.created_at = row.updated_at = now_iso8601();
    row.updated_by = tx.user();
    PgParams params;
    add_editable(params, s, row);
    params.add(row.created_at).add(row.updated_at).add(row.updated_by).add(row.rev);
    row.id = run(name_of(entity, "insert"), params).int64(0, 0);
    if (s.has_checklist) write_checklist(row, false);
    tx.touch(entity);
}

void PgStore::update(WriteTransaction& tx, Entity entity, Row& row) {
    const EntitySpec& s = spec_of(entity);
    row.rev = tx.rev();
    row.updated_at = now_iso8601();
    row.updated_by = tx.user();
    PgParams params;
    add_editable(params, s, row);
    params.add(row.updated_at).add(row.updated_by).add(row.rev).add(row.id);
    run(name_of(entity, "update"), params);
    if (s.has_checklist) write_checklist(row, true);
    tx.touch(entity);
}

void PgStore::write_checklist(Row& row, bool existing) {
    // A new row has no stored items, so only an update looks for items the list dropped.
    if (existing) {
        std::vector<std::int64_t> kept;
        for (const ChecklistItem& item : row.checklist)
            if (item.id) kept.push_back(item.id);
        run("checklist_drop", PgParams().add(row.id).add(id_array(kept)));
    }
    std::int64_t position = 0;
    for (ChecklistItem& item : row.checklist) {
        ++position;
        if (item.id) {
            run("checklist_update", PgParams()
                                        .add(position)
                                        .add(item.label)
                                        .add(item.done ? "true" : "false")
                                        .add(item.id)
                                        .add(row.id));
        } else {
            item.id = run("checklist_insert", PgParams()
                                                  .add(row.id)
                                                  .add(position)
                                                  .add(item.label)
                                                  .add(item.done ? "true" : "false"))
                          .int64(0, 0);
        }
    }
}

DeleteResult PgStore::remove(WriteTransaction& tx, Entity entity, std::int64_t id) {
    if (!exists(entity, id)) return {};
    // Checklist items are part of their subcomponent, not a separate entity, so only the
    // entities whose rows the cascade really deletes get a new revision.
    auto yes = [](const PgResult& r) { return r.text(0, 0) == "t"; };
    bool has_children = entity != Entity::subcomponents &&
                        yes(run(name_of(entity, "has_children"), PgParams().add(id)));
    bool has_grandchildren = has_children && entity == Entity::projects &&
                             yes(run("project_has_subcomponents", PgParams().add(id)));
    run(name_of(entity, "remove"), PgParams().add(id));
    tx.touch(entity);
    if (has_children)
        tx.touch(entity == Entity::projects ? Entity::solutions : Entity::subcomponents);
    if (has_grandchildren) tx.touch(Entity::subcomponents);
    return {true, has_children};
}

}  // namespace livesync::store::postgres
