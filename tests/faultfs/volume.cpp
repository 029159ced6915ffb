#include "volume.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "paths.hpp"

namespace faultfs {

Node::Node(Fd backing, off_t backing_size, bool created)
    : created_unsynced(created),
      backing_(std::move(backing)),
      size_(backing_size),
      backing_valid_(backing_size) {}

ssize_t Node::read_backing(char* buf, size_t size, off_t offset) const {
    std::fill(buf, buf + size, 0);
    if (offset >= backing_valid_) return 0;
    size = std::min<size_t>(size, static_cast<size_t>(backing_valid_ - offset));
    size_t got = 0;
    while (got < size) {
        ssize_t n = ::pread(backing_.get(), buf + got, size - got, offset + got);
        if (n < 0) return -errno;
        if (n == 0) break;  // shorter than it was: the rest reads as zeros
        got += static_cast<size_t>(n);
    }
    return 0;
}

Node::Page& Node::page(off_t index) {
    auto it = pages_.find(index);
    if (it != pages_.end()) return it->second;
    Page& p = pages_[index];
    if (read_backing(p.bytes.data(), kPage, index * kPage) < 0)
        std::fill(p.bytes.begin(), p.bytes.end(), 0);
    return p;
}

ssize_t Node::read(char* buf, size_t size, off_t offset) const {
    if (offset >= size_) return 0;
    size = std::min<size_t>(size, static_cast<size_t>(size_ - offset));
    size_t done = 0;
    while (done < size) {
        off_t at = offset + static_cast<off_t>(done);
        off_t index = at / kPage, within = at % kPage;
        size_t n = std::min<size_t>(size - done, static_cast<size_t>(kPage - within));
        if (auto it = pages_.find(index); it != pages_.end()) {
            std::memcpy(buf + done, it->second.bytes.data() + within, n);
        } else if (ssize_t rc = read_backing(buf + done, n, at); rc < 0) {
            return rc;
        }
        done += n;
    }
    return static_cast<ssize_t>(size);
}

ssize_t Node::write(const char* buf, size_t size, off_t offset) {
    size_t done = 0;
    while (done < size) {
        off_t at = offset + static_cast<off_t>(done);
        off_t index = at / kPage, within = at % kPage;
        size_t n = std::min<size_t>(size - done, static_cast<size_t>(kPage - within));
        Page& p = page(index);
        std::memcpy(p.bytes.data() + within, buf + done, n);
        p.dirty = true;
        done += n;
    }
    size_ = std::max<off_t>(size_, offset + static_cast<off_t>(size));
    return static_cast<ssize_t>(size);
}

int Node::truncate(off_t size) {
    if (size < 0) return -EINVAL;
    if (size < size_) {
        pages_.erase(pages_.lower_bound((size + kPage - 1) / kPage), pages_.end());
        if (off_t within = size % kPage) {
            Page& p = page(size / kPage);
            std::fill(p.bytes.begin() + within, p.bytes.end(), 0);
            p.dirty = true;
        }
        backing_valid_ = std::min(backing_valid_, size);
    }
    size_ = size;
    return 0;
}

int Node::apply() {
    if (::ftruncate(backing_.get(), backing_valid_) < 0) return -errno;
    for (auto it = pages_.begin(); it != pages_.end();) {
        auto& [index, p] = *it;
        if (!p.dirty) {
            ++it;
            continue;
        }
        off_t at = index * kPage;
        size_t n = static_cast<size_t>(std::min<off_t>(kPage, size_ - at));
        if (at < size_ &&
            ::pwrite(backing_.get(), p.bytes.data(), n, at) != static_cast<ssize_t>(n))
            return errno ? -errno : -EIO;
        it = pages_.erase(it);
    }
    if (::ftruncate(backing_.get(), size_) < 0) return -errno;
    backing_valid_ = size_;
    created_unsynced = false;
    return 0;
}

void Node::forget_dirty() {
    for (auto& [index, p] : pages_) p.dirty = false;
}

void Node::drop() {
    pages_.clear();
    struct stat st {};
    size_ = ::fstat(backing_.get(), &st) == 0 ? st.st_size : 0;
    backing_valid_ = size_;
}

Volume::Volume(Fd root) : root_(std::move(root)) {}

std::shared_ptr<Node> Volume::node(const std::string& path, bool created, int* err) {
    if (auto it = nodes_.find(path); it != nodes_.end()) return it->second;
    Fd fd(::openat(root_.get(), relative(path).c_str(), O_RDWR | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) < 0) {
        *err = -errno;
        return nullptr;
    }
    auto n = std::make_shared<Node>(std::move(fd), st.st_size, created);
    nodes_[path] = n;
    return n;
}

std::shared_ptr<Node> Volume::find(const std::string& path) const {
    auto it = nodes_.find(path);
    return it == nodes_.end() ? nullptr : it->second;
}

void Volume::forget(const std::string& path) {
    nodes_.erase(path);
}

void Volume::rename(const std::string& from, const std::string& to) {
    auto it = nodes_.find(from);
    nodes_.erase(to);
    if (it == nodes_.end()) return;
    nodes_[to] = it->second;
    nodes_.erase(from);
}

int Volume::sync_file(Node& node, const std::string& path, pid_t tid) {
    Usage& u = usage(path, tid);
    int rc = 0;
    switch (mode_) {
        case SyncMode::normal:
            rc = node.apply();
            break;
        case SyncMode::eio:
            node.forget_dirty();
            rc = -EIO;
            break;
        case SyncMode::lie:
            break;
    }
    if (rc == 0) {
        ++u.syncs;
        u.writes_since_sync = 0;
    } else {
        ++u.failed_syncs;
    }
    return rc;
}

int Volume::sync_dir(const std::string& path, pid_t tid) {
    Usage& u = usage(path, tid);
    if (mode_ == SyncMode::eio) {
        ++u.failed_syncs;
        return -EIO;
    }
    ++u.syncs;
    if (mode_ == SyncMode::lie) return 0;
    // The directory's entries are durable now: so is the creation of every file in it.
    for (auto& [p, n] : nodes_)
        if (parent(p) == path) n->created_unsynced = false;
    return 0;
}

void Volume::count_write(const std::string& path, pid_t tid) {
    Usage& u = usage(path, tid);
    ++u.writes;
    ++u.writes_since_sync;
}

void Volume::cut_power() {
    for (auto& [path, n] : nodes_) {
        if (n->created_unsynced) ::unlinkat(root_.get(), relative(path).c_str(), 0);
        n->drop();
    }
    nodes_.clear();
    powered_ = false;
}

std::string Volume::stats() const {
    std::ostringstream out;
    for (const auto& [key, u] : usage_)
        out << key.first << ' ' << key.second << " writes=" << u.writes << " syncs=" << u.syncs
            << " failed_syncs=" << u.failed_syncs << " writes_since_sync=" << u.writes_since_sync
            << '\n';
    return out.str();
}

void Volume::reset_stats() {
    usage_.clear();
    tgids_.clear();  // thread ids are reused once a process is gone
}

Usage& Volume::usage(const std::string& path, pid_t tid) {
    return usage_[{tgid_of(tid), path}];
}

// FUSE names the calling thread; the test asks about processes (pool workers).
pid_t Volume::tgid_of(pid_t tid) {
    if (auto it = tgids_.find(tid); it != tgids_.end()) return it->second;
    pid_t tgid = tid;
    std::ifstream status("/proc/" + std::to_string(tid) + "/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("Tgid:", 0) == 0) tgid = static_cast<pid_t>(std::stol(line.substr(5)));
    tgids_[tid] = tgid;
    return tgid;
}

}  // namespace faultfs
