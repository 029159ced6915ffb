// The control socket of faultfs: a Unix stream socket taking one command per connection (a line)
// and answering before it closes the connection.
//   mode normal|eio|lie   how fsync/fdatasync (and fsync of a directory) behave from now on
//   stats                 the per-process, per-file counters (Volume::stats), then EOF
//   reset-stats           forgets the counters
//   cut                   the power cut: drops everything unsynced, fails every later call with
//                         EIO, detaches the mount and ends the FUSE loop; answers once unmounted
#pragma once

#include <string>
#include <thread>

#include "fd.hpp"
#include "operations.hpp"

namespace faultfs {

class Control {
  public:
    // Listens on `socket_path` and serves commands on a thread of its own until destroyed.
    // Throws std::system_error if the socket cannot be made.
    Control(const std::string& socket_path, State& state, fuse* fs, std::string mountpoint);
    Control(const Control&) = delete;
    Control& operator=(const Control&) = delete;
    ~Control();

  private:
    void serve();
    std::string command(const std::string& line);

    Fd listener_;
    State& state_;
    fuse* fs_;
    std::string mountpoint_;
    std::thread thread_;
};

}  // namespace faultfs
