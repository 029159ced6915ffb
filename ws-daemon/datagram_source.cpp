#include "datagram_source.hpp"

#include <sys/stat.h>
#include <unistd.h>

namespace livesync::wsd {

DatagramSource::DatagramSource(EvLoop::Handle* loop, const std::string& socket_path,
                               const std::string& database, SourceSink& sink)
    : loop_(loop),
      socket_path_(socket_path),
      sink_(sink),
      revisions_(database),
      fd_(bind_signal_socket(socket_path)) {
    ev_io_init(&watcher_, &DatagramSource::on_readable, fd_.get(), EV_READ);
    watcher_.data = this;
    ev_io_start(loop_, &watcher_);
}

DatagramSource::~DatagramSource() {
    ev_io_stop(loop_, &watcher_);
    struct stat st {};
    if (::lstat(socket_path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))
        ::unlink(socket_path_.c_str());
}

std::uint64_t DatagramSource::read() {
    std::uint64_t seq = ++reads_;
    sink_.on_revisions(seq, revisions_.read(), false);
    return seq;
}

void DatagramSource::on_readable(EvLoop::Handle*, ev_io* watcher, int) {
    auto* self = static_cast<DatagramSource*>(watcher->data);
    DrainResult r = drain_signals(
        self->fd_.get(), [self](const ChangeSignal& signal) { self->sink_.on_signal(signal); });
    if (r.malformed) self->sink_.on_malformed_signals(r.malformed);
    self->read();
}

}  // namespace livesync::wsd
