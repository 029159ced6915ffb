#include "operations.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

#include "paths.hpp"

namespace faultfs {
namespace {

State& state() {
    return *static_cast<State*>(fuse_get_context()->private_data);
}

pid_t caller() {
    return fuse_get_context()->pid;
}

// -errno of the call that just failed, or 0.
int result(int rc) {
    return rc < 0 ? -errno : 0;
}

void* init(fuse_conn_info* conn, fuse_config* cfg) {
    // Every write and sync must reach us: no kernel write-back caching of data.
    conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
    // Keep the page cache across opens: the only writer is this mount, and SQLite's -shm file is
    // shared memory (mmap) among the pool's processes.
    cfg->kernel_cache = 1;
    // Sizes change in memory here; the kernel asks instead of caching attributes.
    cfg->attr_timeout = 0;
    cfg->entry_timeout = 0;
    cfg->negative_timeout = 0;
    cfg->hard_remove = 1;
    cfg->nullpath_ok = 1;
    return fuse_get_context()->private_data;
}

State::Handle* handle(fuse_file_info* fi) {
    auto& handles = state().handles;
    auto it = fi ? handles.find(fi->fh) : handles.end();
    return it == handles.end() ? nullptr : &it->second;
}

int getattr(const char* path, struct stat* st, fuse_file_info* fi) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    if (!s.volume.powered()) return -EIO;
    std::shared_ptr<Node> node;
    if (State::Handle* h = handle(fi)) {
        node = h->node;
        if (!path) path = h->path.c_str();
    } else if (path) {
        node = s.volume.find(path);
    }
    if (!path) return -ENOENT;
    if (::fstatat(s.volume.root(), relative(path).c_str(), st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    if (node) st->st_size = node->size();
    return 0;
}

int readdir(const char* path, void* buf, fuse_fill_dir_t filler, off_t, fuse_file_info*,
            fuse_readdir_flags) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    if (!s.volume.powered()) return -EIO;
    int fd = ::openat(s.volume.root(), relative(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -errno;
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(fd), ::closedir);
    if (!dir) {
        int err = errno;
        ::close(fd);
        return -err;
    }
    while (dirent* e = ::readdir(dir.get()))
        if (filler(buf, e->d_name, nullptr, 0, static_cast<fuse_fill_dir_flags>(0))) break;
    return 0;
}

int mkdir(const char* path, mode_t mode) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    if (!s.volume.powered()) return -EIO;
    return result(::mkdirat(s.volume.root(), relative(path).c_str(), mode));
}

int rmdir(const char* path) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    if (!s.volume.powered()) return -EIO;
    return result(::unlinkat(s.volume.root(), relative(path).c_str(), AT_REMOVEDIR));
}

int unlink(const char* path) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    if (!s.volume.powered()) return -EIO;
    if (::unlinkat(s.volume.root(), relative(path).c_str(), 0) < 0) return -errno;
    s.volume.forget(path);
    return 0;
}

int rename(const char* from, const char* to, unsigned int flags) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    if (!s.volume.powered()) return -EIO;
    if (flags) return -EINVAL;
    if (::renameat(s.volume.root(), relative(from).c_str(), s.volume.root(), relative(to).c_str()) <
        0)
        return -errno;
    s.volume.rename(from, to);
    return 0;
}

int chmod(const char* path, mode_t mode, fuse_file_info*) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    if (!s.volume.powered()) return -EIO;
    if (!path) return 0;
    return result(::fchmodat(s.volume.root(), relative(path).c_str(), mode, 0));
}

int chown(const char* path, uid_t uid, gid_t gid, fuse_file_info*) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    if (!s.volume.powered()) return -EIO;
    if (!path) return 0;
    return result(
        ::fchownat(s.volume.root(), relative(path).c_str(), uid, gid, AT_SYMLINK_NOFOLLOW));
}

int utimens(const char* path, const timespec tv[2], fuse_file_info*) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    if (!s.volume.powered()) return -EIO;
    if (!path) return 0;
    return result(::utimensat(s.volume.root(), relative(path).c_str(), tv, AT_SYMLINK_NOFOLLOW));
}

int truncate(const char* path, off_t size, fuse_file_info* fi) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    if (!s.volume.powered()) return -EIO;
    if (State::Handle* h = handle(fi)) return h->node->truncate(size);
    if (!path) return -ENOENT;
    int err = 0;
    auto node = s.volume.node(path, false, &err);
    return node ? node->truncate(size) : err;
}

// Opens `path` (its node) for `fi`; `created`: this call created the file.
int open_node(State& s, const char* path, fuse_file_info* fi, bool created) {
    int err = 0;
    auto node = s.volume.node(path, created, &err);
    if (!node) return err;
    if (fi->flags & O_TRUNC) node->truncate(0);
    fi->fh = s.next_handle++;
    fi->keep_cache = 1;
    s.handles[fi->fh] = State::Handle{std::move(node), path};
    return 0;
}

int open(const char* path, fuse_file_info* fi) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    if (!s.volume.powered()) return -EIO;
    return open_node(s, path, fi, false);
}

int create(const char* path, mode_t mode, fuse_file_info* fi) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    if (!s.volume.powered()) return -EIO;
    int fd = ::openat(s.volume.root(), relative(path).c_str(),
                      O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, mode);
    bool created = fd >= 0;
    if (created) {
        ::close(fd);
    } else if (errno != EEXIST || (fi->flags & O_EXCL)) {
        return -errno;
    }
    return open_node(s, path, fi, created);
}

int read(const char*, char* buf, size_t size, off_t offset, fuse_file_info* fi) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    if (!s.volume.powered()) return -EIO;
    State::Handle* h = handle(fi);
    return h ? static_cast<int>(h->node->read(buf, size, offset)) : -EBADF;
}

int write(const char*, const char* buf, size_t size, off_t offset, fuse_file_info* fi) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    if (!s.volume.powered()) return -EIO;
    State::Handle* h = handle(fi);
    if (!h) return -EBADF;
    s.volume.count_write(h->path, caller());
    return static_cast<int>(h->node->write(buf, size, offset));
}

int fsync(const char*, int, fuse_file_info* fi) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    if (!s.volume.powered()) return -EIO;
    State::Handle* h = handle(fi);
    return h ? s.volume.sync_file(*h->node, h->path, caller()) : -EBADF;
}

int fsyncdir(const char* path, int, fuse_file_info*) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    if (!s.volume.powered()) return -EIO;
    return path ? s.volume.sync_dir(path, caller()) : -EBADF;
}

int flush(const char*, fuse_file_info*) {
    return 0;  // close() is no sync point
}

int release(const char*, fuse_file_info* fi) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    s.handles.erase(fi->fh);
    return 0;
}

int statfs(const char*, struct statvfs* st) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    if (!s.volume.powered()) return -EIO;
    return result(::fstatvfs(s.volume.root(), st));
}

int access(const char* path, int mask) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    if (!s.volume.powered()) return -EIO;
    return result(::faccessat(s.volume.root(), relative(path).c_str(), mask, 0));
}

}  // namespace

fuse_operations operations() {
    fuse_operations ops{};
    ops.init = init;
    ops.getattr = getattr;
    ops.readdir = readdir;
    ops.mkdir = mkdir;
    ops.rmdir = rmdir;
    ops.unlink = unlink;
    ops.rename = rename;
    ops.chmod = chmod;
    ops.chown = chown;
    ops.utimens = utimens;
    ops.truncate = truncate;
    ops.open = open;
    ops.create = create;
    ops.read = read;
    ops.write = write;
    ops.fsync = fsync;
    ops.fsyncdir = fsyncdir;
    ops.flush = flush;
    ops.release = release;
    ops.statfs = statfs;
    ops.access = access;
    // No lock operation: the kernel then keeps POSIX locks itself, which serves SQLite, since
    // every process reaches the files through this one mount.
    return ops;
}

}  // namespace faultfs
