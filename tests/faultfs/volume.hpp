// The model behind faultfs: a backing directory plus, per file, what the "page cache" holds that
// the "disk" (the backing file) does not have yet. Writes and truncations stay in memory and reach
// the backing file only when the file is synced; a power cut throws away whatever was not.
//
// What is modelled (docs in tests/faultfs/README.md):
// - File data and size: durable only after fsync/fdatasync of that file.
// - File creation: durable after fsync of the file or of its directory; a power cut removes files
//   whose creation was not.
// - unlink, rename, mkdir, rmdir, chmod, utimens: applied to the backing directory at once (as if
//   the directory were synced right after them).
// - A failed sync (fault mode `eio`) behaves like Linux after a writeback error: the pages stay
//   readable in memory but are no longer dirty, so no later sync writes them and a power cut
//   loses them (the "fsyncgate" behaviour). Mode `lie`: syncs succeed and write nothing.
//
// Not thread-safe: the caller holds one lock around every call (see operations.cpp).
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fd.hpp"

namespace faultfs {

using livesync::Fd;

enum class SyncMode { normal, eio, lie };

// One backing file and its unsynced state.
class Node {
  public:
    Node(Fd backing, off_t backing_size, bool created);

    // Like pread/pwrite/ftruncate on the file as the page cache sees it. Return the byte count
    // or -errno.
    ssize_t read(char* buf, size_t size, off_t offset) const;
    ssize_t write(const char* buf, size_t size, off_t offset);
    int truncate(off_t size);
    off_t size() const { return size_; }

    // Writes every dirty page and the size to the backing file. Returns 0 or -errno.
    int apply();
    // A failed writeback: dirty pages become clean but stay only in memory.
    void forget_dirty();
    // The power cut: back to what the backing file holds.
    void drop();

    bool created_unsynced = false;

  private:
    static constexpr off_t kPage = 4096;
    struct Page {
        std::vector<char> bytes = std::vector<char>(kPage, 0);
        bool dirty = true;
    };
    // The page at `index` as the file sees it (loaded from the backing file if not held).
    Page& page(off_t index);
    ssize_t read_backing(char* buf, size_t size, off_t offset) const;

    Fd backing_;
    std::map<off_t, Page> pages_;
    off_t size_;
    // Bytes of the backing file still valid: a truncation below it (not yet applied) makes
    // what follows read as zeros, as it would after the truncation.
    off_t backing_valid_;
};

// Per process (by thread group id) and file: how the pool used the files.
struct Usage {
    std::uint64_t writes = 0;
    std::uint64_t syncs = 0;
    std::uint64_t failed_syncs = 0;
    std::uint64_t writes_since_sync = 0;  // writes not followed by a successful sync yet
};

class Volume {
  public:
    // `root`: the backing directory, opened once.
    explicit Volume(Fd root);

    int root() const { return root_.get(); }
    bool powered() const { return powered_; }

    // The node of `path` ("/a/b"), opening the backing file if it has none yet; `created`: the
    // caller just created the file. Returns nullptr with `*err` = -errno on failure.
    std::shared_ptr<Node> node(const std::string& path, bool created, int* err);
    // Nullptr when the file has no node (it was never opened).
    std::shared_ptr<Node> find(const std::string& path) const;
    void forget(const std::string& path);
    void rename(const std::string& from, const std::string& to);

    // fsync/fdatasync of a file and fsync of a directory, as the fault mode makes them.
    int sync_file(Node& node, const std::string& path, pid_t tid);
    int sync_dir(const std::string& path, pid_t tid);
    void count_write(const std::string& path, pid_t tid);

    void set_mode(SyncMode mode) { mode_ = mode; }
    // Drops everything unsynced (and files whose creation was not durable); from then on every
    // operation fails with EIO.
    void cut_power();
    // One line per (process, file): "<tgid> <path> writes=N syncs=N failed_syncs=N
    // writes_since_sync=N".
    std::string stats() const;
    void reset_stats();

  private:
    Usage& usage(const std::string& path, pid_t tid);
    pid_t tgid_of(pid_t tid);

    Fd root_;
    std::map<std::string, std::shared_ptr<Node>> nodes_;
    std::map<std::pair<pid_t, std::string>, Usage> usage_;
    std::map<pid_t, pid_t> tgids_;
    SyncMode mode_ = SyncMode::normal;
    bool powered_ = true;
};

}  // namespace faultfs
