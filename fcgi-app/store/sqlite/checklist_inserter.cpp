#include "checklist_inserter.hpp"

#include <algorithm>
#include <string>

namespace livesync::store {

Stmt& ChecklistInserter::statement(size_t rows) {
    std::optional<Stmt>& stmt = statements_[rows - 1];
    if (!stmt) {
        std::string sql =
            "INSERT INTO checklist_items (subcomponent_id, position, label, done) VALUES ";
        for (size_t i = 0; i < rows; ++i) sql += i ? ", (?, ?, ?, ?)" : "(?, ?, ?, ?)";
        stmt.emplace(db_, sql);
    }
    return *stmt;
}

void ChecklistInserter::insert(std::int64_t subcomponent_id, const std::vector<NewItem>& items) {
    for (size_t start = 0; start < items.size(); start += kMaxRows) {
        size_t rows = std::min(kMaxRows, items.size() - start);
        Stmt& stmt = statement(rows).reset();
        for (size_t i = 0; i < rows; ++i) {
            const NewItem& n = items[start + i];
            int p = static_cast<int>(4 * i);
            stmt.bind(p + 1, subcomponent_id)
                .bind(p + 2, n.position)
                .bind(p + 3, n.item->label)
                .bind(p + 4, std::int64_t{n.item->done});
        }
        stmt.run();
        // One statement's rows take consecutive ids: AUTOINCREMENT gives each the largest id so
        // far plus one, and the write transaction keeps every other writer out.
        std::int64_t last = sqlite3_last_insert_rowid(db_.get());
        for (size_t i = 0; i < rows; ++i)
            items[start + i].item->id = last - static_cast<std::int64_t>(rows - 1 - i);
    }
}

}  // namespace livesync::store
