// The FUSE operations of faultfs: a passthrough to the backing directory, with file data going
// through the Volume (unsynced writes in memory) and every call failing with EIO once the power
// is cut. One mutex serialises the operations and the control socket.
#pragma once

#define FUSE_USE_VERSION 31
#include <fuse.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "volume.hpp"

namespace faultfs {

struct State {
    explicit State(Fd root) : volume(std::move(root)) {}

    struct Handle {
        std::shared_ptr<Node> node;
        std::string path;  // as opened; names the file in the statistics
    };

    std::mutex mutex;
    Volume volume;
    std::map<std::uint64_t, Handle> handles;
    std::uint64_t next_handle = 1;
};

// The operations; each finds the State as fuse_new's user_data.
fuse_operations operations();

}  // namespace faultfs
