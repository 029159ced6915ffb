#include "pg_store.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "schema.hpp"
#include "store/sql_text.hpp"

namespace livesync::store::postgres {
namespace {

constexpr const char* kApplication = "livesync-fcgi";
// As on SQLite: tombstones are pruned on every kPruneEvery-th revision.
constexpr std::int64_t kPruneEvery = 256;
// Rows an import sends per COPY at most (their ids reserved at once).
constexpr std::int64_t kCopyRows = 4096;
constexpr const char* kItemsCopy =
    "COPY checklist_items (id, subcomponent_id, position, label, done) FROM STDIN";
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

void require_storable(const Row& row) {
    require_storable("name", row.name);
    require_storable("description", row.description);
    require_storable("owner", row.owner);
    for (const ChecklistItem& item : row.checklist) require_storable("checklist", item.label);
}

void add_editable(PgParams& p, const EntitySpec& s, const Row& row) {
    require_storable(row);
    if (!s.parent_column.empty()) p.add(row.parent_id);
    p.add(row.name).add(row.description).add(row.status);
    if (s.has_owner) p.add(row.owner);
    if (s.has_phases) p.add(static_cast<std::int64_t>(row.phases));
}

// One field of a row in COPY's text format, and the delimiter after it.
void append_copy_field(std::string& out, std::string_view value, char end) {
    for (char c : value) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                out += c;
        }
    }
    out += end;
}

// A row as a line of COPY text, in select_columns order.
void append_copy_row(std::string& out, const EntitySpec& s, const Row& row) {
    append_copy_field(out, std::to_string(row.id), '\t');
    if (!s.parent_column.empty()) append_copy_field(out, std::to_string(row.parent_id), '\t');
    append_copy_field(out, row.name, '\t');
    append_copy_field(out, row.description, '\t');
    append_copy_field(out, row.status, '\t');
    if (s.has_owner) append_copy_field(out, row.owner, '\t');
    if (s.has_phases) append_copy_field(out, std::to_string(row.phases), '\t');
    append_copy_field(out, row.created_at, '\t');
    append_copy_field(out, row.updated_at, '\t');
    append_copy_field(out, row.updated_by, '\t');
    append_copy_field(out, std::to_string(row.rev), '\n');
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
        {"reserve_ids",
         "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)"},
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
        // One statement, so one snapshot even outside a transaction.
        {"watermarks",
         "SELECT name, rev FROM revisions UNION ALL SELECT 'horizon', rev FROM tombstone_horizon"},
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
        copy_sql_[entity_index(e)] = "COPY " + table + " (" + select_columns(s) + ") FROM STDIN";
        // Inside a write transaction a row read is locked as its UPDATE or a child's foreign key
        // would lock it, so that a session outside livesync cannot delete (or change) it between
        // the check and the write; see find() and exists().
        statements_.emplace_back(name_of(e, "select_one_locked"),
                                 select + " WHERE id = $1 FOR NO KEY UPDATE");
        statements_.emplace_back(
            name_of(e, "update"),
            numbered("UPDATE " + table + " SET " + assignments(editable) +
                     ", updated_at = ?, updated_by = ?, rev = ? WHERE id = ?"));
        statements_.emplace_back(name_of(e, "remove"), "DELETE FROM " + table + " WHERE id = $1");
        statements_.emplace_back(name_of(e, "exists"), "SELECT 1 FROM " + table + " WHERE id = $1");
        statements_.emplace_back(name_of(e, "exists_locked"),
                                 "SELECT 1 FROM " + table + " WHERE id = $1 FOR KEY SHARE");
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

void PgStore::open_later(const char* begin) {
    // A transaction some failure left open must not swallow this one.
    if (conn_ && conn_->ok() && conn_->transaction_status() != PQTRANS_IDLE) quietly("ROLLBACK");
    ahead_.push_back({begin, {}, false});
}

void PgStore::commit_transaction() {
    PgResult result = std::move(send({{"COMMIT", {}, false}}).back());
    // COMMIT of a transaction in which a statement failed succeeds, as a rollback.
    if (std::strcmp(PQcmdStatus(result.get()), "ROLLBACK") == 0)
        throw PgError("25P02", "COMMIT: the transaction had failed and was rolled back");
}

void PgStore::quietly(const char* sql) noexcept {
    if (!conn_ || !conn_->ok()) return;
    conn_->settle();
    PQclear(PQexec(conn_->get(), sql));
}

std::vector<PgResult> PgStore::send(std::vector<PgStep> steps) {
    flush_copy();
    size_t ahead = ahead_.size();
    std::optional<size_t> bump_at = std::exchange(bump_at_, std::nullopt);
    bool closing = std::exchange(closing_ahead_, false);
    steps.insert(steps.begin(), std::make_move_iterator(ahead_.begin()),
                 std::make_move_iterator(ahead_.end()));
    ahead_.clear();
    if (steps.empty()) return {};
    PgConn& c = conn();
    bool in_transaction = c.transaction_status() != PQTRANS_IDLE;
    auto go = [&](PgConn& on) {
        if (steps.size() > 1) return on.pipeline(steps);
        std::vector<PgResult> one;
        one.push_back(steps[0].prepared
                          ? on.run_prepared(steps[0].statement.c_str(), steps[0].params)
                          : on.exec(steps[0].statement.c_str()));
        return one;
    };
    std::vector<PgResult> results;
    try {
        results = go(c);
    } catch (const PgError&) {
        if (closing) batch_broken_ = true;
        // A connection the server dropped while idle (a restart, pg_terminate_backend) is
        // noticed only now; if this opened the transaction, nothing was done on it, so a new
        // one may take its place. Inside a transaction the transaction is lost anyway.
        if (in_transaction || (conn_ && conn_->ok())) throw;
        results = go(conn());
    }
    if (bump_at) write_rev_ = results[*bump_at].int64(0, 0);
    results.erase(results.begin(), results.begin() + static_cast<std::ptrdiff_t>(ahead));
    return results;
}

bool PgStore::begin_pending() const {
    return !ahead_.empty() && ahead_.front().statement.starts_with("BEGIN");
}

void PgStore::later(PgStep step) {
    ahead_.push_back(std::move(step));
}

PgResult PgStore::run(const std::string& name, const PgParams& params) {
    return std::move(send({{name, params}}).back());
}

PgResult PgStore::run_shaped(const std::string& sql, const PgParams& params) {
    send({});  // the transaction is opened (on a live connection) before its shapes are prepared
    auto it = shaped_.find(sql);
    if (it == shaped_.end()) {
        std::string name = "shape" + std::to_string(shaped_.size());
        conn().prepare(name.c_str(), sql.c_str());
        it = shaped_.emplace(sql, name).first;
    }
    return conn().run_prepared(it->second.c_str(), params);
}

void PgStore::begin_read() {
    open_later("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
}

void PgStore::end_read() noexcept {
    if (!ahead_.empty()) {
        ahead_.clear();  // nothing was read, so nothing was opened
        return;
    }
    if (conn_ && conn_->ok()) conn_->send_quietly("COMMIT");
}

void PgStore::begin_batch() {
    open_later("BEGIN ISOLATION LEVEL READ COMMITTED");
    batch_open_ = true;
    batch_broken_ = false;
}

bool PgStore::batch_intact() const {
    if (batch_broken_) return false;
    if (begin_pending()) return true;  // no request of the batch has got as far as a statement
    return conn_ && conn_->ok() && PQtransactionStatus(conn_->get()) == PQTRANS_INTRANS;
}

void PgStore::commit_batch() {
    batch_open_ = false;
    if (begin_pending()) {
        ahead_.clear();  // no request of the batch got as far as a statement
        return;
    }
    commit_transaction();
}

void PgStore::rollback_batch() noexcept {
    batch_open_ = false;
    closing_ahead_ = false;
    bool begun = !begin_pending();
    ahead_.clear();
    if (begun) quietly("ROLLBACK");
}

void PgStore::begin_write(WriteScope scope) {
    if (scope == WriteScope::in_batch) {
        if (!batch_open_)
            throw std::logic_error("a batched write transaction without a WriteBatch");
        ahead_.push_back({"SAVEPOINT request", {}, false});
    } else {
        open_later("BEGIN ISOLATION LEVEL READ COMMITTED");
    }
    // The first statement: the revision row's lock is held until COMMIT, so the rows this
    // transaction reads after it are the latest committed.
    bump_at_ = ahead_.size();
    ahead_.push_back({"bump_global"});
    inserts_ = 0;
    rows_copy_ = {};
    items_copy_ = {};
    writing_ = true;
}

std::int64_t PgStore::write_revision() {
    send({});
    return write_rev_;
}

void PgStore::commit_write(WriteScope scope, std::int64_t rev, const Touched& touched,
                           const ChangeSignal& signal) {
    std::vector<PgStep> steps;
    for (Entity e : kTableEntities)
        if (touched[entity_index(e)])
            steps.push_back({"set_entity_rev", PgParams().add(rev).add(entity_name(e))});
    // Inside the transaction (or the request's savepoint): PostgreSQL delivers it at COMMIT, once
    // per committed transaction, and drops it with a rollback. The differing revisions keep it
    // from folding two requests' signals of one batch into one.
    if (notify_)
        steps.push_back({"notify", PgParams().add(kSignalChannel).add(encode_signal(signal))});
    if (rev % kPruneEvery == 0) prune_tombstones(rev, steps);
    writing_ = false;
    if (scope == WriteScope::alone) {
        for (PgStep& step : steps) later(std::move(step));
        commit_transaction();
        return;
    }
    // In a batch they wait for the next request's first statement, or the batch's COMMIT: one
    // round trip less per request. Should they fail there, the batch is no longer intact (this
    // request's answer is already made), and the group committer fails it whole.
    flush_copy();
    for (PgStep& step : steps) later(std::move(step));
    later({"RELEASE SAVEPOINT request", {}, false});
    closing_ahead_ = true;
}

void PgStore::rollback_write(WriteScope scope) noexcept {
    writing_ = false;
    rows_copy_.text.clear();
    items_copy_.text.clear();
    if (bump_at_) {
        // Nothing of this transaction was sent: forget its BEGIN or SAVEPOINT and what follows.
        ahead_.resize(*std::exchange(bump_at_, std::nullopt) - 1);
        return;
    }
    ahead_.clear();
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

Watermarks PgStore::watermarks() {
    PgResult result = run("watermarks");
    std::int64_t stored_horizon = 0;
    for (int i = 0; i < result.rows(); ++i)
        if (result.text(i, 0) == "horizon") stored_horizon = result.int64(i, 1);
    return watermarks_of(revisions_of(result), stored_horizon, horizon_revs_);
}

std::vector<Row> PgStore::read_rows(const EntitySpec& s, const PgResult& r) {
    std::vector<Row> rows(static_cast<size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) read_row_into(s, r, i, rows[static_cast<size_t>(i)]);
    return rows;
}

std::optional<Row> PgStore::find(Entity entity, std::int64_t id) {
    const EntitySpec& s = spec_of(entity);
    std::vector<Row> rows = read_rows(
        s, run(name_of(entity, writing_ ? "select_one_locked" : "select_one"), PgParams().add(id)));
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

void PgStore::prune_tombstones(std::int64_t rev, std::vector<PgStep>& steps) {
    std::int64_t horizon = rev - horizon_revs_;
    if (horizon <= 0) return;
    steps.push_back({"prune_tombstones", PgParams().add(horizon)});
    steps.push_back({"raise_horizon", PgParams().add(horizon)});
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
    send({});
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
    return run(name_of(entity, writing_ ? "exists_locked" : "exists"), PgParams().add(id)).rows() >
           0;
}

void PgStore::insert(WriteTransaction& tx, Entity entity, Row& row) {
    const EntitySpec& s = spec_of(entity);
    tx.stamp(row);
    row.created_at = row.updated_at;
    // The second row and on of one transaction (an import) go out by COPY, up to kCopyRows at a
    // time. The first goes alone: a single create then reserves no id it does not use.
    if (++inserts_ > 1) {
        require_storable(row);
        row.id = take_id(rows_copy_, s.table, copy_sql_[entity_index(entity)]);
        append_copy_row(rows_copy_.text, s, row);
        std::int64_t position = 0;
        for (ChecklistItem& item : row.checklist) {
            item.id = take_id(items_copy_, "checklist_items", kItemsCopy);
            std::string& out = items_copy_.text;
            append_copy_field(out, std::to_string(item.id), '\t');
            append_copy_field(out, std::to_string(row.id), '\t');
            append_copy_field(out, std::to_string(++position), '\t');
            append_copy_field(out, item.label, '\t');
            append_copy_field(out, item.done ? "t" : "f", '\n');
        }
        tx.touch(entity);
        return;
    }
    PgParams params;
    add_editable(params, s, row);
    params.add(row.created_at).add(row.updated_at).add(row.updated_by).add(row.rev);
    row.id = run(name_of(entity, "insert"), params).int64(0, 0);
    if (s.has_checklist) write_checklist(row, false);
    tx.touch(entity);
}

std::int64_t PgStore::take_id(Copy& copy, std::string_view table, const std::string& sql) {
    if (copy.sql != sql || copy.next == copy.ids.size()) {
        flush_copy();
        // Doubling from 1, up to kCopyRows: a small import leaves a small gap in the ids (a
        // transaction that rolls back leaves its ids unused too, as INSERT does).
        copy.reserved = copy.sql == sql ? std::min(copy.reserved * 2, kCopyRows) : 1;
        copy.sql = sql;
        PgResult ids = run("reserve_ids", PgParams().add(table).add(copy.reserved));
        copy.ids.clear();
        for (int i = 0; i < ids.rows(); ++i) copy.ids.push_back(ids.int64(i, 0));
        std::sort(copy.ids.begin(), copy.ids.end());
        copy.next = 0;
    }
    return copy.ids.at(copy.next++);
}

void PgStore::flush_copy() {
    if (rows_copy_.text.empty() && items_copy_.text.empty()) return;
    std::string rows, items;
    rows.swap(rows_copy_.text);
    items.swap(items_copy_.text);
    send({});  // the statements ahead of them (flush_copy is the first thing send does)
    // The rows first: their items refer to them.
    if (!rows.empty()) conn().copy_in(rows_copy_.sql.c_str(), rows);
    if (!items.empty()) conn().copy_in(items_copy_.sql.c_str(), items);
}

void PgStore::update(WriteTransaction& tx, Entity entity, Row& row) {
    const EntitySpec& s = spec_of(entity);
    tx.stamp(row);
    PgParams params;
    add_editable(params, s, row);
    params.add(row.updated_at).add(row.updated_by).add(row.rev).add(row.id);
    later({name_of(entity, "update"), std::move(params)});
    if (s.has_checklist) write_checklist(row, true);
    tx.touch(entity);
}

void PgStore::write_checklist(Row& row, bool existing) {
    // A new row has no stored items, so only an update looks for items the list dropped.
    if (existing) {
        std::vector<std::int64_t> kept;
        for (const ChecklistItem& item : row.checklist)
            if (item.id) kept.push_back(item.id);
        later({"checklist_drop", PgParams().add(row.id).add(id_array(kept))});
    }
    std::int64_t position = 0;
    for (ChecklistItem& item : row.checklist) {
        ++position;
        if (item.id) {
            later({"checklist_update", PgParams()
                                           .add(position)
                                           .add(item.label)
                                           .add(item.done ? "true" : "false")
                                           .add(item.id)
                                           .add(row.id)});
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
