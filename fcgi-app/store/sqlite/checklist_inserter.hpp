// Inserts a subcomponent's new checklist items several rows per INSERT. Each INSERT into
// checklist_items reads and writes sqlite_sequence (AUTOINCREMENT) once however many rows it
// adds, about a third of what a one-row insert costs, which adds up in a CSV import of many
// checklists.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "sqlite.hpp"
#include "store/rows.hpp"

namespace livesync::store {

class ChecklistInserter {
  public:
    struct NewItem {
        std::int64_t position;
        ChecklistItem* item;  // its id is set once inserted
    };

    explicit ChecklistInserter(const Db& db) : db_(db) {}

    // Inserts `items` into the checklist of `subcomponent_id`, in order. Throws SqliteError.
    void insert(std::int64_t subcomponent_id, const std::vector<NewItem>& items);

  private:
    static constexpr size_t kMaxRows = 8;

    Stmt& statement(size_t rows);

    const Db& db_;
    std::array<std::optional<Stmt>, kMaxRows>
        statements_;  // [n - 1] adds n rows; made on first use
};

}  // namespace livesync::store
