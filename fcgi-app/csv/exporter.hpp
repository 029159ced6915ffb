// CSV export of one entity's table, in the format import reads back (docs/csv.md).
#pragma once

#include <string>

#include "entity.hpp"
#include "store/store.hpp"

namespace livesync::csv {

// The whole file: header, then one CRLF-terminated record per row in id order. Reads rows one
// at a time; call inside a ReadTransaction. Throws SqliteError.
std::string export_csv(store::Store& store, Entity entity);

}  // namespace livesync::csv
