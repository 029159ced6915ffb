// faultfs: a FUSE passthrough for power-loss tests, LazyFS-style (see README.md).
// Usage: faultfs BACKING_DIR MOUNTPOINT CONTROL_SOCKET
// Runs in the foreground until SIGTERM/SIGINT (unmounts) or the `cut` command.
#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>

#include "control.hpp"
#include "operations.hpp"

namespace {

struct FuseDeleter {
    void operator()(fuse* f) const { fuse_destroy(f); }
};

int run(const char* backing, const char* mountpoint, const char* control_socket) {
    livesync::Fd root(::open(backing, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root) {
        std::fprintf(stderr, "faultfs: open %s: %s\n", backing, std::strerror(errno));
        return 1;
    }
    faultfs::State state(std::move(root));
    const char* argv[] = {"faultfs", "-o", "fsname=faultfs,subtype=faultfs"};
    fuse_args args = FUSE_ARGS_INIT(3, const_cast<char**>(argv));
    fuse_operations ops = faultfs::operations();
    std::unique_ptr<fuse, FuseDeleter> fs(fuse_new(&args, &ops, sizeof ops, &state));
    fuse_opt_free_args(&args);
    if (!fs) return 1;
    if (fuse_mount(fs.get(), mountpoint) != 0) return 1;
    if (fuse_set_signal_handlers(fuse_get_session(fs.get())) != 0) {
        fuse_unmount(fs.get());
        return 1;
    }
    {
        faultfs::Control control(control_socket, state, fs.get(), mountpoint);
        fuse_loop(fs.get());
    }
    fuse_remove_signal_handlers(fuse_get_session(fs.get()));
    // After a cut the mount is detached already, which libfuse sees (the device reports an
    // error) and leaves alone.
    fuse_unmount(fs.get());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: faultfs BACKING_DIR MOUNTPOINT CONTROL_SOCKET\n");
        return 2;
    }
    try {
        return run(argv[1], argv[2], argv[3]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "faultfs: %s\n", e.what());
        return 1;
    }
}
