#include "revisions.hpp"

namespace livesync {

std::int64_t Revisions::of(Entity e) const {
    switch (e) {
        case Entity::projects:
            return projects;
        case Entity::solutions:
            return solutions;
        case Entity::subcomponents:
            return subcomponents;
        case Entity::all:
            return global;
    }
    return global;
}

void set_revision(Revisions& r, std::string_view name, std::int64_t rev) {
    if (name == "global")
        r.global = rev;
    else if (name == "projects")
        r.projects = rev;
    else if (name == "solutions")
        r.solutions = rev;
    else if (name == "subcomponents")
        r.subcomponents = rev;
}

Revisions revisions_of(const PgResult& rows) {
    Revisions r;
    for (int i = 0; i < rows.rows(); ++i) set_revision(r, rows.text(i, 0), rows.int64(i, 1));
    return r;
}

RevisionReader::RevisionReader(const Db& db) : select_(db, "SELECT name, rev FROM revisions") {}

Revisions RevisionReader::read() {
    Revisions r;
    select_.reset();
    while (select_.step()) set_revision(r, select_.text_view(0), select_.int64(1));
    select_.reset();
    return r;
}

}  // namespace livesync
