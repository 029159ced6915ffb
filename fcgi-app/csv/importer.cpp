#include "importer.hpp"

#include <algorithm>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "api/field_rules.hpp"
#include "cells.hpp"
#include "checklist_cell.hpp"
#include "csv_reader.hpp"
#include "fields/text.hpp"
#include "http/preconditions.hpp"

namespace livesync::csv {
namespace {

std::string singular(Entity e) {
    std::string name(entity_name(e));
    name.pop_back();
    return name;
}

class Importer {
  public:
    Importer(store::Store& store, store::WriteTransaction& tx, Entity entity,
             const ImportLimits& limits, ImportResult& result)
        : store_(store),
          tx_(tx),
          entity_(entity),
          spec_(store::spec_of(entity)),
          limits_(limits),
          result_(result) {}

    bool on_record(const Record& record) {
        return have_header_ ? on_row(record) : on_header(record);
    }

    void error(std::int64_t line, std::string_view column, std::string message) {
        if (result_.errors.size() < limits_.max_errors)
            result_.errors.push_back({line, std::string(column), std::move(message)});
        ++result_.error_count;
    }

  private:
    // Checks the cells' size, then every cell (whatever its column) against the text rule, on
    // the physical line of the bad byte.
    bool cells_readable(const Record& record, const std::vector<std::string_view>& names) {
        bool ok = true;
        for (size_t i = 0; i < record.fields.size(); ++i) {
            const std::string& cell = record.fields[i];
            std::string_view column = i < names.size() ? names[i] : std::string_view();
            if (cell.size() > limits_.max_cell_bytes) {
                error(record.line, column,
                      "is " + std::to_string(cell.size()) + " bytes; a cell may have at most " +
                          std::to_string(limits_.max_cell_bytes));
                ok = false;
            } else if (auto problem = fields::text_problem(cell)) {
                auto before = cell.begin() + static_cast<long>(problem->offset);
                error(record.line + std::count(cell.begin(), before, '\n'), column,
                      fields::describe(*problem));
                ok = false;
            }
        }
        return ok;
    }

    bool on_header(const Record& record) {
        have_header_ = true;
        if (!cells_readable(record, {})) return false;
        if (record.field_count > Reader::kMaxFields) {
            error(record.line, "",
                  "the header has " + std::to_string(record.field_count) + " columns; expected " +
                      "some of " + expected_columns());
            return false;
        }
        std::vector<ColumnSpec> known = columns_of(entity_);
        std::unordered_set<std::string_view> seen;
        for (const std::string& name : record.fields) {
            auto it = std::find_if(known.begin(), known.end(),
                                   [&](const ColumnSpec& c) { return c.name == name; });
            if (it == known.end()) {
                error(record.line, name,
                      "unknown column; a " + singular(entity_) + " file has the columns " +
                          expected_columns());
            } else if (!seen.insert(it->name).second) {
                error(record.line, name, "the column appears more than once");
            }
            // An unknown column fails the header; rev stands in for it meanwhile.
            columns_.push_back(it == known.end() ? Column::rev : it->column);
            names_.push_back(it == known.end() ? std::string_view() : it->name);
        }
        // Without an id column every row is a create, which needs these.
        if (!has(Column::id)) {
            if (!has(Column::name)) error(record.line, "name", "required column is missing");
            if (!spec_.parent_column.empty() && !has(Column::parent))
                error(record.line, spec_.parent_column, "required column is missing");
        }
        if (result_.error_count) return false;
        names_.resize(columns_.size());
        return true;
    }

    bool has(Column c) const {
        return std::find(columns_.begin(), columns_.end(), c) != columns_.end();
    }

    std::string expected_columns() const {
        std::string out;
        for (const ColumnSpec& c : columns_of(entity_))
            out += (out.empty() ? "" : ", ") + std::string(c.name);
        return out;
    }

    bool on_row(const Record& record) {
        if (++result_.data_rows > static_cast<std::int64_t>(limits_.max_rows)) {
            error(record.line, "",
                  "the file has more than " + std::to_string(limits_.max_rows) +
                      " data rows; split it into several files");
            return false;
        }
        if (record.field_count != columns_.size()) {
            error(record.line, "",
                  "the row has " + std::to_string(record.field_count) + " cells; the header has " +
                      std::to_string(columns_.size()) + " columns");
            return true;
        }
        if (!cells_readable(record, names_)) return true;

        auto bad = [&](size_t i, std::string message) {
            error(record.line, names_[i], std::move(message));
        };

        // First the id: it decides between create and update, and what the other cells apply to.
        store::Row row;
        std::optional<store::Row> current;
        for (size_t i = 0; i < columns_.size(); ++i) {
            if (columns_[i] != Column::id) continue;
            std::string_view cell = strip_neutraliser(record.fields[i]);
            if (cell.empty()) break;
            auto id = http::parse_id(cell);
            if (!id) {
                bad(i, "must be the id of an existing " + singular(entity_) +
                           " (to update it) or empty (to create a new one)");
                return true;
            }
            auto [seen, fresh] = updated_ids_.emplace(*id, record.line);
            if (!fresh) {
                bad(i, singular(entity_) + " " + std::to_string(*id) +
                           " is already updated on line " + std::to_string(seen->second));
                return true;
            }
            current = store_.find(entity_, *id);
            if (!current) {
                bad(i, singular(entity_) + " " + std::to_string(*id) + " does not exist");
                return true;
            }
            row = *current;
        }
        if (!current) {
            if (!has(Column::name))
                error(record.line, "name",
                      "is required to create a row (the file has no name column)");
            if (!spec_.parent_column.empty() && !has(Column::parent))
                error(record.line, spec_.parent_column,
                      "is required to create a row (the file has no " +
                          std::string(spec_.parent_column) + " column)");
        }

        for (size_t i = 0; i < columns_.size(); ++i) {
            std::string_view cell = strip_neutraliser(record.fields[i]);
            std::optional<std::string> problem;
            switch (columns_[i]) {
                case Column::id:  // read above
                case Column::created_at:
                case Column::updated_at:
                case Column::updated_by:
                case Column::rev:
                    break;
                case Column::name:
                    if (!(problem = api::check_name(cell))) row.name = cell;
                    break;
                case Column::description:
                    if (!(problem = api::check_description(cell))) row.description = cell;
                    break;
                case Column::status:
                    if (cell.empty()) cell = store::kStatuses[0];
                    if (!(problem = api::check_status(cell))) row.status = cell;
                    break;
                case Column::owner:
                    if (!(problem = api::check_owner(cell))) row.owner = cell;
                    break;
                case Column::parent:
                    problem = parse_parent(cell, row.parent_id);
                    break;
                case Column::phases:
                    problem = parse_phases(cell, row.phases);
                    break;
                case Column::checklist:
                    problem = parse_checklist_cell(cell, row.checklist);
                    break;
            }
            if (problem) bad(i, std::move(*problem));
        }
        // Once any row is bad the transaction will be rolled back: only check the rest.
        if (result_.error_count) return true;

        if (current) {
            // Unchanged items keep their ids: the file's items take the stored ids by position.
            for (size_t k = 0; k < std::min(row.checklist.size(), current->checklist.size()); ++k)
                row.checklist[k].id = current->checklist[k].id;
            if (row.same_content(*current)) {
                ++result_.unchanged;
                return true;
            }
            store_.update(tx_, entity_, row);
            ++result_.updated;
        } else {
            store_.insert(tx_, entity_, row);
            ++result_.created;
        }
        return true;
    }

    std::optional<std::string> parse_parent(std::string_view cell, std::int64_t& parent_id) {
        std::string what = singular(spec_.parent);
        auto id = http::parse_id(cell);
        if (!id) return "must be the id of an existing " + what;
        if (!known_parents_.count(*id)) {
            if (!store_.exists(spec_.parent, *id))
                return what + " " + std::to_string(*id) + " does not exist";
            known_parents_.insert(*id);
        }
        parent_id = *id;
        return std::nullopt;
    }

    store::Store& store_;
    store::WriteTransaction& tx_;
    Entity entity_;
    const store::EntitySpec& spec_;
    const ImportLimits& limits_;
    ImportResult& result_;
    bool have_header_ = false;
    std::vector<Column> columns_;
    std::vector<std::string_view> names_;
    std::unordered_map<std::int64_t, std::int64_t> updated_ids_;  // id → line
    std::unordered_set<std::int64_t> known_parents_;
};

}  // namespace

ImportResult import_csv(store::Store& store, store::WriteTransaction& tx, Entity entity,
                        std::string_view text, const ImportLimits& limits) {
    ImportResult result;
    Importer importer(store, tx, entity, limits, result);
    Reader reader([&](const Record& record) { return importer.on_record(record); });
    if (auto syntax = reader.read(text)) importer.error(syntax->line, "", syntax->message);
    return result;
}

}  // namespace livesync::csv
