// The pool's FastCGI listening socket: inherited from systemd socket activation, or created.
#pragma once

#include <string>

#include "fd.hpp"

namespace livesync::pool {

struct ListenSocket {
    Fd fd;
    std::string created_path;  // set when we bound it ourselves (and so must unlink it)
};

// Takes fd 3 when systemd passed exactly one socket to this process (LISTEN_PID/LISTEN_FDS);
// otherwise binds a Unix stream socket at `path` (replacing a stale one; mode 0660).
// Throws std::runtime_error naming the failed call and errno.
ListenSocket open_listen_socket(const std::string& path);

}  // namespace livesync::pool
