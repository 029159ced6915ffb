// CSV export of one entity's table, in the format import reads back (docs/csv.md).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "entity.hpp"
#include "store/store.hpp"

namespace livesync::csv {

// Receives the file in pieces, in order.
using ChunkWriter = std::function<void(std::string_view)>;

// About how many bytes each piece has: enough that writing costs little per row, small
// enough that a table of any size is exported in constant memory.
inline constexpr size_t kExportChunkBytes = 64 * 1024;

// The whole file: header, then one CRLF-terminated record per row in id order, handed to `write`
// in pieces of about kExportChunkBytes as rows are read. Call inside a ReadTransaction (the file
// is then one snapshot). Throws SqliteError, and whatever `write` throws.
void export_csv(store::Store& store, Entity entity, const ChunkWriter& write);

// The whole file in one string (tests, the fuzz target).
std::string export_csv(store::Store& store, Entity entity);

}  // namespace livesync::csv
