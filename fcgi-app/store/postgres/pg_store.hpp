// The PostgreSQL store: one connection per store object (so one per request thread and one for
// the worker's writer, as with SQLite), made lazily and remade after a failure, every fixed
// statement prepared on each new connection, the filter shapes prepared on first use.
//
// Revisions in commit order: a write transaction (READ COMMITTED) runs
// `UPDATE revisions SET rev = rev + 1 WHERE name = 'global' RETURNING rev` as its first
// statement, so the row lock it takes serializes writers until COMMIT: commit order is revision
// order and no revision is skipped (a rolled-back transaction gives its number back). Reads run in
// one REPEATABLE READ, READ ONLY snapshot, so a list's rev is never newer than its rows. Write
// transactions take the session's default access mode: a standby, or a server set to
// default_transaction_read_only, refuses them (25006 → 503).
//
// Round trips (each one a wait for the server, which on a busy host dominates a request): a
// transaction's BEGIN (or SAVEPOINT) and revision bump go out in one pipeline with its first
// statement, writes whose answer is not needed (an UPDATE) with the next statement, a write's
// closing statements (entity revisions, NOTIFY, COMMIT) in one pipeline, or in a batch
// (RELEASE) with the next request's first statement; a read's COMMIT is sent without waiting
// for its answer. A GET is one round trip, a batched PATCH one plus its share of the COMMIT.
//
// Failures throw PgError; connection loss, restarts, timeouts, serialization failures and
// read-only servers are transient (→ 503). A transaction that finds its idle connection gone
// (the server restarted, pg_terminate_backend) reconnects once and goes on.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config.hpp"
#include "pg.hpp"
#include "store/store.hpp"

namespace livesync::store::postgres {

class PgStore final : public Store {
  public:
    // Connects and migrates the schema. Throws PgError.
    explicit PgStore(const Config& config);

    Revisions revisions() override;
    Watermarks watermarks() override;
    std::optional<Row> find(Entity entity, std::int64_t id) override;
    Page page(Entity entity, const ListFilter& filter, const PageWindow& window) override;
    std::int64_t count(Entity entity, const ListFilter& filter) override;
    Changes changes_since(Entity entity, const ListFilter& filter, std::int64_t since) override;
    bool exists(Entity entity, std::int64_t id) override;
    void for_each(Entity entity, const std::function<void(const Row&)>& visit) override;
    void insert(WriteTransaction& tx, Entity entity, Row& row) override;
    void update(WriteTransaction& tx, Entity entity, Row& row) override;
    DeleteResult remove(WriteTransaction& tx, Entity entity, std::int64_t id) override;

  private:
    // An import's rows after its first, buffered as COPY text and sent before any other statement
    // runs, with ids taken ahead from the table's sequence.
    struct Copy {
        std::string sql;                // the COPY statement; "" before the first row
        std::string text;               // the rows not sent yet
        std::vector<std::int64_t> ids;  // reserved; the next is ids[next]
        size_t next = 0;
        std::int64_t reserved = 0;  // how many the last reservation took
    };

    void begin_read() override;
    void end_read() noexcept override;
    void begin_batch() override;
    bool batch_intact() const override;
    void commit_batch() override;
    void rollback_batch() noexcept override;
    void begin_write(WriteScope scope) override;
    std::int64_t write_revision() override;
    void commit_write(WriteScope scope, std::int64_t rev, const Touched& touched,
                      const ChangeSignal& signal) override;
    void rollback_write(WriteScope scope) noexcept override;

    // The connection, made (and its statements prepared) if there is none or it was lost.
    PgConn& conn();
    // Opens a transaction with `begin` along with the next statement.
    void open_later(const char* begin);
    void commit_transaction();
    // Sends ahead_ and then `steps` in one round trip; returns the results of `steps`. A
    // connection found dead when the pipeline opens a transaction is remade once.
    std::vector<PgResult> send(std::vector<PgStep> steps);
    // Runs a write whose answer is not needed with the next statement of its transaction
    // (commit_write sends the last ones); a failure is thrown from there.
    void later(PgStep step);
    // Whether the transaction's BEGIN still waits in ahead_ (nothing of it was sent).
    bool begin_pending() const;
    // Runs SQL that may fail without consequence (ending a transaction on a dead connection).
    void quietly(const char* sql) noexcept;
    PgResult run(const std::string& name, const PgParams& params = {});
    // Runs one of sql_text's shapes, prepared on this connection on first use.
    PgResult run_shaped(const std::string& sql, const PgParams& params);
    std::vector<Row> read_rows(const EntitySpec& spec, const PgResult& result);
    // Fills the checklists of `rows`.
    void load_checklists(std::vector<Row>& rows);
    void write_checklist(Row& row, bool existing);
    // Adds the statements that prune the tombstones at revision `rev` (if any are due) to `steps`.
    // The next id reserved for `copy` (of `table`, by `sql`); reserves more, after sending what is
    // buffered, when none is left.
    std::int64_t take_id(Copy& copy, std::string_view table, const std::string& sql);
    // Sends the rows insert() buffered, by COPY.
    void flush_copy();
    void prune_tombstones(std::int64_t rev, std::vector<PgStep>& steps);

    std::string uri_;
    std::int64_t horizon_revs_;
    bool notify_;  // config `notify`: off leaves the daemons to their poll
    std::vector<std::pair<std::string, std::string>> statements_;  // name, SQL
    std::optional<PgConn> conn_;
    std::map<std::string, std::string> shaped_;  // SQL → statement name on conn_
    // Statements deferred to go out ahead of the next one, in its round trip: the BEGIN, and
    // for a write its SAVEPOINT and bump_global (at bump_at_, whose answer is write_rev_), and
    // writes whose answers are not needed (later()).
    std::vector<PgStep> ahead_;
    std::optional<size_t> bump_at_;
    // ahead_ holds the closing statements of a batched request already answered; if they fail,
    // the batch is broken (batch_intact() is false).
    bool closing_ahead_ = false;
    bool batch_broken_ = false;
    size_t inserts_ = 0;       // in this write transaction
    Copy rows_copy_;           // the entity's rows
    Copy items_copy_;          // their checklist items, sent after them
    std::string copy_sql_[3];  // per table entity: its COPY statement
    bool batch_open_ = false;
    bool writing_ = false;
    std::int64_t write_rev_ = 0;
};

}  // namespace livesync::store::postgres
