// Checkpoint files of the engine (model, agent networks, exported actor): libtorch archives written atomically
// and opened with a magic string and a format version checked. One mechanism for every native file writer.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace acodm {

// Writes `archive` to `path` so that a reader sees the old file or the complete new one, never a part:
// the bytes go to a temporary file in the same folder, which is fsynced, renamed over `path`, and the folder
// fsynced. On any failure the temporary is removed, `path` is left as it was, and std::runtime_error names
// `what`, the path and the cause; a full disk also states the bytes the archive needs and the bytes free.
// libtorch's own writer never sees an I/O error (it would throw from a destructor and abort the process).
void writeArchive(torch::serialize::OutputArchive& archive, const std::string& path, const std::string& what);

// Opens `path` and checks that its "magic" entry is `magic` and its "version" entry `version`. Errors name
// `what` and the path: std::invalid_argument when the file is missing or unreadable, std::runtime_error when
// it is not such an archive or has another version. `older` (optional) is appended to the message when the file's
// version is older than `version`: what changed since, and what the user can do about it.
void openArchive(torch::serialize::InputArchive& archive, const std::string& path, const char* magic, int64_t version,
                 const std::string& what, const char* older = nullptr);

// Writes the "magic" and "version" entries that openArchive() checks.
void writeHeader(torch::serialize::OutputArchive& archive, const char* magic, int64_t version);

}  // namespace acodm
