#include "archive.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/statvfs.h>
#include <unistd.h>

namespace acodm {
namespace {

std::string folderOf(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Writes all n bytes; returns 0 or the errno of the failure.
int writeAll(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return 0;
}

int syncFolder(const std::string& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  const int error = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return error;
}

// A temporary file beside the target: "<path>.tmp-<pid>-<n>", created exclusively (so two writers never share
// one), with the permissions an ordinary new file gets (0666 less the umask).
class TempFile {
 public:
  TempFile(const std::string& path, const std::string& what) {
    static std::atomic<unsigned> counter{0};
    for (int attempt = 0; attempt < 100; ++attempt) {
      name_ = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
      fd_ = ::open(name_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd_ >= 0) return;
      if (errno != EEXIST) break;
    }
    const int error = errno;
    name_.clear();
    throw std::runtime_error("cannot write " + what + " " + path + ": cannot create a temporary file in " +
                             folderOf(path) + ": " + std::strerror(error));
  }
  ~TempFile() { remove(); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd() const { return fd_; }
  const std::string& name() const { return name_; }

  // Flushes and closes the file; returns 0 or the errno of the first failure.
  int finish() {
    int error = ::fsync(fd_) == 0 ? 0 : errno;
    if (::close(fd_) != 0 && error == 0) error = errno;
    fd_ = -1;
    return error;
  }

  // Closes and deletes the file, unless published() was called.
  void remove() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!name_.empty()) ::unlink(name_.c_str());
    name_.clear();
  }

  void published() { name_.clear(); }

 private:
  std::string name_;
  int fd_ = -1;
};

// "no space left on device: the checkpoint needs N bytes, M bytes are free in FOLDER" and the like.
std::string cause(int error, uint64_t needed, const std::string& folder) {
  std::string out = std::strerror(error);
  if (error == ENOSPC || error == EDQUOT || error == EFBIG) out += " (the file needs " + std::to_string(needed) + " bytes";
  if (error == ENOSPC || error == EDQUOT) {
    struct statvfs fs;
    if (::statvfs(folder.c_str(), &fs) == 0)
      out += ", " + std::to_string(static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize) + " bytes are free in " + folder;
  }
  if (error == ENOSPC || error == EDQUOT || error == EFBIG) out += ")";
  return out;
}

}  // namespace

void writeArchive(torch::serialize::OutputArchive& archive, const std::string& path, const std::string& what) {
  const std::string folder = folderOf(path);
  TempFile tmp(path, what);
  uint64_t bytes = 0;
  int error = 0;
  // libtorch's zip writer is told every write succeeded: when it sees a failure it throws, and throws again
  // from ~PyTorchStreamWriter while unwinding, which terminates the process. The first error is kept here
  // instead, later bytes are only counted (so the message can say how large the file is).
  auto sink = [&](const void* data, size_t n) -> size_t {
    bytes += n;
    if (error == 0) error = writeAll(tmp.fd(), data, n);
    return n;
  };
  try {
    archive.save_to(sink);
  } catch (const c10::Error& e) {
    throw std::runtime_error("cannot write " + what + " " + path + ": " + e.what_without_backtrace());
  }
  if (error == 0) error = tmp.finish();
  if (error != 0) {
    tmp.remove();  // before measuring the free space: what a retry would have
    throw std::runtime_error("cannot write " + what + " " + path + ": " + cause(error, bytes, folder));
  }
  if (std::rename(tmp.name().c_str(), path.c_str()) != 0) {
    error = errno;
    throw std::runtime_error("cannot write " + what + " " + path + ": cannot rename " + tmp.name() + " to it: " +
                             std::strerror(error));
  }
  tmp.published();
  error = syncFolder(folder);
  if (error != 0)
    throw std::runtime_error("wrote " + what + " " + path + " but cannot sync its folder " + folder + ": " +
                             std::strerror(error) + "; it may not survive a power loss");
}

void writeHeader(torch::serialize::OutputArchive& archive, const char* magic, int64_t version) {
  archive.write("magic", c10::IValue(std::string(magic)));
  archive.write("version", c10::IValue(version));
}

void openArchive(torch::serialize::InputArchive& archive, const std::string& path, const char* magic, int64_t version,
                 const std::string& what, const char* older) {
  if (::access(path.c_str(), R_OK) != 0)
    throw std::invalid_argument(what + " " + path + " does not exist or is not readable");
  try {
    archive.load_from(path, torch::kCPU);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + " is not a readable " + what + ": " + e.what_without_backtrace());
  }
  c10::IValue m, v;
  if (!archive.try_read("magic", m) || !m.isString() || m.toStringRef() != magic)
    throw std::runtime_error(path + " is not an acodm " + what + " (no magic '" + magic + "')");
  if (!archive.try_read("version", v) || !v.isInt())
    throw std::runtime_error(what + " " + path + " has no format version");
  if (v.toInt() != version)
    throw std::runtime_error(what + " " + path + " has version " + std::to_string(v.toInt()) +
                             ", this build reads " + std::to_string(version) +
                             (older != nullptr && v.toInt() < version ? std::string(" (") + older + ")" : std::string()));
}

}  // namespace acodm
