#include "exporter.hpp"

#include "cells.hpp"

namespace livesync::csv {

std::string export_csv(store::Store& store, Entity entity) {
    std::vector<ColumnSpec> columns = columns_of(entity);
    std::string out;
    for (size_t i = 0; i < columns.size(); ++i) {
        if (i) out += ',';
        out += columns[i].name;
    }
    out += "\r\n";
    std::string scratch;
    store.for_each(entity, [&](const store::Row& row) {
        for (size_t i = 0; i < columns.size(); ++i) {
            if (i) out += ',';
            switch (columns[i].column) {
                case Column::id:
                    out += std::to_string(row.id);
                    break;
                case Column::parent:
                    out += std::to_string(row.parent_id);
                    break;
                case Column::name:
                    append_cell(out, row.name);
                    break;
                case Column::description:
                    append_cell(out, row.description);
                    break;
                case Column::status:
                    append_cell(out, row.status);
                    break;
                case Column::owner:
                    append_cell(out, row.owner);
                    break;
                case Column::phases:
                    out += format_phases(row.phases);
                    break;
                case Column::checklist:
                    scratch.clear();
                    append_checklist(scratch, row.checklist);
                    append_cell(out, scratch);
                    break;
                case Column::created_at:
                    append_cell(out, row.created_at);
                    break;
                case Column::updated_at:
                    append_cell(out, row.updated_at);
                    break;
                case Column::rev:
                    out += std::to_string(row.rev);
                    break;
            }
        }
        out += "\r\n";
    });
    return out;
}

}  // namespace livesync::csv
