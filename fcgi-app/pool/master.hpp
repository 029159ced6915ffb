// The pool master: pre-forks worker processes on one listening socket and keeps them running.
#pragma once

#include <string>
#include <vector>

#include "config.hpp"

namespace livesync::pool {

// Runs the master until SIGTERM/SIGINT. Each worker is this same executable (`exe`, re-executed
// with `args`, so an upgraded binary is picked up) with the listening socket as fd 3 and
// LIVESYNC_WORKER_FD=3 in its environment.
//  - A worker that dies is replaced (after 1 s if it died within a second of starting).
//  - SIGHUP starts a fresh set of workers, then gracefully stops the old ones.
//  - SIGTERM/SIGINT stops accepting, lets workers finish their request in flight (SIGKILL after
//    30 s), and returns 0.
int run_master(const Config& config, int listen_fd, const std::string& exe,
               const std::vector<std::string>& args);

}  // namespace livesync::pool
