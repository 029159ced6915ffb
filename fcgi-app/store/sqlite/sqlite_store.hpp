// The SQLite store: one connection, every statement prepared once at start. A write transaction
// alone is BEGIN IMMEDIATE (the file's write lock) … COMMIT; in a WriteBatch it is a savepoint of
// the batch's transaction. All failures throw SqliteError; busy and full-disk ones are transient.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "checklist_inserter.hpp"
#include "config.hpp"
#include "entity.hpp"
#include "revisions.hpp"
#include "sqlite.hpp"
#include "store/store.hpp"

namespace livesync::store {

class SqliteStore final : public Store {
  public:
    explicit SqliteStore(const Config& config);

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
    bool batch_open_ = false;
};

}  // namespace livesync::store
