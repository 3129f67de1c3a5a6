// The checkpoint archive unit under real faults: a full file system (a 1 MiB tmpfs, when this process may
// mount one), a file-size limit (RLIMIT_FSIZE, anywhere), a target that cannot be replaced, and files that are
// not our archives. A failed save must throw naming the path, leave no temporary and keep the previous file.
#include "archive.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <vector>

#include "acodm/agent.h"
#include "acodm/model.h"

namespace {

std::string freshDir(const std::string& name) {
  std::string dir = ::testing::TempDir() + "acodm_archive_" + name + "_" + std::to_string(::getpid());
  ::mkdir(dir.c_str(), 0755);
  return dir;
}

std::set<std::string> listDir(const std::string& dir) {
  std::set<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.insert(n);
    }
    ::closedir(d);
  }
  return names;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

int64_t fileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

uint64_t bytesFree(const std::string& dir) {
  struct statvfs fs;
  EXPECT_EQ(::statvfs(dir.c_str(), &fs), 0);
  return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

// A model small enough that its checkpoint (~190 kB) fits the 1 MiB tmpfs, and one whose checkpoint (~1.8 MB) does not.
constexpr const char* kSmall = "tiny:layers=1,d_model=16,heads=2";
constexpr const char* kLarge = "tiny";

// The size of kLarge's checkpoint, measured on an ordinary file system.
int64_t largeCheckpointSize() {
  const std::string dir = freshDir("size");
  const std::string path = dir + "/model.ckpt";
  acodm::Model(kLarge, 1, "cpu").save(path);
  const int64_t size = fileSize(path);
  std::remove(path.c_str());
  ::rmdir(dir.c_str());
  return size;
}

// A 1 MiB tmpfs for the duration of a test; skips the test where this process may not mount.
class SmallFileSystem : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = freshDir("tmpfs");
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") != 0) {
      const int error = errno;
      ::rmdir(dir_.c_str());
      dir_.clear();
      GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(error)
                   << "; needs root or CAP_SYS_ADMIN): the full-disk case is covered by the file-size-limit test";
    }
  }
  void TearDown() override {
    if (dir_.empty()) return;
    ::umount2(dir_.c_str(), MNT_DETACH);
    ::rmdir(dir_.c_str());
  }
  std::string dir_;
};

TEST_F(SmallFileSystem, FullDiskThrowsNamingThePathAndBytesAndKeepsThePreviousCheckpoint) {
  const int64_t needed = largeCheckpointSize();
  ASSERT_GT(needed, 1 << 20) << "the large checkpoint must not fit the 1 MiB file system";
  const std::string path = dir_ + "/model.ckpt";
  acodm::Model small(kSmall, 1, "cpu");
  small.save(path);
  const std::string previous = readFile(path);
  ASSERT_GT(previous.size(), 0u);

  acodm::Model large(kLarge, 1, "cpu");
  try {
    large.save(path);
    FAIL() << "a " << needed << "-byte checkpoint was written into a 1 MiB file system";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("model checkpoint " + path + ":"), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::strerror(ENOSPC)), std::string::npos) << msg;
    EXPECT_NE(msg.find("needs " + std::to_string(needed) + " bytes"), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::to_string(bytesFree(dir_)) + " bytes are free in " + dir_), std::string::npos) << msg;
  }
  EXPECT_EQ(listDir(dir_), std::set<std::string>{"model.ckpt"}) << "a temporary was left behind";
  EXPECT_EQ(readFile(path), previous) << "the previous checkpoint changed";
  acodm::Model reread(kSmall, 2, "cpu");
  EXPECT_NO_THROW(reread.load(path));

  // The agent's files go through the same writer.
  acodm::AgentNetworks agent(8, 4, 256, 2, 1, 1, "cpu");  // ~2.4 MB of state
  const std::string agent_path = dir_ + "/agent.pt";
  try {
    agent.save(agent_path);
    FAIL() << "the agent checkpoint fitted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("agent checkpoint " + agent_path + ":"), std::string::npos) << e.what();
  }
  EXPECT_EQ(listDir(dir_), std::set<std::string>{"model.ckpt"});
}

// RLIMIT_FSIZE makes write() fail with EFBIG past the limit: a real write failure without privileges.
TEST(Archive, FileSizeLimitThrowsAndKeepsThePreviousFile) {
  const int64_t needed = largeCheckpointSize();
  const std::string dir = freshDir("fsize");
  const std::string path = dir + "/model.ckpt";
  acodm::Model small(kSmall, 1, "cpu");
  small.save(path);
  const std::string previous = readFile(path);

  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);  // otherwise the kernel kills the process at the limit
  rlimit limited = old;
  limited.rlim_cur = 512 * 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  std::string msg;
  try {
    acodm::Model(kLarge, 1, "cpu").save(path);
  } catch (const std::runtime_error& e) {
    msg = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);

  ASSERT_FALSE(msg.empty()) << "the save past the file-size limit did not throw";
  EXPECT_NE(msg.find("model checkpoint " + path + ":"), std::string::npos) << msg;
  EXPECT_NE(msg.find(std::strerror(EFBIG)), std::string::npos) << msg;
  EXPECT_NE(msg.find("needs " + std::to_string(needed) + " bytes"), std::string::npos) << msg;
  EXPECT_EQ(listDir(dir), std::set<std::string>{"model.ckpt"}) << "a temporary was left behind";
  EXPECT_EQ(readFile(path), previous);
  std::remove(path.c_str());
  ::rmdir(dir.c_str());
}

TEST(Archive, ATargetThatCannotBeReplacedLeavesNoTemporary) {
  const std::string dir = freshDir("rename");
  const std::string path = dir + "/model.ckpt";
  ASSERT_EQ(::mkdir(path.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((path + "/inside").c_str(), 0755), 0);  // a non-empty directory where the file should go
  try {
    acodm::Model(kSmall, 1, "cpu").save(path);
    FAIL() << "a checkpoint replaced a directory";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot rename"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_EQ(listDir(dir), std::set<std::string>{"model.ckpt"});
  try {
    acodm::Model(kSmall, 1, "cpu").save(dir + "/missing/model.ckpt");
    FAIL() << "a checkpoint was written into a folder that does not exist";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(dir + "/missing/model.ckpt"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(std::strerror(ENOENT)), std::string::npos) << e.what();
  }
  ::rmdir((path + "/inside").c_str());
  ::rmdir(path.c_str());
  ::rmdir(dir.c_str());
}

TEST(Archive, OpenChecksMagicAndVersion) {
  const std::string dir = freshDir("open");
  const std::string path = dir + "/thing.pt";
  {
    torch::serialize::OutputArchive out;
    acodm::writeHeader(out, "acodm-test-thing", 3);
    out.write("payload", torch::arange(5));
    acodm::writeArchive(out, path, "test thing");
  }
  EXPECT_EQ(listDir(dir), std::set<std::string>{"thing.pt"});
  {
    torch::serialize::InputArchive in;
    acodm::openArchive(in, path, "acodm-test-thing", 3, "test thing");
    torch::Tensor t;
    in.read("payload", t);
    EXPECT_TRUE(t.equal(torch::arange(5)));
  }
  auto message = [&](const std::string& p, const char* magic, int64_t version) {
    torch::serialize::InputArchive in;
    try {
      acodm::openArchive(in, p, magic, version, "test thing");
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("(opened)");
  };
  EXPECT_EQ(message(path, "acodm-test-thing", 4), "test thing " + path + " has version 3, this build reads 4");
  EXPECT_EQ(message(path, "acodm-other", 3), path + " is not an acodm test thing (no magic 'acodm-other')");
  EXPECT_EQ(message(dir + "/none.pt", "acodm-test-thing", 3), "test thing " + dir + "/none.pt does not exist or is not readable");
  const std::string garbage = dir + "/garbage.pt";
  std::ofstream(garbage) << "not a zip archive";
  EXPECT_EQ(message(garbage, "acodm-test-thing", 3).rfind(garbage + " is not a readable test thing: ", 0), 0u)
      << message(garbage, "acodm-test-thing", 3);
  std::remove(garbage.c_str());
  std::remove(path.c_str());
  ::rmdir(dir.c_str());
}

}  // namespace
