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
    std::optional<Row> find(Entity entity, std::int64_t id) override;
    Page page(Entity entity, const ListFilter& filter, const PageWindow& window) override;
    std::int64_t count(Entity entity, const ListFilter& filter) override;
    bool change_log_covers(std::int64_t since, const Revisions& now) override;
    Changes changes_since(Entity entity, const ListFilter& filter, std::int64_t since) override;
    bool exists(Entity entity, std::int64_t id) override;
    void for_each(Entity entity, const std::function<void(const Row&)>& visit) override;
    void insert(WriteTransaction& tx, Entity entity, Row& row) override;
    void update(WriteTransaction& tx, Entity entity, Row& row) override;
    DeleteResult remove(WriteTransaction& tx, Entity entity, std::int64_t id) override;

  private:
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
    // Opens a transaction with `begin`; a connection found dead on the way is remade once.
    void open_transaction(const char* begin);
    void commit_transaction();
    // Runs SQL that may fail without consequence (ending a transaction on a dead connection).
    void quietly(const char* sql) noexcept;
    PgResult run(const std::string& name, const PgParams& params = {});
    // Runs one of sql_text's shapes, prepared on this connection on first use.
    PgResult run_shaped(const std::string& sql, const PgParams& params);
    std::vector<Row> read_rows(const EntitySpec& spec, const PgResult& result);
    // Fills the checklists of `rows`.
    void load_checklists(std::vector<Row>& rows);
    void write_checklist(Row& row, bool existing);
    void prune_tombstones(std::int64_t rev);

    std::string uri_;
    std::int64_t horizon_revs_;
    bool notify_;  // config `notify`: off leaves the daemons to their poll
    std::vector<std::pair<std::string, std::string>> statements_;  // name, SQL
    std::optional<PgConn> conn_;
    std::map<std::string, std::string> shaped_;  // SQL → statement name on conn_
    bool batch_open_ = false;
    bool writing_ = false;
    std::int64_t write_rev_ = 0;
};

}  // namespace livesync::store::postgres
