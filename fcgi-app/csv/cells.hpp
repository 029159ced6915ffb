// The CSV cell formats shared by import and export (docs/csv.md): columns per entity, phases as
// enabled names joined by ';', checklists as a JSON array of {"label","done"}, and the OWASP
// formula neutralisation with a leading "'".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/field_rules.hpp"
#include "entity.hpp"
#include "store/rows.hpp"

namespace livesync::csv {

// The largest cell export can write, so that import takes back every cell it wrote: a checklist
// of the most items, each {"label":"…","done":false} with the longest label of characters that
// JSON writes as \u00XX (6 bytes each). Every other cell is far smaller.
inline constexpr size_t kMaxExportedCellBytes =
    api::kChecklistMaxItems *
        (api::kLabelMax * 6 + sizeof("{\"label\":\"\",\"done\":false},") - 1) +
    1;

enum class Column {
    id,
    parent,
    name,
    description,
    status,
    owner,
    phases,
    checklist,
    created_at,
    updated_at,
    updated_by,
    rev,  // read-only: exported, ignored on import
};

struct ColumnSpec {
    std::string_view name;
    Column column;
};

// Every column an entity's file may have, in export order: the editable ones, then the
// read-only created_at, updated_at, updated_by, rev (exported, accepted and ignored on import).
std::vector<ColumnSpec> columns_of(Entity entity);

// "discovery;build" ← bits; an empty string when none is enabled.
std::string format_phases(unsigned phases);
// The bitmask of a phases cell, or an error message.
std::optional<std::string> parse_phases(std::string_view cell, unsigned& phases);

// [{"label":"…","done":false},…] — item ids are not part of the file.
void append_checklist(std::string& out, const std::vector<store::ChecklistItem>& items);

// Appends one cell: neutralised (a leading = + - @ TAB CR or ' gets one more leading '), then
// quoted if it holds a comma, quote, CR or LF.
void append_cell(std::string& out, std::string_view value);

// Undoes the neutralisation: drops one leading '.
std::string_view strip_neutraliser(std::string_view cell);

}  // namespace livesync::csv
