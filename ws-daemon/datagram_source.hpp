// The SQLite-mode source (signal_source.hpp): the pool's datagrams on the Unix socket
// `signal_socket` (watched on the daemon's libev loop), and synchronous reads of the revision
// table in the SQLite file `database`. Each batch of datagrams is followed by one read.
#pragma once

#include <ev.h>

#include <string>

#include "ev_loop.hpp"
#include "fd.hpp"
#include "intake.hpp"
#include "signal_source.hpp"

namespace livesync::wsd {

class DatagramSource final : public SignalSource {
  public:
    // Binds the socket (bind_signal_socket) and starts watching it. Throws std::system_error.
    DatagramSource(EvLoop::Handle* loop, const std::string& socket_path,
                   const std::string& database, SourceSink& sink);
    DatagramSource(const DatagramSource&) = delete;
    DatagramSource& operator=(const DatagramSource&) = delete;
    // Stops watching and removes the socket file.
    ~DatagramSource() override;

    // Reads at once: sink.on_revisions() runs before this returns.
    std::uint64_t read() override;
    bool fresh_reads() const override { return false; }

  private:
    static void on_readable(EvLoop::Handle* loop, ev_io* watcher, int events);

    EvLoop::Handle* loop_;
    std::string socket_path_;
    SourceSink& sink_;
    RevisionSource revisions_;
    Fd fd_;
    ev_io watcher_{};
    std::uint64_t reads_ = 0;
};

}  // namespace livesync::wsd
