#pragma once

#include "config.hpp"

namespace livesync::pool {

// A worker process's whole life: opens its own database connection, then accepts and serves
// FastCGI requests on `listen_fd` one at a time until SIGTERM or SIGINT, finishing the request
// in flight first. Returns the process exit code (1 if the database could not be opened).
int run_worker(const Config& config, int listen_fd);

}  // namespace livesync::pool
