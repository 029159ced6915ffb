#include "exporter.hpp"

#include "cells.hpp"

namespace livesync::csv {
namespace {

void append_record(std::string& out, const std::vector<ColumnSpec>& columns, const store::Row& row,
                   std::string& scratch) {
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
            case Column::updated_by:
                append_cell(out, row.updated_by);
                break;
            case Column::rev:
                out += std::to_string(row.rev);
                break;
        }
    }
    out += "\r\n";
}

}  // namespace

void export_csv(store::Store& store, Entity entity, const ChunkWriter& write) {
    std::vector<ColumnSpec> columns = columns_of(entity);
    std::string out;
    out.reserve(kExportChunkBytes * 2);
    for (size_t i = 0; i < columns.size(); ++i) {
        if (i) out += ',';
        out += columns[i].name;
    }
    out += "\r\n";
    std::string scratch;
    store.for_each(entity, [&](const store::Row& row) {
        append_record(out, columns, row, scratch);
        if (out.size() >= kExportChunkBytes) {
            write(out);
            out.clear();
        }
    });
    if (!out.empty()) write(out);
}

std::string export_csv(store::Store& store, Entity entity) {
    std::string file;
    export_csv(store, entity, [&](std::string_view chunk) { file += chunk; });
    return file;
}

}  // namespace livesync::csv
