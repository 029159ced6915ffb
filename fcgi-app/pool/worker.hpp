#pragma once

#include "config.hpp"

namespace livesync::pool {

// A worker process's whole life: `threads` request threads, each with its own read connection,
// accept and serve FastCGI requests on `listen_fd`; their mutations go through one shared
// writer connection with group commit (group_commit.hpp). Runs until SIGTERM or SIGINT, finishing
// the requests in flight first. Returns the process exit code (1 if the database could not be
// opened).
int run_worker(const Config& config, int listen_fd);

}  // namespace livesync::pool
